"""Scoring rules (plain Python + numpy): bands, reason codes and their labels, the default scorecard.

Reason codes name the factors that lower an account's chance most (strongest first, at most three):
for the scorecard, the characteristics scoring furthest below their best bin; for a trained model,
the features whose actual value, against a typical (median) value, lowers the model's log-odds most
(see model.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from arrears.core.errors import ConfigError
from arrears.strategy.scoring.features import FEATURES, INDEX

SCORECARD_FILE = Path(__file__).with_name("scorecard.yaml")
MAX_REASONS = 3

# Band by probability: the lower bound of A, B, C, D (E below).
BAND_BOUNDS: tuple[tuple[str, float], ...] = (("A", 0.60), ("B", 0.40), ("C", 0.25), ("D", 0.10))
BANDS = ("A", "B", "C", "D", "E")

# Reason code -> English label (zh-CN in locale/zh_CN/LC_MESSAGES/strategy_scoring.po).
REASONS: dict[str, str] = {
    "DPD": "Days past due",
    "BALANCE": "Size of the balance",
    "PRODUCT": "Product",
    "DEBTOR_KIND": "Person or company",
    "RECENT_PAYMENTS": "Payments in the last 90 days",
    "PAYMENT_HISTORY": "Number of past payments",
    "LAST_PAYMENT": "Time since the last payment",
    "BROKEN_PROMISES": "Broken promises to pay",
    "CONTACTABILITY": "Contactability (semi-lost or lost)",
    "CONTACT_ATTEMPTS": "Contact attempts in the last 30 days",
    "RIGHT_PARTY_CONTACTS": "Right-party contacts in the last 30 days",
    "ACCOUNT_AGE": "Months on book",
    "PAST_DELINQUENCY": "Earlier delinquencies",
}

# Each model feature reports under one reason code (several features may share one).
FEATURE_REASON: dict[str, str] = {
    "dpd": "DPD", "cycles_past_due": "DPD", "log_balance": "BALANCE",
    "product_credit_card": "PRODUCT", "product_consumer_loan": "PRODUCT",
    "product_business_receivable": "PRODUCT", "is_company": "DEBTOR_KIND",
    "payments_90d": "RECENT_PAYMENTS", "log_paid_90d": "RECENT_PAYMENTS", "payments_total": "PAYMENT_HISTORY",
    "months_since_payment": "LAST_PAYMENT", "broken_promises": "BROKEN_PROMISES",
    "contactability": "CONTACTABILITY", "attempts_30d": "CONTACT_ATTEMPTS",
    "rpcs_30d": "RIGHT_PARTY_CONTACTS",
    "months_on_book": "ACCOUNT_AGE", "delinquency_episodes": "PAST_DELINQUENCY",
}
REASON_CODES: tuple[str, ...] = tuple(REASONS)


def band_of(probability: float) -> str:
    """The band (A most likely to pay .. E least) of one probability."""
    for band, lower in BAND_BOUNDS:
        if probability >= lower:
            return band
    return "E"


def bands(probabilities: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    """Bands of many probabilities at once."""
    lowers = np.array([b for _, b in BAND_BOUNDS][::-1])  # ascending: D, C, B, A
    idx = np.searchsorted(lowers, probabilities, side="right")  # 0 -> E ... 4 -> A
    return np.array(BANDS[::-1])[idx]


def reason_matrix(contributions: npt.NDArray[np.float64], codes: tuple[str, ...],
                  limit: int = MAX_REASONS) -> tuple[npt.NDArray[np.int64], tuple[str, ...]]:
    """Per row, the indexes (into the returned code names) of the most negative contributions, strongest
    first, -1 where fewer are negative; columns sharing a code are summed first. Vectorised."""
    unique = tuple(dict.fromkeys(codes))
    if len(unique) != len(codes):
        indicator = np.zeros((len(codes), len(unique)))
        indicator[np.arange(len(codes)), [unique.index(c) for c in codes]] = 1.0
        contributions = contributions @ indicator
    k = min(limit, len(unique))
    key = contributions + np.arange(len(unique)) * 1e-12  # equal amounts: the lower column first
    if k < len(unique):  # the k smallest per row, then sorted among themselves
        part = np.argpartition(key, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(part, np.argsort(np.take_along_axis(key, part, axis=1), axis=1), axis=1)
    else:
        order = np.argsort(key, axis=1)
    picked = np.take_along_axis(contributions, order, axis=1)
    return np.where(picked < -1e-9, order, -1).astype(np.int64), unique


def top_reasons(contributions: npt.NDArray[np.float64], codes: tuple[str, ...],
                limit: int = MAX_REASONS) -> list[list[str]]:
    """Per row, the codes of the most negative contributions (strongest first; only negative ones)."""
    idx, names = reason_matrix(contributions, codes, limit)
    return [[names[i] for i in row if i >= 0] for row in idx.tolist()]


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One scorecard line: a feature, its bins (inclusive upper bounds) and the points of each."""

    feature: str
    reason: str
    maxes: tuple[float, ...]  # len(points) - 1 finite bounds; the last bin is open
    points: tuple[float, ...]

    def score(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Points for each value."""
        idx = np.searchsorted(np.array(self.maxes, dtype=np.float64), values, side="left")
        return np.array(self.points, dtype=np.float64)[idx]


@dataclass(frozen=True, slots=True)
class Scorecard:
    """A transparent points table mapping to a probability through the odds."""

    name: str
    version: int
    base_points: float
    odds_at_base: float
    points_to_double_odds: float
    characteristics: tuple[Characteristic, ...]

    @property
    def label(self) -> str:
        """What account_scores.model_version says for it."""
        return f"scorecard-{self.name}-{self.version}"

    def points(self, x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Total points per row and the per-characteristic points matrix."""
        table = np.column_stack([c.score(x[:, INDEX[c.feature]]) for c in self.characteristics]) \
            if len(x) else np.zeros((0, len(self.characteristics)))
        return self.base_points + table.sum(axis=1), table

    def probability(self, total: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The probability of a payment within 30 days for point totals."""
        odds = self.odds_at_base * np.exp2((total - self.base_points) / self.points_to_double_odds)
        return odds / (1.0 + odds)

    def score_matrix(self, x: npt.NDArray[np.float64]
                     ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], tuple[str, ...]]:
        """Probabilities and reason indexes (see reason_matrix): the lines furthest below their best bin."""
        total, table = self.points(x)
        best = np.array([max(c.points) for c in self.characteristics])
        idx, names = reason_matrix(table - best, tuple(c.reason for c in self.characteristics))
        return self.probability(total), idx, names

    def score(self, x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], list[list[str]]]:
        """Probabilities and reason codes (characteristics furthest below their best bin)."""
        probs, idx, names = self.score_matrix(x)
        return probs, [[names[i] for i in row if i >= 0] for row in idx.tolist()]


def parse_scorecard(data: dict[str, Any]) -> Scorecard:
    """Validate a scorecard mapping (see scorecard.yaml)."""
    try:
        lines = []
        for item in data["characteristics"]:
            feature, reason = str(item["feature"]), str(item["reason"])
            if feature not in FEATURES:
                raise ValueError(f"unknown feature {feature!r}")
            if reason not in REASONS:
                raise ValueError(f"unknown reason code {reason!r}")
            bins = list(item["bins"])
            maxes = tuple(float(b["max"]) for b in bins[:-1])
            if "max" in bins[-1]:
                raise ValueError(f"{feature}: the last bin must be open (no max)")
            if list(maxes) != sorted(set(maxes)):
                raise ValueError(f"{feature}: bin bounds must ascend")
            lines.append(Characteristic(feature, reason, maxes, tuple(float(b["points"]) for b in bins)))
        card = Scorecard(str(data["name"]), int(data["version"]), float(data["base_points"]),
                         float(data["odds_at_base"]), float(data["points_to_double_odds"]), tuple(lines))
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"scorecard: {exc}") from exc
    if card.odds_at_base <= 0 or card.points_to_double_odds <= 0 or not card.characteristics:
        raise ConfigError("scorecard: odds_at_base and points_to_double_odds must be positive")
    return card


@cache
def default_scorecard(path: Path = SCORECARD_FILE) -> Scorecard:
    """The default scorecard from scorecard.yaml (read once)."""
    with path.open(encoding="utf-8") as fh:
        return parse_scorecard(yaml.safe_load(fh))


def reason_label(code: str, language: str) -> str:
    """The reason code's label in a language (zh-CN or English)."""
    from arrears.core.i18n import gettext

    english = REASONS.get(code, code)
    return english if language == "en" else gettext(language, english)
