"""Features and the calibrated linear model on small, readable data."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nlu.features import (
    FeatureSpace,
    TfidfVocabulary,
    Word,
    char_features,
    extract,
    feature_text,
    glyph_parts,
)
from nlu.linear import LinearModel


def test_entities_become_placeholders_and_digits_zero() -> None:
    words = [Word("查", "v"), Word("粤B12345", "ent:plate_number"), Word("3天", "m")]
    text = feature_text(words)
    assert "12345" not in text and text.endswith("0天")
    other = feature_text(
        [Word("查", "v"), Word("京A88888", "ent:plate_number"), Word("3天", "m")]
    )
    assert text == other


def test_char_ngrams_have_boundaries() -> None:
    grams = char_features("查违章", max_n=2)
    assert "^查" in grams and "章$" in grams and "查违" in grams


def test_glyph_parts_relate_disease_characters() -> None:
    assert set(glyph_parts("症")) & set(glyph_parts("病"))


def test_tfidf_rows_are_unit_length_and_unknown_terms_ignored() -> None:
    vocab = TfidfVocabulary.fit([["a", "b"], ["a", "c"]])
    matrix = vocab.transform([["a", "b", "b"], ["zzz"]])
    assert np.isclose(np.linalg.norm(matrix[0].toarray()), 1.0)
    assert matrix[1].nnz == 0


def _space_and_data() -> tuple[FeatureSpace, list[str], list[dict[str, list[str]]]]:
    texts = {
        "weather": [
            "今天天气怎么样",
            "明天会下雨吗",
            "气温多少度",
            "天气预报",
            "会不会刮风",
        ],
        "violation": [
            "查违章",
            "有没有违章记录",
            "违章查询",
            "我被拍了吗",
            "查交通违法",
        ],
        "greet": ["你好", "在吗", "您好呀", "哈喽", "早上好"],
    }
    labels, docs = [], []
    for label, items in texts.items():
        for t in items:
            labels.append(label)
            docs.append(extract([Word(c, "x") for c in t], ["char", "word"]))
    return FeatureSpace.fit(docs, {"char": 1.0, "word": 0.5}), labels, docs


def test_linear_model_learns_and_round_trips(tmp_path: Path) -> None:
    space, labels, docs = _space_and_data()
    model = LinearModel.fit(space.transform(docs), labels)
    query = space.transform(
        [extract([Word(c, "x") for c in "违章记录查一下"], ["char", "word"])]
    )
    probabilities = model.predict_proba(query)[0]
    assert model.classes[int(np.argmax(probabilities))] == "violation"
    assert np.isclose(probabilities.sum(), 1.0)
    model.save(tmp_path, "m")
    loaded = LinearModel.load(tmp_path, "m")
    assert np.allclose(loaded.predict_proba(query), model.predict_proba(query))


def test_empty_features_give_a_flat_low_confidence() -> None:
    space, labels, docs = _space_and_data()
    model = LinearModel.fit(space.transform(docs), labels)
    empty = space.transform([extract([], ["char", "word"])])
    assert model.predict_proba(empty)[0].max() < 0.7
