"""The labels a reviewer may choose, read from the assistant's own definition.

Intents and entity types come from the domain (``bot/domain/*.yml``, the
NLU contract's source of truth in the repository); the ``faq/<topic>``
retrieval intents are the topics that have an answer there
(``utter_faq/<topic>``). Nothing is copied, so a new intent or topic is
labellable as soon as the domain has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DIR = ROOT / "bot" / "domain"
RETRIEVAL_INTENT = "faq"
OUT_OF_SCOPE = "out_of_scope"
_FAQ_RESPONSE = f"utter_{RETRIEVAL_INTENT}/"


@dataclass(frozen=True)
class Vocabulary:
    """Intents (``faq/<topic>`` included, bare ``faq`` not) and entity types."""

    intents: frozenset[str]
    entities: frozenset[str]

    @property
    def faq_topics(self) -> frozenset[str]:
        """The retrieval topics (``hukou``, ``passport``…)."""
        prefix = f"{RETRIEVAL_INTENT}/"
        return frozenset(i[len(prefix) :] for i in self.intents if i.startswith(prefix))


def _names(items: Any) -> set[str]:
    """Names from a domain list; entries may be strings or one-key mappings."""
    names: set[str] = set()
    for item in items or []:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict):
            names.update(str(k) for k in item)
    return names


def load_vocabulary(domain_dir: Path = DOMAIN_DIR) -> Vocabulary:
    """Read every domain file of ``domain_dir``."""
    intents: set[str] = set()
    entities: set[str] = set()
    topics: set[str] = set()
    files = sorted(domain_dir.glob("*.yml"))
    if not files:
        raise FileNotFoundError(f"no domain files in {domain_dir}")
    for path in files:
        data = yaml.safe_load(path.read_text("utf-8")) or {}
        intents |= _names(data.get("intents"))
        entities |= _names(data.get("entities"))
        for response in data.get("responses") or {}:
            if str(response).startswith(_FAQ_RESPONSE):
                topics.add(str(response)[len(_FAQ_RESPONSE) :])
    if RETRIEVAL_INTENT in intents:
        intents.discard(RETRIEVAL_INTENT)
        intents |= {f"{RETRIEVAL_INTENT}/{topic}" for topic in topics}
    return Vocabulary(frozenset(intents), frozenset(entities))
