"""The reporting vocabulary: periods, dimensions, measures, KPI values, rolls, cohorts and arm comparisons.

Plain dataclasses; no SQLAlchemy, no FastAPI. The definitions behind every figure are in README.md beside
this file (and in `rules.KPIS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

#: the longest period one report may cover (a little more than a year, so a year-on-year view fits)
MAX_PERIOD_DAYS = 400


class Dimension(StrEnum):
    """What a KPI table can be cut by."""

    TEAM = "team"
    COLLECTOR = "collector"
    BUCKET = "bucket"
    PRODUCT = "product"
    ARM = "arm"


class Grain(StrEnum):
    """The time step of a trend."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class KpiKind(StrEnum):
    """How a KPI's value is formed and shown."""

    RATE = "rate"  # a share of a count, shown as a percentage
    MONEY_PER_COUNT = "money_per_count"  # an amount per payment
    MONEY_PER_HOUR = "money_per_hour"  # an amount per collector hour
    COUNT_PER_HOUR = "count_per_hour"  # a count per collector hour
    COUNT_PER_COUNT = "count_per_count"  # e.g. calls per recovered account


class Method(StrEnum):
    """How the confidence interval of an arm difference is computed."""

    NEWCOMBE = "newcombe"  # difference of two proportions, Newcombe's hybrid score (Wilson) interval
    WELCH = "welch"  # difference of two means, Welch's t interval
    DELTA = "delta"  # difference of two ratios of sums, delta method with days as clusters


#: the additive measures kept per day in `report_daily` (see store.py); KPIs are ratios of their sums
MEASURES: tuple[str, ...] = (
    "attempts",
    "answered",
    "rpc",
    "planned",
    "planned_attempted",
    "promises_made",
    "promised_minor",
    "promises_due",
    "promises_kept",
    "promises_partly_kept",
    "promises_broken",
    "payments",
    "collected_minor",
    "collector_ms",
)
#: measures counted in money (minor units of the row's currency)
MONEY_MEASURES = frozenset({"promised_minor", "collected_minor"})
#: measures summed only over the report's currency (money, and the payments an average is taken over)
CURRENCY_MEASURES = MONEY_MEASURES | {"payments"}
#: derived at query time (distinct over the whole period, not additive over days)
PAYING_ACCOUNTS = "paying_accounts"
#: collector time in hours, derived from collector_ms
HOURS = "hours"


@dataclass(frozen=True, slots=True)
class Period:
    """An inclusive range of days in the reporting time zone."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        if self.days > MAX_PERIOD_DAYS:
            raise ValueError(f"period of {self.days} days is longer than {MAX_PERIOD_DAYS} days")

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        """Every day of the period in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> Period:
        """The period of the same length just before this one (for comparisons)."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions on the population a report covers; None means all."""

    team_id: int | None = None
    collector_id: int | None = None
    bucket: str | None = None
    product: str | None = None
    experiment: str | None = None
    arm: str | None = None


@dataclass(frozen=True, slots=True)
class KpiDef:
    """One KPI: what it measures, from which measures, and how arm differences are tested."""

    key: str
    label: str  # English msgid; translated through the catalog
    formula: str  # English msgid: numerator / denominator in words
    numerator: str
    denominator: str
    kind: KpiKind
    method: Method
    higher_is_better: bool = True


@dataclass(frozen=True, slots=True)
class KpiValue:
    """One KPI computed over one population: its numerator, denominator and value (None when 0/0)."""

    key: str
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None
    currency: str | None = None  # for money KPIs


@dataclass(frozen=True, slots=True)
class KpiRow:
    """The KPIs of one group (a team, a collector, a bucket, ... or the whole population)."""

    group: str  # the group's code (team id, bucket label, arm name...); "" for the total
    label: str  # what to show for the group (team name, collector name, bucket)
    measures: dict[str, int]
    kpis: dict[str, KpiValue]


@dataclass(frozen=True, slots=True)
class KpiTable:
    """KPIs by one dimension over a period, with the total line."""

    period: Period
    by: Dimension | None
    currency: str
    filters: Filters
    rows: list[KpiRow]
    total: KpiRow
    refreshed_at: datetime | None  # when the summaries were last refreshed


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """The KPIs of one time step."""

    start: date
    row: KpiRow


@dataclass(frozen=True, slots=True)
class FunnelStage:
    """One stage of the promise funnel."""

    key: str
    label: str  # English msgid
    count: int
    share_of_previous: Decimal | None
    share_of_first: Decimal | None


@dataclass(frozen=True, slots=True)
class RollRow:
    """Where the accounts in one bucket at the start of a month stood one cycle (a month) later."""

    month: date  # the first day of the month the snapshot was taken
    from_bucket: str
    accounts: int
    to_buckets: dict[str, int]
    rolled_forward: int  # to a worse bucket
    stayed: int
    improved: int  # to a better bucket, but not current
    cured: int  # back to current (M0)
    roll_rate: Decimal | None
    cure_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class CohortPoint:
    """A cohort (the month accounts entered delinquency) k months later, cumulatively."""

    cohort: date  # first day of the month of entry
    months_since: int
    accounts: int  # delinquency episodes that began in the cohort month
    paid_accounts: int  # episodes with any payment by the end of month cohort + k
    collected_minor: int  # collected from the cohort by the end of month cohort + k
    paid_share: Decimal | None
    collected_per_account_minor: Decimal | None


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval for a difference (challenger minus champion)."""

    difference: Decimal
    low: Decimal
    high: Decimal
    level: Decimal  # e.g. 0.95
    method: Method

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return self.low > 0 or self.high < 0


@dataclass(frozen=True, slots=True)
class ArmComparison:
    """One KPI of one challenger arm against the champion."""

    kpi: str
    champion: str
    challenger: str
    champion_value: KpiValue
    challenger_value: KpiValue
    interval: Interval | None  # None when there is not enough data
    verdict: str  # better | worse | no_difference | not_enough_data
    statement: str  # the plain sentence, in the report's language


@dataclass(frozen=True, slots=True)
class ArmReport:
    """Every KPI per arm of an experiment, and each challenger against the champion."""

    experiment: str
    period: Period
    currency: str
    champion: str
    arms: list[KpiRow]
    comparisons: list[ArmComparison] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PaymentStats:
    """Sufficient statistics of payment amounts (minor units) for Welch's t."""

    count: int
    total: float
    total_squares: float


@dataclass(frozen=True, slots=True)
class RefreshSummary:
    """What a refresh of the reporting summaries did."""

    start: date
    end: date
    days: int
    activity_rows: int
    payment_rows: int
    roll_rows: int
    cohort_rows: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase: lookups, days, rolls, cohorts
