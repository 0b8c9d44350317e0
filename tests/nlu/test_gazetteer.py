"""Gazetteer: longest match, ASCII edges, cues for single letters, intent-gated phrases."""

from __future__ import annotations

from nlu.gazetteer import Gazetteer, Phrase


def _gazetteer() -> Gazetteer:
    return Gazetteer(
        {
            "南山": Phrase("district", "南山区"),
            "南山考场": Phrase("exam_site", "南山考场"),
            "c1": Phrase("license_class", "C1"),
            "d": Phrase("license_class", "D"),
            "一般": Phrase("rating", "3", ("rate_service", "inform")),
        }
    )


def test_longest_phrase_wins() -> None:
    found = _gazetteer().find("我想去南山考场考试")
    assert [(m.entity, m.value, m.start, m.end) for m in found] == [
        ("exam_site", "南山考场", 3, 7)
    ]


def test_ascii_phrases_need_clean_edges() -> None:
    g = _gazetteer()
    assert [m.value for m in g.find("考C1驾照")] == ["C1"]
    assert g.find("KC12") == []


def test_single_letters_need_a_cue() -> None:
    g = _gazetteer()
    assert g.find("打个d") == []
    assert [m.value for m in g.find("我想考D照")] == ["D"]


def test_ambiguous_ratings_count_only_for_rating_intents() -> None:
    g = _gazetteer()
    assert g.find("一般多久能办好", intent="faq") == []
    assert [m.value for m in g.find("一般吧", intent="rate_service")] == ["3"]


def test_blocked_spans_are_skipped() -> None:
    assert _gazetteer().find("南山", blocked=[(0, 2)]) == []
