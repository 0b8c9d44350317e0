"""Similar messages grouped so that one decision labels them all.

Texts are compared on a *key*: the masked text normalised the way the NLU
pipeline sees it (full-width → half-width, traditional → simplified with
OpenCC, lower case), without punctuation, spaces or emoji, and with every
masked run replaced by one placeholder character of its kind, so
"查4403****123X的分" and "查4401****5678的分" share the key "查①的分".

Two keys are similar when the Jaccard index of their character bigram sets
reaches a threshold (0.6 by default). Chinese has no spaces between words and
our pipeline segments with a domain dictionary that the log does not record;
bigrams approximate words without depending on a segmenter, are robust to one
inserted or mistyped character (it changes at most two bigrams), and Jaccard
is symmetric and bounded, so one threshold means the same for short and long
messages. Keys of one or two characters only group when equal.

Clustering is greedy "leader" clustering in rank order: each item joins the
first group whose leader (its best-ranked member) is similar enough, else
starts a group. Deterministic, one pass, and a group's leader is the message
a reviewer sees first.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from nlu.normalize import normalize
from review.queue.masked import Kind, masked_runs

DEFAULT_THRESHOLD = 0.6
# One private-use character per kind of masked value, so that an ID never
# groups with a plate in the same sentence frame.
PLACEHOLDERS = {kind: chr(0xE000 + n) for n, kind in enumerate(Kind)}
_MIN_GRAMS = 3

T = TypeVar("T")


def group_key(text: str) -> str:
    """The comparable form of a masked message (see the module docstring)."""
    return marked_key(text, ((r.start, r.end, r.kind) for r in masked_runs(text)))


def marked_key(text: str, marks: Iterable[tuple[int, int, Kind]]) -> str:
    """The key of ``text`` with the given spans read as placeholders of their kind.

    Used for masked log text (the spans are its masked runs) and for training
    examples (the spans are the identifiers found in them), so that both
    compare alike.
    """
    normalised = normalize(text).lower()
    parts: list[str] = []
    position = 0
    for start, end, kind in sorted(marks, key=lambda m: m[0]):
        if start < position:
            continue
        parts.append(_strip(normalised[position:start]))
        parts.append(PLACEHOLDERS[kind])
        position = end
    parts.append(_strip(normalised[position:]))
    return "".join(parts)


def _strip(text: str) -> str:
    """Drop punctuation, symbols and spaces; keep letters, digits, CJK."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


def key_id(key: str) -> str:
    """A short stable id of a key (what the console puts in URLs)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def bigrams(key: str) -> frozenset[str]:
    """The character bigrams of a key (the key itself when shorter than two)."""
    if len(key) < 2:
        return frozenset({key})
    return frozenset(key[i : i + 2] for i in range(len(key) - 1))


def similarity(a: str, b: str) -> float:
    """Jaccard index of the bigram sets of two keys (1.0 when equal)."""
    if a == b:
        return 1.0
    grams_a, grams_b = bigrams(a), bigrams(b)
    if min(len(grams_a), len(grams_b)) < _MIN_GRAMS:
        return 0.0
    return len(grams_a & grams_b) / len(grams_a | grams_b)


@dataclass
class Cluster(Generic[T]):
    """Items grouped under the key of their leader (the first one)."""

    key: str
    members: list[T] = field(default_factory=list)

    @property
    def id(self) -> str:
        """Stable id of the leader's key."""
        return key_id(self.key)


def cluster(
    items: Iterable[T],
    text_of: Callable[[T], str],
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Cluster[T]]:
    """Group items (already in rank order) by the similarity of their keys."""
    clusters: list[Cluster[T]] = []
    exact: dict[str, Cluster[T]] = {}
    for item in items:
        key = group_key(text_of(item))
        found = exact.get(key) or _nearest(clusters, key, threshold)
        if found is None:
            found = Cluster(key)
            clusters.append(found)
        exact.setdefault(key, found)
        found.members.append(item)
    return clusters


def _nearest(
    clusters: Sequence[Cluster[T]], key: str, threshold: float
) -> Cluster[T] | None:
    best: Cluster[T] | None = None
    best_score = threshold
    for candidate in clusters:
        score = similarity(candidate.key, key)
        if score >= best_score and (best is None or score > best_score):
            best, best_score = candidate, score
    return best
