"""GovEntityExtractor: every contract entity from rules, checksums, dates and gazetteers."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.normalizer import normalized_text
from nlu.dates import find_dates
from nlu.formats import find_formats
from nlu.gazetteer import Gazetteer, Phrase
from nlu.normalize import normalize
from nlu.ratings import find_ratings, is_rating_context

logger = logging.getLogger(__name__)

TIMEZONE = ZoneInfo("Asia/Shanghai")
# Entities that rules find by shape; annotations of them never enter the gazetteer.
RULE_ENTITIES = frozenset(
    {
        "plate_number",
        "id_number",
        "phone_number",
        "booking_code",
        "ticket_id",
        "decision_number",
        "engine_suffix",
        "date",
        "time_period",
    }
)
# Words that are ratings only when the citizen is rating (一般 also means "usually").
AMBIGUOUS_RATINGS = frozenset(
    {"一般", "还行", "还可以", "好", "差", "不错", "可以", "凑合"}
)
RATING_INTENTS = ("rate_service", "inform")
_ENGINE_AFTER_PLATE = re.compile(
    r"^[\s,，:：、]*(?:发动机|车架)?[^\w]{0,2}([0-9A-Z]{6})(?![0-9A-Z])"
)


def reference_time(message: Message) -> datetime:
    """When the message was sent: ``metadata.sent_at`` if given, else now (Shanghai)."""
    metadata = message.get("metadata") or {}
    sent_at = metadata.get("sent_at") if isinstance(metadata, dict) else None
    if isinstance(sent_at, str):
        try:
            parsed = datetime.fromisoformat(sent_at)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=TIMEZONE)
    return datetime.now(TIMEZONE)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True
)
class GovEntityExtractor(EntityExtractorMixin, GraphComponent):
    """One extractor for every entity of the NLU contract.

    Formatted entities come from validated patterns (an ID with a wrong check
    digit is still returned, flagged invalid), dates and periods from the Chinese
    date grammar (value = ISO date or interval, relative to the message time),
    and names (districts, exam sites, licence classes, subjects, ratings) from a
    gazetteer built at training time from lookup tables, synonyms and the
    annotations, with values mapped to canonical forms. Spans always refer to
    the citizen's original text.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config."""
        return {
            # Entity types the gazetteer may produce.
            "gazetteer_entities": [
                "district",
                "exam_site",
                "exam_subject",
                "license_class",
                "rating",
            ],
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        phrases: dict[str, Phrase] | None = None,
    ) -> None:
        """Creates the extractor, trained if ``phrases`` is given."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._gazetteer = Gazetteer(phrases or {})

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GovEntityExtractor:
        """Creates an untrained extractor."""
        return cls(
            {**cls.get_default_config(), **config},
            model_storage,
            resource,
        )

    def train(self, training_data: TrainingData) -> Resource:
        """Builds the gazetteer from lookups, synonyms and annotations."""
        allowed = set(self._config["gazetteer_entities"])
        synonyms = {
            normalize(k).lower(): v for k, v in training_data.entity_synonyms.items()
        }
        phrases: dict[str, Phrase] = {}

        def add(surface: str, entity: str, value: str | None = None) -> None:
            key = normalize(surface).strip().lower()
            if not key or entity not in allowed:
                return
            canonical = synonyms.get(key, value if value is not None else surface)
            needs = (
                RATING_INTENTS
                if entity == "rating" and key in AMBIGUOUS_RATINGS
                else ()
            )
            phrases.setdefault(key, Phrase(entity, str(canonical), needs))

        for example in training_data.entity_examples:
            text = example.get(TEXT)
            for entity in example.get(ENTITIES) or []:
                if entity["entity"] in RULE_ENTITIES:
                    continue
                add(
                    text[entity["start"] : entity["end"]],
                    entity["entity"],
                    entity.get("value"),
                )
        for table in training_data.lookup_tables:
            for element in table.get("elements", []):
                add(element, table["name"])
        canonical_types = {p.value: p.entity for p in phrases.values()}
        for surface, canonical in training_data.entity_synonyms.items():
            entity = canonical_types.get(canonical)
            if entity:
                add(surface, entity, canonical)
                add(canonical, entity, canonical)
        self._gazetteer = Gazetteer(phrases)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the entities found in each message."""
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text:
                continue
            entities = self._extract(message, text)
            message.set(
                ENTITIES, [*message.get(ENTITIES, []), *entities], add_to_output=True
            )
        return messages

    def _extract(self, message: Message, text: str) -> list[dict[str, Any]]:
        norm = normalized_text(message)
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        found: list[dict[str, Any]] = []
        for m in find_formats(norm):
            info = {"valid": m.valid, "problem": m.problem}
            found.append(self._entity(m.entity, m.start, m.end, m.value, text, info))
        for d in find_dates(norm, reference_time(message)):
            found.append(
                self._entity(
                    d.entity,
                    d.start,
                    d.end,
                    _date_value(d.value, d.text),
                    text,
                    d.value,
                )
            )
        found += self._engine_suffixes(norm, text, found)
        for r in find_ratings(norm):
            if (
                r.is_score
                and intent not in RATING_INTENTS
                and not is_rating_context(norm, r.start)
            ):
                continue
            if not _overlaps(found, r.start, r.end):
                found.append(self._entity("rating", r.start, r.end, r.value, text))
        blocked = [(e["start"], e["end"]) for e in found]
        for g in self._gazetteer.find(norm, intent, blocked):
            found.append(self._entity(g.entity, g.start, g.end, g.value, text))
        return sorted(found, key=lambda e: e["start"])

    def _engine_suffixes(
        self, norm: str, text: str, found: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A 6-character code right after a plate is its engine/VIN suffix."""
        if any(e["entity"] == "engine_suffix" for e in found):
            return []
        extra = []
        upper = norm.upper()
        for plate in (e for e in found if e["entity"] == "plate_number"):
            m = _ENGINE_AFTER_PLATE.match(upper[plate["end"] :])
            if m is None:
                continue
            start = plate["end"] + m.start(1)
            if not _overlaps(found, start, start + 6) and re.search(r"\d", m.group(1)):
                extra.append(
                    self._entity("engine_suffix", start, start + 6, m.group(1), text)
                )
        return extra

    def _entity(
        self,
        entity: str,
        start: int,
        end: int,
        value: str,
        text: str,
        info: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        result: dict[str, Any] = {
            "entity": entity,
            "start": start,
            "end": end,
            "value": value,
            "text": text[start:end],
            "confidence_entity": 1.0,
            "extractor": self.name,
        }
        if info:
            result["additional_info"] = info
        return result

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves the annotated entities of training data as they are."""
        return training_data

    def persist(self) -> None:
        """Saves the gazetteer as JSON."""
        with self._model_storage.write_to(self._resource) as directory:
            data = {
                k: [p.entity, p.value, list(p.needs_intent)]
                for k, p in self._gazetteer.phrases.items()
            }
            (directory / "gazetteer.json").write_text(
                json.dumps(data, ensure_ascii=False, indent=0), "utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GovEntityExtractor:
        """Loads the gazetteer saved with the model."""
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                raw = json.loads((directory / "gazetteer.json").read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("nlu.entities.load.missing resource=%s", resource.name)
            raw = {}
        phrases = {k: Phrase(v[0], v[1], tuple(v[2])) for k, v in raw.items()}
        return cls(config, model_storage, resource, phrases)


def _date_value(value: dict[str, Any], text: str) -> str:
    """ISO date, ISO interval for ranges, the period name, or the raw text if invalid."""
    if "period" in value:
        return str(value["period"])
    start, end = value.get("date"), value.get("end")
    if not start:
        return text
    return str(start) if not end or end == start else f"{start}/{end}"


def _overlaps(found: list[dict[str, Any]], start: int, end: int) -> bool:
    return any(e["start"] < end and start < e["end"] for e in found)
