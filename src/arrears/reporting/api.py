"""REST for reports (tag "reports", Permission.REPORTS_READ): KPIs, trend, funnel, rolls, recovery curves,
the collector league and champion/challenger tests, as JSON or exported to CSV / XLSX.

Team leads see only their own team. Values are decimal strings (exact); `display` is the shown text.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from arrears.core.access import Permission, Principal
from arrears.core.errors import FieldProblem, InputRejected
from arrears.reporting import exports, service
from arrears.reporting.api_models import (
    ArmsOut,
    CohortOut,
    FunnelStageOut,
    KpiTableOut,
    OptionsOut,
    RefreshIn,
    RefreshOut,
    RollOut,
    TrendOut,
    arms_out,
    row_out,
    table_out,
)
from arrears.reporting.model import Dimension, Filters, Grain, Period
from arrears.reporting.rules import KPIS, month_start
from arrears.runtime import Runtime
from arrears.web.deps import get_language, get_runtime, requires

router = APIRouter(prefix="/reports", tags=["reports"])
_READ = requires(Permission.REPORTS_READ)
_EARLIEST, _LATEST = date(1970, 1, 1), date(2999, 12, 1)
_FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        "description": "JSON, or the export file when format=csv|xlsx",
    }
}
Format = Literal["json", "csv", "xlsx"]


def _check_day(name: str, value: date | None) -> None:
    if value is not None and not _EARLIEST <= value <= _LATEST:
        raise InputRejected(
            "date out of range", [FieldProblem(0, name, value.isoformat(), "between 1970 and 2999")]
        )


def period_of(rt: Runtime, start: date | None, end: date | None) -> Period:
    """The requested period (default: the last 30 days); a clear 422 when it is not a valid one."""
    _check_day("from", start)
    _check_day("to", end)
    default = service.default_period(rt)
    last = end or default.end
    first = start or (last - timedelta(days=29))
    try:
        return Period(first, last)
    except ValueError as exc:
        raise InputRejected("bad period", [FieldProblem(0, "from", first.isoformat(), str(exc))]) from None


def _filters(
    team: int | None,
    collector: int | None,
    bucket: str | None,
    product: str | None,
    experiment: str | None,
    arm: str | None,
) -> Filters:
    return Filters(
        team_id=team,
        collector_id=collector,
        bucket=bucket or None,
        product=product or None,
        experiment=experiment or None,
        arm=arm or None,
    )


def _file(sheets: list[exports.Sheet], fmt: str, name: str) -> Response:
    content, media, ext = exports.render(sheets, fmt)
    return Response(content, media_type=media, headers={"Content-Disposition": attachment(f"{name}.{ext}")})


def attachment(filename: str) -> str:
    """A Content-Disposition value: an ASCII file name, and the exact one (RFC 5987) when it is not ASCII."""
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in filename)
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses NUL in text)
Team = Query(None, ge=1, le=2**63 - 1, description="Team id (team leads: always their own)")
Collector = Query(None, ge=1, le=2**63 - 1, description="Collector (user) id")
Bucket = Query(None, max_length=8, pattern=PRINTABLE, description="Bucket, e.g. M2")
ProductQ = Query(
    None, max_length=24, pattern=PRINTABLE, description="credit_card | consumer_loan | business_receivable"
)
Experiment = Query(None, max_length=64, pattern=PRINTABLE)
Arm = Query(None, max_length=32, pattern=PRINTABLE)
Currency = Query(None, pattern="^[A-Za-z]{3}$", description="Money KPIs in this currency (default setting)")


@router.get("/kpis", response_model=KpiTableOut, responses=_FILES, summary="KPIs by a dimension")
def kpis(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    start: date | None = Query(None, alias="from", description="First day (default: 30 days ago)"),
    end: date | None = Query(None, alias="to", description="Last day (default: today)"),
    by: Dimension | None = Query(None, description="Group by; omit for the total only"),
    team: int | None = Team,
    collector: int | None = Collector,
    bucket: str | None = Bucket,
    product: str | None = ProductQ,
    experiment: str | None = Experiment,
    arm: str | None = Arm,
    currency: str | None = Currency,
    format: Format = "json",
) -> Any:
    """Every KPI over the period for the filtered population, by team, collector, bucket, product or arm."""
    table = service.kpi_table(
        rt,
        principal,
        period_of(rt, start, end),
        by,
        _filters(team, collector, bucket, product, experiment, arm),
        currency,
    )
    if format != "json":
        return _file(
            [exports.kpi_sheet(table, language)], format, f"kpis-{table.period.start}-{table.period.end}"
        )
    return table_out(table, language)


@router.get("/league", response_model=KpiTableOut, responses=_FILES, summary="Collector league table")
def league(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    order_by: str = Query(
        "collected_per_hour", max_length=32, pattern=PRINTABLE, description="The KPI to rank by"
    ),
    team: int | None = Team,
    bucket: str | None = Bucket,
    product: str | None = ProductQ,
    experiment: str | None = Experiment,
    arm: str | None = Arm,
    currency: str | None = Currency,
    format: Format = "json",
) -> Any:
    """Collectors ranked by a KPI, best first."""
    table = service.league(
        rt,
        principal,
        period_of(rt, start, end),
        _filters(team, None, bucket, product, experiment, arm),
        currency,
        order_by,
    )
    if format != "json":
        return _file(
            [exports.kpi_sheet(table, language)], format, f"league-{table.period.start}-{table.period.end}"
        )
    return table_out(table, language)


@router.get("/trend", response_model=TrendOut, responses=_FILES, summary="KPIs per day, week or month")
def trend(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    grain: Grain = Grain.DAY,
    team: int | None = Team,
    collector: int | None = Collector,
    bucket: str | None = Bucket,
    product: str | None = ProductQ,
    experiment: str | None = Experiment,
    arm: str | None = Arm,
    currency: str | None = Currency,
    format: Format = "json",
) -> Any:
    """Every KPI per time step of the period (steps start on Mondays for weeks, the 1st for months)."""
    period = period_of(rt, start, end)
    cur = (currency or rt.settings.default_currency).upper()
    points = service.trend(
        rt, principal, period, grain, _filters(team, collector, bucket, product, experiment, arm), cur
    )
    if format != "json":
        return _file(
            [exports.trend_sheet(points, cur, language)], format, f"trend-{period.start}-{period.end}"
        )
    return TrendOut(grain=grain.value, currency=cur, points=[row_out(p.row, None, language) for p in points])


@router.get("/funnel", response_model=list[FunnelStageOut], summary="The promise funnel")
def funnel(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    team: int | None = Team,
    collector: int | None = Collector,
    bucket: str | None = Bucket,
    product: str | None = ProductQ,
    experiment: str | None = Experiment,
    arm: str | None = Arm,
) -> list[FunnelStageOut]:
    """Attempts, answered, right-party contacts, promises taken and promises kept."""
    from arrears.core.i18n import gettext

    stages = service.funnel(
        rt, principal, period_of(rt, start, end), _filters(team, collector, bucket, product, experiment, arm)
    )
    return [
        FunnelStageOut(
            key=s.key,
            label=gettext(language, s.label),
            count=s.count,
            share_of_previous=None if s.share_of_previous is None else str(s.share_of_previous),
            share_of_first=None if s.share_of_first is None else str(s.share_of_first),
        )
        for s in stages
    ]


def _months(rt: Runtime, first: date | None, last: date | None, default_back: int) -> tuple[date, date]:
    _check_day("from_month", first)
    _check_day("to_month", last)
    from arrears.reporting.rules import add_months

    end = month_start(last or add_months(month_start(service.default_period(rt).end), -1))
    begin = month_start(first or add_months(end, -default_back))
    return begin, end


@router.get("/rolls", response_model=list[RollOut], responses=_FILES, summary="Roll and cure rates")
def rolls(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    from_month: date | None = Query(None, description="First snapshot month (any day in it)"),
    to_month: date | None = Query(None, description="Last snapshot month (default: last month)"),
    team: int | None = Team,
    product: str | None = ProductQ,
    experiment: str | None = Experiment,
    arm: str | None = Arm,
    format: Format = "json",
) -> Any:
    """Per snapshot month and bucket: where the accounts stood a month later; roll and cure rates."""
    first, last = _months(rt, from_month, to_month, 5)
    rows = service.rolls(rt, principal, first, last, _filters(team, None, None, product, experiment, arm))
    if format != "json":
        buckets = list(service.options(rt, principal)["buckets"])
        return _file(
            [exports.roll_sheet(rows, buckets, language)], format, f"rolls-{first:%Y-%m}-{last:%Y-%m}"
        )
    return [
        RollOut(
            month=r.month,
            from_bucket=r.from_bucket,
            accounts=r.accounts,
            to_buckets=r.to_buckets,
            rolled_forward=r.rolled_forward,
            stayed=r.stayed,
            improved=r.improved,
            cured=r.cured,
            roll_rate=None if r.roll_rate is None else str(r.roll_rate),
            cure_rate=None if r.cure_rate is None else str(r.cure_rate),
        )
        for r in rows
    ]


@router.get("/cohorts", response_model=list[CohortOut], responses=_FILES, summary="Recovery curves")
def cohorts(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    from_month: date | None = Query(None, description="First cohort month (default: 11 months ago)"),
    to_month: date | None = Query(None, description="Last cohort month (default: this month)"),
    team: int | None = Team,
    product: str | None = ProductQ,
    experiment: str | None = Experiment,
    arm: str | None = Arm,
    currency: str | None = Currency,
    format: Format = "json",
) -> Any:
    """Cumulative share of each month's new delinquencies that paid, and the amount, k months on."""
    from arrears.core.money import Money

    _check_day("to_month", to_month)
    last = month_start(to_month or service.default_period(rt).end)
    first, _ = _months(rt, from_month, last, 11)
    cur = (currency or rt.settings.default_currency).upper()
    points = service.cohorts(
        rt, principal, first, last, _filters(team, None, None, product, experiment, arm), cur
    )
    if format != "json":
        return _file(
            [exports.cohort_sheet(points, cur, language)], format, f"cohorts-{first:%Y-%m}-{last:%Y-%m}"
        )
    return [
        CohortOut(
            cohort=p.cohort,
            months_since=p.months_since,
            accounts=p.accounts,
            paid_accounts=p.paid_accounts,
            paid_share=None if p.paid_share is None else str(p.paid_share),
            collected=str(Money.from_minor(p.collected_minor, cur).amount),
            collected_per_account=None
            if p.collected_per_account_minor is None
            else str(Money.of(p.collected_per_account_minor.scaleb(-2), cur).amount),
        )
        for p in points
    ]


@router.get("/arms", response_model=ArmsOut, responses=_FILES, summary="Champion vs challenger")
def arms(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
    experiment: str = Query(..., min_length=1, max_length=64, pattern=PRINTABLE),
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    champion: str | None = Query(
        None,
        max_length=32,
        pattern=PRINTABLE,
        description="Default: the arm named 'champion', else the first",
    ),
    team: int | None = Team,
    bucket: str | None = Bucket,
    product: str | None = ProductQ,
    currency: str | None = Currency,
    format: Format = "json",
) -> Any:
    """Every KPI per arm; for each challenger and KPI the difference, its 95 % CI and a plain verdict."""
    period = period_of(rt, start, end)
    report = service.arm_report(
        rt,
        principal,
        experiment,
        period,
        _filters(team, None, bucket, product, experiment, None),
        currency,
        language,
        champion=champion,
    )
    if format != "json":
        return _file(
            exports.arm_sheets(report, language), format, f"arms-{experiment}-{period.start}-{period.end}"
        )
    return arms_out(report, language)


@router.get("/options", response_model=OptionsOut, summary="What the report filters offer")
def options(
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    language: str = Depends(get_language),
) -> OptionsOut:
    """Teams (your own if you are a team lead), buckets, products, experiments and arms, currencies, KPIs."""
    from arrears.core.i18n import gettext

    found = service.options(rt, principal)
    return OptionsOut(
        teams=[{"id": k, "name": v} for k, v in found["teams"]],
        buckets=found["buckets"],
        products=found["products"],
        experiments=found["experiments"],
        currencies=found["currencies"],
        refreshed_at=found["refreshed_at"],
        kpis=[
            {"key": k.key, "label": gettext(language, k.label), "formula": gettext(language, k.formula)}
            for k in KPIS
        ],
    )


@router.post("/refresh", response_model=RefreshOut, summary="Rebuild the report summaries")
def refresh(
    body: RefreshIn,
    principal: Principal = Depends(requires(Permission.BATCH_RUN)),
    rt: Runtime = Depends(get_runtime),
) -> RefreshOut:
    """Rebuild the summaries the reports read (the nightly run does this; Permission.BATCH_RUN)."""
    _check_day("as_of", body.as_of)
    _check_day("from", body.start)
    done = service.refresh(rt, principal, body.as_of, body.start, body.all)
    return RefreshOut.model_validate(
        {
            "from": done.start,
            "to": done.end,
            "days": done.days,
            "activity_rows": done.activity_rows,
            "payment_rows": done.payment_rows,
            "roll_rows": done.roll_rows,
            "cohort_rows": done.cohort_rows,
            "seconds": done.seconds,
        }
    )
