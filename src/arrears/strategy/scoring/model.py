"""The trained propensity model: calibrated probabilities, per-feature contributions, metrics, storage bytes.

A base classifier (histogram gradient boosting, or a standardised logistic regression) is fitted on the
training accounts and calibrated on separate calibration accounts (`CalibratedClassifierCV` around the
frozen base model: sigmoid, or isotonic when there is plenty of data). Calibration is a monotone map of
the base model's log-odds, so explaining the base model explains the order of the probabilities.

Contributions (the reason codes) are per-feature amounts of the base model's log-odds g; a negative
one means "this account's value of the feature lowers its chance compared with a typical account":

- gradient boosting (the default): the tree-path method of trees.py (each split's move of the tree
  output is credited to its feature; the amounts add up exactly to g(x) minus the average account's);
- additive (spline GAM) and logistic: exactly f_j(x_j) - f_j(ref_j) (for the plain logistic model
  ``coef_j * (x_j - ref_j) / scale_j``), the reference being the training median of each feature;
- any other model: a one-feature-at-a-time ablation, g(x) - g(x with x_j := ref_j).
"""

from __future__ import annotations

import hashlib
import pickle  # noqa: S403  (our own payloads only; see load())
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]


class ModelIntegrityError(Exception):
    """A stored model's bytes do not match its checksum or are not a model of ours."""


@dataclass
class TrainedModel:
    """A fitted, calibrated model and what it needs to explain itself."""

    kind: str
    features: tuple[str, ...]
    base: Any  # a fitted sklearn classifier with decision_function or predict_proba
    calibrated: Any  # CalibratedClassifierCV around the frozen base
    reference: Float  # per-feature reference (training medians)
    params: dict[str, Any] = field(default_factory=dict)

    def predict(self, x: Float) -> Float:
        """Calibrated probabilities of a payment within 30 days."""
        if len(x) == 0:
            return np.zeros(0)
        return np.asarray(self.calibrated.predict_proba(x)[:, 1], dtype=np.float64)

    def explain(self, x: Float) -> tuple[Float, Float]:
        """(calibrated probabilities, per-feature contributions) in one pass where the model allows.

        When the contributions decompose the log-odds exactly (trees: around the average row; additive
        and logistic models: around the reference row), the log-odds are their sum plus that base, and
        only the calibration map is applied to them; otherwise the model predicts again.
        """
        contributions = self.contributions(x)
        base = self._base_log_odds()
        if base is None or len(x) == 0:
            return self.predict(x), contributions
        calibrated = _calibrate(self.calibrated, base + contributions.sum(axis=1))
        return (calibrated if calibrated is not None else self.predict(x)), contributions

    def _base_log_odds(self) -> float | None:
        """The log-odds the contributions are measured from, when they decompose them exactly."""
        if self.kind == "hist_gradient_boosting":
            from arrears.strategy.scoring import trees

            tables = getattr(self, "_tables", None)
            if tables is None:
                tables = self._tables = trees.path_tables(self.base)
            return float(tables.offset)
        if hasattr(self.base, "contributions") or _linear_parts(self.base) is not None:
            return float(self.log_odds(self.reference[None, :])[0])
        return None

    def log_odds(self, x: Float) -> Float:
        """The base model's (uncalibrated) log-odds."""
        if hasattr(self.base, "decision_function"):
            return np.asarray(self.base.decision_function(x), dtype=np.float64)
        p = np.clip(self.base.predict_proba(x)[:, 1], 1e-9, 1 - 1e-9)
        return np.asarray(np.log(p / (1 - p)), dtype=np.float64)

    def contributions(self, x: Float) -> Float:
        """Per-feature contribution to the log-odds against the reference value (see the module doc)."""
        if len(x) == 0:
            return np.zeros((0, len(self.features)))
        if self.kind == "hist_gradient_boosting":
            from arrears.strategy.scoring import trees

            tables = getattr(self, "_tables", None)
            if tables is None:
                tables = self._tables = trees.path_tables(self.base)
            return trees.contributions(tables, x)
        if hasattr(self.base, "contributions"):  # additive.AdditiveLogit: exact
            return np.asarray(self.base.contributions(x, self.reference), dtype=np.float64)
        linear = _linear_parts(self.base)
        if linear is not None:
            coef, mean, scale = linear
            ref_std = (self.reference - mean) / scale
            return np.asarray(coef * ((x - mean) / scale - ref_std), dtype=np.float64)
        full = self.log_odds(x)
        out = np.empty_like(x)
        for j in range(x.shape[1]):
            swapped = x.copy()
            swapped[:, j] = self.reference[j]
            out[:, j] = full - self.log_odds(swapped)
        return out


def _calibrate(calibrated: Any, log_odds: Float) -> Float | None:
    """Apply a fitted CalibratedClassifierCV's single calibration map to decision values (None if the
    fitted object is not the one-calibrator binary case this relies on)."""
    pairs = getattr(calibrated, "calibrated_classifiers_", None)
    if not pairs or len(pairs) != 1 or len(getattr(pairs[0], "calibrators", ())) != 1:
        return None
    return np.clip(np.asarray(pairs[0].calibrators[0].predict(log_odds), dtype=np.float64), 0.0, 1.0)


def _linear_parts(base: Any) -> tuple[Float, Float, Float] | None:
    """(coef, mean, scale) of a StandardScaler + LogisticRegression pipeline, else None."""
    steps = getattr(base, "named_steps", None)
    if not steps or "scale" not in steps or "logistic" not in steps:
        return None
    scaler, logistic = steps["scale"], steps["logistic"]
    return (np.asarray(logistic.coef_[0], dtype=np.float64), np.asarray(scaler.mean_, dtype=np.float64),
            np.asarray(scaler.scale_, dtype=np.float64))


def dump(model: TrainedModel) -> tuple[bytes, str]:
    """The model's bytes and their SHA-256."""
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    return payload, hashlib.sha256(payload).hexdigest()


def load(payload: bytes, checksum: str, features: tuple[str, ...]) -> TrainedModel:
    """Verify the checksum, unpickle, and check it is a model of ours with the expected features.

    Trust assumption: payloads come only from our own training (`dump`) and live in our database,
    which is trusted as much as the balances in it; the checksum catches corruption, not an attacker.
    """
    if hashlib.sha256(payload).hexdigest() != checksum:
        raise ModelIntegrityError("stored model bytes do not match their checksum")
    model = pickle.loads(payload)  # noqa: S301  (see the trust assumption above)
    if not isinstance(model, TrainedModel) or tuple(model.features) != tuple(features):
        raise ModelIntegrityError("stored payload is not a model with the recorded features")
    return model


# --- metrics on a holdout --------------------------------------------------------------------------------

def auc(y: npt.NDArray[Any], p: Float) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half); nan without both classes."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(p)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def ks(y: npt.NDArray[Any], p: Float) -> float:
    """Kolmogorov-Smirnov: the largest gap between the score CDFs of payers and non-payers."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    thresholds = np.unique(p)
    cdf_pos = np.searchsorted(np.sort(p[y]), thresholds, side="right") / pos
    cdf_neg = np.searchsorted(np.sort(p[~y]), thresholds, side="right") / neg
    return float(np.max(np.abs(cdf_pos - cdf_neg)))


def brier(y: npt.NDArray[Any], p: Float) -> float:
    """Mean squared error of the probabilities."""
    return float(np.mean((np.asarray(y, dtype=np.float64) - p) ** 2)) if len(p) else float("nan")


def reliability(y: npt.NDArray[Any], p: Float, bins: int = 10) -> list[dict[str, float]]:
    """By decile of predicted probability: count, mean predicted and observed payment rate."""
    if len(p) == 0:
        return []
    order = np.argsort(p, kind="stable")
    rows = []
    for k, part in enumerate(np.array_split(order, bins)):
        if len(part) == 0:
            continue
        rows.append({"decile": k + 1, "count": int(len(part)), "predicted": float(np.mean(p[part])),
                     "observed": float(np.mean(np.asarray(y)[part]))})
    return rows
