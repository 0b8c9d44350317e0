"""FaqSelector: picks the sub-intent of a retrieval intent (faq/…) with a linear model."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.classifier import feature_dim, sentence_features
from nlu.linear import LinearModel

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class FaqSelector(GraphComponent):
    """Response selection for retrieval intents, in Rasa's ResponseSelector format.

    One calibrated linear model per retrieval intent over the same sentence
    features as the intent classifier: seconds to train instead of minutes, and
    ``utter_faq`` / ``rasa test nlu`` read its output like ResponseSelector's.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs sentence features."""
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Returns the default config."""
        return {
            "C": 1.0,
            "ranking_length": 5,
            "balanced": False,
            "random_seed": 42,
            # Scale the retrieval intent's confidence by the topic's: "faq, but no
            # topic fits" is how unrelated how-to questions (金毛掉毛怎么办) look,
            # and the joint confidence lets the FallbackClassifier catch them.
            "joint_confidence": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        models: dict[str, LinearModel] | None = None,
        responses: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        """Creates the selector, trained if ``models`` is given."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._models = models or {}
        self._responses = responses or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FaqSelector:
        """Creates an untrained selector."""
        return cls({**cls.get_default_config(), **config}, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits one model per retrieval intent on its sub-intent labels."""
        self._responses = dict(training_data.responses)
        for retrieval_intent in sorted(training_data.retrieval_intents):
            examples = [
                m
                for m in training_data.intent_examples
                if m.get(INTENT) == retrieval_intent
                and m.get(TEXT)
                and m.get(INTENT_RESPONSE_KEY)
            ]
            dim = feature_dim(examples)
            if dim == 0:
                continue
            self._models[retrieval_intent] = LinearModel.fit(
                sentence_features(examples, dim),
                [m.get(INTENT_RESPONSE_KEY) for m in examples],
                c=float(self._config["C"]),
                seed=int(self._config["random_seed"]),
                balanced=bool(self._config["balanced"]),
            )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the selected response of every retrieval intent to each message."""
        if not self._models:
            return messages
        limit = int(self._config["ranking_length"])
        for retrieval_intent, model in self._models.items():
            probabilities = model.predict_proba(
                sentence_features(messages, model.coef.shape[1])
            )
            for message, row in zip(messages, probabilities, strict=True):
                order = np.argsort(-row)
                best = model.classes[order[0]]
                utter_action = f"utter_{best}"
                prediction = {
                    RESPONSE_SELECTOR_PREDICTION_KEY: {
                        RESPONSE_SELECTOR_RESPONSES_KEY: self._responses.get(
                            utter_action, []
                        ),
                        PREDICTED_CONFIDENCE_KEY: float(row[order[0]]),
                        INTENT_RESPONSE_KEY: best,
                        RESPONSE_SELECTOR_UTTER_ACTION_KEY: utter_action,
                    },
                    RESPONSE_SELECTOR_RANKING_KEY: [
                        {
                            PREDICTED_CONFIDENCE_KEY: float(row[i]),
                            INTENT_RESPONSE_KEY: model.classes[i],
                        }
                        for i in order[:limit]
                    ],
                }
                properties = message.get(RESPONSE_SELECTOR_PROPERTY_NAME, {})
                properties[RESPONSE_SELECTOR_RETRIEVAL_INTENTS] = sorted(self._models)
                properties[retrieval_intent] = prediction
                message.set(
                    RESPONSE_SELECTOR_PROPERTY_NAME, properties, add_to_output=True
                )
                if self._config["joint_confidence"]:
                    _scale_intent(message, retrieval_intent, float(row[order[0]]))
        return messages

    def persist(self) -> None:
        """Saves one array file per retrieval intent and the responses as JSON."""
        with self._model_storage.write_to(self._resource) as directory:
            for retrieval_intent, model in self._models.items():
                model.save(directory, f"selector_{retrieval_intent}")
            meta = {
                "retrieval_intents": sorted(self._models),
                "responses": self._responses,
            }
            (directory / "selector.json").write_text(
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
    ) -> FaqSelector:
        """Loads the models saved with the Rasa model."""
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / "selector.json").read_text("utf-8"))
                models = {
                    name: LinearModel.load(directory, f"selector_{name}")
                    for name in meta["retrieval_intents"]
                }
        except (ValueError, FileNotFoundError):
            logger.warning("nlu.faq_selector.load.missing resource=%s", resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, models, meta["responses"])


def _scale_intent(message: Message, intent: str, factor: float) -> None:
    """Multiplies one intent's confidence by ``factor`` and re-sorts the ranking."""
    top = message.get(INTENT)
    if not top or top.get("name") != intent:
        return
    ranking = [dict(r) for r in message.get("intent_ranking") or []]
    for entry in ranking:
        if entry["name"] == intent:
            entry["confidence"] = entry["confidence"] * factor
    ranking.sort(key=lambda r: -r["confidence"])
    message.set(INTENT, ranking[0] if ranking else top, add_to_output=True)
    message.set("intent_ranking", ranking, add_to_output=True)
