"""Reporting use cases: KPI tables, trends, the funnel, rolls, recovery curves, the league and arm tests.

Every use case takes the acting principal and needs Permission.REPORTS_READ; team leads (and anyone who
does not see all teams) see only their own team. Reads run on one connection; only `refresh` writes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import FieldProblem, Forbidden, InputRejected
from arrears.core.money import exponent
from arrears.core.progress import Progress
from arrears.portfolio.aging.rules import bucket_labels
from arrears.portfolio.model import Product
from arrears.reporting import queries, rules, stats
from arrears.reporting.jobs import refresh_summaries
from arrears.reporting.model import (
    PAYING_ACCOUNTS,
    ArmComparison,
    ArmReport,
    CohortPoint,
    Dimension,
    Filters,
    FunnelStage,
    Grain,
    KpiRow,
    KpiTable,
    PaymentStats,
    Period,
    RefreshSummary,
    RollRow,
    TrendPoint,
)
from arrears.reporting.present import UNASSIGNED, statement
from arrears.runtime import Runtime


def scoped(principal: Principal, filters: Filters) -> Filters:
    """Check the permission and narrow the filters to what the principal may see."""
    require(principal, Permission.REPORTS_READ)
    if principal.is_agency:
        raise Forbidden("agency users cannot read the in-house reports")
    if principal.sees_all_teams:
        return filters
    if principal.team_id is None:
        raise Forbidden(f"{principal.username} belongs to no team, so no team report can be shown")
    if filters.team_id is not None and filters.team_id != principal.team_id:
        raise Forbidden(f"{principal.username} may see only team {principal.team_id}")
    return replace(filters, team_id=principal.team_id)


def _currency(rt: Runtime, currency: str | None) -> str:
    value = (currency or rt.settings.default_currency).strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise InputRejected("bad currency", [FieldProblem(0, "currency", value, "a 3-letter ISO 4217 code")])
    return value


def check_filters(rt: Runtime, filters: Filters, by: Dimension | None = None) -> None:
    """Refuse filters that cannot match anything by construction (unknown bucket or product, arm alone)."""
    problems = []
    if filters.bucket and filters.bucket not in bucket_labels(rt.settings.bucket_thresholds):
        problems.append(FieldProblem(0, "bucket", filters.bucket, "not a bucket of this portfolio"))
    if filters.product and filters.product not in {p.value for p in Product}:
        problems.append(FieldProblem(0, "product", filters.product, "not a product"))
    if filters.arm and not filters.experiment:
        problems.append(FieldProblem(0, "arm", filters.arm, "an arm needs its experiment"))
    if by is Dimension.ARM and not filters.experiment:
        problems.append(FieldProblem(0, "experiment", "", "grouping by arm needs an experiment"))
    if problems:
        raise InputRejected("the report filters are not valid", problems)


def _label(conn: Connection, by: Dimension | None, keys: list[Any]) -> dict[Any, str]:
    if by is Dimension.TEAM:
        names: dict[Any, str] = dict(queries.team_names(conn))
    elif by is Dimension.COLLECTOR:
        names = dict(queries.collector_names(conn, [k for k in keys if k is not None]))
    else:
        names = {}
    return {k: (UNASSIGNED if k is None else names.get(k, str(k))) for k in keys}


def _order(rt: Runtime, by: Dimension | None, rows: list[KpiRow]) -> list[KpiRow]:
    if by is Dimension.BUCKET:
        rank = {b: i for i, b in enumerate(bucket_labels(rt.settings.bucket_thresholds))}
        return sorted(rows, key=lambda r: (rank.get(r.group, 99), r.group))
    if by is Dimension.PRODUCT:
        rank = {p.value: i for i, p in enumerate(Product)}
        return sorted(rows, key=lambda r: (rank.get(r.group, 99), r.group))
    return sorted(rows, key=lambda r: (r.group == "", r.label.lower(), r.group))


def _table(
    conn: Connection, rt: Runtime, period: Period, by: Dimension | None, filters: Filters, currency: str
) -> KpiTable:
    group = by.value if by else None
    grouped = queries.cube_measures(conn, period, filters, currency, group)
    payers = queries.paying_accounts(conn, period, filters, group)
    total_measures = rules.empty_measures()
    for _, _, m in grouped:
        rules.add_measures(total_measures, m)
    total_measures[PAYING_ACCOUNTS] = (
        sum(payers.values()) if by is None else queries.paying_accounts(conn, period, filters)[None]
    )
    labels = _label(conn, by, [k for k, _, _ in grouped] + list(payers))
    rows: list[KpiRow] = []
    if by is not None:
        keys = {k for k, _, _ in grouped} | set(payers)
        by_key = {k: m for k, _, m in grouped}
        for key in keys:
            measures = {**by_key.get(key, {}), PAYING_ACCOUNTS: payers.get(key, 0)}
            code = "" if key is None else str(key)
            rows.append(rules.kpi_row(code, labels[key], measures, currency))
    refreshed, _, _ = queries.last_refresh(conn)
    return KpiTable(
        period=period,
        by=by,
        currency=currency,
        filters=filters,
        rows=_order(rt, by, rows),
        total=rules.kpi_row("", "Total", total_measures, currency),
        refreshed_at=refreshed,
    )


def kpi_table(
    rt: Runtime,
    principal: Principal,
    period: Period,
    by: Dimension | None = None,
    filters: Filters | None = None,
    currency: str | None = None,
) -> KpiTable:
    """Every KPI over the period, by one dimension (or only the total), for the filtered population."""
    f = scoped(principal, filters or Filters())
    check_filters(rt, f, by)
    with rt.engine.connect() as conn:
        return _table(conn, rt, period, by, f, _currency(rt, currency))


def league(
    rt: Runtime,
    principal: Principal,
    period: Period,
    filters: Filters | None = None,
    currency: str | None = None,
    order_by: str = "collected_per_hour",
) -> KpiTable:
    """Collectors ranked by a KPI (best first; ties by name)."""
    if order_by not in rules.KPI_BY_KEY:
        raise InputRejected("unknown KPI", [FieldProblem(0, "order_by", order_by, "not a KPI")])
    table = kpi_table(rt, principal, period, Dimension.COLLECTOR, filters, currency)
    kpi = rules.KPI_BY_KEY[order_by]
    named = [r for r in table.rows if r.group]

    def rank(row: KpiRow) -> tuple[int, Decimal, str]:
        value = row.kpis[order_by].value
        if value is None:
            return 1, Decimal(0), row.label
        return 0, (-value if kpi.higher_is_better else value), row.label

    return replace(table, rows=sorted(named, key=rank))


def trend(
    rt: Runtime,
    principal: Principal,
    period: Period,
    grain: Grain = Grain.DAY,
    filters: Filters | None = None,
    currency: str | None = None,
) -> list[TrendPoint]:
    """Every KPI per day, week or month of the period (each step present, zeros included)."""
    f = scoped(principal, filters or Filters())
    check_filters(rt, f)
    cur = _currency(rt, currency)
    with rt.engine.connect() as conn:
        per_day = {k: m for k, _, m in queries.cube_measures(conn, period, f, cur, "day")}
        steps = rules.rollup_days(per_day, period.start, period.end, grain)
        starts = [s for s, _ in steps]
        payers = queries.paying_accounts(conn, period, f, "step", starts)
    return [
        TrendPoint(
            start,
            rules.kpi_row(
                start.isoformat(), start.isoformat(), {**m, PAYING_ACCOUNTS: payers.get(start, 0)}, cur
            ),
        )
        for start, m in steps
    ]


def funnel(
    rt: Runtime, principal: Principal, period: Period, filters: Filters | None = None
) -> list[FunnelStage]:
    """Attempts, answered, right-party contacts, promises taken and kept over the period."""
    f = scoped(principal, filters or Filters())
    check_filters(rt, f)
    with rt.engine.connect() as conn:
        total = rules.empty_measures()
        for _, _, m in queries.cube_measures(conn, period, f, rt.settings.default_currency):
            rules.add_measures(total, m)
    return rules.funnel(total)


def rolls(
    rt: Runtime, principal: Principal, first_month: date, last_month: date, filters: Filters | None = None
) -> list[RollRow]:
    """Roll and cure rates per bucket for each monthly cycle starting first_month..last_month."""
    f = scoped(principal, filters or Filters())
    check_filters(rt, f)
    first, last = rules.month_start(first_month), rules.month_start(last_month)
    if last < first:
        raise InputRejected("bad months", [FieldProblem(0, "to", last.isoformat(), "before the first month")])
    with rt.engine.connect() as conn:
        cells = queries.roll_cells(conn, first, last, f)
    return rules.roll_rows(cells, bucket_labels(rt.settings.bucket_thresholds))


def cohorts(
    rt: Runtime,
    principal: Principal,
    first_month: date,
    last_month: date,
    filters: Filters | None = None,
    currency: str | None = None,
    horizon: int = 12,
) -> list[CohortPoint]:
    """Recovery curves of the cohorts that entered delinquency in first_month..last_month."""
    f = scoped(principal, filters or Filters())
    check_filters(rt, f)
    cur = _currency(rt, currency)
    with rt.engine.connect() as conn:
        entries, increments = queries.cohort_data(
            conn, rules.month_start(first_month), rules.month_start(last_month), f, cur
        )
    return rules.cohort_curves(entries, increments, default_period(rt, 1).end, horizon)


def arm_report(
    rt: Runtime,
    principal: Principal,
    experiment: str,
    period: Period,
    filters: Filters | None = None,
    currency: str | None = None,
    language: str = "en",
    champion: str | None = None,
    level: float = stats.DEFAULT_LEVEL,
) -> ArmReport:
    """Every KPI per arm of an experiment, each challenger against the champion with a CI and a verdict."""
    if not experiment.strip():
        raise InputRejected(
            "no experiment", [FieldProblem(0, "experiment", experiment, "name an experiment")]
        )
    f = scoped(principal, replace(filters or Filters(), experiment=experiment.strip(), arm=None))
    check_filters(rt, f, Dimension.ARM)
    cur = _currency(rt, currency)
    with rt.engine.connect() as conn:  # four queries: the cube by arm and day, payers twice, payments
        per_day = queries.cube_measures(conn, period, f, cur, "arm", "day")
        payers_by_arm = queries.paying_accounts(conn, period, f, "arm")
        payers = queries.paying_accounts_by(conn, period, f, "arm", "day")
        payment_stats = queries.payment_stats(conn, period, f, cur)
    days: dict[str, dict[date, dict[str, int]]] = {}
    totals: dict[str, dict[str, int]] = {}
    for arm, day, m in per_day:
        days.setdefault(arm, {})[day] = {**m, PAYING_ACCOUNTS: payers.get((arm, day), 0)}
        rules.add_measures(totals.setdefault(arm, rules.empty_measures()), m)
    for (arm, day), n in payers.items():
        days.setdefault(arm, {}).setdefault(day, {**rules.empty_measures(), PAYING_ACCOUNTS: n})
        totals.setdefault(arm, rules.empty_measures())
    arms = sorted(a for a in totals if a)
    if not arms:
        return ArmReport(experiment, period, cur, champion or "", [], [])
    chosen = champion if champion in arms else ("champion" if "champion" in arms else arms[0])
    by_arm = {
        arm: rules.kpi_row(arm, arm, {**totals[arm], PAYING_ACCOUNTS: payers_by_arm.get(arm, 0)}, cur)
        for arm in arms
    }
    comparisons = [
        _compare(kpi, arm, chosen, by_arm, days, payment_stats, cur, language, level)
        for arm in arms
        if arm != chosen
        for kpi in rules.KPIS
    ]
    return ArmReport(experiment, period, cur, chosen, [by_arm[a] for a in arms], comparisons)


def _compare(
    kpi: rules.KpiDef,
    arm: str,
    champion: str,
    by_arm: dict[str, KpiRow],
    days: dict[str, dict[date, dict[str, int]]],
    payment_stats: dict[Any, Any],
    currency: str,
    language: str,
    level: float,
) -> ArmComparison:
    def data(name: str) -> stats.ArmData:
        row = by_arm[name]
        units = []
        for measures in days.get(name, {}).values():
            y = float(rules.operand(kpi.numerator, measures, currency))
            x = float(rules.operand(kpi.denominator, measures, currency))
            if x or y:
                units.append((y, x))
        return stats.ArmData(
            numerator=int(row.measures.get(kpi.numerator, 0)),
            denominator=int(row.measures.get(kpi.denominator, 0)),
            payments=payment_stats.get(name, PaymentStats(0, 0.0, 0.0)),
            units=units,
        )

    scale = Decimal(1).scaleb(-exponent(currency))
    interval = stats.compare(kpi, data(arm), data(champion), scale=scale, level=level)
    verdict = stats.verdict(kpi, interval)
    challenger_value, champion_value = by_arm[arm].kpis[kpi.key], by_arm[champion].kpis[kpi.key]
    return ArmComparison(
        kpi=kpi.key,
        champion=champion,
        challenger=arm,
        champion_value=champion_value,
        challenger_value=challenger_value,
        interval=interval,
        verdict=verdict,
        statement=statement(
            kpi, arm, champion, challenger_value, champion_value, interval, verdict, language
        ),
    )


def refresh(
    rt: Runtime,
    principal: Principal,
    as_of: date | None = None,
    start: date | None = None,
    everything: bool = False,
    progress: Progress | None = None,
) -> RefreshSummary:
    """Rebuild the reporting summaries (Permission.BATCH_RUN): the recent window, a range or everything."""
    require(principal, Permission.BATCH_RUN)
    from arrears.reporting.jobs import earliest_day

    now = rt.clock.now()
    last = as_of or rt.clock.now().astimezone(_zone(rt)).date()
    with rt.engine.begin() as conn:
        first = start
        if everything:
            first = earliest_day(conn, rt.settings.default_timezone) or last
            first = min(first, last)
        if first is not None and (last - first).days > 3660:
            raise InputRejected(
                "range too long", [FieldProblem(0, "from", first.isoformat(), "more than ten years")]
            )
        if first is not None and first > last:
            raise InputRejected(
                "bad range", [FieldProblem(0, "from", first.isoformat(), "after the last day")]
            )
        return refresh_summaries(
            conn,
            last,
            now,
            progress,
            start=first,
            zone=rt.settings.default_timezone,
            thresholds=list(rt.settings.bucket_thresholds),
        )


def _zone(rt: Runtime) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(rt.settings.default_timezone)


def options(rt: Runtime, principal: Principal) -> dict[str, Any]:
    """What the filters offer: teams, buckets, products, experiments with their arms, currencies."""
    f = scoped(principal, Filters())
    with rt.engine.connect() as conn:
        teams = queries.team_names(conn)
        if f.team_id is not None:
            teams = {k: v for k, v in teams.items() if k == f.team_id}
        names = queries.experiments(conn)
        return {
            "teams": sorted(teams.items(), key=lambda kv: kv[1].lower()),
            "buckets": list(bucket_labels(rt.settings.bucket_thresholds)),
            "products": [p.value for p in Product],
            "experiments": {name: queries.arms_of(conn, name) for name in names},
            "currencies": sorted(set(queries.currencies(conn)) | {rt.settings.default_currency}),
            "refreshed_at": queries.last_refresh(conn)[0],
        }


def default_period(rt: Runtime, days: int = 30) -> Period:
    """The last `days` days up to today in the reporting time zone."""
    today = rt.clock.now().astimezone(_zone(rt)).date()
    return Period(today - timedelta(days=days - 1), today)
