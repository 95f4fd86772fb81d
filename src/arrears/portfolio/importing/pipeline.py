"""The import loop: validated batches (inline or from a parser process) are written in file order on the
import's one connection, inside its one transaction; rejected rows are counted, reported and, when
quarantining, stored in import_rejects.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from arrears.core.errors import FieldProblem
from arrears.core.progress import Progress
from arrears.portfolio.aging.pipeline import behind
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.portfolio.importing.kinds import BatchOutcome, Handler
from arrears.portfolio.importing.parsing import Validated
from arrears.portfolio.importing.report import ImportResult, ReportWriter
from arrears.portfolio.importing.schemas import raw_record
from arrears.portfolio.store import import_rejects

REJECTS_PER_INSERT = 1_000


class Tally:
    """Counts, the problem report and the quarantined rows of one import."""

    def __init__(self, result: ImportResult, report: ReportWriter, plan: ColumnPlan, quarantine: bool,
                 batch_id: int) -> None:
        self.result = result
        self.report = report
        self.plan = plan
        self.quarantine = quarantine
        self.batch_id = batch_id
        self.pending: list[dict[str, Any]] = []

    def reject(self, row: int, cells: list[Any], problems: list[FieldProblem]) -> None:
        """Count a rejected row, report its problems, keep it for import_rejects when quarantining."""
        self.result.rows_rejected += 1
        self.report.add(problems)
        if self.quarantine:
            raw = json.dumps(raw_record(self.plan, cells), ensure_ascii=False)
            self.pending.extend({"batch_id": self.batch_id, "row_number": row, "field": p.field[:64],
                                 "value": p.value, "reason": p.reason, "raw": raw} for p in problems)

    def outcome(self, outcome: BatchOutcome) -> None:
        """Add a written batch's counts (and the rows the database state refused)."""
        self.result.rows_new += outcome.new
        self.result.rows_changed += outcome.changed
        self.result.rows_unchanged += outcome.unchanged
        for row, cells, problems in outcome.rejected:
            self.reject(row, cells, problems)

    def store_rejects(self, conn: Connection) -> None:
        """Insert the quarantined rows kept so far."""
        _insert_rejects(conn, self.pending)
        self.pending = []


def run_batches(conn: Connection, handler: Handler, batches: Iterable[Validated], tally: Tally,
                quarantine: bool, progress: Progress, label: str, total: int | None) -> None:
    """Write every validated batch; after the first rejected row of an all-or-nothing import, rows that
    need no database check are no longer written (the transaction will be rolled back anyway).

    On PostgreSQL, a handler that cannot refuse rows (accounts) writes behind in a thread, in order, so
    the server stores batch k while this thread takes in batch k+1; everything else runs inline.
    """
    result = tally.result
    writing = True
    done = 0
    threaded = conn.dialect.name == "postgresql" and not handler.checks_on_write
    outcomes: deque[BatchOutcome] = deque()  # written behind, counted here

    def write(records: list[Any]) -> Callable[[], None]:
        return lambda: outcomes.append(handler.write(records))

    def store(pending: list[dict[str, Any]]) -> Callable[[], None]:
        return lambda: _insert_rejects(conn, pending)

    with behind(_call) if threaded else nullcontext(_Inline()) as writer:
        try:
            for batch in batches:
                result.rows_total += batch.rows
                for row, cells, problems in batch.rejected:
                    tally.reject(row, cells, problems)
                writing = writing and (quarantine or handler.checks_on_write or result.rows_rejected == 0)
                if writing and batch.records:
                    writer.submit(write(batch.records))
                while outcomes:
                    tally.outcome(outcomes.popleft())
                if len(tally.pending) >= REJECTS_PER_INSERT:
                    writer.submit(store(tally.pending))
                    tally.pending = []
                done = batch.bytes_read
                progress(done, total, f"{label}: {result.rows_total:,} rows")
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()  # stops a parser process at once when writing failed
    while outcomes:
        tally.outcome(outcomes.popleft())
    tally.store_rejects(conn)
    progress(total or done, total, f"{label}: {result.rows_total:,} rows")


def _call(job: Callable[[], None]) -> None:
    job()


class _Inline:
    """The writer interface, done at once in this thread."""

    @staticmethod
    def submit(job: Callable[[], None]) -> None:
        """Run the job now."""
        job()


def _insert_rejects(conn: Connection, pending: list[dict[str, Any]]) -> None:
    if pending:
        conn.execute(insert(import_rejects), pending)
