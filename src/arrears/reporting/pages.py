"""Reporting pages: the manager's dashboard, the collector league, rolls and recovery, champion/challenger.

Pages forgive bad filter values (they are dropped and named); the REST API refuses them. Charts are
Apache ECharts options built in charts.py and drawn by /static/reporting.js.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from arrears.core.access import Permission, Principal
from arrears.core.errors import ArrearsError
from arrears.reporting import charts, service
from arrears.reporting.model import MAX_PERIOD_DAYS, Dimension, Filters, Grain, Period
from arrears.reporting.present import VERDICT_LABELS, format_kpi, group_label
from arrears.reporting.rules import KPI_BY_KEY, KPIS, add_months, hours_of, month_start
from arrears.runtime import Runtime
from arrears.web.deps import get_language, get_runtime, requires
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)
_READ = requires(Permission.REPORTS_READ)
_REFRESH = requires(Permission.BATCH_RUN)


@dataclass
class PageFilters:
    """The filters a report page was asked for, what was dropped, and the query string to keep them."""

    period: Period
    filters: Filters
    currency: str
    grain: Grain
    dropped: list[str]
    query: dict[str, str]
    options: dict[str, Any]


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _text(value: str | None, longest: int) -> str | None:
    text = (value or "").strip()
    return text if text and len(text) <= longest and all(ord(c) >= 32 for c in text) else None


def page_filters(request: Request, rt: Runtime, principal: Principal, default_days: int = 30) -> PageFilters:
    """Parse the page's query forgivingly: bad values are dropped and listed."""
    q = request.query_params
    dropped: list[str] = []
    default = service.default_period(rt, default_days)
    start, end = _day(q.get("from")), _day(q.get("to"))
    for name, raw, parsed in (("from", q.get("from"), start), ("to", q.get("to"), end)):
        if raw and parsed is None:
            dropped.append(name)
    end = end or default.end
    start = start or (end - timedelta(days=default_days - 1))
    try:
        period = Period(start, end)
    except ValueError:
        dropped.append("from")
        period = (
            Period(max(end - timedelta(days=MAX_PERIOD_DAYS - 1), min(start, end)), end)
            if start <= end
            else Period(end - timedelta(days=default_days - 1), end)
        )
    opts = service.options(rt, principal)
    team = _int(q.get("team"))
    if q.get("team") and (team is None or (team not in dict(opts["teams"]) and principal.sees_all_teams)):
        dropped.append("team")
        team = None
    bucket = _text(q.get("bucket"), 8)
    if bucket and bucket not in opts["buckets"]:
        dropped.append("bucket")
        bucket = None
    product = _text(q.get("product"), 24)
    if product and product not in opts["products"]:
        dropped.append("product")
        product = None
    experiment = _text(q.get("experiment"), 64)
    arm = _text(q.get("arm"), 32) if experiment else None
    currency = (_text(q.get("currency"), 3) or rt.settings.default_currency).upper()
    if currency not in opts["currencies"]:
        dropped.append("currency")
        currency = rt.settings.default_currency
    grain = (
        Grain(q["grain"])
        if q.get("grain") in {g.value for g in Grain}
        else (Grain.DAY if period.days <= 62 else Grain.WEEK if period.days <= 190 else Grain.MONTH)
    )
    filters = Filters(
        team_id=team if principal.sees_all_teams else principal.team_id,
        collector_id=_int(q.get("collector")),
        bucket=bucket,
        product=product,
        experiment=experiment,
        arm=arm,
    )
    query = {"from": period.start.isoformat(), "to": period.end.isoformat(), "currency": currency}
    for key, value in (
        ("team", filters.team_id if principal.sees_all_teams else None),
        ("collector", filters.collector_id),
        ("bucket", bucket),
        ("product", product),
        ("experiment", experiment),
        ("arm", arm),
    ):
        if value is not None:
            query[key] = str(value)
    return PageFilters(period, filters, currency, grain, dropped, query, opts)


def _export_links(path: str, query: dict[str, str], lang: str, **extra: str) -> dict[str, str]:
    params = {**query, **extra, "lang": lang}
    return {fmt: f"{path}?{urlencode({**params, 'format': fmt})}" for fmt in ("csv", "xlsx")}


def _chart(option: dict[str, Any]) -> str:
    """The option as JSON safe inside a <script type="application/json"> block."""
    text = json.dumps(option, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _common(request: Request, rt: Runtime, principal: Principal, pf: PageFilters, nav: str) -> dict[str, Any]:
    return dict(
        nav="reports",
        report_nav=nav,
        pf=pf,
        principal=principal,
        options=pf.options,
        kpis=KPIS,
        kpi_by_key=KPI_BY_KEY,
        format_kpi=format_kpi,
        group_label=group_label,
        hours_of=hours_of,
        lang_code=get_language(request),
        can_refresh=principal.can(Permission.BATCH_RUN),
        query_string=urlencode(pf.query),
        query_without_collector=urlencode({k: v for k, v in pf.query.items() if k != "collector"}),
    )


def _render_error(request: Request, exc: ArrearsError, nav: str) -> HTMLResponse:
    return render(
        request,
        "reporting_error.html",
        status_code=exc.status_code,
        nav="reports",
        report_nav=nav,
        error=str(exc),
    )


@router.get("/reports", response_class=HTMLResponse)
def dashboard(
    request: Request, principal: Principal = Depends(_READ), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """The manager's dashboard: KPI tiles, trend, funnel, KPIs by team and bucket, flows and the league."""
    lang = get_language(request)
    pf = page_filters(request, rt, principal)
    try:
        total = service.kpi_table(rt, principal, pf.period, None, pf.filters, pf.currency)
        by_group = Dimension.TEAM if principal.sees_all_teams else Dimension.COLLECTOR
        groups = service.kpi_table(rt, principal, pf.period, by_group, pf.filters, pf.currency)
        buckets = service.kpi_table(rt, principal, pf.period, Dimension.BUCKET, pf.filters, pf.currency)
        products = service.kpi_table(rt, principal, pf.period, Dimension.PRODUCT, pf.filters, pf.currency)
        points = service.trend(rt, principal, pf.period, pf.grain, pf.filters, pf.currency)
        stages = service.funnel(rt, principal, pf.period, pf.filters)
        last_cycle = add_months(month_start(pf.period.end), -1)
        roll_rows = service.rolls(rt, principal, add_months(last_cycle, -5), last_cycle, pf.filters)
        top = service.league(rt, principal, pf.period, pf.filters, pf.currency)
    except ArrearsError as exc:
        return _render_error(request, exc, "dashboard")
    flow_month = max((r.month for r in roll_rows), default=None)
    context = _common(request, rt, principal, pf, "dashboard")
    context.update(
        total=total,
        groups=groups,
        buckets=buckets,
        products=products,
        points=points,
        stages=stages,
        league=replace(top, rows=top.rows[:10]),
        flow_month=flow_month,
        chart_trend=_chart(charts.trend(points, pf.currency, lang)),
        chart_funnel=_chart(charts.funnel(stages, lang)),
        chart_flows=_chart(charts.bucket_flows(roll_rows, flow_month, lang)),
        chart_league=_chart(charts.league(top, "collected_per_hour", lang, top=10)),
        exports={
            "team": _export_links("/api/v1/reports/kpis", pf.query, lang, by=by_group.value),
            "bucket": _export_links("/api/v1/reports/kpis", pf.query, lang, by="bucket"),
            "product": _export_links("/api/v1/reports/kpis", pf.query, lang, by="product"),
            "trend": _export_links("/api/v1/reports/trend", pf.query, lang, grain=pf.grain.value),
        },
        grains=[g.value for g in Grain],
    )
    return render(request, "reporting_dashboard.html", **context)


@router.get("/reports/collectors", response_class=HTMLResponse)
def collectors_page(
    request: Request,
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
    order_by: str | None = None,
) -> HTMLResponse:
    """The collector league table, ranked by a chosen KPI, with its bar chart."""
    lang = get_language(request)
    pf = page_filters(request, rt, principal)
    key = order_by if order_by in KPI_BY_KEY else "collected_per_hour"
    try:
        table = service.league(rt, principal, pf.period, pf.filters, pf.currency, key)
    except ArrearsError as exc:
        return _render_error(request, exc, "collectors")
    context = _common(request, rt, principal, pf, "collectors")
    context.update(
        table=table,
        order_by=key,
        chart_league=_chart(charts.league(table, key, lang, top=25)),
        exports=_export_links("/api/v1/reports/league", pf.query, lang, order_by=key),
    )
    return render(request, "reporting_collectors.html", **context)


@router.get("/reports/rolls", response_class=HTMLResponse)
def rolls_page(
    request: Request, principal: Principal = Depends(_READ), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """Roll and cure rates per bucket, the bucket flows, and recovery curves by month of entry."""
    lang = get_language(request)
    pf = page_filters(request, rt, principal, default_days=180)
    last_cycle = add_months(month_start(pf.period.end), -1)
    first_cycle = min(month_start(pf.period.start), last_cycle)
    try:
        rows = service.rolls(rt, principal, first_cycle, last_cycle, pf.filters)
        curves = service.cohorts(
            rt,
            principal,
            add_months(month_start(pf.period.end), -11),
            month_start(pf.period.end),
            pf.filters,
            pf.currency,
        )
    except ArrearsError as exc:
        return _render_error(request, exc, "rolls")
    flow_month = max((r.month for r in rows), default=None)
    context = _common(request, rt, principal, pf, "rolls")
    context.update(
        rows=rows,
        curves=curves,
        flow_month=flow_month,
        bucket_order=pf.options["buckets"],
        chart_rates=_chart(charts.roll_rates(rows, lang)),
        chart_flows=_chart(charts.bucket_flows(rows, flow_month, lang)),
        chart_curves=_chart(charts.recovery_curves(curves, lang)),
        exports=_export_links(
            "/api/v1/reports/rolls",
            {**pf.query, "from_month": first_cycle.isoformat(), "to_month": last_cycle.isoformat()},
            lang,
        ),
        cohort_exports=_export_links("/api/v1/reports/cohorts", pf.query, lang),
    )
    return render(request, "reporting_rolls.html", **context)


@router.get("/reports/arms", response_class=HTMLResponse)
def arms_page(
    request: Request, principal: Principal = Depends(_READ), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """Champion vs challenger: every KPI per arm, and whether each difference is significant."""
    lang = get_language(request)
    pf = page_filters(request, rt, principal)
    experiments = pf.options["experiments"]
    chosen = pf.filters.experiment or next(iter(experiments), None)
    report = None
    if chosen:
        try:
            report = service.arm_report(
                rt, principal, chosen, pf.period, replace(pf.filters, experiment=chosen), pf.currency, lang
            )
        except ArrearsError as exc:
            return _render_error(request, exc, "arms")
    context = _common(request, rt, principal, pf, "arms")
    context.update(
        report=report,
        experiment=chosen,
        verdict_labels=VERDICT_LABELS,
        chart_arms=_chart(charts.arms(report, lang)) if report and report.arms else None,
        exports=_export_links("/api/v1/reports/arms", {**pf.query, "experiment": chosen or ""}, lang),
    )
    return render(request, "reporting_arms.html", **context)


@router.post("/reports/refresh", response_class=HTMLResponse)
def refresh_page(
    request: Request, principal: Principal = Depends(_REFRESH), rt: Runtime = Depends(get_runtime)
) -> RedirectResponse:
    """Rebuild the recent summaries now (Permission.BATCH_RUN), then back to the dashboard."""
    service.refresh(rt, principal)
    query = request.url.query
    return RedirectResponse("/reports" + (f"?{query}" if query else ""), status_code=303)
