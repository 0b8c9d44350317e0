"""Linear multi-class model with calibrated confidences, stored as plain arrays."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

# Temperatures tried when calibrating softmax confidences on held-out folds.
_TEMPERATURES = np.geomspace(0.5, 50.0, 60)


class LinearModel:
    """One-vs-rest linear SVM whose scores become probabilities by a fitted softmax.

    SVMs beat logistic regression on short Chinese texts here and train in a
    fraction of the time, but their scores are not probabilities. The softmax
    temperature is fitted on cross-validated scores, so a confidence threshold
    (the fallback) means the same thing whatever the data size.
    """

    def __init__(
        self,
        classes: list[str],
        coef: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
    ) -> None:
        """Creates a model from its arrays."""
        self.classes = classes
        self.coef = coef
        self.intercept = intercept
        self.temperature = temperature

    @classmethod
    def fit(
        cls,
        features: sp.csr_matrix,
        labels: list[str],
        c: float = 1.0,
        seed: int = 42,
        balanced: bool = False,
    ) -> LinearModel:
        """Trains on all data, then calibrates the temperature by 3-fold CV."""
        classes = sorted(set(labels))
        if len(classes) == 1:
            dim = features.shape[1]
            return cls(
                classes, np.zeros((1, dim), np.float32), np.ones(1, np.float32), 1.0
            )
        svm = _svm(c, seed, balanced).fit(features, labels)
        coef, intercept = _arrays(svm, classes)
        temperature = _calibrate(features, labels, classes, c, seed, balanced)
        return cls(classes, coef, intercept, temperature)

    def scores(self, features: sp.csr_matrix) -> np.ndarray:
        """Raw decision scores, one column per class."""
        return np.asarray(features @ self.coef.T) + self.intercept

    def predict_proba(self, features: sp.csr_matrix) -> np.ndarray:
        """Calibrated class probabilities."""
        if len(self.classes) == 1:
            return np.ones((features.shape[0], 1))
        probabilities = _softmax(self.scores(features) * self.temperature)
        # A message with no known feature at all (noise, unknown symbols) carries no
        # evidence: every class is equally likely, so the fallback takes it.
        empty = np.asarray(features.getnnz(axis=1) == 0)
        probabilities[empty] = 1.0 / len(self.classes)
        return probabilities

    def save(self, directory: Path, name: str) -> None:
        """Saves the arrays (no pickles) under ``directory``."""
        np.savez_compressed(
            directory / f"{name}.npz",
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            temperature=np.array([self.temperature]),
            classes=np.array(self.classes, dtype=np.str_),
        )

    @classmethod
    def load(cls, directory: Path, name: str) -> LinearModel:
        """Loads what :meth:`save` wrote."""
        with np.load(directory / f"{name}.npz", allow_pickle=False) as data:
            return cls(
                [str(c) for c in data["classes"]],
                data["coef"],
                data["intercept"],
                float(data["temperature"][0]),
            )


def _svm(c: float, seed: int, balanced: bool) -> LinearSVC:
    return LinearSVC(
        C=c,
        class_weight="balanced" if balanced else None,
        random_state=seed,
        max_iter=5000,
    )


def _arrays(svm: LinearSVC, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(svm.coef_, dtype=np.float32)
    intercept = np.asarray(svm.intercept_, dtype=np.float32)
    if len(classes) == 2:
        # sklearn keeps a single row for two classes: score > 0 means classes[1].
        coef = np.vstack([-coef[0], coef[0]]) / 2
        intercept = np.array([-intercept[0], intercept[0]], np.float32) / 2
    return coef, intercept


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _calibrate(
    features: sp.csr_matrix,
    labels: list[str],
    classes: list[str],
    c: float,
    seed: int,
    balanced: bool,
) -> float:
    counts = Counter(labels)
    folds = min(3, min(counts.values()))
    if folds < 2:
        return 5.0
    index = {label: i for i, label in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    scores = np.zeros((len(labels), len(classes)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y):
        train_classes = sorted(set(y[train]))
        svm = _svm(c, seed, balanced).fit(features[train], y[train])
        coef, intercept = _arrays(svm, [classes[i] for i in train_classes])
        fold_scores = np.full((len(test), len(classes)), -10.0)
        fold_scores[:, train_classes] = np.asarray(features[test] @ coef.T) + intercept
        scores[test] = fold_scores
    rows = np.arange(len(y))
    losses = [
        -np.log(_softmax(scores * t)[rows, y] + 1e-12).mean() for t in _TEMPERATURES
    ]
    return float(_TEMPERATURES[int(np.argmin(losses))])
