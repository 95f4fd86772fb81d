"""`arrears audit verify` and `arrears audit list`: the hash-chained trail, as SYSTEM."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time

import typer
from rich.table import Table
from rich.text import Text

from arrears.cli_support import console, err_console, fail
from arrears.core.access import SYSTEM
from arrears.core.errors import ArrearsError
from arrears.users.audit_store import AuditFilter

audit_app = typer.Typer(help="The audit trail: verify the hash chain, list records.", no_args_is_help=True)


def parse_moment(value: str | None, option: str) -> datetime | None:
    """A date (start of that day, UTC) or an ISO date-time; a date-time without an offset is taken as UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0), tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or date-time; use e.g. 2026-03-31 or 2026-03-31T09:00:00+08:00",
            param_hint=option,
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parse_entity(value: str | None) -> tuple[str | None, str | None]:
    """'debtor' or 'debtor:42' into (entity_type, entity_id)."""
    if value is None or not value.strip():
        return None, None
    kind, _, ident = value.strip().partition(":")
    return kind or None, ident or None


@audit_app.command("verify")
def verify_command(
    anchor: str = typer.Option(None, "--anchor", metavar="SEQ:HASH",
                               help="A head printed by an earlier verify: also detects removed records"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Walk the hash chain: exit 0 when intact, 1 naming the first broken record and why."""
    from arrears.runtime import Runtime
    from arrears.users import audit_service

    try:
        rt = Runtime.build()
        anchored = audit_service.parse_anchor(anchor) if anchor else None
        report = audit_service.verify_chain(rt, SYSTEM, anchored)
    except ArrearsError as exc:
        raise fail(exc) from exc
    first = report.first_break
    if as_json:
        console.print_json(json.dumps({
            "intact": report.intact, "checked": report.checked, "head_seq": report.head_seq,
            "head_hash": report.head_hash, "guard_installed": report.guard_installed,
            "first_break": {"seq": first.seq, "reason": first.reason} if first else None,
            "breaks": [{"seq": b.seq, "reason": b.reason} for b in report.breaks],
        }))
    elif first is None:
        head = f"{report.head_seq}:{report.head_hash}" if report.head_seq else "empty"
        console.print(f"audit trail intact: {report.checked} records checked; head {head}")
        if report.head_seq:
            console.print("keep the head somewhere safe; pass it as --anchor later to detect removed records",
                          style="dim")
    else:
        err_console.print(f"[bold red]audit trail BROKEN[/] at seq {first.seq}: {first.reason}",
                          highlight=False)
        for extra in [b for b in report.breaks if b is not first][:20]:
            err_console.print(f"  also seq {extra.seq}: {extra.reason}", highlight=False)
        if len(report.breaks) > 21:
            err_console.print(f"  ... and {len(report.breaks) - 21} more")
        err_console.print(f"{report.checked} records checked")
    for note in report.notes:
        err_console.print(f"[yellow]warning:[/] {note}")
    if not report.intact:
        raise typer.Exit(code=1)


@audit_app.command("list")
def list_command(
    entity: str = typer.Option(None, "--entity", metavar="TYPE[:ID]", help="e.g. debtor or debtor:42"),
    actor: str = typer.Option(None, "--actor", help="Username that acted"),
    action: str = typer.Option(None, "--action", help="e.g. pii.unmask, or payment.* for a family"),
    since: str = typer.Option(None, "--since", help="From this date or date-time (UTC unless an offset)"),
    until: str = typer.Option(None, "--until", help="Before this date or date-time"),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="Most records to show, newest first"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines"),
) -> None:
    """List audit records, newest first, filtered by entity, actor, action and time."""
    from arrears.runtime import Runtime
    from arrears.users import audit_service

    kind, ident = parse_entity(entity)
    f = AuditFilter(entity_type=kind, entity_id=ident, actor=actor or None, action=action or None,
                    since=parse_moment(since, "--since"), until=parse_moment(until, "--until"))
    try:
        page = audit_service.list_records(Runtime.build(), SYSTEM, f, limit)
    except ArrearsError as exc:
        raise fail(exc) from exc
    if as_json:
        for e in page.items:
            typer.echo(json.dumps({
                "seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "actor_role": e.actor_role,
                "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id,
                "details": e.details, "hash": e.hash,
            }, ensure_ascii=False, sort_keys=True))
        return
    if not page.items:
        console.print("no audit records match")
        return
    table = Table(title=f"audit records ({len(page.items)} of {page.total}, newest first)")
    for column in ("seq", "at (UTC)", "actor", "action", "entity", "details"):
        table.add_column(column, overflow="fold")
    for e in page.items:
        cells = (str(e.seq), e.at.strftime("%Y-%m-%d %H:%M:%S"), f"{e.actor} ({e.actor_role})", e.action,
                 f"{e.entity_type}:{e.entity_id}", json.dumps(e.details, ensure_ascii=False, sort_keys=True))
        table.add_row(*(Text(c) for c in cells))  # Text: recorded values are never read as Rich markup
    console.print(table)
