"""Labelled messages → ``data/nlu/reviewed/<intent>.yml`` for retraining.

Each file is valid Rasa 3.6 NLU YAML: one intent (``faq/<topic>`` for the
retrieval intent), examples with ``[text](entity)`` annotations and their
provenance (annotation id, reviewer, date) in per-example ``metadata``.
Masked values become synthetic stand-ins of their kind
(``review.queue.standins``), seeded by the annotation id, so exporting twice
writes the same files. Examples that repeat a training example (same words
once identifiers are set aside) are skipped, as are those matching an
evaluation example (training on them would inflate the held-out scores) and
those another intent already claims in the training data (Rasa refuses one
text under two intents). The export never writes under ``eval/``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nlu.formats import find_formats
from nlu.normalize import normalize_for_match
from review.queue.annotations import AnnotationView, view
from review.queue.errors import InvalidLabel
from review.queue.grouping import group_key, marked_key
from review.queue.labels import Span, check
from review.queue.masked import PERSONAL_ENTITIES, Kind, MaskedRun, masked_runs
from review.queue.models import Annotation, Decision
from review.queue.standins import generator, stand_in
from review.queue.vocabulary import ROOT, Vocabulary

REVIEWED_DIR = ROOT / "data" / "nlu" / "reviewed"
TRAINING_DIR = ROOT / "data" / "nlu"
EVAL_DIR = ROOT / "eval"
HEADER = (
    "# Reviewed examples, exported by `python -m review queue export` from the\n"
    "# staff annotations. Generated: edits here are overwritten by the next export.\n"
)
_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_KINDS = {k.value: k for k in Kind}


@dataclass(frozen=True)
class Skipped:
    """An annotation left out of the export, and why."""

    annotation_id: int
    reason: str  # duplicate | held_out | conflict | invalid
    detail: str


@dataclass
class ExportReport:
    """What an export wrote and what it left out."""

    files: dict[str, int] = field(default_factory=dict)  # file name → examples
    skipped: list[Skipped] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # stale files deleted

    @property
    def exported(self) -> int:
        """Examples written."""
        return sum(self.files.values())


@dataclass(frozen=True)
class Example:
    """One exported training example."""

    annotation_id: int
    intent: str
    text: str  # with [entity](type) markup
    metadata: dict[str, Any]


def file_name(intent: str) -> str:
    """``query_violation.yml``; ``faq/hukou`` → ``faq.hukou.yml``."""
    return intent.replace("/", ".") + ".yml"


def _plain(text: str) -> str:
    """Markup-free text: ASCII brackets would be read as annotations."""
    return text.replace("[", "［").replace("]", "］")


def _entity(text: str, span: Span) -> str:
    if span.value is None:
        return f"[{text}]({span.entity})"
    attrs = {"entity": span.entity, "value": span.value}
    return f"[{text}]{json.dumps(attrs, ensure_ascii=False)}"


def _compact(text: str) -> str:
    return "".join(c for c in normalize_for_match(text) if c not in " -·")


def render(annotation: AnnotationView) -> Example:
    """The training example of a labelled annotation, stand-ins in place."""
    text = annotation.text
    spans = sorted(annotation.entities, key=lambda s: s.start)
    covered = [(s.start, s.end) for s in spans]
    pieces: list[tuple[int, int, Span | MaskedRun]] = [
        (s.start, s.end, s) for s in spans
    ]
    pieces += [
        (r.start, r.end, r)
        for r in masked_runs(text)
        if not any(a <= r.start and r.end <= b for a, b in covered)
    ]
    pieces.sort(key=lambda p: p[0])
    out: list[str] = []
    position = 0
    for n, (start, end, piece) in enumerate(pieces):
        out.append(_plain(text[position:start]))
        original = text[start:end]
        rng = generator("review.queue.export", annotation.id, n)
        if isinstance(piece, MaskedRun):
            out.append(stand_in(piece.kind, piece.compact, rng))
        elif piece.entity in PERSONAL_ENTITIES:
            value = stand_in(_KINDS[piece.entity], _compact(original), rng)
            out.append(_entity(value, Span(start, end, piece.entity)))
        else:
            out.append(_entity(_plain(original), piece))
        position = end
    out.append(_plain(text[position:]))
    intent = annotation.intent or ""
    return Example(
        annotation_id=annotation.id,
        intent=intent,
        text="".join(out).strip(),
        metadata={
            "review": {
                "annotation": annotation.id,
                "reviewer": annotation.updated_by,
                "date": annotation.updated_at.date().isoformat(),
            }
        },
    )


def example_key(plain: str) -> str:
    """The dedupe key of a training example: identifiers read as placeholders."""
    copy = normalize_for_match(plain)
    marks = [
        (m.start, m.end, _KINDS[m.entity])
        for m in find_formats(copy)
        if m.entity in _KINDS
    ]
    return marked_key(plain, marks)


def _examples_of(item: dict[str, Any]) -> Iterable[str]:
    examples = item.get("examples")
    if isinstance(examples, str):
        for line in examples.splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield _MARKUP.sub(r"\1", line[2:].strip())
    elif isinstance(examples, list):
        for example in examples:
            if isinstance(example, dict) and isinstance(example.get("text"), str):
                yield _MARKUP.sub(r"\1", example["text"].strip())


def known_examples(
    roots: Iterable[Path], exclude: Path | None = None
) -> dict[str, set[str]]:
    """Key → intents of every NLU example under ``roots`` (``exclude`` left out)."""
    found: dict[str, set[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.yml")):
            if exclude is not None and path.resolve().is_relative_to(exclude):
                continue
            data = yaml.safe_load(path.read_text("utf-8")) or {}
            items = data.get("nlu") if isinstance(data, dict) else None
            for item in items or []:
                if isinstance(item, dict) and isinstance(item.get("intent"), str):
                    for plain in _examples_of(item):
                        found.setdefault(example_key(plain), set()).add(item["intent"])
    return found


async def labelled(session: AsyncSession) -> list[AnnotationView]:
    """Every annotation to export (labels and out of scope), oldest first."""
    rows = await session.scalars(
        select(Annotation)
        .where(
            Annotation.decision.in_([Decision.LABEL.value, Decision.OUT_OF_SCOPE.value])
        )
        .order_by(Annotation.id)
    )
    return [view(r) for r in rows]


def select_examples(
    annotations: Iterable[AnnotationView],
    vocabulary: Vocabulary,
    training: dict[str, set[str]],
    held_out: dict[str, set[str]],
) -> tuple[list[Example], list[Skipped]]:
    """The examples to write, and the annotations left out with their reason."""
    examples: list[Example] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    for annotation in annotations:
        try:
            check(annotation.label, annotation.text, vocabulary)
        except InvalidLabel as exc:
            skipped.append(Skipped(annotation.id, "invalid", str(exc)))
            continue
        intent = annotation.intent or ""
        key = group_key(annotation.text)
        if key in held_out:
            skipped.append(Skipped(annotation.id, "held_out", "与评测集中的句子相同"))
        elif key in seen:
            skipped.append(
                Skipped(annotation.id, "duplicate", f"与标注 {seen[key]} 的句子相同")
            )
        elif intent in training.get(key, set()):
            skipped.append(Skipped(annotation.id, "duplicate", "训练数据中已有该句"))
        elif key in training:
            others = "、".join(sorted(training[key]))
            skipped.append(
                Skipped(annotation.id, "conflict", f"训练数据中该句标为 {others}")
            )
        else:
            seen[key] = annotation.id
            examples.append(render(annotation))
    return examples, skipped


def _document(intent: str, examples: list[Example]) -> str:
    body = {
        "version": "3.1",
        "nlu": [
            {
                "intent": intent,
                "examples": [
                    {"text": e.text, "metadata": e.metadata} for e in examples
                ],
            }
        ],
    }
    dumped = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=1000)
    return HEADER + dumped


def _write_atomic(path: Path, content: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".export-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(content)
    os.replace(temporary, path)


def write_files(out_dir: Path, examples: list[Example], report: ExportReport) -> None:
    """One file per intent; generated files of intents no longer labelled go."""
    out_dir.mkdir(parents=True, exist_ok=True)
    by_intent: dict[str, list[Example]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(example)
    for intent in sorted(by_intent):
        name = file_name(intent)
        _write_atomic(out_dir / name, _document(intent, by_intent[intent]))
        report.files[name] = len(by_intent[intent])
    for path in sorted(out_dir.glob("*.yml")):
        if path.name not in report.files and path.read_text("utf-8").startswith(HEADER):
            path.unlink()
            report.removed.append(path.name)


def check_destination(out_dir: Path, eval_dir: Path = EVAL_DIR) -> Path:
    """The resolved output folder; never inside the evaluation data."""
    resolved = out_dir.resolve()
    if resolved.is_relative_to(eval_dir.resolve()):
        raise ValueError(
            f"refusing to export into the frozen evaluation data: {out_dir}"
        )
    return resolved


async def export_reviewed(
    session: AsyncSession,
    vocabulary: Vocabulary,
    *,
    out_dir: Path = REVIEWED_DIR,
    training_dirs: Iterable[Path] = (TRAINING_DIR,),
    eval_dir: Path = EVAL_DIR,
) -> ExportReport:
    """Write every labelled annotation into ``out_dir`` (see the module docstring).

    Args:
        session: A read transaction on the log.
        vocabulary: Labels still allowed (annotations of removed intents are skipped).
        out_dir: Where the files go (``data/nlu/reviewed`` by default).
        training_dirs: Existing training data, for the duplicate check.
        eval_dir: Evaluation data: never written, examples there never exported.
    """
    destination = check_destination(out_dir, eval_dir)
    training = known_examples(training_dirs, exclude=destination)
    held_out = known_examples([eval_dir])
    examples, skipped = select_examples(
        await labelled(session), vocabulary, training, held_out
    )
    report = ExportReport(skipped=skipped)
    write_files(destination, examples, report)
    return report
