"""The training and held-out data: coverage of the contract, size, variety, alignment."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from nlu import contract
from nlu.components.tokenizer import protected_spans
from nlu.normalize import normalize
from nlu.segmenter import DomainSegmenter, read_dictionary

ROOT = Path(__file__).resolve().parents[2]
SHARED_CONTRACT = ROOT.parent / "shared" / "spec" / "nlu-contract.md"


def _load(path: Path) -> Any:
    from rasa.shared.nlu.training_data.loading import load_data

    return load_data(str(path))


@pytest.fixture(scope="module")
def training() -> Any:
    return _load(ROOT / "data" / "nlu")


@pytest.fixture(scope="module")
def holdout() -> Any:
    return _load(ROOT / "eval" / "holdout")


def _label(message: Any) -> str:
    return message.get("intent_response_key") or message.get("intent")


def test_contract_names_match_the_shared_spec() -> None:
    if not SHARED_CONTRACT.exists():
        pytest.skip("shared/ is not beside the repository")
    spec = SHARED_CONTRACT.read_text("utf-8")
    names = set(re.findall(r"^\| `([a-z_/]+)` \|", spec, re.MULTILINE))
    ours = set(
        contract.TASK_INTENTS
        + contract.FAQ_INTENTS
        + contract.CONVERSATION_INTENTS
        + contract.ENTITIES
    )
    assert names == ours


def test_every_contract_intent_has_enough_distinct_examples(training: Any) -> None:
    counts = Counter(_label(m) for m in training.intent_examples)
    for intent in contract.TASK_INTENTS + contract.FAQ_INTENTS:
        assert counts[intent] >= 40, intent
    for intent in contract.CONVERSATION_INTENTS:
        assert counts[intent] >= 25, intent
    texts = [m.get("text") for m in training.intent_examples]
    assert len(texts) == len(set(texts)), "duplicate training texts"


def test_every_contract_entity_is_annotated(training: Any) -> None:
    seen = {
        e["entity"] for m in training.training_examples for e in m.get("entities") or []
    }
    assert set(contract.ENTITIES) <= seen


def _template_words(message: Any, segmenter: DomainSegmenter) -> tuple[str, ...]:
    """Words of the text with every entity replaced by its type."""
    text = message.get("text")
    parts, cursor = [], 0
    for e in sorted(message.get("entities") or [], key=lambda e: e["start"]):
        parts.append(text[cursor : e["start"]])
        parts.append(f" <{e['entity']}> ")
        cursor = e["end"]
    parts.append(text[cursor:])
    words: list[str] = []
    for chunk in "".join(parts).split(" "):
        if re.fullmatch(r"<[a-z_]+>", chunk):
            words.append(chunk)
        elif chunk:
            words += [w for w, *_ in segmenter.segment(normalize(chunk), [])]
    return tuple(words)


def _near_copy(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if a == b:
        return True
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


@pytest.fixture(scope="module")
def segmenter() -> DomainSegmenter:
    path = ROOT / "data" / "dictionaries" / "gov_terms.txt"
    return DomainSegmenter(read_dictionary(path.read_text("utf-8")), [])


def test_no_example_is_a_near_copy_of_another(
    training: Any, segmenter: DomainSegmenter
) -> None:
    by_intent: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for m in training.intent_examples:
        by_intent[_label(m)].append(_template_words(m, segmenter))
    offenders = []
    for intent, templates in by_intent.items():
        by_length: dict[int, list[tuple[str, ...]]] = defaultdict(list)
        for t in templates:
            by_length[len(t)].append(t)
        for group in by_length.values():
            for i, a in enumerate(group):
                # Short texts (好、对的) cannot differ by more than a word.
                if len(a) <= 2:
                    continue
                offenders += [
                    (intent, a, b) for b in group[i + 1 :] if _near_copy(a, b)
                ]
    assert not offenders, offenders[:10]


def test_held_out_split_never_overlaps_training(training: Any, holdout: Any) -> None:
    train_texts = {normalize(m.get("text")) for m in training.intent_examples}
    leaked = [
        m.get("text")
        for m in holdout.intent_examples
        if normalize(m.get("text")) in train_texts
    ]
    assert not leaked


def test_held_out_split_covers_every_contract_intent(holdout: Any) -> None:
    labels = {_label(m) for m in holdout.intent_examples}
    assert (
        set(
            contract.TASK_INTENTS + contract.FAQ_INTENTS + contract.CONVERSATION_INTENTS
        )
        <= labels
    )


def _misaligned(data: Any, segmenter: DomainSegmenter) -> list[tuple[str, str]]:
    bad = []
    for m in data.training_examples:
        text = m.get("text")
        norm = normalize(text)
        words = segmenter.segment(norm, protected_spans(norm))
        starts = {s for _, s, _, _ in words}
        ends = {e for _, _, e, _ in words}
        for e in m.get("entities") or []:
            if e["start"] not in starts or e["end"] not in ends:
                bad.append((text[e["start"] : e["end"]], text))
    return bad


def test_entity_edges_are_token_edges_on_the_whole_training_set(training: Any) -> None:
    # The tokenizer as trained: dictionary plus the entity words it learns.
    path = ROOT / "data" / "dictionaries" / "gov_terms.txt"
    learned = {
        normalize(m.get("text")[e["start"] : e["end"]]).strip()
        for m in training.training_examples
        for e in m.get("entities") or []
    }
    segmenter = DomainSegmenter(
        read_dictionary(path.read_text("utf-8")),
        sorted(w for w in learned if len(w) >= 2),
    )
    assert _misaligned(training, segmenter) == []


def test_entity_edges_mostly_align_on_unseen_held_out_text(
    holdout: Any, segmenter: DomainSegmenter
) -> None:
    # Without the learned words: the dictionary and the rules alone must carry
    # nearly every entity edge of text the model has never seen.
    total = sum(len(m.get("entities") or []) for m in holdout.training_examples)
    bad = _misaligned(holdout, segmenter)
    assert len(bad) / total <= 0.05, bad[:10]
