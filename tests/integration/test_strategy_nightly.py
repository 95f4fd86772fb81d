"""The nightly run end to end on SQLite and PostgreSQL: every step, idempotent reruns, resuming after a
failure or an interruption, the run's record."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Conflict, Forbidden, InputRejected
from arrears.portfolio.store import accounts, cases, debtors
from arrears.runtime import Runtime
from arrears.strategy import jobs, service
from arrears.strategy import store as st
from arrears.strategy.model import BATCH_ORDER, BatchStep, StepStatus
from arrears.users.service import create_agency
from arrears.users.store import audit_log
from arrears.worklist.store import work_items
from tests.authkit import make_user
from tests.integration.strategy_seed import AS_OF, debtor, desk

WORK_DAY = date(2026, 4, 1)


def _portfolio(rt: Runtime) -> None:
    desk(rt)
    create_agency(rt, SYSTEM, "AG1", "Agency One")
    for i, dpd in enumerate([5, 12, 40, 70, 95, 200, 15, 25]):
        debtor(
            rt,
            i,
            dpd,
            language="en" if i == 6 else "zh-CN",
            key=i == 7,
            kind="company" if i == 7 else "person",
            tz="America/New_York" if i == 3 else "Asia/Shanghai",
            with_case=i != 0,
        )


def _snapshot(
    rt: Runtime,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    t, w = st.account_treatments, work_items
    with rt.engine.connect() as conn:
        treat = conn.execute(
            select(
                t.c.account_id, t.c.path, t.c.step, t.c.entered_on, t.c.next_action_on, t.c.channel, t.c.arm
            ).order_by(t.c.account_id)
        ).all()
        items = conn.execute(
            select(
                w.c.debtor_id,
                w.c.kind,
                w.c.channel,
                w.c.due_at,
                w.c.collector_id,
                w.c.team_id,
                w.c.priority,
                w.c.treatment,
                w.c.arm,
            )
            .where(w.c.status == "open")
            .order_by(w.c.debtor_id, w.c.kind)
        ).all()
        alloc = conn.execute(
            select(cases.c.id, cases.c.status, cases.c.team_id, cases.c.collector_id).order_by(cases.c.id)
        ).all()
    return [tuple(r) for r in treat], [tuple(r) for r in items], [tuple(r) for r in alloc]


def test_the_whole_night_runs_every_step_and_plans_tomorrow(runtime: Runtime) -> None:
    _portfolio(runtime)
    summary = jobs.run_nightly(runtime, SYSTEM, AS_OF)
    assert summary.status == "completed", [(s.step, s.error) for s in summary.steps]
    assert [s.step for s in summary.steps] == [s.value for s in BATCH_ORDER]
    by_step = {s.step: s for s in summary.steps}
    assert by_step["aging"].counts["accounts_aged"] == 8
    assert by_step["treatments"].counts["treated"] >= 7
    assert by_step["allocation"].counts["placement"]["placed"] == 1
    assert by_step["work_items"].counts["items"] > 0
    assert by_step["reports"].counts["days"] > 0  # the dashboard's summaries refreshed the same night
    with runtime.engine.connect() as conn:
        items = conn.execute(select(work_items).where(work_items.c.status == "open")).all()
        placed = (
            conn.execute(select(accounts.c.agency_id).where(accounts.c.dpd.between(91, 180))).scalars().all()
        )
        run = st.run_row(conn, summary.run_id)
        zones = dict(conn.execute(select(debtors.c.id, debtors.c.timezone)).all())
    assert (
        run is not None and run.status == "completed" and set(run.summary) == {s.value for s in BATCH_ORDER}
    )
    assert placed and all(a is not None for a in placed)
    assert all(i.plan_date == AS_OF and i.source == "batch" for i in items)
    for item in items:  # at a good hour of the debtor's own morning on the work day, never at lunch
        zone = ZoneInfo(zones[item.debtor_id])
        local = item.due_at.astimezone(zone)
        assert local.date() == WORK_DAY and 9 <= local.hour < 20 and local.hour not in (12, 13)
        assert item.not_after == datetime.combine(WORK_DAY + timedelta(days=1), time(0), zone).astimezone(UTC)
        assert item.treatment and "@2026.1" in item.treatment
        assert "/" in item.reason  # zh-CN / English


def test_a_rerun_for_the_same_date_changes_nothing(runtime: Runtime) -> None:
    _portfolio(runtime)
    assert jobs.run_nightly(runtime, SYSTEM, AS_OF).status == "completed"
    first = _snapshot(runtime)
    again = jobs.run_nightly(runtime, SYSTEM, AS_OF)  # completed steps are skipped
    assert all("already completed" in s.note for s in again.steps)
    assert _snapshot(runtime) == first
    forced = jobs.run_nightly(runtime, SYSTEM, AS_OF, force=True)  # every step repeated: same state
    assert forced.status == "completed"
    assert _snapshot(runtime) == first
    counts = {s.step: s.counts for s in forced.steps}
    assert counts["treatments"]["changed"] == 0 and counts["allocation"]["moves"] == 0
    with runtime.engine.connect() as conn:
        moves = conn.execute(select(func.count()).select_from(st.allocation_moves)).scalar_one()
        arms = conn.execute(select(func.count()).select_from(st.arm_assignments)).scalar_one()
    assert moves == 8 and arms == 3  # 7 first allocations + 1 placement; the three M1 accounts drew an arm


def test_a_failed_step_is_recorded_and_the_next_run_resumes_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    _portfolio(runtime)

    def boom(*args: object) -> dict[str, object]:
        raise RuntimeError("disk full")

    original = jobs.TRANSACTIONAL[BatchStep.ALLOCATION]
    monkeypatch.setitem(jobs.TRANSACTIONAL, BatchStep.ALLOCATION, boom)
    failed = jobs.run_nightly(runtime, SYSTEM, AS_OF)
    assert failed.status == "failed"
    assert [s.step for s in failed.steps][-1] == "allocation" and "disk full" in (
        failed.steps[-1].error or ""
    )
    with runtime.engine.connect() as conn:
        row = st.step_row(conn, AS_OF, "allocation")
        assert row is not None and row.status == StepStatus.FAILED.value
        assert st.step_row(conn, AS_OF, "work_items") is None
    monkeypatch.setitem(jobs.TRANSACTIONAL, BatchStep.ALLOCATION, original)
    resumed = jobs.run_nightly(runtime, SYSTEM, AS_OF)
    assert resumed.status == "completed" and resumed.resumed == ["allocation"]
    done = {s.step: s for s in resumed.steps}
    assert "already completed" in done["treatments"].note and done["allocation"].counts["moves"] == 7
    with runtime.engine.connect() as conn:
        assert st.step_row(conn, AS_OF, "allocation").attempts == 2  # type: ignore[union-attr]
        items = conn.execute(select(func.count()).select_from(work_items)).scalar_one()
    assert items == done["work_items"].counts["items"]


def test_an_interrupted_step_reruns_without_duplicates(runtime: Runtime) -> None:
    _portfolio(runtime)
    assert jobs.run_nightly(runtime, SYSTEM, AS_OF).status == "completed"
    first = _snapshot(runtime)
    with runtime.engine.begin() as conn:  # a crash in the middle of the work-items step
        st.record_step(conn, AS_OF, "work_items", None, StepStatus.RUNNING, runtime.clock.now())
    again = jobs.run_nightly(runtime, SYSTEM, AS_OF)
    assert again.resumed == ["work_items"] and again.status == "completed"
    assert _snapshot(runtime) == first


def test_missing_modules_are_skipped(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    _portfolio(runtime)
    monkeypatch.setitem(jobs.OPTIONAL_MODULES, BatchStep.PROMISES, "arrears.payments.not_there")
    summary = jobs.run_nightly(runtime, SYSTEM, AS_OF, steps=[BatchStep.PROMISES])
    assert summary.steps[0].status == "skipped" and summary.steps[0].note == "skipped: not available"
    assert summary.status == "completed"


def test_steps_dates_and_permissions(runtime: Runtime) -> None:
    assert jobs.parse_steps(["treatments,work-items", "allocation"]) == [
        BatchStep.TREATMENTS,
        BatchStep.ALLOCATION,
        BatchStep.WORK_ITEMS,
    ]
    with pytest.raises(InputRejected):
        jobs.parse_steps(["dinner"])
    with pytest.raises(InputRejected):
        jobs.run_nightly(runtime, SYSTEM, date(2026, 4, 2))
    collector = make_user(runtime, Role.COLLECTOR)
    with pytest.raises(Forbidden):
        service.run_batch(runtime, collector, AS_OF)
    manager = make_user(runtime, Role.MANAGER)
    summary = service.run_batch(runtime, manager, AS_OF, ["treatments"])
    assert summary.status == "completed"
    runs = service.list_runs(runtime, manager)
    assert runs[0]["requested_by"] == manager.username and runs[0]["steps"] == ["treatments"]
    with runtime.engine.connect() as conn:  # the packaged default was put in force, attributably
        actions = conn.execute(select(audit_log.c.action, audit_log.c.actor)).all()
    assert ("treatment.activate", "system") in [tuple(a) for a in actions]


def test_one_run_at_a_time_on_postgresql(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's")
    with jobs._Lock(runtime), pytest.raises(Conflict):
        jobs.run_nightly(runtime, SYSTEM, AS_OF, steps=[BatchStep.TREATMENTS])
