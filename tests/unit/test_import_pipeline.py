"""The import loop writes behind in a thread on PostgreSQL (accounts): batches in file order, every count
kept, a write error raised to the caller and the parser stopped; inline elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from arrears.core.errors import FieldProblem
from arrears.core.progress import no_progress
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.portfolio.importing.kinds import BatchOutcome
from arrears.portfolio.importing.parsing import Validated
from arrears.portfolio.importing.pipeline import Tally, run_batches
from arrears.portfolio.importing.report import ImportResult, ReportWriter


class _Handler:
    """Records which thread wrote which batch; optionally fails on one batch."""

    def __init__(self, checks_on_write: bool = False, fail_on: int | None = None) -> None:
        self.checks_on_write = checks_on_write
        self.fail_on = fail_on
        self.written: list[list[Any]] = []
        self.threads: set[str] = set()

    def write(self, records: list[Any]) -> BatchOutcome:
        self.threads.add(threading.current_thread().name)
        if self.fail_on is not None and records[0] == self.fail_on:
            raise RuntimeError("disk full")
        self.written.append(records)
        return BatchOutcome(new=len(records) - 1, unchanged=1)

    def close(self) -> None:
        """Nothing to release."""


class _Batches:
    """Validated batches of 3 records each; remembers whether the loop closed it."""

    def __init__(self, count: int, rejected_in: int | None = None) -> None:
        self.count = count
        self.rejected_in = rejected_in
        self.closed = False

    def __iter__(self) -> Iterator[Validated]:
        for k in range(self.count):
            rejected = ([(3 * k + 2, ["x"], [FieldProblem(3 * k + 2, "principal", "x", "not a number")])]
                        if k == self.rejected_in else [])
            yield Validated(3, [3 * k, 3 * k + 1, 3 * k + 2], rejected, bytes_read=100 * (k + 1))

    def close(self) -> None:
        self.closed = True


STORED: list[Any] = []


def _run(dialect: str, handler: _Handler, batches: _Batches, quarantine: bool = False) -> ImportResult:
    result = ImportResult(reference="IMP-1", kind="accounts", file="a.csv", encoding="utf-8")
    plan = ColumnPlan("accounts", headers=["principal"], index={"principal": 0}, defaults={}, warnings=[])
    tally = Tally(result, ReportWriter(None), plan, quarantine, batch_id=1)
    STORED.clear()
    conn: Any = SimpleNamespace(dialect=SimpleNamespace(name=dialect),
                                execute=lambda *args: STORED.append(args))
    run_batches(conn, handler, batches, tally, quarantine, no_progress, "importing accounts", 1000)
    return result


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_every_batch_is_written_in_order_and_counted(dialect: str) -> None:
    handler = _Handler()
    result = _run(dialect, handler, _Batches(5))
    assert handler.written == [[3 * k, 3 * k + 1, 3 * k + 2] for k in range(5)]
    assert (result.rows_total, result.rows_new, result.rows_unchanged) == (15, 10, 5)
    behind = handler.threads != {threading.current_thread().name}
    assert behind is (dialect == "postgresql")


def test_handlers_that_can_refuse_rows_write_inline() -> None:
    handler = _Handler(checks_on_write=True)
    _run("postgresql", handler, _Batches(2))
    assert handler.threads == {threading.current_thread().name}


def test_a_write_error_reaches_the_caller_and_stops_the_parser() -> None:
    handler = _Handler(fail_on=6)  # the third batch
    batches = _Batches(50)
    with pytest.raises(RuntimeError, match="disk full"):
        _run("postgresql", handler, batches)
    assert batches.closed
    assert len(handler.written) == 2  # nothing after the failed batch


def test_after_a_rejected_row_nothing_more_is_written_unless_quarantining() -> None:
    handler = _Handler()
    result = _run("postgresql", handler, _Batches(4, rejected_in=1))
    assert len(handler.written) == 1 and result.rows_rejected == 1 and result.rows_total == 12
    kept = _Handler()
    result = _run("postgresql", kept, _Batches(4, rejected_in=1), quarantine=True)
    assert len(kept.written) == 4 and result.rows_rejected == 1
    assert [row["row_number"] for _, rows in STORED for row in rows] == [5]  # kept in import_rejects
