"""`arrears backup create [PATH]`, `arrears backup restore PATH --yes` (SQLite; PostgreSQL: docs)."""

from __future__ import annotations

from pathlib import Path

import typer

from arrears.cli_support import console, err_console, fail
from arrears.core.access import SYSTEM
from arrears.core.errors import ArrearsError

backup_app = typer.Typer(help="Back up and restore the SQLite database.", no_args_is_help=True)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"  # pragma: no cover


@backup_app.command("create")
def create_command(
    path: Path = typer.Argument(None, help="File or folder (default var/backups/arrears-YYYYMMDD-HHMMSS.db)"),
) -> None:
    """Copy the live SQLite database (online backup API), verify it, print path, size and SHA-256."""
    from arrears.runtime import Runtime
    from arrears.users import backup

    try:
        result = backup.create_backup(Runtime.build(), SYSTEM, path)
    except ArrearsError as exc:
        raise fail(exc) from exc
    console.print(f"backup written: {result.path}", highlight=False, soft_wrap=True)
    console.print(f"  size     {_size(result.size)} ({result.size} bytes)")
    console.print(f"  sha256   {result.sha256}")
    console.print(f"  schema   revision {result.revision}; integrity_check {result.integrity}")
    if result.chain_intact:
        console.print(f"  audit    chain intact ({result.audit_checked} records)")
        if result.audit_head:
            console.print(f"  anchor   {result.audit_head}  (keep it: `arrears audit verify --anchor ...`)",
                          highlight=False)
    else:
        first = result.audit_breaks[0]
        err_console.print(f"[bold red]warning:[/] the audit chain in this copy (and in the live database) is "
                          f"broken at seq {first.seq}: {first.reason}; run `arrears audit verify`",
                          highlight=False)
        raise typer.Exit(code=1)


@backup_app.command("restore")
def restore_command(
    path: Path = typer.Argument(..., help="A backup made by `arrears backup create`"),
    yes: bool = typer.Option(False, "--yes", help="Confirm: the current database is replaced (kept aside)"),
    accept_broken_chain: bool = typer.Option(False, "--accept-broken-chain",
                                             help="Restore even if the backup's audit chain is broken"),
) -> None:
    """Replace the SQLite database with a verified backup; the current one is kept as *.before-restore."""
    from arrears.runtime import Runtime
    from arrears.users import backup

    try:
        rt = Runtime.build()
        if not yes:
            database = backup.sqlite_path(rt.settings)
            checked = backup.inspect_backup(path)
            err_console.print(
                f"{path} is a valid Arrears backup (revision {checked.revision}, "
                f"{checked.audit_checked} audit records). Restoring replaces {database}; stop the server, "
                "then rerun with --yes.",
                highlight=False, soft_wrap=True,
            )
            raise typer.Exit(code=2)
        done = backup.restore_backup(rt, SYSTEM, path, confirmed=True,
                                     accept_broken_chain=accept_broken_chain)
    except ArrearsError as exc:
        raise fail(exc) from exc
    console.print(f"restored {done.database} from {path}", highlight=False, soft_wrap=True)
    if done.previous_saved_as:
        console.print(f"  previous database kept as {done.previous_saved_as}", highlight=False,
                      soft_wrap=True)
    if done.upgraded_from:
        console.print(f"  schema upgraded from {done.upgraded_from} to {done.result.revision}")
    state = "intact" if done.result.chain_intact else "BROKEN"
    console.print(f"  integrity_check {done.result.integrity}; audit chain {state} "
                  f"({done.result.audit_checked} records)")
    if not done.result.chain_intact or done.result.integrity != "ok":
        raise typer.Exit(code=1)
