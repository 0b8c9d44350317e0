"""Keep aiogram's parametrised ``Response[T]`` models alive for the gateway's lifetime.

aiogram validates every Bot API answer with ``Response[method.__returning__]``,
and pydantic 2 caches parametrised generic models only weakly (pydantic#6681).
Under load, py-spy showed the gateway rebuilding ``Response[Message | bool]``
(``editMessageReplyMarkup``) again and again, model and validator: about 6 % of
its CPU (during ``python -m bench.load --target telegram``). With one strong
reference per method the gateway calls, the same profile shows no rebuild.
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
