"""Shared CLI helpers: a Rich progress bar behind the Progress callback, and error reporting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arrears.core.errors import ArrearsError, InputRejected
from arrears.core.progress import Progress as ProgressCallback

console = Console()
err_console = Console(stderr=True)


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """A Rich progress bar on stderr, driven through the services' Progress callback."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=None)

        def report(done: int, total: int | None = None, label: str = "") -> None:
            bar.update(task, completed=done, total=total, description=label or description)

        yield report


def fail(exc: ArrearsError) -> typer.Exit:
    """Print a user-facing error (with each field problem) and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {exc}")
    if isinstance(exc, InputRejected):
        for problem in exc.problems[:50]:
            err_console.print(f"  - {problem.describe()}", soft_wrap=True, markup=False, highlight=False)
        if len(exc.problems) > 50:
            err_console.print(f"  ... and {len(exc.problems) - 50} more (see the report file)")
    return typer.Exit(code=2)


def parse_as_of(value: str | None, default: date) -> date:
    """Parse an --as-of option (YYYY-MM-DD); the default when not given."""
    if value is None or not value.strip():
        return default
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-31", param_hint="--as-of"
        ) from None
