"""Nightly scoring: the latest propensity-to-pay score of every active account, in account-id chunks.

Uses the active trained model; without one (or when its stored bytes fail verification) the default
scorecard, so the nightly run never stops for want of a model. Vectorised per chunk with numpy.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from sqlalchemy.engine import Connection

from arrears.core.clock import require_aware
from arrears.core.progress import Progress, no_progress
from arrears.strategy.scoring.current import calls_table, drop_calls_table
from arrears.strategy.scoring.features import FEATURES, build_matrix
from arrears.strategy.scoring.model import ModelIntegrityError, TrainedModel, load
from arrears.strategy.scoring.reads import account_bounds, read_range
from arrears.strategy.scoring.rules import FEATURE_REASON, Scorecard, bands, default_scorecard, reason_matrix
from arrears.strategy.scoring.store import ScoreRows, active_model_row, batch_settings, replace_scores

log = logging.getLogger(__name__)
CHUNK = 100_000


@dataclass
class ScoreSummary:
    """What a scoring run did."""

    as_of: date
    model_version: str
    scored: int = 0
    by_band: dict[str, int] = field(default_factory=lambda: {b: 0 for b in "ABCDE"})
    mean_probability: float = 0.0
    warning: str | None = None  # e.g. the active model could not be loaded; the scorecard was used
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Scorer:
    """The active model, or the default scorecard when none is active."""

    version: str
    model: TrainedModel | None = None
    scorecard: Scorecard | None = None

    def score_matrix(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Probabilities, reason indexes (-1: none) and the code names they index."""
        if self.model is not None:
            codes = tuple(FEATURE_REASON[f] for f in self.model.features)
            probs, contributions = self.model.explain(x)
            idx, names = reason_matrix(contributions, codes)
            return probs, idx, names
        assert self.scorecard is not None
        return self.scorecard.score_matrix(x)

    def score(self, x: np.ndarray) -> tuple[np.ndarray, list[list[str]]]:
        """Probabilities and reason codes for a feature matrix."""
        probs, idx, names = self.score_matrix(x)
        return probs, [[names[i] for i in row if i >= 0] for row in idx.tolist()]


def active_scorer(conn: Connection) -> tuple[Scorer, str | None]:
    """The scorer in force and a warning when a stored active model had to be passed over."""
    row = active_model_row(conn)
    if row is None:
        card = default_scorecard()
        return Scorer(card.label, scorecard=card), None
    try:
        model = load(row.payload, row.checksum, tuple(row.features))
    except (ModelIntegrityError, Exception) as exc:  # noqa: BLE001  (never stop the nightly run on it)
        card = default_scorecard()
        warning = f"active model {row.version} could not be loaded ({exc}); the default scorecard was used"
        log.warning(warning)
        return Scorer(card.label, scorecard=card), warning
    if tuple(model.features) != FEATURES:
        card = default_scorecard()
        warning = f"active model {row.version} was trained on other features; the default scorecard was used"
        log.warning(warning)
        return Scorer(card.label, scorecard=card), warning
    return Scorer(f"model-{row.version}", model=model), None


def score_portfolio(conn: Connection, as_of: date, now: datetime, progress: Progress | None = None,
                    *, chunk: int = CHUNK) -> ScoreSummary:
    """Score every active account as of a date into account_scores (the latest score per account)."""
    require_aware(now, "now")
    report = progress or no_progress
    started = time.perf_counter()
    scorer, warning = active_scorer(conn)
    summary = ScoreSummary(as_of=as_of, model_version=scorer.version, warning=warning)
    with batch_settings(conn):
        total_p = _score_ranges(conn, as_of, scorer, summary, report, chunk)
    summary.mean_probability = round(total_p / summary.scored, 4) if summary.scored else 0.0
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _score_ranges(conn: Connection, as_of: date, scorer: Scorer, summary: ScoreSummary, report: Progress,
                  chunk: int) -> float:
    """Score and write every account-id range; the sum of the probabilities."""
    bounds = account_bounds(conn)
    total_p = 0.0
    if bounds is not None:
        lo_all, hi_all = bounds
        calls = calls_table(conn, as_of)
        for lo in range(lo_all, hi_all + 1, chunk):
            hi = min(hi_all, lo + chunk - 1)
            raw = read_range(conn, lo, hi, as_of, current=True, calls=calls)
            probs, idx, names = scorer.score_matrix(build_matrix(raw))
            probs = np.round(np.clip(probs, 0.0, 1.0), 6)
            band = bands(probs)
            rows = ScoreRows(raw.account_id, probs, band, _reason_texts(idx, names), scorer.version, as_of)
            replace_scores(conn, lo, hi, rows)
            summary.scored += len(raw)
            total_p += float(probs.sum())
            for b, n in zip(*np.unique(band, return_counts=True), strict=True):
                summary.by_band[str(b)] += int(n)
            report(hi - lo_all + 1, hi_all - lo_all + 1, "scoring")
        drop_calls_table(conn, calls)
    return total_p


def _reason_texts(idx: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """The JSON text of each row's reason codes (built once per distinct combination)."""
    if len(idx) == 0:
        return np.array([], dtype=object)
    base = len(names) + 1  # each row's indexes as one integer, so that np.unique is one fast 1-D sort
    keys = ((idx + 1) * (base ** np.arange(idx.shape[1] - 1, -1, -1))).sum(axis=1)
    combos, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    texts = np.array([json.dumps([names[i] for i in idx[k].tolist() if i >= 0]) for k in first], dtype=object)
    return texts[np.ravel(inverse)]
