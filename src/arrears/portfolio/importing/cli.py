"""`arrears import accounts|contacts|payments FILE`: progress bar, summary table, problems, exit code 2."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail, progress_bar
from arrears.core.access import SYSTEM
from arrears.core.errors import ArrearsError
from arrears.portfolio.importing.report import ImportRejected, ImportResult

import_app = typer.Typer(
    help="Import accounts, contacts or payments from CSV/XLSX.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
SHOWN_PROBLEMS = 50


def _summary(result: ImportResult) -> Table:
    table = Table(title=f"{result.kind} from {result.file} ({result.reference}, {result.status})")
    for column in ("new", "changed", "unchanged", "rejected", "total"):
        table.add_column(column, justify="right")
    counts = (result.rows_new, result.rows_changed, result.rows_unchanged, result.rows_rejected,
              result.rows_total)
    table.add_row(*(f"{n:,}" for n in counts))
    return table


def _show(result: ImportResult, to_err: bool = False) -> None:
    out = err_console if to_err else console
    out.print(_summary(result))
    out.print(f"encoding: {result.encoding or '-'}")
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/] {warning}")
    if not to_err:
        for problem in result.problems[:SHOWN_PROBLEMS]:
            out.print(f"  - {problem.describe()}", soft_wrap=True)
        if result.problems_total > SHOWN_PROBLEMS:
            out.print(f"  ... and {result.problems_total - SHOWN_PROBLEMS:,} more problems")
    if result.report_path:
        out.print(f"report: {result.report_path}", soft_wrap=True)


def run_import(
    kind: str,
    file: Path,
    encoding: str | None,
    mapping: Path | None,
    quarantine: bool,
    dry_run: bool,
    report: Path | None,
) -> None:
    """Run one import from the command line and print its outcome."""
    from arrears.portfolio.importing.service import import_file
    from arrears.runtime import Runtime

    rt = Runtime.build()
    actor = os.environ.get("USER") or "cli"
    try:
        with progress_bar(f"importing {kind}") as progress:
            result = import_file(
                rt,
                kind,
                file,
                encoding=encoding,
                mapping=mapping,
                quarantine=quarantine,
                dry_run=dry_run,
                progress=progress,
                actor=f"cli:{actor}"[:64],
                report=report,
                principal=SYSTEM,
            )
    except ImportRejected as exc:
        _show(exc.result, to_err=True)
        raise fail(exc) from exc
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    _show(result)
    if result.status == "dry_run":
        console.print("dry run: nothing was written")


def _command(kind: str):  # type: ignore[no-untyped-def]
    def command(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV or XLSX file"),
        encoding: str = typer.Option(None, "--encoding", help="Force the CSV encoding (utf-8, gb18030...)"),
        mapping: Path = typer.Option(
            None,
            "--mapping",
            exists=True,
            dir_okay=False,
            help="YAML mapping of headers to fields, defaults, encoding",
        ),
        quarantine: bool = typer.Option(False, "--quarantine", help="Import good rows, set bad rows aside"),
        dry_run: bool = typer.Option(False, "--dry-run", help="Check and count everything, write nothing"),
        report: Path = typer.Option(None, "--report", dir_okay=False, help="Write the problem report here"),
    ) -> None:
        run_import(kind, file, encoding, mapping, quarantine, dry_run, report)

    command.__doc__ = f"Import {kind} from a CSV or XLSX file (all-or-nothing unless --quarantine)."
    return command


import_app.command("accounts")(_command("accounts"))
import_app.command("contacts")(_command("contacts"))
import_app.command("payments")(_command("payments"))
