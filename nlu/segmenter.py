"""DomainSegmenter: a private jieba instance that keeps protected spans whole."""

from __future__ import annotations

import logging
import re

import jieba
import jieba.posseg

# Words of the domain dictionary win against jieba's general vocabulary.
_DOMAIN_FREQ = 200_000
# Tag of protected words: the prefix plus the entity label, e.g. "ent:date".
ENTITY_TAG_PREFIX = "ent:"
_SKIP = re.compile(r"^[\s\W_]*$", re.UNICODE)


def read_dictionary(text: str) -> list[tuple[str, int | None, str | None]]:
    """Parses a jieba user dictionary (``word [freq] [tag]`` per line, # comments)."""
    entries: list[tuple[str, int | None, str | None]] = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        word, freq, tag = parts[0], None, None
        for part in parts[1:]:
            if part.isdigit():
                freq = int(part)
            else:
                tag = part
        entries.append((word, freq, tag))
    return entries


class DomainSegmenter:
    """Segments text with part-of-speech tags; protected spans stay single words."""

    def __init__(
        self,
        dictionary: list[tuple[str, int | None, str | None]],
        learned_words: list[str],
    ) -> None:
        """Builds a private jieba tokenizer with the given extra words."""
        jieba.setLogLevel(logging.WARNING)
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word, freq, tag in dictionary:
            self._jieba.add_word(word, freq or _DOMAIN_FREQ, tag or "nz")
        for word in learned_words:
            if self._jieba.FREQ.get(word, 0) == 0:
                self._jieba.add_word(word, _DOMAIN_FREQ // 2, "nz")
        self._pos = jieba.posseg.POSTokenizer(self._jieba)

    def segment(
        self, text: str, protected: list[tuple[int, int, str]]
    ) -> list[tuple[str, int, int, str]]:
        """Returns ``(word, start, end, pos)`` for every word, skipping blanks/punctuation.

        Args:
            text: normalised text.
            protected: labelled spans (possibly overlapping) that must not be split;
                their words get the tag ``ENTITY_TAG_PREFIX + label``.
        """
        words: list[tuple[str, int, int, str]] = []
        cursor = 0
        for start, end, label in _merge(protected):
            if start < cursor:
                continue
            words += self._segment_free(text[cursor:start], cursor)
            words.append((text[start:end], start, end, ENTITY_TAG_PREFIX + label))
            cursor = end
        words += self._segment_free(text[cursor:], cursor)
        return words

    def _segment_free(self, text: str, offset: int) -> list[tuple[str, int, int, str]]:
        out: list[tuple[str, int, int, str]] = []
        if not text.strip():
            return out
        position = 0
        for pair in self._pos.cut(text):
            word, flag = pair.word, pair.flag
            start = position
            position += len(word)
            if _SKIP.match(word):
                continue
            out.append((word, offset + start, offset + position, flag))
        return out


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sorts spans and merges overlapping ones (the first label wins)."""
    merged: list[tuple[int, int, str]] = []
    for start, end, label in sorted(spans):
        if merged and start < merged[-1][1]:
            first = merged[-1]
            merged[-1] = (first[0], max(end, first[1]), first[2])
        else:
            merged.append((start, end, label))
    return merged
