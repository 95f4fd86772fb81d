"""The propensity features: one row per account as of a date, built with numpy from raw per-account data.

Raw data (`RawData`, read by `reads.py` per account-id range) is turned into the feature matrix here,
with no database: the same code builds training snapshots and tonight's scoring rows.
Money enters only as log10 of major units (a scale for the model, never an amount anyone reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

FEATURES: tuple[str, ...] = (
    "dpd",                        # days past due on the as-of date (capped at 720)
    "cycles_past_due",            # 30-day cycles past due: 0 current .. 7 (past 180 days)
    "log_balance",                # log10(1 + outstanding in major units)
    "product_credit_card",
    "product_consumer_loan",
    "product_business_receivable",
    "is_company",
    "payments_90d",               # posted payments in the 90 days up to the as-of date
    "log_paid_90d",               # log10(1 + amount paid in those 90 days, major units)
    "payments_total",             # posted payments ever before the as-of date (capped at 36)
    "months_since_payment",       # months since the last payment (36 when none is known)
    "broken_promises",            # promises broken so far (0 until the payments package records them)
    "contactability",             # 2 contactable, 1 semi-lost, 0 lost
    "attempts_30d",               # contact attempts for the debtor in the last 30 days (capped at 60)
    "rpcs_30d",                   # right-party contacts in the last 30 days (capped at 30)
    "months_on_book",             # months since the account was opened (capped at 120)
    "delinquency_episodes",       # times the account entered M1 up to the as-of date (capped at 12)
)
INDEX = {name: i for i, name in enumerate(FEATURES)}
CONTACTABILITY_LEVEL = {"contactable": 2.0, "semi_lost": 1.0, "lost": 0.0}  # anything else: contactable
NO_PAYMENT_MONTHS = 36.0
DAYS_PER_MONTH = 30.4375


@dataclass
class RawData:
    """Per-account raw facts for one as-of day (day numbers are date.toordinal(); -1 means unknown)."""

    account_id: IntArray
    debtor_id: IntArray
    product: npt.NDArray[np.str_]
    is_company: IntArray
    dpd: IntArray
    balance_minor: FloatArray  # outstanding on the as-of date, minor units (float only as a model scale)
    open_day: IntArray
    last_paid_day: IntArray
    payments_90d: IntArray
    paid_90d_minor: FloatArray
    payments_total: IntArray
    broken_promises: IntArray
    contactability: npt.NDArray[np.str_]
    attempts_30d: IntArray
    rpcs_30d: IntArray
    episodes: IntArray
    label: IntArray | None = None  # 1 when a payment followed within 30 days (training only)
    as_of_day: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.account_id.shape[0])


def cycles_past_due(dpd: IntArray) -> FloatArray:
    """0 for current, 1 for 1-30 days, 2 for 31-60 ... capped at 7 (past 180 days)."""
    return np.minimum(np.ceil(np.maximum(dpd, 0) / 30.0), 7.0)


def months_between(later_day: int, earlier: IntArray, missing: float, cap: float) -> FloatArray:
    """Whole months (30.44 days) from each earlier day to later_day; `missing` where unknown (-1)."""
    months = np.floor((later_day - earlier) / DAYS_PER_MONTH)
    return np.where(earlier < 0, missing, np.clip(months, 0.0, cap))


def build_matrix(raw: RawData) -> FloatArray:
    """The feature matrix (rows = accounts, columns = FEATURES) of one as-of day."""
    n = len(raw)
    x = np.zeros((n, len(FEATURES)), dtype=np.float64)
    dpd = np.clip(raw.dpd, 0, 720)
    x[:, INDEX["dpd"]] = dpd
    x[:, INDEX["cycles_past_due"]] = cycles_past_due(dpd)
    x[:, INDEX["log_balance"]] = np.log10(1.0 + np.maximum(raw.balance_minor, 0.0) / 100.0)
    x[:, INDEX["product_credit_card"]] = raw.product == "credit_card"
    x[:, INDEX["product_consumer_loan"]] = raw.product == "consumer_loan"
    x[:, INDEX["product_business_receivable"]] = raw.product == "business_receivable"
    x[:, INDEX["is_company"]] = raw.is_company
    x[:, INDEX["payments_90d"]] = np.minimum(raw.payments_90d, 30)
    x[:, INDEX["log_paid_90d"]] = np.log10(1.0 + np.maximum(raw.paid_90d_minor, 0.0) / 100.0)
    x[:, INDEX["payments_total"]] = np.minimum(raw.payments_total, 36)
    x[:, INDEX["months_since_payment"]] = months_between(raw.as_of_day, raw.last_paid_day,
                                                         NO_PAYMENT_MONTHS, NO_PAYMENT_MONTHS)
    x[:, INDEX["broken_promises"]] = np.minimum(raw.broken_promises, 20)
    x[:, INDEX["contactability"]] = np.where(raw.contactability == "lost", 0.0,
                                             np.where(raw.contactability == "semi_lost", 1.0, 2.0))
    x[:, INDEX["attempts_30d"]] = np.minimum(raw.attempts_30d, 60)
    x[:, INDEX["rpcs_30d"]] = np.minimum(raw.rpcs_30d, 30)
    x[:, INDEX["months_on_book"]] = months_between(raw.as_of_day, raw.open_day, 0.0, 120.0)
    x[:, INDEX["delinquency_episodes"]] = np.minimum(raw.episodes, 12)
    return x


def reconstruct_dpd(as_of_day: int, entered_day: IntArray, entered_dpd: IntArray, entered_current: IntArray,
                    first_day: IntArray, first_dpd: IntArray) -> IntArray:
    """DPD on a past day from bucket history.

    With the latest bucket-history row entered on or before the day: 0 when that row is M0, else its
    DPD at entry plus the days since. Before the account's first row: its first DPD counted back
    (never below 0). No history at all: -1 (unknown; such rows are left out of training).
    """
    covered = entered_day >= 0
    dpd_cov = np.where(entered_current == 1, 0, entered_dpd + (as_of_day - entered_day))
    before = np.maximum(first_dpd - (first_day - as_of_day), 0)
    return np.where(covered, dpd_cov, np.where(first_day >= 0, before, -1)).astype(np.int64)
