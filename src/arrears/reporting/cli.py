"""`arrears report kpis|trend|rolls|cohorts|arms|refresh`: the reports on the command line (as SYSTEM).

Tables go to the terminal; `--format csv` writes CSV to --out (or stdout), `--format xlsx` needs --out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail, progress_bar
from arrears.core.access import SYSTEM
from arrears.core.errors import ArrearsError, FieldProblem, InputRejected
from arrears.core.i18n import gettext
from arrears.reporting import exports
from arrears.reporting.model import Dimension, Filters, Grain, Period

report_app = typer.Typer(
    help="KPIs, trends, roll rates, recovery curves and champion/challenger tests.", no_args_is_help=True
)
T = TypeVar("T")
TRANSPOSE_UP_TO = 6  # groups shown as columns (figures as lines) up to this many

FromOpt = Annotated[
    str | None, typer.Option("--from", metavar="YYYY-MM-DD", help="First day (default: 30 days ago)")
]
ToOpt = Annotated[str | None, typer.Option("--to", metavar="YYYY-MM-DD", help="Last day (default: today)")]
TeamOpt = Annotated[int | None, typer.Option("--team", help="Team id")]
CollectorOpt = Annotated[int | None, typer.Option("--collector", help="Collector (user) id")]
BucketOpt = Annotated[str | None, typer.Option("--bucket", help="Bucket, e.g. M2")]
ProductOpt = Annotated[
    str | None, typer.Option("--product", help="credit_card | consumer_loan | business_receivable")
]
ExperimentOpt = Annotated[str | None, typer.Option("--experiment", help="Experiment (for --by arm or --arm)")]
ArmOpt = Annotated[str | None, typer.Option("--arm", help="One arm of --experiment")]
CurrencyOpt = Annotated[str | None, typer.Option("--currency", help="Money KPIs in this currency")]
FormatOpt = Annotated[str, typer.Option("--format", help="table | csv | xlsx")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Write the export to this file")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of headers and statements: en | zh-CN")]


def _day(value: str | None, option: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def _period(rt: Any, start: str | None, end: str | None) -> Period:
    from arrears.reporting import service

    last = _day(end, "--to") or service.default_period(rt).end
    first = _day(start, "--from") or last - timedelta(days=29)
    try:
        return Period(first, last)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from None


def _run(action: Callable[[Any], T]) -> T:
    from arrears.runtime import Runtime

    rt = Runtime.build()
    try:
        return action(rt)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()


def _check_format(fmt: str, out: Path | None) -> str:
    fmt = fmt.strip().lower()
    if fmt not in ("table", *exports.FORMATS):
        raise typer.BadParameter(f"{fmt!r}: use table, csv or xlsx", param_hint="--format")
    if fmt == "xlsx" and out is None:
        raise typer.BadParameter("an XLSX export needs --out FILE", param_hint="--out")
    return fmt


def _emit(sheets: list[exports.Sheet], fmt: str, out: Path | None) -> None:
    if fmt == "table":
        for sheet in sheets:
            _print(sheet)
        return
    content, _, _ = exports.render(sheets, fmt)
    if out is None:
        typer.echo(content.decode("utf-8-sig"), nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    err_console.print(f"wrote {out} ({len(content):,} bytes)")


def _print(sheet: exports.Sheet) -> None:
    if len(sheet.rows) <= TRANSPOSE_UP_TO and len(sheet.headers) > 8:
        _print_transposed(sheet)
        return
    table = Table(title=sheet.title)
    for header, kind in sheet.headers:
        table.add_column(header, justify="left" if kind == exports.TEXT else "right", overflow="fold")
    for row in sheet.rows:
        table.add_row(*(_cell(v, kind) for v, (_, kind) in zip(row, sheet.headers, strict=True)))
    console.print(table)


def _print_transposed(sheet: exports.Sheet) -> None:
    """Few groups, many figures: one column per group, one line per figure (fits a terminal)."""
    (first, _), *figures = sheet.headers
    table = Table(title=sheet.title)
    table.add_column(first)
    for row in sheet.rows:
        table.add_column(str(row[0]), justify="right")
    for i, (header, kind) in enumerate(figures, start=1):
        table.add_row(header, *(_cell(row[i], kind) for row in sheet.rows))
    console.print(table)


def _cell(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == exports.PERCENT:
        return f"{float(value) * 100:.1f}%"
    if kind == exports.INT:
        return f"{int(value):,}"
    if kind in (exports.MONEY, exports.NUMBER):
        return f"{value:,.2f}"
    return str(value)


@report_app.command("kpis")
def kpis_command(
    start: FromOpt = None,
    end: ToOpt = None,
    by: Annotated[str | None, typer.Option("--by", help="team | collector | bucket | product | arm")] = None,
    team: TeamOpt = None,
    collector: CollectorOpt = None,
    bucket: BucketOpt = None,
    product: ProductOpt = None,
    experiment: ExperimentOpt = None,
    arm: ArmOpt = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Every KPI over a period, by team, collector, bucket, product or strategy arm."""
    from arrears.reporting import service

    fmt = _check_format(fmt, out)
    try:
        dimension = Dimension(by) if by else None
    except ValueError:
        raise typer.BadParameter(
            f"{by!r}: use team, collector, bucket, product or arm", param_hint="--by"
        ) from None
    filters = Filters(team, collector, bucket, product, experiment, arm)
    table = _run(
        lambda rt: service.kpi_table(rt, SYSTEM, _period(rt, start, end), dimension, filters, currency)
    )
    _emit([exports.kpi_sheet(table, lang)], fmt, out)


@report_app.command("trend")
def trend_command(
    start: FromOpt = None,
    end: ToOpt = None,
    grain: Annotated[str, typer.Option("--grain", help="day | week | month")] = "day",
    team: TeamOpt = None,
    bucket: BucketOpt = None,
    product: ProductOpt = None,
    experiment: ExperimentOpt = None,
    arm: ArmOpt = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Every KPI per day, week or month."""
    from arrears.reporting import service

    fmt = _check_format(fmt, out)
    try:
        step = Grain(grain)
    except ValueError:
        raise typer.BadParameter(f"{grain!r}: use day, week or month", param_hint="--grain") from None
    filters = Filters(team, None, bucket, product, experiment, arm)

    def action(rt: Any) -> tuple[Any, str]:
        cur = (currency or rt.settings.default_currency).upper()
        return service.trend(rt, SYSTEM, _period(rt, start, end), step, filters, cur), cur

    points, cur = _run(action)
    _emit([exports.trend_sheet(points, cur, lang)], fmt, out)


@report_app.command("rolls")
def rolls_command(
    start: Annotated[
        str | None, typer.Option("--from", metavar="YYYY-MM", help="First snapshot month")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM", help="Last snapshot month")] = None,
    team: TeamOpt = None,
    product: ProductOpt = None,
    experiment: ExperimentOpt = None,
    arm: ArmOpt = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Roll and cure rates per bucket, month by month, from the bucket history."""
    from arrears.portfolio.aging.rules import bucket_labels
    from arrears.reporting import service
    from arrears.reporting.rules import add_months, month_start

    fmt = _check_format(fmt, out)
    filters = Filters(team, None, None, product, experiment, arm)

    def action(rt: Any) -> tuple[Any, list[str]]:
        last = _month(end, "--to") or add_months(month_start(service.default_period(rt).end), -1)
        first = _month(start, "--from") or add_months(last, -5)
        return service.rolls(rt, SYSTEM, first, last, filters), list(
            bucket_labels(rt.settings.bucket_thresholds)
        )

    rows, buckets = _run(action)
    _emit([exports.roll_sheet(rows, buckets, lang)], fmt, out)


def _month(value: str | None, option: str) -> date | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    return _day(text + "-01" if len(text) == 7 else text, option)


@report_app.command("cohorts")
def cohorts_command(
    start: Annotated[str | None, typer.Option("--from", metavar="YYYY-MM", help="First cohort month")] = None,
    end: Annotated[str | None, typer.Option("--to", metavar="YYYY-MM", help="Last cohort month")] = None,
    product: ProductOpt = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Recovery curves by month of entry into delinquency."""
    from arrears.reporting import service
    from arrears.reporting.rules import add_months, month_start

    fmt = _check_format(fmt, out)

    def action(rt: Any) -> tuple[Any, str]:
        cur = (currency or rt.settings.default_currency).upper()
        last = _month(end, "--to") or month_start(service.default_period(rt).end)
        first = _month(start, "--from") or add_months(last, -11)
        return service.cohorts(rt, SYSTEM, first, last, Filters(product=product), cur), cur

    points, cur = _run(action)
    _emit([exports.cohort_sheet(points, cur, lang)], fmt, out)


@report_app.command("arms")
def arms_command(
    experiment: Annotated[str, typer.Option("--experiment", help="The experiment to test")],
    start: FromOpt = None,
    end: ToOpt = None,
    champion: Annotated[
        str | None, typer.Option("--champion", help="Champion arm (default: 'champion')")
    ] = None,
    team: TeamOpt = None,
    bucket: BucketOpt = None,
    product: ProductOpt = None,
    currency: CurrencyOpt = None,
    fmt: FormatOpt = "table",
    out: OutOpt = None,
    lang: LangOpt = "en",
) -> None:
    """Every KPI per arm and, for each challenger, whether it differs significantly from the champion."""
    from arrears.reporting import service

    fmt = _check_format(fmt, out)
    filters = Filters(team, None, bucket, product, experiment, None)
    report = _run(
        lambda rt: service.arm_report(
            rt, SYSTEM, experiment, _period(rt, start, end), filters, currency, lang, champion=champion
        )
    )
    if not report.arms:
        err_console.print(
            gettext(lang, "No activity for experiment %(name)s in this period.") % {"name": experiment}
        )
        raise typer.Exit(code=1)
    sheets = exports.arm_sheets(report, lang)
    if fmt == "table":
        _print(sheets[0])
        for c in report.comparisons:
            console.print(f"• {c.statement}", highlight=False, soft_wrap=True)
        return
    _emit(sheets, fmt, out)


@report_app.command("refresh")
def refresh_command(
    as_of: Annotated[
        str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="Last day (default: today)")
    ] = None,
    start: FromOpt = None,
    everything: Annotated[bool, typer.Option("--all", help="From the first day with data")] = False,
) -> None:
    """Rebuild the summaries the reports read (the nightly run does the last 7 days; this, 40 by default)."""
    from arrears.reporting import service

    last, first = _day(as_of, "--as-of"), _day(start, "--from")
    if first and last and first > last:
        raise fail(
            InputRejected("bad range", [FieldProblem(0, "--from", first.isoformat(), "after --as-of")])
        )

    def action(rt: Any) -> Any:
        with progress_bar("Refreshing report summaries") as report:
            return service.refresh(rt, SYSTEM, last, first, everything, progress=report)

    done = _run(action)
    console.print(
        f"report summaries rebuilt for {done.start} to {done.end} ({done.days} days): "
        f"{done.activity_rows:,} activity rows, {done.payment_rows:,} payments, {done.roll_rows:,} roll "
        f"rows, {done.cohort_rows:,} cohort rows in {done.seconds:.1f} s"
    )
