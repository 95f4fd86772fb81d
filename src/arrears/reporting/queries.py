"""The dashboard's read queries: sums over the reporting summaries, grouped by one dimension.

Counts are summed over every currency; money measures only over the report's currency. Every query
picks one experiment slice of the cube ('' = everyone), so no fact is ever counted twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Float, case, cast, distinct, func, literal, select
from sqlalchemy.engine import Connection

from arrears.reporting import sources
from arrears.reporting.model import CURRENCY_MEASURES, MEASURES, Filters, PaymentStats, Period
from arrears.reporting.store import (
    report_arms,
    report_cohorts,
    report_daily,
    report_payments,
    report_refreshes,
    report_rolls,
)
from arrears.users.store import teams, users

#: the cube column behind each grouping
CUBE_GROUPS = {
    "team": "team_id",
    "collector": "collector_id",
    "bucket": "bucket",
    "product": "product",
    "arm": "arm",
    "day": "day",
}


def last_refresh(conn: Connection) -> tuple[datetime | None, date | None, date | None]:
    """When the summaries were last refreshed, and the last refresh's first and last day."""
    row = conn.execute(
        select(report_refreshes.c.finished_at, report_refreshes.c.first_day, report_refreshes.c.last_day)
        .order_by(report_refreshes.c.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1], row[2]) if row else (None, None, None)


def _cube_where(period: Period, filters: Filters) -> list[Any]:
    d = report_daily.c
    where = [d.day >= period.start, d.day <= period.end, d.experiment == (filters.experiment or "")]
    if filters.experiment and filters.arm:
        where.append(d.arm == filters.arm)
    if filters.team_id is not None:
        where.append(d.team_id == filters.team_id)
    if filters.collector_id is not None:
        where.append(d.collector_id == filters.collector_id)
    if filters.bucket:
        where.append(d.bucket == filters.bucket)
    if filters.product:
        where.append(d.product == filters.product)
    return where


def _measure_sums(currency: str) -> list[Any]:
    d = report_daily.c
    out = []
    for m in MEASURES:
        value = case((d.currency == currency, d[m]), else_=0) if m in CURRENCY_MEASURES else d[m]
        out.append(func.coalesce(func.sum(value), 0).label(m))
    return out


def cube_measures(
    conn: Connection,
    period: Period,
    filters: Filters,
    currency: str,
    group: str | None = None,
    second: str | None = None,
) -> list[tuple[Any, Any, dict[str, int]]]:
    """Summed measures per group (and second group), as (group key, second key, measures)."""
    keys = [report_daily.c[CUBE_GROUPS[g]] for g in (group, second) if g]
    rows = conn.execute(
        select(*keys, *_measure_sums(currency)).where(*_cube_where(period, filters)).group_by(*keys)
    ).all()
    out = []
    for row in rows:
        values = tuple(row)
        k1 = values[0] if group else None
        k2 = values[1] if group and second else None
        measures = {m: int(v or 0) for m, v in zip(MEASURES, values[len(keys) :], strict=True)}
        out.append((k1, k2, measures))
    return out


def _payments_source(conn: Connection, period: Period, filters: Filters) -> tuple[Any, list[Any], Any]:
    """FROM clause, WHERE list and the arm column over report_payments (one experiment slice)."""
    p = report_payments.c
    where: list[Any] = [
        p.experiment == (filters.experiment or ""),
        p.day >= period.start,
        p.day <= period.end,
    ]
    if filters.experiment and filters.arm:
        where.append(p.arm == filters.arm)
    if filters.team_id is not None:
        where.append(p.team_id == filters.team_id)
    if filters.collector_id is not None:
        where.append(p.collector_id == filters.collector_id)
    if filters.bucket:
        where.append(p.bucket == filters.bucket)
    if filters.product:
        where.append(p.product == filters.product)
    return report_payments, where, p.arm


def _step_expr(steps: Sequence[date] | None) -> Any:
    """Map a day onto the start of its step (steps sorted ascending); the day itself without steps."""
    day = report_payments.c.day
    if not steps:
        return day
    whens = [(day < later, literal(start)) for start, later in zip(steps, steps[1:], strict=False)]
    return case(*whens, else_=literal(steps[-1])) if whens else literal(steps[0])


def paying_accounts(
    conn: Connection,
    period: Period,
    filters: Filters,
    group: str | None = None,
    steps: Sequence[date] | None = None,
) -> dict[Any, int]:
    """Distinct accounts with a posted payment in the period, per group (None: one total under key None).

    group is a CUBE_GROUPS name, or "step" (then `steps` are the first days of the time steps).
    """
    source, where, arm_col = _payments_source(conn, period, filters)
    p = report_payments.c
    key: Any = None
    if group == "arm":
        key = arm_col
    elif group == "step":
        key = _step_expr(steps)
    elif group == "day":
        key = p.day
    elif group:
        key = p[CUBE_GROUPS[group]]
    count = func.count(distinct(p.account_id))
    if key is None:
        return {None: int(conn.execute(select(count).select_from(source).where(*where)).scalar() or 0)}
    rows = conn.execute(select(key, count).select_from(source).where(*where).group_by(key)).all()
    return {r[0]: int(r[1]) for r in rows}


def paying_accounts_by(
    conn: Connection, period: Period, filters: Filters, group: str, second: str
) -> dict[tuple[Any, Any], int]:
    """Distinct paying accounts per (group, second), e.g. per (arm, day) for the delta method."""
    source, where, arm_col = _payments_source(conn, period, filters)
    p = report_payments.c
    keys = [arm_col if g == "arm" else p[CUBE_GROUPS[g]] for g in (group, second)]
    rows = conn.execute(
        select(*keys, func.count(distinct(p.account_id))).select_from(source).where(*where).group_by(*keys)
    ).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def payment_stats(
    conn: Connection, period: Period, filters: Filters, currency: str
) -> dict[Any, PaymentStats]:
    """Count, sum and sum of squares of payment amounts per arm ('' without an experiment)."""
    source, where, arm_col = _payments_source(conn, period, filters)
    amount = report_payments.c.amount_minor
    as_float = cast(amount, Float)
    rows = conn.execute(
        select(
            arm_col,
            func.count(),
            func.coalesce(func.sum(amount), 0),
            func.coalesce(func.sum(as_float * as_float), 0),
        )
        .select_from(source)
        .where(*where, report_payments.c.currency == currency)
        .group_by(arm_col)
    ).all()
    return {r[0]: PaymentStats(int(r[1]), float(r[2]), float(r[3])) for r in rows}


def roll_cells(
    conn: Connection, first: date, last: date, filters: Filters
) -> list[tuple[date, str, str, int]]:
    """(month, from bucket, to bucket, accounts) for snapshot months first..last."""
    r = report_rolls.c
    where = [r.month >= first, r.month <= last, r.experiment == (filters.experiment or "")]
    if filters.experiment and filters.arm:
        where.append(r.arm == filters.arm)
    if filters.product:
        where.append(r.product == filters.product)
    if filters.team_id is not None:
        where.append(r.team_id == filters.team_id)
    rows = conn.execute(
        select(r.month, r.from_bucket, r.to_bucket, func.sum(r.accounts))
        .where(*where)
        .group_by(r.month, r.from_bucket, r.to_bucket)
    ).all()
    return [(row[0], row[1], row[2], int(row[3])) for row in rows]


def cohort_data(
    conn: Connection, first: date, last: date, filters: Filters, currency: str
) -> tuple[dict[date, int], list[tuple[date, int, int, int]]]:
    """Episodes per cohort month, and (cohort, months since, first payers, collected) increments."""
    c = report_cohorts.c
    where = [c.cohort >= first, c.cohort <= last, c.experiment == (filters.experiment or "")]
    if filters.experiment and filters.arm:
        where.append(c.arm == filters.arm)
    if filters.product:
        where.append(c.product == filters.product)
    if filters.team_id is not None:
        where.append(c.team_id == filters.team_id)
    rows = conn.execute(
        select(
            c.cohort,
            c.months_since,
            func.sum(c.entered),
            func.sum(c.first_payers),
            func.sum(case((c.currency == currency, c.collected_minor), else_=0)),
        )
        .where(*where)
        .group_by(c.cohort, c.months_since)
    ).all()
    entries: dict[date, int] = {}
    increments = []
    for cohort, k, entered, payers, collected in rows:
        if entered:
            entries[cohort] = entries.get(cohort, 0) + int(entered)
        increments.append((cohort, int(k), int(payers or 0), int(collected or 0)))
    return entries, increments


def team_names(conn: Connection) -> dict[int, str]:
    """Team id -> name."""
    return {int(r[0]): r[1] for r in conn.execute(select(teams.c.id, teams.c.name))}


def collector_names(conn: Connection, ids: Sequence[int]) -> dict[int, str]:
    """User id -> display name for the given collectors."""
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return {}
    rows = conn.execute(
        select(users.c.id, users.c.display_name, users.c.username).where(users.c.id.in_(wanted))
    )
    return {int(r[0]): r[1] or r[2] for r in rows}


def experiments(conn: Connection) -> list[str]:
    """Experiments accounts are assigned to (and those the strategy domain defines), by name."""
    found = {r[0] for r in conn.execute(select(report_arms.c.experiment).distinct()) if r[0]}
    table = sources.experiments_table(conn)
    if table is not None and "name" in table.c:
        found |= {r[0] for r in conn.execute(select(table.c.name)) if r[0]}
    return sorted(found)


def arms_of(conn: Connection, experiment: str) -> list[str]:
    """The arms of an experiment, sorted."""
    rows = conn.execute(select(report_arms.c.arm).where(report_arms.c.experiment == experiment))
    return sorted(r[0] for r in rows if r[0])


def currencies(conn: Connection) -> list[str]:
    """Currencies of the payments in the summaries."""
    rows = conn.execute(
        select(report_payments.c.currency).where(report_payments.c.experiment == "").distinct()
    )
    return sorted(r[0] for r in rows if r[0])
