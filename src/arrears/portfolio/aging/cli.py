"""`arrears age --as-of DATE`: the nightly run's first step, with a progress bar and a summary table."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli_support import console, fail, parse_as_of, progress_bar
from arrears.core.access import SYSTEM
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.portfolio.aging.service import AgingSummary


def age_command(
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD", help="Age as of this date (default: today, UTC)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON, not tables")] = False,
) -> None:
    """Age the portfolio: days past due, buckets, late fees, penalty interest, bucket history, cases."""
    from arrears.core.clock import today
    from arrears.portfolio.aging.service import age_portfolio
    from arrears.runtime import Runtime

    rt = Runtime.build()
    when = parse_as_of(as_of, today(rt.clock))
    try:
        if as_json:
            summary = age_portfolio(rt, when, principal=SYSTEM)
        else:
            with progress_bar(f"Aging as of {when.isoformat()}") as report:
                summary = age_portfolio(rt, when, progress=report, principal=SYSTEM)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), default=str))
    else:
        print_summary(summary)


def print_summary(summary: AgingSummary) -> None:
    """Print the run's figures and its bucket distribution as two tables."""
    totals = Table(title=f"Aging as of {summary.as_of.isoformat()} (run {summary.run_id})", show_header=False)
    totals.add_column("what")
    totals.add_column("value", justify="right")
    totals.add_row("accounts aged", f"{summary.accounts_aged:,}")
    totals.add_row("aged for the first time", f"{summary.first_aged:,}")
    totals.add_row("bucket moves", f"{summary.bucket_moves:,}")
    totals.add_row("late fees", f"{summary.late_fees:,}")
    for currency, t in summary.by_currency.items():
        totals.add_row(f"  late fees {currency}", Money.from_minor(t.late_fees_minor, currency).format())
        totals.add_row(f"  penalty interest {currency}", Money.from_minor(t.penalty_minor, currency).format())
    totals.add_row("penalty accruals", f"{summary.penalty_accruals:,}")
    totals.add_row("cases opened", f"{summary.cases_opened:,}")
    totals.add_row("cases closed (paid)", f"{summary.cases_closed:,}")
    totals.add_row("duration", f"{summary.duration_s:.1f} s")
    console.print(totals)
    dist = Table(title="Buckets after the run")
    dist.add_column("bucket")
    dist.add_column("accounts", justify="right")
    dist.add_column("share", justify="right")
    whole = max(1, summary.accounts_aged)
    for bucket, count in summary.buckets.items():
        dist.add_row(bucket, f"{count:,}", f"{100 * count / whole:.1f}%")
    console.print(dist)
    if summary.moves:
        moves = Table(title="Bucket moves")
        moves.add_column("from > to")
        moves.add_column("accounts", justify="right")
        for move, count in summary.moves.items():
            moves.add_row(move, f"{count:,}")
        console.print(moves)
