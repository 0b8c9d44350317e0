"""aiogram's Response[T] models survive garbage collection while the gateway runs."""

import gc

from aiogram.methods.base import Response

from channels.telegram import response_models


def test_every_method_the_gateway_calls_is_pinned() -> None:
    used = {"SendMessage", "AnswerCallbackQuery", "EditMessageReplyMarkup"}
    assert used <= {method.__name__ for method in response_models.METHODS}


def test_pinned_models_are_the_ones_aiogram_gets_after_a_collection() -> None:
    for method, model in response_models.PINNED.items():
        gc.collect()
        assert Response[method.__returning__] is model  # type: ignore[name-defined]
