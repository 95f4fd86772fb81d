"""`arrears best-time refresh` and `arrears best-time show DEBTOR_ID` (they act as SYSTEM)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from arrears.cli_support import console, fail
from arrears.core.errors import ArrearsError

best_time_app = typer.Typer(no_args_is_help=True, add_completion=False)


@best_time_app.command("refresh")
def refresh_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    full: Annotated[bool, typer.Option("--full", help="Recount every call, not only the new ones")] = False,
) -> None:
    """Count the calls by the debtors' local weekday x hour and recompute the smoothed segment rates."""
    from arrears.core.access import SYSTEM
    from arrears.runtime import Runtime
    from arrears.strategy.best_time.service import refresh_best_time

    rt = Runtime.build()
    try:
        summary = refresh_best_time(rt, SYSTEM, full=full)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        typer.echo(json.dumps(asdict(summary)))
        return
    debtors = "" if summary.debtors_with_history is None else f" of {summary.debtors_with_history:,} debtors"
    console.print(f"{summary.mode} refresh: {summary.attempts:,} calls ({summary.rpcs:,} right-party "
                  f"contacts){debtors} in the window; {summary.segments} segments refreshed")


@best_time_app.command("show")
def show_command(
    debtor_id: Annotated[int, typer.Argument(help="Debtor id")],
    on: Annotated[str | None, typer.Option("--date", metavar="YYYY-MM-DD",
                                           help="Local date (default: today in the debtor's zone)")] = None,
) -> None:
    """Show a debtor's RPC chance by local hour on a date and the best hours."""
    from arrears.core.access import SYSTEM
    from arrears.runtime import Runtime
    from arrears.strategy.best_time.service import debtor_best_time

    rt = Runtime.build()
    try:
        day = date.fromisoformat(on) if on else None
        result = debtor_best_time(rt, SYSTEM, debtor_id, day)
    except ValueError:
        raise typer.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    title = f"Debtor {debtor_id}, {result.local_date} ({result.timezone}), segment {result.segment}"
    table = Table(title=title)
    table.add_column("local hour")
    table.add_column("RPC chance", justify="right")
    best = {h for h, _ in result.best}
    for hour, chance in result.hours.items():
        table.add_row(f"{hour:02d}:00" + (" *" if hour in best else ""), f"{chance:.3f}")
    console.print(table)
    console.print("* best hours (advisory: the contact policy still decides when a call is allowed)")
