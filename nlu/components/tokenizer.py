"""GovJiebaTokenizer: jieba with a government-domain dictionary and protected spans."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.normalizer import normalized_text
from nlu.dates import find_dates
from nlu.formats import find_formats
from nlu.normalize import normalize
from nlu.ratings import find_ratings
from nlu.segmenter import DomainSegmenter, read_dictionary

logger = logging.getLogger(__name__)

# Token data key for the part-of-speech tag jieba gives each word.
POS_TAG = "pos"

_LEARNED_WORDS_FILE = "learned_words.txt"
_DICTIONARY_FILE = "gov_terms.txt"
# Spans found by rules never depend on the date a message is sent, only their
# values do; a fixed reference keeps tokenisation deterministic.
_SPAN_REFERENCE_TIME = datetime(2026, 1, 1, 12, 0)


def protected_spans(text: str) -> list[tuple[int, int, str]]:
    """Spans of formatted entities and dates that must stay single tokens."""
    spans = [(m.start, m.end, m.entity) for m in find_formats(text)]
    spans += [
        (m.start, m.end, m.entity) for m in find_dates(text, _SPAN_REFERENCE_TIME)
    ]
    spans += [(m.start, m.end, "rating") for m in find_ratings(text)]
    return spans


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class GovJiebaTokenizer(Tokenizer):
    """Segments normalised Chinese text for government-service questions.

    Differences from Rasa's JiebaTokenizer: a private ``jieba.Tokenizer`` (no
    global state shared with other models in the process), a domain dictionary
    persisted with the model (and fingerprinted), entity words learned from the
    training annotations, formatted entities and dates kept whole, part-of-speech
    tags on every token, and whitespace or punctuation never becoming tokens.
    """

    @staticmethod
    def supported_languages() -> list[str] | None:
        """Chinese only."""
        return ["zh"]

    @staticmethod
    def required_packages() -> list[str]:
        """Python packages this component needs."""
        return ["jieba"]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config."""
        return {
            # jieba user dictionary (word [freq] [tag] per line), saved with the model.
            "dictionary_path": "data/dictionaries/gov_terms.txt",
            # Add every annotated entity text of the training data to the dictionary,
            # so that entity edges become token edges.
            "learn_entity_words": True,
            # Standard Rasa tokenizer options.
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        dictionary: list[tuple[str, int | None, str | None]],
        learned: list[str],
    ) -> None:
        """Creates the tokenizer from dictionary entries and learned words."""
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._dictionary = dictionary
        self._learned = learned
        self._segmenter: DomainSegmenter | None = None
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GovJiebaTokenizer:
        """Creates an untrained tokenizer with the configured dictionary."""
        config = {**cls.get_default_config(), **config}
        path = config.get("dictionary_path")
        dictionary = read_dictionary(Path(path).read_text("utf-8")) if path else []
        return cls(config, model_storage, resource, dictionary, [])

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrains the tokenizer (and what follows) when the dictionary changes."""
        path = {**cls.get_default_config(), **config}.get("dictionary_path")
        if not path or not Path(path).is_file():
            return None
        import hashlib

        return hashlib.sha256(Path(path).read_bytes()).hexdigest()

    @property
    def segmenter(self) -> DomainSegmenter:
        """The jieba segmenter, built once on first use."""
        if self._segmenter is None:
            with self._lock:
                if self._segmenter is None:
                    self._segmenter = DomainSegmenter(self._dictionary, self._learned)
        return self._segmenter

    def train(self, training_data: TrainingData) -> Resource:
        """Learns entity words from the annotations and saves the dictionaries."""
        if self._config["learn_entity_words"]:
            words = set()
            for example in training_data.training_examples:
                text = example.get(TEXT)
                for entity in example.get(ENTITIES) or []:
                    word = normalize(text[entity["start"] : entity["end"]]).strip()
                    if len(word) >= 2:
                        words.add(word)
            self._learned = sorted(words)
            self._segmenter = None
        self.persist()
        return self._resource

    def persist(self) -> None:
        """Writes the dictionary and the learned words into the model storage."""
        with self._model_storage.write_to(self._resource) as directory:
            lines = [
                " ".join(str(p) for p in e if p is not None) for e in self._dictionary
            ]
            (directory / _DICTIONARY_FILE).write_text("\n".join(lines), "utf-8")
            (directory / _LEARNED_WORDS_FILE).write_text(
                "\n".join(self._learned), "utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GovJiebaTokenizer:
        """Loads the dictionaries saved with the model."""
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                dictionary = read_dictionary(
                    (directory / _DICTIONARY_FILE).read_text("utf-8")
                )
                learned_text = (directory / _LEARNED_WORDS_FILE).read_text("utf-8")
        except (ValueError, FileNotFoundError):
            logger.warning("nlu.tokenizer.load.missing resource=%s", resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        learned = [w for w in learned_text.splitlines() if w]
        return cls(config, model_storage, resource, dictionary, learned)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenizes the normalised text of an attribute; offsets are the original's."""
        if attribute == TEXT:
            text = normalized_text(message)
        else:
            raw = message.get(attribute)
            text = normalize(raw) if isinstance(raw, str) else ""
        tokens = [
            Token(word, start, end, data={POS_TAG: tag})
            for word, start, end, tag in self.segmenter.segment(
                text, protected_spans(text)
            )
        ]
        return self._apply_token_pattern(tokens)
