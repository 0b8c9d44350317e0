"""Each Rasa component on its own: train, persist, load, process; missing resources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.classifier import LinearIntentClassifier
from nlu.components.entity_extractor import GovEntityExtractor
from nlu.components.faq_selector import FaqSelector
from nlu.components.featurizer import GovSparseFeaturizer
from nlu.components.normalizer import NORMALIZED_TEXT, TextNormalizer
from nlu.components.tokenizer import GovJiebaTokenizer

ROOT = Path(__file__).resolve().parents[2]

EXAMPLES = [
    ("查一下粤B12345的违章", "query_violation", None, [(3, 10, "plate_number")]),
    ("我的车有没有违章记录", "query_violation", None, []),
    ("違章查詢", "query_violation", None, []),
    ("交通违法记录查询", "query_violation", None, []),
    ("帮我约科目二考试", "book_exam", None, [(3, 6, "exam_subject")]),
    ("我想预约驾照考试", "book_exam", None, []),
    (
        "约一下南山考场的科三",
        "book_exam",
        None,
        [(3, 7, "exam_site"), (8, 10, "exam_subject")],
    ),
    ("预约路考", "book_exam", None, []),
    ("居住证怎么办", "faq", "faq/residence_permit", []),
    ("办居住证要什么材料", "faq", "faq/residence_permit", []),
    ("居住证签注在哪办", "faq", "faq/residence_permit", []),
    ("护照过期了怎么换", "faq", "faq/passport", []),
    ("办护照要多少钱", "faq", "faq/passport", []),
    ("小孩办护照需要什么", "faq", "faq/passport", []),
]


def _training_data() -> TrainingData:
    messages = []
    for text, intent, key, spans in EXAMPLES:
        data: dict[str, Any] = {"text": text, "intent": intent}
        if key:
            data["intent_response_key"] = key
        if spans:
            values = {"科三": "科目三"}
            data["entities"] = [
                {
                    "start": s,
                    "end": e,
                    "entity": n,
                    "value": values.get(text[s:e], text[s:e]),
                }
                for s, e, n in spans
            ]
        messages.append(Message(data=data))
    responses = {
        "utter_faq/residence_permit": [{"text": "居住证…"}],
        "utter_faq/passport": [{"text": "护照…"}],
    }
    return TrainingData(
        messages, entity_synonyms={"科三": "科目三"}, responses=responses
    )


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


def _context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def _pipeline(storage: LocalModelStorage) -> list[Any]:
    context = _context()
    return [
        TextNormalizer.create({}, storage, Resource("normalizer"), context),
        GovJiebaTokenizer.create(
            {"dictionary_path": str(ROOT / "data/dictionaries/gov_terms.txt")},
            storage,
            Resource("tokenizer"),
            context,
        ),
        GovSparseFeaturizer.create({}, storage, Resource("featurizer"), context),
        LinearIntentClassifier.create({}, storage, Resource("classifier"), context),
        FaqSelector.create({}, storage, Resource("selector"), context),
        GovEntityExtractor.create({}, storage, Resource("extractor"), context),
    ]


def _train(components: list[Any], data: TrainingData) -> None:
    for component in components:
        if hasattr(component, "train"):
            component.train(data)
        if hasattr(component, "process_training_data"):
            data = component.process_training_data(data)


def _loaded(storage: LocalModelStorage) -> list[Any]:
    context = _context()
    classes = [
        TextNormalizer,
        GovJiebaTokenizer,
        GovSparseFeaturizer,
        LinearIntentClassifier,
        FaqSelector,
        GovEntityExtractor,
    ]
    names = [
        "normalizer",
        "tokenizer",
        "featurizer",
        "classifier",
        "selector",
        "extractor",
    ]
    config = {"dictionary_path": str(ROOT / "data/dictionaries/gov_terms.txt")}
    loaded = []
    for cls, name in zip(classes, names, strict=True):
        if cls is TextNormalizer:
            loaded.append(cls.create({}, storage, Resource(name), context))
        else:
            loaded.append(
                cls.load(
                    {
                        **cls.get_default_config(),
                        **(config if cls is GovJiebaTokenizer else {}),
                    },
                    storage,
                    Resource(name),
                    context,
                )
            )
    return loaded


def _run(components: list[Any], text: str) -> Message:
    messages = [Message(data={"text": text})]
    for component in components:
        messages = component.process(messages)
    return messages[0]


def test_normalizer_keeps_text_and_length() -> None:
    message = Message(data={"text": "查詢粵Ｂ１２３４５🚗"})
    TextNormalizer({"max_chars": 2000}).process([message])
    assert message.get("text") == "查詢粵Ｂ１２３４５🚗"
    assert message.get(NORMALIZED_TEXT) == "查询粤B12345 "


def test_trained_pipeline_round_trips_through_model_storage(
    storage: LocalModelStorage,
) -> None:
    components = _pipeline(storage)
    _train(components, _training_data())
    before = _run(components, "帮我看看粤B54321有违章吗")
    after = _run(_loaded(storage), "帮我看看粤B54321有违章吗")
    assert (
        before.get("intent")["name"] == after.get("intent")["name"] == "query_violation"
    )
    assert before.get("intent")["confidence"] == pytest.approx(
        after.get("intent")["confidence"]
    )
    plate = [e for e in after.get("entities") if e["entity"] == "plate_number"]
    assert plate and plate[0]["value"] == "粤B54321"


def test_tokens_keep_original_offsets_and_formats_whole(
    storage: LocalModelStorage,
) -> None:
    components = _pipeline(storage)[:2]
    message = _run(components, "查詢粵Ｂ１２３４５的違章")
    tokens = message.get("text_tokens")
    plate = [t for t in tokens if t.text == "粤B12345"]
    assert plate and (plate[0].start, plate[0].end) == (2, 9)
    assert plate[0].get("pos") == "ent:plate_number"


def test_faq_selector_output_matches_rasa_response_selector_format(
    storage: LocalModelStorage,
) -> None:
    components = _pipeline(storage)
    _train(components, _training_data())
    message = _run(components, "办护照要带什么")
    selector = message.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    response = selector["faq"]["response"]
    assert response["intent_response_key"] == "faq/passport"
    assert response["utter_action"] == "utter_faq/passport"
    assert response["responses"] == [{"text": "护照…"}]
    assert selector["faq"]["ranking"][0]["intent_response_key"] == "faq/passport"


def test_extractor_uses_synonyms_and_learned_names(storage: LocalModelStorage) -> None:
    components = _pipeline(storage)
    _train(components, _training_data())
    message = _run(components, "想约南山考场的科三")
    found = {(e["entity"], e["value"]) for e in message.get("entities")}
    assert ("exam_site", "南山考场") in found
    assert ("exam_subject", "科目三") in found


def test_untrained_resources_load_as_harmless_components(
    storage: LocalModelStorage,
) -> None:
    # A model whose component resources are missing must not crash parsing.
    message = _run(_loaded(storage), "你好")
    assert message.get("intent") is None
    assert message.get("entities", []) == []
