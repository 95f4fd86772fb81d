"""Training the propensity model on the portfolio's own history: rolling as-of snapshots, account holdout.

Examples: for each snapshot day t (every 30 days back from `as_of - 30`, so each label window is
complete), every account open on t with a known DPD on t; features as of t (features.py / reads.py),
label = a posted payment in the 30 days after t. Split by account (never by row, so one account's
snapshots do not sit on both sides): 25 % holdout for the report, of the rest 20 % to calibrate.
On a big portfolio a stable hash sample of accounts is used, so that at most MAX_ROWS examples are built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from arrears.core.errors import FieldProblem, InputRejected
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.store import accounts, debtors
from arrears.strategy.contactability import compute_range
from arrears.strategy.scoring.features import FEATURES, build_matrix
from arrears.strategy.scoring.model import TrainedModel, auc, brier, ks, reliability
from arrears.strategy.scoring.reads import LABEL_DAYS, account_bounds, day_end, read_range

MIN_EXAMPLES = 500
MIN_POSITIVES = 50
MIN_AUC_TO_ACTIVATE = 0.55
KINDS = ("additive", "hist_gradient_boosting", "logistic")
DEFAULT_KIND = "hist_gradient_boosting"
CHUNK = 100_000
SAMPLE_MULTIPLIER = 2246822519  # the sample's hash, independent of the split's
MAX_ROWS = 600_000  # examples at most: bounds the memory and time of training on a big portfolio


class InsufficientHistory(InputRejected):
    """Too little labelled history to train on; nothing is stored and the model in force stays."""


@dataclass
class TrainingSet:
    """Feature rows, labels, and which account and snapshot each row is."""

    x: np.ndarray
    y: np.ndarray
    account_id: np.ndarray
    snapshot: list[date] = field(default_factory=list)

    @property
    def positives(self) -> int:
        """Rows followed by a payment."""
        return int(self.y.sum())


def snapshot_days(as_of: date, count: int = 6, spacing: int = 30) -> list[date]:
    """Snapshot days, newest first: as_of - 30, then every `spacing` days back."""
    newest = as_of - timedelta(days=LABEL_DAYS)
    return [newest - timedelta(days=spacing * k) for k in range(count)]


def _contactability_on(conn: Connection, t: date) -> dict[int, str]:
    """Every debtor's contactability by the rule over the attempts before the end of day t."""
    lo, hi = conn.execute(select(func.min(debtors.c.id), func.max(debtors.c.id))).one()
    out: dict[int, str] = {}
    if lo is None:
        return out
    for start in range(int(lo), int(hi) + 1, 200_000):
        out.update(compute_range(conn, start, min(int(hi), start + 199_999), day_end(t)))
    return out


def sample_fraction(accounts: int, snapshots: int, max_rows: int = MAX_ROWS) -> float:
    """The share of accounts to train on so that at most about max_rows examples are built."""
    return min(1.0, max_rows / max(1, accounts * snapshots))


def build_training_set(conn: Connection, as_of: date, snapshots: int = 6,
                       progress: Progress | None = None) -> TrainingSet:
    """The labelled examples of the history up to as_of (a hash sample of accounts on big portfolios)."""
    report = progress or no_progress
    bounds = account_bounds(conn)
    total = int(conn.execute(select(func.count()).select_from(accounts)).scalar_one())
    fraction = sample_fraction(total, snapshots)
    xs, ys, ids, days = [], [], [], []
    for k, t in enumerate(snapshot_days(as_of, snapshots)):
        report(k, snapshots, f"snapshot {t.isoformat()}")
        if bounds is None:
            break
        states = _contactability_on(conn, t)
        for lo in range(bounds[0], bounds[1] + 1, CHUNK):
            raw = read_range(conn, lo, min(bounds[1], lo + CHUNK - 1), t, current=False,
                             contactability=states, active_only=False)
            keep = (raw.dpd >= 0) & (_unit_hash(raw.account_id, SAMPLE_MULTIPLIER) < fraction)
            if not keep.any():
                continue
            x = build_matrix(raw)[keep]
            assert raw.label is not None
            xs.append(x)
            ys.append(raw.label[keep])
            ids.append(raw.account_id[keep])
            days.extend([t] * int(keep.sum()))
    report(snapshots, snapshots, "snapshots read")
    if not xs:
        empty = np.zeros(0, dtype=np.int64)
        return TrainingSet(np.zeros((0, len(FEATURES))), empty, empty.copy())
    return TrainingSet(np.vstack(xs), np.concatenate(ys), np.concatenate(ids), days)


def check_sufficient(ts: TrainingSet) -> None:
    """Refuse (InsufficientHistory) below MIN_EXAMPLES labelled examples or MIN_POSITIVES of either class."""
    n, pos = len(ts.y), ts.positives
    if n >= MIN_EXAMPLES and pos >= MIN_POSITIVES and n - pos >= MIN_POSITIVES:
        return
    reason = (f"needs at least {MIN_EXAMPLES} labelled examples with {MIN_POSITIVES} payers and "
              f"{MIN_POSITIVES} non-payers; the history has {n} examples, {pos} payers, {n - pos} non-payers")
    raise InsufficientHistory(
        f"too little history to train a model: {reason}; the model in force stays",
        [FieldProblem(0, "history", str(n), reason)],
    )


def _unit_hash(account_id: np.ndarray, multiplier: int = 2654435761) -> np.ndarray:
    """A stable pseudo-random number in [0, 1) per account id (another multiplier: an independent one)."""
    h = (account_id.astype(np.uint64) * np.uint64(multiplier)) % np.uint64(1_000_003)
    return h.astype(np.float64) / 1_000_003.0


def split_accounts(account_id: np.ndarray, holdout: float = 0.25, calibration: float = 0.20
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (fit, calibrate, holdout) by a hash of the account id: an account's rows stay together."""
    u = _unit_hash(account_id)
    hold = u < holdout
    cal = (~hold) & (u < holdout + (1 - holdout) * calibration)
    return ~(hold | cal), cal, hold


def _base(kind: str, seed: int) -> Any:
    if kind == "additive":
        from arrears.strategy.scoring.additive import AdditiveLogit

        return AdditiveLogit()
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import StandardScaler

        return Pipeline([("scale", StandardScaler()), ("logistic", LogisticRegression(max_iter=2000, C=1.0))])
    from sklearn.ensemble import HistGradientBoostingClassifier

    # small trees: nearly the accuracy of 200 deeper ones, a fifth of the scoring (and explaining) time
    return HistGradientBoostingClassifier(max_iter=60, learning_rate=0.15, max_leaf_nodes=8,
                                          min_samples_leaf=40, l2_regularization=1.0, random_state=seed)


def fit(ts: TrainingSet, kind: str = DEFAULT_KIND,
        seed: int = 0) -> tuple[TrainedModel, dict[str, Any]]:
    """Fit, calibrate and evaluate on the account holdout; the model and its metrics."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    if kind not in KINDS:
        raise InputRejected(f"unknown model kind {kind!r}",
                            [FieldProblem(0, "kind", kind, f"one of {', '.join(KINDS)}")])
    check_sufficient(ts)
    fit_m, cal_m, hold_m = split_accounts(ts.account_id)
    for name, mask in (("fit", fit_m), ("calibration", cal_m), ("holdout", hold_m)):
        ys = ts.y[mask]
        if len(ys) == 0 or ys.min() == ys.max():
            raise InsufficientHistory(
                f"too little history to train a model: the {name} accounts hold only one class",
                [FieldProblem(0, "history", str(len(ys)), f"{name} split needs payers and non-payers")])
    base = _base(kind, seed).fit(ts.x[fit_m], ts.y[fit_m])
    cal_pos = int(ts.y[cal_m].sum())
    method = "isotonic" if min(cal_pos, int(cal_m.sum()) - cal_pos) >= 1000 else "sigmoid"
    calibrated = CalibratedClassifierCV(FrozenEstimator(base), method=method).fit(ts.x[cal_m], ts.y[cal_m])
    reference = np.median(ts.x[fit_m], axis=0)
    params = {"kind": kind, "calibration": method, "seed": seed, "base": _params(base)}
    model = TrainedModel(kind, FEATURES, base, calibrated, reference, params)
    p = model.predict(ts.x[hold_m])
    y = ts.y[hold_m]
    metrics = {
        "auc": round(auc(y, p), 4), "ks": round(ks(y, p), 4), "brier": round(brier(y, p), 4),
        "reliability": reliability(y, p),
        "examples": int(len(ts.y)), "positives": ts.positives,
        "fit_rows": int(fit_m.sum()), "calibration_rows": int(cal_m.sum()), "holdout_rows": int(hold_m.sum()),
        "holdout_positive_rate": round(float(y.mean()), 4),
        "snapshots": sorted({d.isoformat() for d in ts.snapshot}),
    }
    return model, metrics


def _params(base: Any) -> dict[str, Any]:
    """The base estimator's parameters as JSON-safe values."""
    out: dict[str, Any] = {}
    for key, value in base.get_params(deep=True).items():
        if isinstance(value, bool | int | float | str) or value is None:
            out[key] = value
    return out
