"""The simulation report: every KPI per arm from the reporting domain (summaries refreshed over the simulated
days, cut by the arms' teams), the field figures, the baseline comparison, and the files (HTML + ECharts,
JSON, CSV)."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from arrears.core.access import SYSTEM
from arrears.core.i18n import gettext
from arrears.reporting import charts, stats
from arrears.reporting.model import (
    PAYING_ACCOUNTS,
    ArmReport,
    Dimension,
    Filters,
    Grain,
    KpiRow,
    KpiTable,
    PaymentStats,
    Period,
)
from arrears.reporting.present import comparison_text, format_value, statement
from arrears.reporting.rules import KPI_BY_KEY, KPIS, operand
from arrears.sim.calibration import check_targets
from arrears.sim.config import Ordering
from arrears.sim.engine import SimRun, plain_counts, violations

STATIC = Path(__file__).resolve().parent.parent / "web" / "static" / "echarts" / "echarts.min.js"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: the columns of the summary table, in order
SUMMARY = (
    "collected_per_hour",
    "rpc_rate",
    "kept_rate",
    "calls_per_recovery",
    "recovered_per_account",
    "violations",
)


@dataclass
class ArmFigures:
    """One arm's KPIs (reporting's rows) and the simulator's extra figures."""

    name: str
    ordering: str
    collectors: int
    debtors: int
    row: KpiRow | None
    violations: int  # attempts stored as violations + attempts the policy refused at their start
    refused: int
    figures: dict[str, float | None] = field(default_factory=dict)
    daily: list[tuple[date, float, float | None]] = field(default_factory=list)  # day, collected, rpc rate
    day_measures: list[dict[str, int]] = field(default_factory=list)  # reporting's measures per day


@dataclass
class SimReport:
    """What a run showed."""

    name: str
    period: Period
    currency: str
    arms: list[ArmFigures]
    table: KpiTable
    verdicts: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    counts: dict[str, Any]
    seconds: float
    timings: dict[str, float]
    experiments: list[ArmReport] = field(default_factory=list)  # the strategy's own champion/challenger


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def build(run: SimRun, language: str = "en") -> SimReport:
    """Refresh the reporting summaries over the simulated days and read every KPI per arm."""
    from arrears.reporting.jobs import refresh_summaries
    from arrears.reporting.service import kpi_table, trend

    rt = run.runtime
    with rt.engine.begin() as conn:
        refresh_summaries(
            conn,
            run.last_day,
            rt.clock.now(),
            start=run.first_day,
            zone=run.config.timezone,
            thresholds=list(rt.settings.bucket_thresholds),
        )
    period = Period(run.first_day, run.last_day)
    table = kpi_table(rt, SYSTEM, period, Dimension.TEAM, currency="CNY")
    rows = {r.group: r for r in table.rows}
    broken = violations(rt)
    arms: list[ArmFigures] = []
    for arm in run.arms:
        row = rows.get(str(arm.team_id))
        refused = run.tally.refused_by_team.get(arm.team_id, 0)
        fig = ArmFigures(
            arm.name,
            arm.ordering.value,
            len(arm.collectors),
            len(arm.debtors),
            row,
            broken.get(str(arm.team_id), 0) + refused,
            refused,
        )
        for kpi in KPIS:
            fig.figures[kpi.key] = _f(row.kpis[kpi.key].value) if row else None
        payers = row.measures.get(PAYING_ACCOUNTS, 0) if row else 0
        collected = row.measures.get("collected_minor", 0) if row else 0
        fig.figures["recovered_per_account"] = round(collected / 100 / payers, 2) if payers else None
        fig.figures["violations"] = float(fig.violations)
        fig.figures["attempts"] = float(row.measures.get("attempts", 0)) if row else 0.0
        fig.figures["collected"] = collected / 100
        fig.figures["paying_accounts"] = float(payers)
        for point in trend(rt, SYSTEM, period, Grain.DAY, Filters(team_id=arm.team_id), currency="CNY"):
            fig.day_measures.append(dict(point.row.measures))
            fig.daily.append(
                (
                    point.start,
                    point.row.measures.get("collected_minor", 0) / 100,
                    _f(point.row.kpis["rpc_rate"].value),
                )
            )
        arms.append(fig)
    return SimReport(
        run.config.name,
        period,
        table.currency,
        arms,
        table,
        _verdicts(arms, "CNY", language),
        _targets(run, arms),
        plain_counts(run),
        run.seconds,
        run.timings,
        _experiments(run, period, language),
    )


def _experiments(run: SimRun, period: Period, language: str = "en") -> list[ArmReport]:
    """Every KPI per arm of each experiment of the strategy in force, champion against challengers."""
    from arrears.reporting.service import arm_report, options

    names = sorted(options(run.runtime, SYSTEM)["experiments"])
    return [
        arm_report(run.runtime, SYSTEM, name, period, currency="CNY", language=language) for name in names
    ]


def _arm_data(arm: ArmFigures, key: str, currency: str) -> stats.ArmData:
    """What reporting's statistics need of one arm for one KPI: totals and per-day clusters."""
    kpi = KPI_BY_KEY[key]
    units = []
    for m in arm.day_measures:
        y, x = float(operand(kpi.numerator, m, currency)), float(operand(kpi.denominator, m, currency))
        if x or y:
            units.append((y, x))
    measures = arm.row.measures if arm.row else {}
    return stats.ArmData(
        numerator=int(measures.get(kpi.numerator, 0)),
        denominator=int(measures.get(kpi.denominator, 0)),
        payments=PaymentStats(0, 0.0, 0.0),
        units=units,
    )


def _verdicts(arms: list[ArmFigures], currency: str = "CNY", language: str = "en") -> list[dict[str, Any]]:
    """Each default-ordered arm against each baseline on collected per collector hour, with no violations:
    the point estimates, and the 95 % interval of the difference (delta method, days as clusters)."""
    kpi = KPI_BY_KEY["collected_per_hour"]
    out = []
    for arm in (a for a in arms if a.ordering == Ordering.DEFAULT.value):
        for base in (a for a in arms if a.ordering != Ordering.DEFAULT.value):
            c, b = arm.figures.get("collected_per_hour"), base.figures.get("collected_per_hour")
            clean = arm.violations == 0 and base.violations == 0
            beats = c is not None and (b is None or c > b) and arm.violations == 0
            interval = stats.compare(
                kpi, _arm_data(arm, kpi.key, currency), _arm_data(base, kpi.key, currency)
            )
            verdict = stats.verdict(kpi, interval)
            text = ""
            if arm.row is not None and base.row is not None:
                text = statement(
                    kpi,
                    arm.name,
                    base.name,
                    arm.row.kpis[kpi.key],
                    base.row.kpis[kpi.key],
                    interval,
                    verdict,
                    language,
                )
            out.append(
                {
                    "arm": arm.name,
                    "baseline": base.name,
                    "collected_per_hour": c,
                    "baseline_collected_per_hour": b,
                    "difference": _f(interval.difference) if interval else None,
                    "low": _f(interval.low) if interval else None,
                    "high": _f(interval.high) if interval else None,
                    "verdict": verdict,  # better | worse | no_difference | not_enough_data (for the arm)
                    "statement": text,
                    "no_violations": clean,
                    "beats": beats,
                }
            )
    return out


def _targets(run: SimRun, arms: list[ArmFigures]) -> list[dict[str, Any]]:
    """The field figures against the first default-ordered arm (the plain strategy)."""
    chosen = next((a for a in arms if a.ordering == Ordering.DEFAULT.value), arms[0] if arms else None)
    figures = chosen.figures if chosen else {}
    return [
        {
            "kpi": t.kpi,
            "label": t.label,
            "low": t.low,
            "high": t.high,
            "value": v,
            "ok": ok,
            "arm": chosen.name if chosen else "",
        }
        for t, v, ok in check_targets(figures)
    ]


# --- presenting ---


def label(key: str, language: str) -> str:
    """A summary column's heading."""
    if key in KPI_BY_KEY:
        return gettext(language, KPI_BY_KEY[key].label)
    return gettext(
        language, {"recovered_per_account": "Recovered per account", "violations": "Policy violations"}[key]
    )


def shown(arm: ArmFigures, key: str, currency: str, language: str) -> str:
    """One summary cell as text."""
    value = arm.figures.get(key)
    if key in KPI_BY_KEY:
        return format_value(
            KPI_BY_KEY[key], None if value is None else Decimal(str(value)), currency, language
        )
    if value is None:
        return "—"
    if key == "recovered_per_account":
        return f"{currency} {value:,.2f}"
    return f"{int(value)}"


def as_dict(report: SimReport) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    return {
        "name": report.name,
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "currency": report.currency,
        "arms": [
            {
                "arm": a.name,
                "ordering": a.ordering,
                "collectors": a.collectors,
                "debtors": a.debtors,
                "kpis": a.figures,
                "measures": dict(a.row.measures) if a.row else {},
                "daily": [{"day": d.isoformat(), "collected": c, "rpc_rate": r} for d, c, r in a.daily],
            }
            for a in report.arms
        ],
        "baseline_comparison": report.verdicts,
        "experiments": [
            {
                "experiment": e.experiment,
                "champion": e.champion,
                "arms": [
                    {
                        "arm": r.group,
                        "kpis": {k: _f(v.value) for k, v in r.kpis.items()},
                        "measures": r.measures,
                    }
                    for r in e.arms
                ],
                "comparisons": [
                    {"kpi": c.kpi, "challenger": c.challenger, "verdict": c.verdict, "statement": c.statement}
                    for c in e.comparisons
                ],
            }
            for e in report.experiments
        ],
        "field_targets": report.targets,
        "counts": report.counts,
        "seconds": report.seconds,
        "timings": {k: round(v, 3) for k, v in report.timings.items()},
    }


def _charts(report: SimReport, language: str) -> list[tuple[str, dict[str, Any]]]:
    t = lambda s: gettext(language, s)  # noqa: E731
    out = []
    for key in ("collected_per_hour", "rpc_rate", "kept_rate", "calls_per_recovery"):
        option = charts.league(report.table, key, language)
        out.append((t(KPI_BY_KEY[key].label), option))
    days = [d.isoformat() for d, _, _ in report.arms[0].daily] if report.arms else []
    cumulative = []
    for arm in report.arms:
        total, series = 0.0, []
        for _, collected, _ in arm.daily:
            total += collected
            series.append(round(total, 2))
        cumulative.append({"name": arm.name, "type": "line", "data": series})
    out.append(
        (
            t("Collected to date per arm"),
            {
                "animation": False,
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 0},
                "grid": {"left": 56, "right": 32, "top": 40, "bottom": 40, "containLabel": True},
                "xAxis": {"type": "category", "data": days},
                "yAxis": {"type": "value", "name": report.currency},
                "series": cumulative,
            },
        )
    )
    rpc = [
        {
            "name": a.name,
            "type": "line",
            "data": [None if r is None else round(r * 100, 2) for _, _, r in a.daily],
        }
        for a in report.arms
    ]
    for e in report.experiments:
        if e.arms:
            out.append((f"{t('Experiment')} {e.experiment}", charts.arms(e, language)))
    out.append(
        (
            t("Right-party contact rate per day"),
            {
                "animation": False,
                "tooltip": {"trigger": "axis"},
                "legend": {"top": 0},
                "grid": {"left": 56, "right": 32, "top": 40, "bottom": 40, "containLabel": True},
                "xAxis": {"type": "category", "data": days},
                "yAxis": {"type": "value", "name": "%", "axisLabel": {"formatter": "{value}%"}},
                "series": rpc,
            },
        )
    )
    return out


def write(report: SimReport, out: Path, language: str = "en") -> dict[str, Path]:
    """Write report.html (with a copy of ECharts beside it), kpis.json and kpis.csv; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    data = as_dict(report)
    paths = {"json": out / "kpis.json", "csv": out / "kpis.csv", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    keys = [k.key for k in KPIS] + [
        "recovered_per_account",
        "violations",
        "attempts",
        "collected",
        "paying_accounts",
    ]
    with paths["csv"].open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["arm", "ordering", "collectors", "debtors", *keys])
        for a in report.arms:
            w.writerow(
                [
                    a.name,
                    a.ordering,
                    a.collectors,
                    a.debtors,
                    *["" if a.figures.get(k) is None else a.figures[k] for k in keys],
                ]
            )
    shutil.copyfile(STATIC, out / "echarts.min.js")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    t = lambda s: gettext(language, s)  # noqa: E731
    html = env.get_template("sim_report.html").render(
        r=report,
        t=t,
        language=language,
        columns=[(k, label(k, language)) for k in SUMMARY],
        cell=lambda a, k: shown(a, k, report.currency, language),
        charts=[
            (title, json.dumps(option, ensure_ascii=False).replace("</", "<\\/"))
            for title, option in _charts(report, language)
        ],
        kpis=[(k.key, t(k.label)) for k in KPIS],
        experiments=[
            (
                e.experiment,
                e.champion,
                [
                    (
                        r.group,
                        [
                            format_value(KPI_BY_KEY[k.key], r.kpis[k.key].value, e.currency, language)
                            for k in KPIS
                        ],
                    )
                    for r in e.arms
                ],
                [comparison_text(c, language) for c in e.comparisons if c.verdict != "not_enough_data"],
            )
            for e in report.experiments
        ],
        kpi_cell=lambda a, k: format_value(
            KPI_BY_KEY[k], a.row.kpis[k].value if a.row else None, report.currency, language
        ),
    )
    paths["html"].write_text(html, encoding="utf-8")
    return paths
