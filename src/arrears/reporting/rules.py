"""KPI definitions and the arithmetic on them: values from measure sums, trends, rolls, cohorts, funnels.

Pure Python. The statistics (confidence intervals, significance) are in `stats.py`; the SQL that fills the
measures is in `store.py`/`queries.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from arrears.core.money import exponent
from arrears.reporting.model import (
    HOURS,
    MEASURES,
    PAYING_ACCOUNTS,
    CohortPoint,
    FunnelStage,
    Grain,
    KpiDef,
    KpiKind,
    KpiRow,
    KpiValue,
    Method,
    RollRow,
)

#: the KPIs of domain.md, in the order pages and exports show them
KPIS: tuple[KpiDef, ...] = (
    KpiDef(
        "penetration",
        "Penetration",
        "Planned accounts attempted on their day / accounts planned for that day",
        "planned_attempted",
        "planned",
        KpiKind.RATE,
        Method.NEWCOMBE,
    ),
    KpiDef(
        "connect_rate",
        "Connect rate",
        "Attempts answered / attempts",
        "answered",
        "attempts",
        KpiKind.RATE,
        Method.NEWCOMBE,
    ),
    KpiDef(
        "rpc_rate",
        "Right-party contact rate",
        "Right-party contacts / attempts",
        "rpc",
        "attempts",
        KpiKind.RATE,
        Method.NEWCOMBE,
    ),
    KpiDef(
        "ptp_rate",
        "PTP rate",
        "Promises taken / right-party contacts",
        "promises_made",
        "rpc",
        KpiKind.RATE,
        Method.NEWCOMBE,
    ),
    KpiDef(
        "kept_rate",
        "Kept rate",
        "Promises kept / promises that fell due (judged)",
        "promises_kept",
        "promises_due",
        KpiKind.RATE,
        Method.NEWCOMBE,
    ),
    KpiDef(
        "average_payment",
        "Average payment",
        "Amount collected / number of payments",
        "collected_minor",
        "payments",
        KpiKind.MONEY_PER_COUNT,
        Method.WELCH,
    ),
    KpiDef(
        "collected_per_hour",
        "Collected per collector hour",
        "Amount collected / collector hours",
        "collected_minor",
        HOURS,
        KpiKind.MONEY_PER_HOUR,
        Method.DELTA,
    ),
    KpiDef(
        "kept_per_hour",
        "Kept promises per hour",
        "Promises kept / collector hours",
        "promises_kept",
        HOURS,
        KpiKind.COUNT_PER_HOUR,
        Method.DELTA,
    ),
    KpiDef(
        "calls_per_recovery",
        "Calls per recovered account",
        "Attempts / accounts that paid",
        "attempts",
        PAYING_ACCOUNTS,
        KpiKind.COUNT_PER_COUNT,
        Method.DELTA,
        higher_is_better=False,
    ),
)
KPI_BY_KEY: dict[str, KpiDef] = {k.key: k for k in KPIS}

MS_PER_HOUR = Decimal(3_600_000)
_RATE_PLACES = Decimal("0.000001")
_RATIO_PLACES = Decimal("0.01")
_HOUR_PLACES = Decimal("0.0001")

#: the funnel's stages: attempt, answered, right party reached, promise taken, promise kept
FUNNEL: tuple[tuple[str, str], ...] = (
    ("attempts", "Attempts"),
    ("answered", "Answered"),
    ("rpc", "Right-party contacts"),
    ("promises_made", "Promises taken"),
    ("promises_kept", "Promises kept"),
)


def hours_of(measures: Mapping[str, int]) -> Decimal:
    """Collector hours from the collector_ms measure, to 1/10000 of an hour."""
    return (Decimal(measures.get("collector_ms", 0)) / MS_PER_HOUR).quantize(_HOUR_PLACES, ROUND_HALF_UP)


def _major(minor: int | Decimal, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def _quantum(kind: KpiKind, currency: str) -> Decimal:
    if kind is KpiKind.RATE:
        return _RATE_PLACES
    if kind in (KpiKind.MONEY_PER_COUNT, KpiKind.MONEY_PER_HOUR):
        return Decimal(1).scaleb(-exponent(currency))
    return _RATIO_PLACES


def operand(name: str, measures: Mapping[str, int], currency: str) -> Decimal:
    """A KPI operand in natural units: counts, money in major units, hours in hours."""
    if name == HOURS:
        return hours_of(measures)
    raw = Decimal(measures.get(name, 0))
    return _major(raw, currency) if name.endswith("_minor") else raw


def kpi_value(kpi: KpiDef, measures: Mapping[str, int], currency: str) -> KpiValue:
    """One KPI from summed measures; the value is None when the denominator is zero."""
    numerator = operand(kpi.numerator, measures, currency)
    denominator = operand(kpi.denominator, measures, currency)
    value = None
    if denominator != 0:
        value = (numerator / denominator).quantize(_quantum(kpi.kind, currency), ROUND_HALF_UP)
    money = kpi.kind in (KpiKind.MONEY_PER_COUNT, KpiKind.MONEY_PER_HOUR)
    return KpiValue(kpi.key, numerator, denominator, value, currency if money else None)


def kpi_values(measures: Mapping[str, int], currency: str) -> dict[str, KpiValue]:
    """Every KPI from summed measures."""
    return {k.key: kpi_value(k, measures, currency) for k in KPIS}


def empty_measures() -> dict[str, int]:
    """Every measure at zero (and the distinct paying accounts)."""
    return {**{m: 0 for m in MEASURES}, PAYING_ACCOUNTS: 0}


def add_measures(into: dict[str, int], other: Mapping[str, int]) -> dict[str, int]:
    """Add one set of measures to another in place (paying accounts too: use only for disjoint sets)."""
    for name, value in other.items():
        into[name] = into.get(name, 0) + int(value or 0)
    return into


def kpi_row(group: str, label: str, measures: Mapping[str, int], currency: str) -> KpiRow:
    """A KPI row for a group from its measures."""
    full = add_measures(empty_measures(), measures)
    return KpiRow(group=group, label=label, measures=full, kpis=kpi_values(full, currency))


def step_start(day: date, grain: Grain) -> date:
    """The first day of the day's week (Monday) or month, or the day itself."""
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return day


def month_start(day: date) -> date:
    """The first day of the day's month."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the day's month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """The first days of every month from first's month to last's month, inclusive."""
    out: list[date] = []
    current = month_start(first)
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


def rollup_days(
    per_day: Mapping[date, Mapping[str, int]], start: date, end: date, grain: Grain
) -> list[tuple[date, dict[str, int]]]:
    """Sum daily measures into steps of the grain, every step from start to end present (zeros included)."""
    steps: dict[date, dict[str, int]] = {}
    day = start
    while day <= end:
        steps.setdefault(step_start(day, grain), empty_measures())
        day += timedelta(days=1)
    for day, measures in per_day.items():
        if start <= day <= end:
            add_measures(steps[step_start(day, grain)], measures)
    return sorted(steps.items())


def funnel(measures: Mapping[str, int]) -> list[FunnelStage]:
    """The promise funnel from summed measures: each stage with its share of the previous and the first."""
    stages: list[FunnelStage] = []
    first = previous = None
    for key, label in FUNNEL:
        count = int(measures.get(key, 0))
        of_previous = _share(count, previous)
        of_first = _share(count, first)
        stages.append(FunnelStage(key, label, count, of_previous, of_first))
        first = count if first is None else first
        previous = count
    return stages


def _share(part: int, whole: int | None) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(_RATE_PLACES, ROUND_HALF_UP)


def roll_rows(cells: Iterable[tuple[date, str, str, int]], buckets: Sequence[str]) -> list[RollRow]:
    """Roll and cure rates per (month, from bucket) from (month, from, to, accounts) cells.

    Rolled forward = to a later bucket in `buckets` order; cured = to the first bucket (current);
    improved = to an earlier bucket that is not current. Write-off (the last bucket) rolls nowhere.
    """
    rank = {b: i for i, b in enumerate(buckets)}
    grouped: dict[tuple[date, str], dict[str, int]] = {}
    for month, source, target, count in cells:
        if source not in rank or target not in rank:
            continue
        to = grouped.setdefault((month, source), {})
        to[target] = to.get(target, 0) + int(count)
    rows: list[RollRow] = []
    for (month, source), to in sorted(grouped.items(), key=lambda kv: (kv[0][0], rank[kv[0][1]])):
        total = sum(to.values())
        forward = sum(n for b, n in to.items() if rank[b] > rank[source])
        cured = sum(n for b, n in to.items() if rank[b] == 0 and rank[source] > 0)
        improved = sum(n for b, n in to.items() if 0 < rank[b] < rank[source])
        stayed = to.get(source, 0)
        rows.append(
            RollRow(
                month=month,
                from_bucket=source,
                accounts=total,
                to_buckets={b: to[b] for b in buckets if b in to},
                rolled_forward=forward,
                stayed=stayed,
                improved=improved,
                cured=cured,
                roll_rate=_share(forward, total),
                cure_rate=_share(cured, total) if rank[source] > 0 else None,
            )
        )
    return rows


def cohort_curves(
    entries: Mapping[date, int],
    increments: Iterable[tuple[date, int, int, int]],
    last_month: date,
    horizon: int,
) -> list[CohortPoint]:
    """Cumulative recovery curves per cohort month.

    `entries`: cohort month -> episodes that began in it. `increments`: (cohort, months since entry,
    episodes whose FIRST payment fell in that month, amount collected in that month). Points run from
    month 0 to `horizon` months, and never past `last_month` (the future is not shown as flat).
    """
    by_cohort: dict[date, dict[int, tuple[int, int]]] = {}
    for cohort, k, first_payers, collected in increments:
        slot = by_cohort.setdefault(cohort, {})
        payers, amount = slot.get(k, (0, 0))
        slot[k] = (payers + int(first_payers), amount + int(collected))
    points: list[CohortPoint] = []
    for cohort in sorted(entries):
        accounts = int(entries[cohort])
        paid = collected = 0
        steps = by_cohort.get(cohort, {})
        for k in range(horizon + 1):
            if add_months(cohort, k) > month_start(last_month):
                break
            payers, amount = steps.get(k, (0, 0))
            paid += payers
            collected += amount
            per_account = (
                (Decimal(collected) / Decimal(accounts)).quantize(_RATIO_PLACES, ROUND_HALF_UP)
                if accounts
                else None
            )
            points.append(
                CohortPoint(cohort, k, accounts, paid, collected, _share(paid, accounts), per_account)
            )
    return points


def with_label(row: KpiRow, label: str) -> KpiRow:
    """The same row shown under another label."""
    return replace(row, label=label)
