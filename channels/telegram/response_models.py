"""Keep aiogram's parametrised ``Response[T]`` models alive for the gateway's lifetime.

aiogram validates every Bot API answer with ``Response[method.__returning__]``.
pydantic 2 caches parametrised generic models only weakly (pydantic#6681),
and they sit in reference cycles: each cyclic garbage collection drops them
and the next API call rebuilds the model and its validator. Under load that
rebuilding was about 6 % of the gateway's CPU (py-spy, docs/benchmarks.md).
Holding one strong reference per method the gateway calls keeps the cache hit.
"""

from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteWebhook,
    EditMessageReplyMarkup,
    GetMe,
    GetWebhookInfo,
    SendMessage,
    SetWebhook,
)
from aiogram.methods.base import Response, TelegramMethod

__all__ = ["METHODS", "PINNED"]

METHODS: tuple[type[TelegramMethod], ...] = (  # type: ignore[type-arg]
    SendMessage,
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    GetMe,
    GetWebhookInfo,
    SetWebhook,
    DeleteWebhook,
)

PINNED = {method: Response[method.__returning__] for method in METHODS}  # type: ignore[name-defined]
