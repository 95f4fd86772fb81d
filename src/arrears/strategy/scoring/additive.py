"""The additive propensity model: logistic regression on per-feature spline bases (a GAM).

Imported only when training one or loading a stored one (it pulls in scikit-learn).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import SplineTransformer, StandardScaler

Float = npt.NDArray[np.float64]


class AdditiveLogit(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A logistic regression on per-feature spline bases (a GAM): log-odds = b + sum_j f_j(x_j).

    Each continuous feature gets a cubic B-spline basis (uniform knots, constant beyond the training
    range); a binary feature enters as itself. Because the model is additive, each feature's
    contribution f_j(x_j) - f_j(ref_j) is exact, and scoring a million rows costs a few matrix products.
    """

    def __init__(self, n_knots: int = 6, c: float = 1.0) -> None:
        self.n_knots = n_knots
        self.c = c

    def _basis(self, x: Float) -> Float:
        blocks = []
        for j, spline in enumerate(self.splines_):
            col = x[:, j:j + 1]
            blocks.append(col if spline is None else spline.transform(col))
        return np.asarray(self.scaler_.transform(np.hstack(blocks)), dtype=np.float64)

    def fit(self, x: Float, y: npt.NDArray[Any]) -> AdditiveLogit:
        """Fit the bases, the scaler and the logistic regression."""
        self.splines_: list[Any] = []
        groups: list[int] = []
        blocks = []
        for j in range(x.shape[1]):
            col = x[:, j:j + 1]
            distinct = np.unique(col).size
            if distinct <= 2:
                self.splines_.append(None)
                blocks.append(col)
                groups.append(j)
                continue
            spline = SplineTransformer(n_knots=max(2, min(self.n_knots, distinct)), degree=3, knots="uniform",
                                       extrapolation="constant", include_bias=False).fit(col)
            self.splines_.append(spline)
            block = spline.transform(col)
            blocks.append(block)
            groups.extend([j] * block.shape[1])
        self.scaler_ = StandardScaler().fit(np.hstack(blocks))
        self.logit_ = LogisticRegression(C=self.c, max_iter=5000).fit(self._basis(x), y)
        self.classes_ = self.logit_.classes_
        indicator = np.zeros((len(groups), x.shape[1]))
        indicator[np.arange(len(groups)), groups] = 1.0
        self.indicator_ = indicator
        return self

    def decision_function(self, x: Float) -> Float:
        """Log-odds of a payment."""
        return np.asarray(self.logit_.decision_function(self._basis(x)), dtype=np.float64)

    def predict_proba(self, x: Float) -> Float:
        """Class probabilities (column 1: a payment)."""
        return np.asarray(self.logit_.predict_proba(self._basis(x)), dtype=np.float64)

    def predict(self, x: Float) -> npt.NDArray[Any]:
        """The more likely class."""
        return np.asarray(self.logit_.predict(self._basis(x)))

    def contributions(self, x: Float, reference: Float) -> Float:
        """Exact per-feature log-odds contributions against the reference row."""
        delta = (self._basis(x) - self._basis(reference[None, :])) * self.logit_.coef_[0]
        return np.asarray(delta @ self.indicator_, dtype=np.float64)
