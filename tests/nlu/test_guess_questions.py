"""The canonical questions behind "您是想…？" faq choices reach their own topic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from actions.labels import FAQ_QUESTIONS


@pytest.mark.parametrize(
    ("topic", "question"), [(k, v[1]) for k, v in FAQ_QUESTIONS.items()]
)
def test_choice_question_is_answered_by_its_topic(
    parse: Callable[[str], dict[str, Any]], topic: str, question: str
) -> None:
    result = parse(question)
    assert result["intent"]["name"] == "faq", result["intent"]
    key = result["response_selector"]["faq"]["response"]["intent_response_key"]
    assert key == f"faq/{topic}"
