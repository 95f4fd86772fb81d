"""The desk's reads and the objection library on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from arrears.core.access import Principal, Role
from arrears.core.clock import FixedClock
from arrears.core.errors import Forbidden, InputRejected, NotFound
from arrears.core.money import Money
from arrears.desk import service
from arrears.desk.objections import SEED
from arrears.desk.store import desk_objections
from arrears.runtime import Runtime
from arrears.users.store import audit_log
from arrears.worklist import attempts
from arrears.worklist import service as worklist
from arrears.worklist.model import AttemptReport, CallElement, CallOutcome, PromiseTerms
from tests.authkit import make_team, make_user
from tests.integration.worklist_seed import Debtor, Desk, debtor, desk, work

MORNING = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def at(rt: Runtime, moment: datetime) -> None:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.set(moment)


def setup(rt: Runtime, **kw: object) -> tuple[Desk, Debtor]:
    at(rt, MORNING)
    d = desk(rt)
    a = debtor(rt, 1, d.team, d.alice.user_id, **kw)  # type: ignore[arg-type]
    work(rt, a, collector=d.alice.user_id, team=d.team)
    return d, a


def manager(rt: Runtime) -> Principal:
    return make_user(rt, Role.MANAGER)


def test_the_library_is_seeded_on_first_use_once(runtime: Runtime) -> None:
    d, _ = setup(runtime)
    first = service.objections(runtime, d.alice)
    again = service.objections(runtime, d.bob)
    assert [o.key for o in first] == [o.key for o in SEED] == [o.key for o in again]
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(desk_objections)).scalar_one() == len(SEED)
    busy = service.objection(runtime, d.alice, "busy")
    assert busy.title("en") == "I'm busy" and "回电" in busy.answer("zh-CN")


def test_a_manager_edits_adds_and_retires_objections_audited(runtime: Runtime) -> None:
    d, _ = setup(runtime)
    boss = manager(runtime)
    changed = service.save_objection(runtime, boss, key="busy", title_zh="我在忙", title_en="Busy now",
                                     answer_zh="两分钟就好。", answer_en="Two minutes.", position=5)
    assert changed.title_en == "Busy now" and changed.position == 5
    service.save_objection(runtime, boss, key="no_money_today", title_zh="今天没钱", title_en="No money",
                           answer_zh="哪天发工资？", answer_en="When is your pay day?", position=1)
    service.save_objection(runtime, boss, key="late_fee", title_zh="滞纳金", title_en="Late fee",
                           answer_zh="按合同。", answer_en="Per contract.", active=False)
    shown = [o.key for o in service.objections(runtime, d.alice)]
    assert shown[:2] == ["no_money_today", "busy"] and "late_fee" not in shown
    assert "late_fee" in [o.key for o in service.objections(runtime, boss, include_inactive=True)]
    with pytest.raises(NotFound):
        service.objection(runtime, d.alice, "late_fee")
    with runtime.engine.connect() as conn:
        saved = select(audit_log.c.id).where(audit_log.c.action == "desk.objection.save")
        actions = conn.execute(saved).all()
    assert len(actions) == 3


def test_only_managers_edit_and_bad_fields_change_nothing(runtime: Runtime) -> None:
    d, _ = setup(runtime)
    with pytest.raises(Forbidden):
        service.save_objection(runtime, d.alice, key="busy", title_zh="x", title_en="x", answer_zh="x",
                               answer_en="x")
    compliance = make_user(runtime, Role.COMPLIANCE_OFFICER)  # edits templates: reads the library too
    assert len(service.objections(runtime, compliance)) == len(SEED)
    with pytest.raises(InputRejected) as exc:
        service.save_objection(runtime, manager(runtime), key="Bad Key", title_zh="", title_en="x",
                               answer_zh="x", answer_en="x")
    assert {p.field for p in exc.value.problems} == {"key", "title_zh"}
    assert service.objection(runtime, d.alice, "busy").title_en == "I'm busy"


def test_the_allowed_window_today_in_the_debtors_local_time(runtime: Runtime) -> None:
    d, a = setup(runtime)
    w = service.allowed_window(runtime, d.alice, a.id, a.mobile)
    assert w.zone == "Asia/Shanghai" and w.day.isoformat() == "2026-03-31"
    assert w.spans == [(time(9, 0), time(21, 0))] and w.allowed_now and w.next_allowed is None
    at(runtime, MORNING - timedelta(hours=3))  # 07:00 in Shanghai: not yet
    early = service.allowed_window(runtime, d.alice, a.id, a.mobile)
    assert not early.allowed_now and early.next_allowed == datetime(2026, 3, 31, 1, 0, tzinfo=UTC)


def test_the_pre_call_panel_composes_the_services(runtime: Runtime) -> None:
    d, a = setup(runtime)
    nxt = worklist.next_contact(runtime, d.alice)
    assert nxt["status"] == "leased"
    attempts.record_attempt(runtime, d.alice, AttemptReport(
        debtor_id=a.id, outcome=CallOutcome.PROMISE_TO_PAY, started_at=MORNING - timedelta(minutes=3),
        ended_at=MORNING - timedelta(minutes=1), contact_point_id=a.mobile,
        elements=(CallElement.VERIFY_IDENTITY,), note="客户承诺周五还款",
        promise=PromiseTerms(Money.of("300", "CNY"), MORNING.date() + timedelta(days=3), "alipay")))
    pc = service.precall(runtime, d.alice, a.id, a.mobile)
    assert pc.debtor.name == "张*" and [m.format() for m in pc.debtor.outstanding] == ["CNY 5,000.00"]
    assert pc.promises.made == 1 and pc.promises.pending == 1 and pc.broken_promises == 0
    first = pc.timeline[0]
    assert first["outcome"] == "promise_to_pay" and first["note"]["text"] == "客户承诺周五还款"
    assert pc.holds == [] and pc.window.allowed_now


def test_the_team_board_and_a_collectors_day(runtime: Runtime) -> None:
    d, a = setup(runtime)
    b = debtor(runtime, 2, d.team, d.bob.user_id)
    work(runtime, b, collector=d.bob.user_id, team=d.team)
    worklist.next_contact(runtime, d.alice)
    attempts.record_attempt(runtime, d.alice, AttemptReport(
        debtor_id=a.id, outcome=CallOutcome.NO_ANSWER, started_at=MORNING - timedelta(minutes=2),
        contact_point_id=a.mobile))
    held = worklist.next_contact(runtime, d.bob)
    assert held["status"] == "leased"
    board = service.team_board(runtime, d.lead)
    people = {p["id"]: p for p in board["collectors"]}
    assert people[d.alice.user_id]["attempts"] == 1 and people[d.alice.user_id]["connected"] == 0
    assert people[d.bob.user_id]["working_on"]["debtor_id"] == b.id
    assert board["queue"]["open"] == 2 and board["approvals"] == []
    alice = d.alice.user_id
    assert alice is not None
    day = service.collector_day(runtime, d.lead, alice)
    assert day["summary"]["attempts"] == 1 and day["attempts"][0]["outcome"] == "no_answer"
    other = make_user(runtime, Role.TEAM_LEAD, team_id=make_team(runtime))
    with pytest.raises(NotFound):
        service.collector_day(runtime, other, alice)
    with pytest.raises(Forbidden):
        service.team_board(runtime, d.alice)
