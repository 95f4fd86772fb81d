"""`arrears queue next|show|release` and `arrears attempts import-dialer FILE`: the queue in a shell."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli_support import console, fail
from arrears.core.access import SYSTEM, Principal
from arrears.core.errors import ArrearsError, NotFound

queue_app = typer.Typer(
    help="The live work queue.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)
attempts_app = typer.Typer(
    help="Call attempts.", no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
)

CollectorOpt = Annotated[
    str, typer.Option("--collector", "-c", metavar="USER", help="The collector's username")
]


def _user(rt: Any, username: str) -> Principal:
    from sqlalchemy import select

    from arrears.users.principals import principal_from_row
    from arrears.users.store import users

    with rt.engine.connect() as conn:
        row = conn.execute(
            select(users).where(users.c.username == username, users.c.active.is_(True))
        ).first()
    if row is None:
        raise NotFound(f"no active user {username!r}")
    return principal_from_row(row)


def _echo(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@queue_app.command("next")
def next_command(collector: CollectorOpt) -> None:
    """Lease the next allowed contact for a collector and print it as JSON (exit 0 leased, 1 none allowed)."""
    from arrears.runtime import Runtime
    from arrears.worklist.service import next_contact

    try:
        rt = Runtime.build()
        answer = next_contact(rt, _user(rt, collector))
    except ArrearsError as exc:
        raise fail(exc) from exc
    _echo(answer)
    raise typer.Exit(0 if answer["status"] == "leased" else 1)


@queue_app.command("show")
def show_command(
    collector: Annotated[
        str | None, typer.Option("--collector", "-c", metavar="USER", help="Show this collector's queue")
    ] = None,
    team: Annotated[int | None, typer.Option("--team", metavar="ID", help="Show a team's queue")] = None,
    limit: Annotated[int, typer.Option(help="Items to show")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table")] = False,
) -> None:
    """Show a collector's or a team's open work, best first, with who holds which debtor."""
    from arrears.runtime import Runtime
    from arrears.worklist.service import queue

    try:
        rt = Runtime.build()
        if collector:
            data = queue(rt, _user(rt, collector), "mine", None, limit)
        elif team is not None:
            data = queue(rt, SYSTEM, "team", team, limit)
        else:
            raise typer.BadParameter("name --collector USER or --team ID")
    except ArrearsError as exc:
        raise fail(exc) from exc
    if as_json:
        _echo(data)
        return
    title = f"{data['scope']} queue: {data['open']} open, {data['due_now']} due now"
    table = Table(title=title)
    for col in ("item", "kind", "due", "debtor", "collector", "held by", "reason"):
        table.add_column(col)
    for it in data["items"]:
        table.add_row(
            str(it["id"]),
            it["kind"],
            it["due_at"][:16] + ("" if it["due"] else " (later)"),
            f"{it['debtor']['external_id']} {it['debtor']['name']}",
            it["collector"] or "-",
            it["held_by"] or "-",
            it["reason"][:60],
        )
    console.print(table)


@queue_app.command("release")
def release_command(
    lease_id: Annotated[int, typer.Argument(help="The lease id from `next`")], collector: CollectorOpt
) -> None:
    """Give a leased debtor back to the queue."""
    from arrears.runtime import Runtime
    from arrears.worklist.service import release

    try:
        rt = Runtime.build()
        _echo(release(rt, _user(rt, collector), lease_id))
    except ArrearsError as exc:
        raise fail(exc) from exc


@attempts_app.command("import-dialer")
def import_dialer_command(
    report: Annotated[Path, typer.Argument(metavar="FILE.csv", help="The dialer's call report (UTF-8 CSV)")],
) -> None:
    """Record a dialer's calls as external attempts; calls that broke a rule are marked (exit 1 if any)."""
    from arrears.runtime import Runtime
    from arrears.worklist.dialer import import_report

    try:
        summary = import_report(Runtime.build(), SYSTEM, report)
    except ArrearsError as exc:
        raise fail(exc) from exc
    _echo(summary)
    raise typer.Exit(1 if summary["violations"] else 0)
