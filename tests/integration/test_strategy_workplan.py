"""Tomorrow's work on SQLite and PostgreSQL: cadences over days, unreachable and lost debtors, promises,
holds, one call per debtor, the collector's absence, write-off reviews."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select, update

from arrears.core.access import SYSTEM
from arrears.payments.store import promises
from arrears.portfolio.store import accounts, debtors
from arrears.runtime import Runtime
from arrears.strategy import jobs
from arrears.strategy.model import BatchStep
from arrears.users.store import users
from arrears.worklist.model import PlannedWork, WorkKind
from arrears.worklist.planning import add_work
from arrears.worklist.store import work_items
from tests.integration.strategy_seed import AS_OF, STAMP, debtor, desk

STEPS = [BatchStep.TREATMENTS, BatchStep.ALLOCATION, BatchStep.WORK_ITEMS]


def _night(rt: Runtime, as_of: date = AS_OF) -> dict[str, object]:
    summary = jobs.run_nightly(rt, SYSTEM, as_of, steps=STEPS, force=True)
    assert summary.status == "completed", [(s.step, s.error) for s in summary.steps]
    return summary.steps[-1].counts


def _items(rt: Runtime, debtor_id: int, plan_date: date = AS_OF) -> list[tuple[str, str]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(work_items.c.kind, work_items.c.channel)
            .where(
                work_items.c.debtor_id == debtor_id,
                work_items.c.plan_date == plan_date,
                work_items.c.source == "batch",
            )
            .order_by(work_items.c.kind)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_cadence_over_days_for_an_early_account(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 3, 10, team=d.zh_team, collector=d.zh1.user_id)  # arm decided by the account id
    plans = []
    for day in range(4):
        as_of = AS_OF + timedelta(days=day)
        runtime.clock.set(runtime.clock.now() + timedelta(days=1 if day else 0))  # type: ignore[attr-defined]
        _night(runtime, as_of)
        plans.append(_items(runtime, a["debtor"], as_of))
    from arrears.strategy.rules import assign_arm
    from tests.integration.test_strategy_versions import _arms

    if assign_arm(a["account"], "early-sms-first", _arms()) == "champion":  # sms on day 0, calls on 1, 3
        assert plans == [[("sms", "sms")], [("call", "call")], [], [("call", "call")]]
    else:  # sms every 3 days from day 0, calls every 3 days from day 2
        assert plans == [[("sms", "sms")], [], [("call", "call")], [("sms", "sms")]]


def test_unreachable_lost_and_held_debtors(runtime: Runtime) -> None:
    d = desk(runtime)
    semi = debtor(runtime, 1, 40, contactability="semi_lost", team=d.zh_team)
    lost = debtor(runtime, 2, 40, contactability="lost", team=d.zh_team)
    held = debtor(runtime, 3, 40, case_status="on_hold", team=d.zh_team)
    _night(runtime)
    assert _items(runtime, semi["debtor"]) == [("call", "call")]
    assert _items(runtime, lost["debtor"]) == [("skip_trace", "skip_trace")]
    assert _items(runtime, held["debtor"]) == []
    runtime.clock.set(runtime.clock.now() + timedelta(days=1))  # type: ignore[attr-defined]
    _night(runtime, AS_OF + timedelta(days=1))
    assert _items(runtime, semi["debtor"], AS_OF + timedelta(days=1)) == []  # retried every 3 days


def test_one_call_per_debtor_with_the_expected_recovery_of_every_account(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 40, team=d.zh_team, balance=300_000)
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(accounts).values(
                external_id="SA1b",
                debtor_id=a["debtor"],
                case_id=a["case"],
                product="credit_card",
                currency="CNY",
                principal_minor=700_000,
                dpd=45,
                bucket="M2",
                row_hash="h",
                created_at=STAMP,
                updated_at=STAMP,
            )
        )
    _night(runtime)
    with runtime.engine.connect() as conn:
        calls = conn.execute(
            select(work_items).where(work_items.c.debtor_id == a["debtor"], work_items.c.kind == "call")
        ).all()
    assert len(calls) == 1
    assert calls[0].expected_recovery_minor == 100_000  # 10% (unscored) of 300,000 + 700,000
    assert calls[0].account_id != a["account"]  # the more valuable account
    assert calls[0].priority > 0


def test_promise_reminder_and_follow_up(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 40, team=d.zh_team, collector=d.zh1.user_id)
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(promises).values(
                debtor_id=a["debtor"],
                account_id=a["account"],
                amount_minor=100_000,
                currency="CNY",
                due_on=AS_OF + timedelta(days=2),
                channel="bank_transfer",
                status="pending",
                created_by="t",
                created_at=STAMP,
                updated_at=STAMP,
            )
        )
    _night(runtime)  # work day = due - 1: the reminder (by SMS)
    assert _items(runtime, a["debtor"]) == [("promise_reminder", "sms")]
    runtime.clock.set(runtime.clock.now() + timedelta(days=1))  # type: ignore[attr-defined]
    nxt = AS_OF + timedelta(days=1)
    _night(runtime, nxt)  # the step's second day and the due day: a follow-up call
    assert _items(runtime, a["debtor"], nxt) == [("promise_followup", "call")]


def test_the_payments_domains_own_promise_work_is_not_duplicated(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 40, team=d.zh_team, collector=d.zh1.user_id)
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        pid = conn.execute(
            insert(promises)
            .values(
                debtor_id=a["debtor"],
                account_id=a["account"],
                amount_minor=100_000,
                currency="CNY",
                due_on=AS_OF + timedelta(days=2),
                channel="bank_transfer",
                status="pending",
                created_by="t",
                created_at=STAMP,
                updated_at=STAMP,
            )
            .returning(promises.c.id)
        ).scalar_one()
        add_work(
            conn,
            PlannedWork(
                debtor_id=a["debtor"],
                kind=WorkKind.PROMISE_REMINDER,
                due_at=now,
                reason="promise",
                source="promise",
                source_ref=str(pid),
            ),
            now,
        )
    _night(runtime)
    assert _items(runtime, a["debtor"]) == []


def test_absent_collector_work_goes_to_the_team_queue_and_write_off_is_reviewed(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 40, team=d.zh_team, collector=d.zh1.user_id)
    wo = debtor(runtime, 2, 250, team=d.zh_team, collector=d.zh2.user_id)
    with runtime.engine.begin() as conn:
        conn.execute(
            update(users).where(users.c.id == d.zh1.user_id).values(absent_until=AS_OF + timedelta(days=1))
        )
    _night(runtime)
    with runtime.engine.connect() as conn:
        call = conn.execute(select(work_items).where(work_items.c.debtor_id == a["debtor"])).one()
        review = conn.execute(select(work_items).where(work_items.c.debtor_id == wo["debtor"])).one()
    assert call.collector_id is None and call.team_id == d.zh_team
    assert review.kind == "review" and review.collector_id == d.zh2.user_id and "write-off" in review.reason


def test_due_at_in_the_debtors_zone_and_no_work_for_the_paid(runtime: Runtime) -> None:
    d = desk(runtime)
    ny = debtor(runtime, 1, 40, team=d.zh_team, tz="America/New_York")
    paid = debtor(runtime, 2, 40, team=d.zh_team)
    _night(runtime)
    with runtime.engine.begin() as conn:
        due = conn.execute(
            select(work_items.c.due_at).where(work_items.c.debtor_id == ny["debtor"])
        ).scalar_one()
        conn.execute(update(accounts).where(accounts.c.id == paid["account"]).values(dpd=0, bucket="M0"))
        tz = conn.execute(select(debtors.c.timezone).where(debtors.c.id == ny["debtor"])).scalar_one()
    from zoneinfo import ZoneInfo

    local = due.astimezone(ZoneInfo(tz))
    assert (local.date(), local.hour) == (AS_OF + timedelta(days=1), 9)
    counts = _night(runtime)
    assert _items(runtime, paid["debtor"]) == [] and counts["items"] == 1


def test_yesterdays_untaken_batch_work_expires(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 40, team=d.zh_team)
    _night(runtime)
    runtime.clock.set(datetime(2026, 4, 1, 23, tzinfo=UTC))  # type: ignore[attr-defined]  # after the work day
    counts = _night(runtime, AS_OF + timedelta(days=1))
    assert counts["expired"] == 1
    with runtime.engine.connect() as conn:
        states = conn.execute(
            select(work_items.c.plan_date, work_items.c.status)
            .where(work_items.c.debtor_id == a["debtor"])
            .order_by(work_items.c.plan_date)
        ).all()
    assert [tuple(s) for s in states] == [(AS_OF, "expired"), (AS_OF + timedelta(days=1), "open")]
