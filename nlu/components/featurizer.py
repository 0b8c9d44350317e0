"""GovSparseFeaturizer: TF-IDF sentence features from characters, words, tags, glyphs."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.tokenizer import POS_TAG
from nlu.features import DEFAULT_WEIGHTS, FeatureSpace, TfidfVocabulary, Word, extract

logger = logging.getLogger(__name__)


def message_words(message: Message) -> list[Word]:
    """The tokens of a message's text as featurizer words."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return [Word(t.text, t.get(POS_TAG) or "x") for t in tokens]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class GovSparseFeaturizer(SparseFeaturizer, GraphComponent):
    """Sentence-level sparse features for the linear classifiers.

    Sublinear TF-IDF per group (character 1–4-grams, words and word pairs,
    part-of-speech tags, glyph components, pinyin), each L2-normalised and
    weighted. Entities found by rules count as their type, not their digits.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs a tokenizer first."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config."""
        return {
            **SparseFeaturizer.get_default_config(),
            # Weight of each feature group; 0 switches a group off.
            "weights": dict(DEFAULT_WEIGHTS),
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        space: FeatureSpace | None = None,
    ) -> None:
        """Creates the featurizer, trained if ``space`` is given."""
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._weights = {**DEFAULT_WEIGHTS, **config.get("weights", {})}
        self._space = space

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GovSparseFeaturizer:
        """Creates an untrained featurizer."""
        return cls(
            {**cls.get_default_config(), **config},
            model_storage,
            resource,
            execution_context,
        )

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Checks the group weights."""
        unknown = set(config.get("weights", {})) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"Unknown feature groups: {sorted(unknown)}")

    def _groups(self) -> list[str]:
        return [g for g, w in self._weights.items() if w > 0]

    def train(self, training_data: TrainingData) -> Resource:
        """Learns the vocabularies from the training texts."""
        docs = [
            extract(message_words(m), self._groups(), m.get(TEXT))
            for m in training_data.training_examples
            if m.get(TEXT)
        ]
        self._space = FeatureSpace.fit(docs, self._weights)
        logger.debug("nlu.featurizer.trained features=%d", self._space.size)
        self.persist()
        return self._resource

    def _featurize(self, messages: list[Message]) -> None:
        if self._space is None:
            return
        todo = [m for m in messages if isinstance(m.get(TEXT), str)]
        if not todo:
            return
        matrix = self._space.transform(
            [extract(message_words(m), self._groups(), m.get(TEXT)) for m in todo]
        )
        for row, message in enumerate(todo):
            message.add_features(
                Features(matrix[row], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
            )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes the training examples."""
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes incoming messages."""
        self._featurize(messages)
        return messages

    def persist(self) -> None:
        """Saves vocabularies as JSON and idf weights as .npy (nothing pickled)."""
        if self._space is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            groups = {}
            for group, vocab in self._space.vocabularies.items():
                terms = sorted(vocab.vocabulary, key=vocab.vocabulary.__getitem__)
                groups[group] = terms
                np.save(directory / f"idf_{group}.npy", vocab.idf, allow_pickle=False)
            meta = {"weights": self._space.weights, "groups": groups}
            (directory / "vocabulary.json").write_text(
                json.dumps(meta, ensure_ascii=False), "utf-8"
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GovSparseFeaturizer:
        """Loads the vocabularies saved with the model."""
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "vocabulary.json").read_text("utf-8"))
                vocabularies = {
                    group: TfidfVocabulary(
                        {t: i for i, t in enumerate(terms)},
                        np.load(directory / f"idf_{group}.npy", allow_pickle=False),
                    )
                    for group, terms in meta["groups"].items()
                }
        except (ValueError, FileNotFoundError):
            logger.warning("nlu.featurizer.load.missing resource=%s", resource.name)
            return cls.create(config, model_storage, resource, execution_context)
        space = FeatureSpace(vocabularies, meta["weights"])
        return cls(config, model_storage, resource, execution_context, space)
