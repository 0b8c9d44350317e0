"""The "您是想…？" choices built from a parse result."""

from __future__ import annotations

from actions.conversation import guess_buttons


def _parse(ranking: list[tuple[str, float]], **extra: object) -> dict[str, object]:
    return {
        "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
        **extra,
    }


def test_top_intents_become_choices_with_their_entities() -> None:
    parse = _parse(
        [("nlu_fallback", 0.5), ("query_violation", 0.4), ("pay_fine", 0.3)],
        entities=[{"entity": "plate_number", "value": "粤B12345"}],
    )
    buttons = guess_buttons(parse)
    assert [b["title"] for b in buttons] == ["查询交通违法（违章）", "缴纳交通违法罚款"]
    assert buttons[0]["payload"] == '/query_violation{"plate_number": "粤B12345"}'


def test_noise_ratings_and_handoff_are_not_guessed() -> None:
    parse = _parse([("rate_service", 0.5), ("human_handoff", 0.3), ("book_exam", 0.05)])
    assert guess_buttons(parse) == []


def test_faq_guess_is_a_canonical_question() -> None:
    parse = _parse(
        [("faq", 0.45)],
        response_selector={
            "faq": {"response": {"intent_response_key": "faq/passport"}}
        },
    )
    assert guess_buttons(parse) == [{"title": "护照办理", "payload": "护照怎么办理"}]
