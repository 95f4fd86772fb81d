"""The nightly run: aging, promises, contactability, scores, best time, treatments, allocation, work items.

Each step runs in its own transaction and records itself per date in batch_steps in that same
transaction, so a step is either done and recorded or not done at all. A run skips the steps already
completed for its date (unless forced), reruns a step that failed or was interrupted, and stops at the
first failure (later steps depend on earlier ones). Every step is idempotent per date, so repeating one
never duplicates anything. A step whose module is not installed is recorded as skipped. On PostgreSQL
an advisory lock keeps two runs from overlapping.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text

from arrears.core.access import Permission, Principal, require
from arrears.core.clock import today
from arrears.core.errors import Conflict, FieldProblem, InputRejected
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.aging.rules import bucket_labels
from arrears.runtime import Runtime
from arrears.strategy import store as st
from arrears.strategy.model import BATCH_ORDER, BatchStep, RunStatus, StepStatus

log = logging.getLogger(__name__)
LOCK_KEY = 0x41525253_54524154  # 'ARRSTRAT': one nightly run at a time (PostgreSQL)
OPTIONAL_MODULES = {
    BatchStep.PROMISES: "arrears.payments.jobs",
    BatchStep.CONTACTABILITY: "arrears.strategy.contactability",
    BatchStep.SCORES: "arrears.strategy.scoring.jobs",
    BatchStep.BEST_TIME: "arrears.strategy.best_time.jobs",
}


@dataclass
class StepResult:
    """What one step did in a run."""

    step: str
    status: str
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    note: str = ""


@dataclass
class RunSummary:
    """What a nightly run did, step by step."""

    run_id: int
    as_of: date
    status: str
    steps: list[StepResult]
    seconds: float
    resumed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return plain(self)


def plain(value: Any) -> Any:
    """A JSON-ready copy: dataclasses as dicts, dates as ISO text."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def parse_steps(names: Sequence[str] | None) -> list[BatchStep]:
    """The steps asked for, in run order (all when none are named)."""
    if not names:
        return list(BATCH_ORDER)
    wanted: set[BatchStep] = set()
    problems = []
    for raw in names:
        for name in str(raw).replace(",", " ").split():
            try:
                wanted.add(BatchStep(name.strip().replace("-", "_")))
            except ValueError:
                problems.append(
                    FieldProblem(0, "steps", name, f"unknown step; known: {', '.join(BATCH_ORDER)}")
                )
    if problems:
        raise InputRejected("unknown nightly step(s): " + ", ".join(p.value for p in problems), problems)
    return [s for s in BATCH_ORDER if s in wanted]


# --- the steps ---------------------------------------------------------------------------------------------

StepFn = Callable[[Runtime, date, Progress], dict[str, Any]]


def _aging(rt: Runtime, as_of: date, progress: Progress) -> dict[str, Any]:
    from arrears.portfolio.aging.service import age_portfolio

    s = age_portfolio(rt, as_of, progress=progress)
    return {
        "accounts_aged": s.accounts_aged,
        "bucket_moves": s.bucket_moves,
        "late_fees": s.late_fees,
        "penalty_accruals": s.penalty_accruals,
        "cases_opened": s.cases_opened,
        "cases_closed": s.cases_closed,
        "buckets": s.buckets,
    }


def _in_transaction(
    fn: Callable[..., Any],
) -> Callable[[Runtime, date, Progress, BatchStep, int], dict[str, Any]]:
    """Run a step's work and record it completed in one transaction."""

    def run(rt: Runtime, as_of: date, progress: Progress, step: BatchStep, run_id: int) -> dict[str, Any]:
        started = time.perf_counter()
        with rt.engine.begin() as conn:
            counts = plain(fn(conn, rt, as_of, progress))
            st.record_step(
                conn,
                as_of,
                step.value,
                run_id,
                StepStatus.COMPLETED,
                rt.clock.now(),
                counts=counts,
                seconds=round(time.perf_counter() - started, 3),
            )
        return counts  # type: ignore[no-any-return]

    return run


def _promises(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.payments.jobs import judge_due_promises

    return judge_due_promises(conn, as_of, rt.clock.now())


def _contactability(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.strategy.contactability import refresh_all

    return refresh_all(conn, as_of, rt.clock.now(), progress)


def _scores(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.strategy.scoring.jobs import score_portfolio

    return score_portfolio(conn, as_of, rt.clock.now(), progress)


def _best_time(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.strategy.best_time.jobs import refresh_rates

    return refresh_rates(conn, as_of, rt.clock.now(), progress)


def _strategy(conn: Any, rt: Runtime, as_of: date) -> Any:
    from arrears.strategy.versions import in_force

    return in_force(conn, bucket_labels(rt.settings.bucket_thresholds), rt.clock.now(), as_of)


def _treatments(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.strategy.assign import assign_treatments

    current = _strategy(conn, rt, as_of)
    return assign_treatments(conn, current.strategy, current.version_id, as_of, rt.clock.now(), progress)


def _allocation(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.strategy.allocation import allocate

    current = _strategy(conn, rt, as_of)
    return allocate(conn, current.strategy, as_of, rt.clock.now(), rt.settings.bucket_thresholds, progress)


def _work_items(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.strategy.workplan import plan_work

    current = _strategy(conn, rt, as_of)
    return plan_work(conn, current.strategy, as_of, rt.clock.now(), progress)


def _reports(conn: Any, rt: Runtime, as_of: date, progress: Progress) -> Any:
    from arrears.reporting.jobs import NIGHTLY_DAYS, refresh_summaries

    return refresh_summaries(conn, as_of, rt.clock.now(), progress, zone=rt.settings.default_timezone,
                             thresholds=list(rt.settings.bucket_thresholds),
                             start=as_of - timedelta(days=NIGHTLY_DAYS - 1))


TRANSACTIONAL = {
    BatchStep.PROMISES: _in_transaction(_promises),
    BatchStep.CONTACTABILITY: _in_transaction(_contactability),
    BatchStep.SCORES: _in_transaction(_scores),
    BatchStep.BEST_TIME: _in_transaction(_best_time),
    BatchStep.TREATMENTS: _in_transaction(_treatments),
    BatchStep.ALLOCATION: _in_transaction(_allocation),
    BatchStep.WORK_ITEMS: _in_transaction(_work_items),
    BatchStep.REPORTS: _in_transaction(_reports),
}


# --- the run -----------------------------------------------------------------------------------------------


class _Lock:
    """A session advisory lock on PostgreSQL for the whole run (nothing on SQLite)."""

    def __init__(self, rt: Runtime) -> None:
        self.conn = rt.engine.connect() if rt.engine.dialect.name == "postgresql" else None

    def __enter__(self) -> _Lock:
        if self.conn is not None:
            got = self.conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            self.conn.commit()
            if not got:
                self.conn.close()
                raise Conflict("another nightly run is in progress; try again when it has finished")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.execute(text("select pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            self.conn.commit()
            self.conn.close()


def queue_run(rt: Runtime, principal: Principal, as_of: date, steps: Sequence[BatchStep], force: bool) -> int:
    """Record a run that is about to start (the API answers with its id before it finishes)."""
    with rt.engine.begin() as conn:
        return int(
            conn.execute(
                st.batch_runs.insert()
                .values(
                    as_of=as_of,
                    status=RunStatus.QUEUED.value,
                    steps=[s.value for s in steps],
                    forced=force,
                    requested_by=principal.username,
                    started_at=rt.clock.now(),
                    summary={},
                )
                .returning(st.batch_runs.c.id)
            ).scalar_one()
        )


def mark_not_started(rt: Runtime, run_id: int, error: str) -> None:
    """Record that a queued run could not start (e.g. another run held the lock)."""
    with rt.engine.begin() as conn:
        conn.execute(
            st.batch_runs.update()
            .where(st.batch_runs.c.id == run_id)
            .values(status=RunStatus.FAILED.value, finished_at=rt.clock.now(), error=error[:4000])
        )


def check_as_of(rt: Runtime, as_of: date) -> None:
    """Refuse a date after the clock's (a night is run after its day)."""
    if as_of > today(rt.clock):
        raise InputRejected(
            f"as_of {as_of.isoformat()} is after today ({today(rt.clock).isoformat()} UTC)",
            [FieldProblem(0, "as_of", as_of.isoformat(), "after today")],
        )


def run_nightly(
    rt: Runtime,
    principal: Principal,
    as_of: date,
    *,
    steps: Sequence[BatchStep] | None = None,
    force: bool = False,
    progress: Progress = no_progress,
    run_id: int | None = None,
) -> RunSummary:
    """Run (or resume) the nightly steps for a date; the summary of what each step did."""
    require(principal, Permission.BATCH_RUN)
    check_as_of(rt, as_of)
    chosen = list(steps) if steps else list(BATCH_ORDER)
    with _Lock(rt):
        if run_id is None:
            run_id = queue_run(rt, principal, as_of, chosen, force)
        with rt.engine.begin() as conn:
            conn.execute(
                st.batch_runs.update()
                .where(st.batch_runs.c.id == run_id)
                .values(status=RunStatus.RUNNING.value, started_at=rt.clock.now())
            )
        started = time.perf_counter()
        results: list[StepResult] = []
        resumed: list[str] = []
        status = RunStatus.COMPLETED
        for step in chosen:
            result = _run_step(rt, step, as_of, run_id, force, progress, resumed)
            results.append(result)
            if result.status == StepStatus.FAILED.value:
                status = RunStatus.FAILED
                break
        seconds = round(time.perf_counter() - started, 3)
        summary = RunSummary(run_id, as_of, status.value, results, seconds, resumed)
        with rt.engine.begin() as conn:
            conn.execute(
                st.batch_runs.update()
                .where(st.batch_runs.c.id == run_id)
                .values(
                    status=status.value,
                    finished_at=rt.clock.now(),
                    seconds=seconds,
                    summary={r.step: plain(r) for r in results},
                    error=next((f"{r.step}: {r.error}" for r in results if r.error), None),
                )
            )
    return summary


def _run_step(
    rt: Runtime,
    step: BatchStep,
    as_of: date,
    run_id: int,
    force: bool,
    progress: Progress,
    resumed: list[str],
) -> StepResult:
    with rt.engine.connect() as conn:
        previous = st.step_row(conn, as_of, step.value)
    if previous is not None and previous.status == StepStatus.COMPLETED.value and not force:
        return StepResult(
            step.value,
            StepStatus.COMPLETED.value,
            dict(previous.counts or {}),
            0.0,
            note="already completed for this date (skipped; --force to repeat)",
        )
    if previous is not None and previous.status in (StepStatus.RUNNING.value, StepStatus.FAILED.value):
        resumed.append(step.value)
    module = OPTIONAL_MODULES.get(step)
    if module is not None and importlib.util.find_spec(module) is None:
        with rt.engine.begin() as conn:
            st.record_step(
                conn,
                as_of,
                step.value,
                run_id,
                StepStatus.SKIPPED,
                rt.clock.now(),
                counts={},
                error="skipped: not available",
                seconds=0.0,
            )
        return StepResult(step.value, StepStatus.SKIPPED.value, note="skipped: not available")
    with rt.engine.begin() as conn:
        st.record_step(conn, as_of, step.value, run_id, StepStatus.RUNNING, rt.clock.now())
    started = time.perf_counter()

    def report(done: int, total: int | None = None, label: str = "") -> None:
        progress(
            done, total, label if label.startswith(step.value) else f"{step.value}: {label}".rstrip(": ")
        )

    try:
        if step is BatchStep.AGING:
            counts = plain(_aging(rt, as_of, report))
            with rt.engine.begin() as conn:
                st.record_step(
                    conn,
                    as_of,
                    step.value,
                    run_id,
                    StepStatus.COMPLETED,
                    rt.clock.now(),
                    counts=counts,
                    seconds=round(time.perf_counter() - started, 3),
                )
        else:
            counts = TRANSACTIONAL[step](rt, as_of, report, step, run_id)
    except Exception as exc:  # noqa: BLE001  (recorded, the run stops; the next run retries the step)
        seconds = round(time.perf_counter() - started, 3)
        message = f"{type(exc).__name__}: {exc}"
        log.error("nightly step %s for %s failed: %s\n%s", step.value, as_of, message, traceback.format_exc())
        with rt.engine.begin() as conn:
            st.record_step(
                conn,
                as_of,
                step.value,
                run_id,
                StepStatus.FAILED,
                rt.clock.now(),
                error=message[:4000],
                seconds=seconds,
            )
        return StepResult(step.value, StepStatus.FAILED.value, {}, seconds, message)
    return StepResult(step.value, StepStatus.COMPLETED.value, counts, round(time.perf_counter() - started, 3))


def default_as_of(rt: Runtime) -> date:
    """The night to run by default: today (UTC), as `arrears age` does; its work is for tomorrow."""
    return today(rt.clock)
