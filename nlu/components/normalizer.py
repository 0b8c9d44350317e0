"""TextNormalizer: stores a length-preserving normalised copy of every message."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalize import normalize

# Message key holding the normalised text. The original TEXT is never changed, so
# entity spans and values always refer to what the citizen wrote.
NORMALIZED_TEXT = "normalized_text"

# Longer messages are cut before any further processing: nothing a citizen asks
# needs more, and it bounds the CPU a single (possibly hostile) message can take.
DEFAULT_MAX_CHARS = 2000


def normalized_text(message: Message) -> str:
    """Returns the normalised text of a message, computing it if needed."""
    cached = message.get(NORMALIZED_TEXT)
    if isinstance(cached, str):
        return cached
    text = message.get(TEXT)
    return normalize(text) if isinstance(text, str) else ""


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class TextNormalizer(GraphComponent):
    """Full-width → half-width, traditional → simplified, emoji and noise → spaces.

    Runs first in the pipeline. The normalised text has exactly the length of the
    original, so every later component can work on it and still report spans of
    the original text.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config."""
        return {
            # Characters of a message that are looked at; the rest is ignored.
            "max_chars": DEFAULT_MAX_CHARS,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        """Creates the normaliser."""
        self._max_chars = int(config.get("max_chars", DEFAULT_MAX_CHARS))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TextNormalizer:
        """Creates the component (see parent class for full docstring)."""
        return cls({**cls.get_default_config(), **config})

    def _normalize_message(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str):
            return
        message.set(NORMALIZED_TEXT, normalize(text[: self._max_chars]))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Normalises every training example."""
        for example in training_data.training_examples:
            self._normalize_message(example)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Normalises incoming messages."""
        for message in messages:
            self._normalize_message(message)
        return messages
