"""Apache ECharts options for the dashboard, built server-side as plain JSON-able dicts.

The page embeds each option in a `<script type="application/json">` block and the static
`reporting.js` hands it to `echarts.init(...).setOption(...)`: no inline script, no formatter functions.
Rates are shown as percentages; amounts in major units of the report's currency.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from arrears.core.i18n import gettext
from arrears.reporting.model import (
    ArmReport,
    CohortPoint,
    FunnelStage,
    KpiKind,
    KpiTable,
    RollRow,
    TrendPoint,
)
from arrears.reporting.rules import KPI_BY_KEY, KPIS

TREND_RATES = ("connect_rate", "rpc_rate", "ptp_rate", "kept_rate", "penetration")


def _pct(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value) * 100, 2)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _base(language: str) -> dict[str, Any]:
    return {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 64, "top": 48, "bottom": 40, "containLabel": True},
        "aria": {"enabled": True},
        "textStyle": {"fontFamily": "system-ui, 'PingFang SC', 'Microsoft YaHei', sans-serif"},
    }


def trend(points: list[TrendPoint], currency: str, language: str = "en") -> dict[str, Any]:
    """Rates (lines, left axis, %) and the amount collected (bars, right axis) per time step."""
    t = lambda s: gettext(language, s)  # noqa: E731
    option = _base(language)
    names = [t(KPI_BY_KEY[k].label) for k in TREND_RATES]
    collected = t("Amount collected")
    option.update(
        legend={"data": [*names, collected], "top": 0, "type": "scroll"},
        xAxis={"type": "category", "data": [p.start.isoformat() for p in points]},
        yAxis=[
            {"type": "value", "name": "%", "axisLabel": {"formatter": "{value}%"}},
            {"type": "value", "name": currency, "splitLine": {"show": False}},
        ],
        series=[
            *(
                {
                    "name": name,
                    "type": "line",
                    "smooth": False,
                    "connectNulls": True,
                    "data": [_pct(p.row.kpis[key].value) for p in points],
                }
                for key, name in zip(TREND_RATES, names, strict=True)
            ),
            {
                "name": collected,
                "type": "bar",
                "yAxisIndex": 1,
                "barMaxWidth": 18,
                "itemStyle": {"opacity": 0.35},
                "data": [_num(p.row.kpis["collected_per_hour"].numerator) for p in points],
            },
        ],
    )
    return option


def funnel(stages: list[FunnelStage], language: str = "en") -> dict[str, Any]:
    """The promise funnel: attempts to kept promises."""
    t = lambda s: gettext(language, s)  # noqa: E731
    option = _base(language)
    option["tooltip"] = {"trigger": "item"}
    option["series"] = [
        {
            "name": t("Promise funnel"),
            "type": "funnel",
            "sort": "none",
            "gap": 2,
            "left": "10%",
            "width": "80%",
            "minSize": "4%",
            "label": {"show": True, "position": "inside"},
            "data": [{"name": t(s.label), "value": s.count} for s in stages],
        }
    ]
    return option


def bucket_flows(rows: list[RollRow], month: date | None, language: str = "en") -> dict[str, Any]:
    """A Sankey diagram of where each bucket's accounts went over one monthly cycle."""
    option = _base(language)
    option["tooltip"] = {"trigger": "item"}
    chosen = [r for r in rows if r.month == month]
    if month is None or not chosen:
        option["series"] = [{"type": "sankey", "data": [], "links": []}]
        return option
    later = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    left = {r.from_bucket: f"{r.from_bucket} {month:%Y-%m}" for r in chosen}
    right: dict[str, str] = {}
    links = []
    for r in chosen:
        for bucket, count in r.to_buckets.items():
            right.setdefault(bucket, f"{bucket} {later:%Y-%m}")
            links.append({"source": left[r.from_bucket], "target": right[bucket], "value": count})
    option["series"] = [
        {
            "type": "sankey",
            "layoutIterations": 0,
            "nodeAlign": "left",
            "emphasis": {"focus": "adjacency"},
            "data": [{"name": n} for n in [*left.values(), *sorted(right.values())]],
            "links": links,
            "lineStyle": {"color": "gradient", "curveness": 0.5},
        }
    ]
    return option


def roll_rates(rows: list[RollRow], language: str = "en") -> dict[str, Any]:
    """Roll rate per source bucket over the months (lines, %)."""
    option = _base(language)
    months = sorted({r.month for r in rows})
    buckets = list(dict.fromkeys(r.from_bucket for r in rows))
    by = {(r.month, r.from_bucket): r for r in rows}
    option.update(
        legend={"data": buckets, "top": 0},
        xAxis={"type": "category", "data": [m.strftime("%Y-%m") for m in months]},
        yAxis={"type": "value", "axisLabel": {"formatter": "{value}%"}},
        series=[
            {
                "name": b,
                "type": "line",
                "connectNulls": True,
                "data": [_pct(by[(m, b)].roll_rate) if (m, b) in by else None for m in months],
            }
            for b in buckets
        ],
    )
    return option


def recovery_curves(points: list[CohortPoint], language: str = "en") -> dict[str, Any]:
    """Cumulative share of each cohort's episodes with a payment, by months since entry (lines, %)."""
    t = lambda s: gettext(language, s)  # noqa: E731
    option = _base(language)
    horizon = max((p.months_since for p in points), default=0)
    cohorts = sorted({p.cohort for p in points})
    by = {(p.cohort, p.months_since): p for p in points}
    option.update(
        legend={"data": [c.strftime("%Y-%m") for c in cohorts], "top": 0, "type": "scroll"},
        xAxis={
            "type": "category",
            "name": t("Months since entry"),
            "nameLocation": "middle",
            "nameGap": 28,
            "data": list(range(horizon + 1)),
        },
        yAxis={"type": "value", "axisLabel": {"formatter": "{value}%"}},
        series=[
            {
                "name": c.strftime("%Y-%m"),
                "type": "line",
                "data": [_pct(by[(c, k)].paid_share) if (c, k) in by else None for k in range(horizon + 1)],
            }
            for c in cohorts
        ],
    )
    return option


def league(table: KpiTable, key: str, language: str = "en", top: int = 15) -> dict[str, Any]:
    """Horizontal bars of one KPI per collector, best at the top."""
    t = lambda s: gettext(language, s)  # noqa: E731
    kpi = KPI_BY_KEY[key]
    rows = [r for r in table.rows if r.kpis[key].value is not None][:top]
    rows.reverse()  # ECharts draws the first category at the bottom
    rate = kpi.kind is KpiKind.RATE
    option = _base(language)
    option.update(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        xAxis={
            "type": "value",
            "name": "%" if rate else "",
            "axisLabel": {"formatter": "{value}%"} if rate else {},
        },
        yAxis={"type": "category", "data": [r.label for r in rows]},
        series=[
            {
                "name": t(kpi.label),
                "type": "bar",
                "barMaxWidth": 22,
                "data": [_pct(r.kpis[key].value) if rate else _num(r.kpis[key].value) for r in rows],
            }
        ],
    )
    return option


def arms(report: ArmReport, language: str = "en") -> dict[str, Any]:
    """Every rate KPI per arm (grouped bars, %)."""
    t = lambda s: gettext(language, s)  # noqa: E731
    rates = [k for k in KPIS if k.kind is KpiKind.RATE]
    option = _base(language)
    option.update(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        legend={"data": [r.group for r in report.arms], "top": 0},
        xAxis={"type": "category", "data": [t(k.label) for k in rates]},
        yAxis={"type": "value", "axisLabel": {"formatter": "{value}%"}},
        series=[
            {
                "name": r.group,
                "type": "bar",
                "barMaxWidth": 26,
                "data": [_pct(r.kpis[k.key].value) for k in rates],
            }
            for r in report.arms
        ],
    )
    return option
