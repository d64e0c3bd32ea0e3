"""The statistical baselines a political scientist would fit on the same crises.

* Climatology: the training base rate of each class, with add-one (Laplace)
  smoothing, ``(n_k + 1) / (n + K)``, so that a class never seen in training
  keeps a finite log score.
* Logistic regression: scikit-learn's multinomial ``LogisticRegression`` on
  the same start-of-crisis variables the mapping reads (each one-hot coded,
  POWDIS in six bins, missing as its own level), with L2 regularisation
  chosen by five-fold cross-validated log loss on the training cases only
  (a fixed C = 1 when a class has fewer than two training cases).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from redline.history.mapping import CrisisStart


def climatology(observed: Sequence[int], categories: int) -> NDArray[np.float64]:
    """Training base rates with add-one smoothing: (n_k + 1) / (n + K)."""
    counts = np.bincount(np.asarray(observed, dtype=np.int64), minlength=categories)
    return (counts + 1.0) / (counts.sum() + categories)


def _powdis_bin(value: int | None) -> str:
    if value is None:
        return "missing"
    for edge, label in ((-10, "<=-10"), (-4, "-9..-4"), (3, "-3..3"), (9, "4..9")):
        if value <= edge:
            return label
    return ">=10"


def features(start: CrisisStart) -> list[str]:
    """The start-of-crisis variables as categorical levels (missing is a level)."""
    def level(value: int | None) -> str:
        return "missing" if value is None else str(value)
    return [str(start.triggr), level(start.gravty), _powdis_bin(start.powdis),
            level(start.nuclear), level(start.southpow), level(start.regime),
            level(start.allycap), level(start.pc), level(start.cractloc),
            str(min(start.co_actors, 3))]


class LogisticBaseline:
    """Multinomial logistic regression on one-hot start variables (fit, then predict)."""

    def __init__(self, categories: int, seed: int = 0) -> None:
        self.categories = categories
        self.seed = seed

    def fit(self, starts: Sequence[CrisisStart], observed: Sequence[int]) -> LogisticBaseline:
        """Fit on training cases; the penalty is chosen by cross-validated log loss."""
        x = np.array([features(start) for start in starts], dtype=object)
        y = np.asarray(observed, dtype=np.int64)
        present = np.bincount(y)
        folds = int(min(5, present[present > 0].min(initial=0)))
        regression: LogisticRegression | LogisticRegressionCV = (
            LogisticRegressionCV(Cs=8, cv=folds, scoring="neg_log_loss", max_iter=5000)
            if folds >= 2 else LogisticRegression(C=1.0, max_iter=5000))
        self.model_ = make_pipeline(OneHotEncoder(handle_unknown="ignore"), regression)
        self.model_.fit(x, y)
        self.classes_ = [int(c) for c in self.model_.classes_]
        return self

    def predict(self, starts: Sequence[CrisisStart]) -> NDArray[np.float64]:
        """(n, K) class probabilities; a class absent from training gets none."""
        x = np.array([features(start) for start in starts], dtype=object)
        proba = self.model_.predict_proba(x)
        result = np.zeros((len(starts), self.categories), dtype=np.float64)
        result[:, self.classes_] = proba
        return result
