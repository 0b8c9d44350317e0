"""Satisfaction ratings written as scores or stars: 5分、四星、★★★★★ → "1"…"5"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.normalize import STAR

_SCORE = re.compile(r"(?<![0-9])([1-5一二两三四五])\s*(?:分|星|颗星)(?![0-9])")
_STARS = re.compile(f"{STAR}{{1,5}}(?!{STAR})")
_CN = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5"}


@dataclass(frozen=True)
class RatingMatch:
    """A rating found in normalised text; ``value`` is "1"…"5"."""

    start: int
    end: int
    value: str
    # Scores are ratings only when the citizen is rating (扣了3分 is no rating);
    # stars always are.
    is_score: bool = False


def find_ratings(text: str) -> list[RatingMatch]:
    """Scores (5分, 四星, 3颗星) and star runs (★★★) in normalised text."""
    found = [
        RatingMatch(m.start(), m.end(), _CN.get(m.group(1), m.group(1)), is_score=True)
        for m in _SCORE.finditer(text)
    ]
    found += [
        RatingMatch(m.start(), m.end(), str(len(m.group())))
        for m in _STARS.finditer(text)
    ]
    return sorted(found, key=lambda r: r.start)


def is_rating_context(text: str, start: int) -> bool:
    """Whether the words just before a score make it a rating (给5分, 打个四星)."""
    before = text[max(0, start - 3) : start]
    return any(cue in before for cue in ("给", "打", "评", "满分"))
