"""The import use case: stream a file, validate every row, write in batches, all in one transaction.

Default is all-or-nothing: any bad row rolls everything back (no batch row either) and raises
`ImportRejected` (an `InputRejected`). With `quarantine`, good rows go in and the bad rows are kept in
`import_rejects`. A dry run does all the work and rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, update
from sqlalchemy.engine import Connection

from arrears.core.access import SYSTEM, Permission, Principal, require
from arrears.core.clock import today as clock_today
from arrears.core.errors import InputRejected
from arrears.core.ids import new_reference
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.importing import parsing
from arrears.portfolio.importing.headers import (
    KINDS,
    ColumnPlan,
    Mapping,
    header_score,
    load_mapping,
    plan_columns,
)
from arrears.portfolio.importing.kinds import BATCH_SIZES, Context, make_handler, make_validator
from arrears.portfolio.importing.parsing import Finished, Job, Validated
from arrears.portfolio.importing.pipeline import Tally, run_batches
from arrears.portfolio.importing.reader import RowSource, open_rows
from arrears.portfolio.importing.report import ImportRejected, ImportResult, ReportWriter
from arrears.portfolio.store import import_batches, import_rejects
from arrears.runtime import Runtime

SQLITE_CACHE_KB = 131_072  # page cache while importing (SQLite's default is 2 MB)


@dataclass
class _Import:
    """One import in progress."""

    rt: Runtime
    kind: str
    path: Path
    encoding: str | None
    layout: Mapping | None
    source: RowSource
    plan: ColumnPlan
    result: ImportResult
    report: ReportWriter
    quarantine: bool
    dry_run: bool
    progress: Progress
    actor: str | None


def import_file(
    rt: Runtime,
    kind: str,
    path: Path,
    *,
    encoding: str | None = None,
    mapping: Path | None = None,
    quarantine: bool = False,
    dry_run: bool = False,
    progress: Progress = no_progress,
    actor: str | None = None,
    report: Path | None = None,
    file_name: str | None = None,
    principal: Principal = SYSTEM,
) -> ImportResult:
    """Import one CSV/XLSX file of `kind` (accounts, contacts, payments); see the module docstring."""
    require(principal, Permission.PORTFOLIO_IMPORT)
    if kind not in KINDS:
        raise InputRejected(f"unknown import kind {kind!r} (one of: {', '.join(KINDS)})")
    path = Path(path)
    if not path.is_file():
        raise InputRejected(f"{path}: no such file")
    layout = load_mapping(Path(mapping), kind) if mapping else None
    encoding = encoding or (layout.encoding if layout else None)
    source = open_rows(path, encoding, header_score(kind, layout))
    name = file_name or source.name
    plan = plan_columns(kind, source.headers, layout, file=name)
    reference = new_reference("IMP")
    result = ImportResult(reference=reference, kind=kind, file=name, encoding=source.encoding,
                          warnings=list(plan.warnings))
    writer = ReportWriter(report or rt.settings.var_dir / "reports" / f"{reference}-{kind}.csv",
                          always=report is not None)
    job = _Import(rt, kind, path, encoding, layout, source, plan, result, writer, quarantine, dry_run,
                  progress, actor)
    try:
        with rt.engine.connect() as conn:
            _run(conn, job)
    finally:
        result.report_path = writer.close()
    result.problems, result.problems_total = writer.kept, writer.count
    if result.rows_rejected and not quarantine:
        rows = result.rows_rejected
        raise ImportRejected(
            f"{name}: {rows} row{'s' if rows != 1 else ''} rejected; nothing was imported"
            + (f" (report: {result.report_path})" if result.report_path else ""), result.problems, result)
    return result


def _run(conn: Connection, job: _Import) -> None:
    """The one transaction: batch row, every batch, the batch's counts; commit or roll back."""
    result, now = job.result, job.rt.clock.now()
    postgres = conn.dialect.name == "postgresql"
    trans = conn.begin()
    try:
        conn.exec_driver_sql("SET LOCAL synchronous_commit = off" if postgres
                             else f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
        batch_id = conn.execute(insert(import_batches).values(
            reference=result.reference, kind=job.kind, file_name=result.file[:400], file_sha256="",
            started_at=now, status="running", actor=job.actor).returning(import_batches.c.id)).scalar_one()
        today = clock_today(job.rt.clock)
        handler = make_handler(job.kind, Context(conn, job.plan, job.rt.settings, now, today, result.file))
        done = Finished()
        try:
            tally = Tally(result, job.report, job.plan, job.quarantine, batch_id)
            total = job.source.rows_hint if job.source.format == "xlsx" else job.source.size
            run_batches(conn, handler, _batches(job, done), tally, job.quarantine, job.progress,
                        f"importing {job.kind}", total)
        finally:
            handler.close()
        result.sha256 = done.sha256
        result.encoding = done.encoding if job.source.format == "csv" else "xlsx"
        failed = result.rows_rejected > 0 and not job.quarantine
        result.status = ("rejected" if failed else "dry_run" if job.dry_run
                         else "quarantined" if result.rows_rejected else "committed")
        conn.execute(update(import_batches).where(import_batches.c.id == batch_id).values(
            file_sha256=result.sha256, encoding=(result.encoding or "")[:16], finished_at=job.rt.clock.now(),
            status=result.status, rows_total=result.rows_total, rows_new=result.rows_new,
            rows_changed=result.rows_changed, rows_unchanged=result.rows_unchanged,
            rows_rejected=result.rows_rejected))
        if failed or job.dry_run:
            trans.rollback()
        else:
            trans.commit()
    except BaseException:
        if trans.is_active:
            trans.rollback()
        raise
    finally:
        if not postgres:
            conn.exec_driver_sql("PRAGMA cache_size = -2000")


def _batches(job: _Import, done: Finished) -> Iterator[Validated]:
    """Validated batches: from a parser process for big files, else validated inline."""
    size = BATCH_SIZES[job.kind]
    if job.source.size >= parsing.PARALLEL_PARSE_BYTES:
        settings, today = job.rt.settings, clock_today(job.rt.clock)
        return parsing.process_batches(Job(job.kind, job.path, job.encoding, job.layout, settings, today,
                                           job.result.file, size), done)
    today = clock_today(job.rt.clock)
    validator = make_validator(job.kind, job.plan, job.rt.settings, today, job.result.file)
    return parsing.inline_batches(job.source, validator, size, done)


def recent_batches(rt: Runtime, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent import batches, newest first."""
    with rt.engine.connect() as conn:
        rows = conn.execute(import_batches.select().order_by(import_batches.c.id.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def batch_detail(rt: Runtime, reference: str, limit: int = 1000) -> dict[str, Any] | None:
    """One batch with its quarantined rows (None when the reference is unknown)."""
    with rt.engine.connect() as conn:
        batch = conn.execute(import_batches.select().where(import_batches.c.reference == reference)).first()
        if batch is None:
            return None
        rejects = conn.execute(import_rejects.select().where(import_rejects.c.batch_id == batch.id)
                               .order_by(import_rejects.c.row_number, import_rejects.c.id).limit(limit))
        count = conn.execute(func.count().select().select_from(import_rejects)
                             .where(import_rejects.c.batch_id == batch.id)).scalar_one()
        out = dict(batch._mapping)
        out["rejects"] = [dict(r._mapping) for r in rejects]
        out["rejects_total"] = count
        return out
