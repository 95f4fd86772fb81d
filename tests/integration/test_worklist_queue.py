"""The live work queue on SQLite and PostgreSQL: next contact, leases, ordering, policy when asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from arrears.compliance.model import HoldKind
from arrears.compliance.reads import load_facts
from arrears.compliance.store import compliance_decisions, debtor_flags
from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.core.errors import Conflict, Forbidden, InputRejected, NotFound
from arrears.portfolio.store import contact_points
from arrears.runtime import Runtime
from arrears.users.store import audit_log
from arrears.worklist import service
from arrears.worklist.facts import DebtorFacts, load_many
from arrears.worklist.model import WorkKind
from arrears.worklist.store import debtor_leases, lease_log, work_items
from tests.authkit import make_user
from tests.integration.worklist_seed import debtor, desk, work

MORNING = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 3, 31, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


def at(rt: Runtime, moment: datetime) -> None:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.set(moment)


def test_next_leases_the_best_allowed_contact_with_the_number_masked(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, d.alice.user_id)
    item = work(runtime, a, collector=d.alice.user_id, team=d.team)
    answer = service.next_contact(runtime, d.alice)
    assert answer["status"] == "leased" and answer["work_item"]["id"] == item
    assert answer["debtor"]["id"] == a.id and answer["debtor"]["name"] == "张*"
    assert answer["debtor"]["local_time"] == "2026-03-31T10:00:00+08:00"
    assert answer["contact_point"] == {
        **answer["contact_point"],
        "id": a.mobile,
        "party": "debtor",
        "masked": "+86 139****0000",
    }
    assert answer["script_mode"] == "standard" and answer["why"]["kind"] == "call"
    assert "+8613900010000" not in json.dumps(answer)  # never the clear number
    with runtime.engine.connect() as conn:
        lease = conn.execute(select(debtor_leases)).one()
        decision = conn.execute(
            select(compliance_decisions).where(compliance_decisions.c.id == answer["decision_id"])
        ).one()
    assert lease.collector_id == d.alice.user_id and lease.debtor_id == a.id
    assert lease.expires_at == MORNING + timedelta(minutes=runtime.settings.lease_minutes)
    assert decision.allowed and decision.requested_by == d.alice.username


def test_urgent_work_first_own_work_before_the_teams(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a, b, c = (debtor(runtime, n, d.team, d.alice.user_id) for n in (1, 2, 3))
    work(runtime, a, collector=d.alice.user_id, team=d.team, priority=9_000)
    work(runtime, b, collector=d.alice.user_id, team=d.team, kind=WorkKind.CALLBACK, priority=1)
    work(runtime, c, collector=None, team=d.team, kind=WorkKind.CALLBACK, priority=99_999)
    served = []
    for _ in range(3):
        answer = service.next_contact(runtime, d.alice)
        served.append(answer["debtor"]["id"])
        service.release(runtime, d.alice, answer["lease"]["id"])
        with runtime.engine.begin() as conn:  # done with it: close the item so the next one is served
            conn.execute(
                work_items.update().where(work_items.c.id == answer["work_item"]["id"]).values(status="done")
            )
    assert served == [b.id, a.id, c.id]


def test_two_collectors_never_hold_the_same_debtor(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, None)
    work(runtime, a, collector=None, team=d.team)
    work(runtime, a, collector=d.bob.user_id, team=d.team)  # the same debtor also in Bob's own work
    first = service.next_contact(runtime, d.alice)
    assert first["status"] == "leased" and first["debtor"]["id"] == a.id
    second = service.next_contact(runtime, d.bob)
    assert second["status"] == "queue_empty"
    again = service.next_contact(runtime, d.alice)  # a repeated `next` resumes the same lease
    assert again["resumed"] is True and again["lease"]["id"] == first["lease"]["id"]
    assert again["dial"]["token"] != first["dial"]["token"]


def test_an_expired_lease_returns_the_debtor_to_the_queue(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, None)
    work(runtime, a, collector=None, team=d.team)
    first = service.next_contact(runtime, d.alice)
    assert first["status"] == "leased"
    at(runtime, MORNING + timedelta(minutes=runtime.settings.lease_minutes, seconds=1))
    second = service.next_contact(runtime, d.bob)
    assert second["status"] == "leased" and second["debtor"]["id"] == a.id
    with runtime.engine.connect() as conn:
        live = conn.execute(select(debtor_leases)).all()
        log = conn.execute(select(lease_log).order_by(lease_log.c.id)).all()
    assert [r.collector_id for r in live] == [d.bob.user_id]
    assert [r.collector_id for r in log] == [d.alice.user_id, d.bob.user_id]
    assert log[0].expires_at <= log[1].leased_at  # never two holders at once
    with pytest.raises(Conflict):
        service.release(runtime, d.alice, first["lease"]["id"])


def test_release_by_holder_or_team_lead_only(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a, b = debtor(runtime, 1, d.team, None), debtor(runtime, 2, d.team, None)
    work(runtime, a, collector=None, team=d.team)
    work(runtime, b, collector=None, team=d.team)
    mine = service.next_contact(runtime, d.alice)
    with pytest.raises(Forbidden):
        service.release(runtime, d.bob, mine["lease"]["id"])
    released = service.release(runtime, d.lead, mine["lease"]["id"])
    assert released["debtor_id"] == mine["debtor"]["id"]
    with pytest.raises(Conflict):
        service.release(runtime, d.alice, mine["lease"]["id"])
    with pytest.raises(NotFound):
        service.release(runtime, d.alice, 999_999)
    other_team = make_user(runtime, Role.COLLECTOR, team_id=None)
    again = service.next_contact(runtime, d.alice)
    with pytest.raises(NotFound):  # out of scope: not even its existence is shown
        service.release(runtime, other_team, again["lease"]["id"])


def test_at_night_nothing_is_allowed_with_the_rules_and_the_morning(runtime: Runtime) -> None:
    at(runtime, NIGHT)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, d.alice.user_id)
    item = work(runtime, a, collector=d.alice.user_id, team=d.team)
    answer = service.next_contact(runtime, d.alice)
    morning = "2026-04-01T01:00:00+00:00"  # 09:00 in Shanghai (house window)
    assert answer["status"] == "nothing_allowed" and answer["earliest_allowed"] == morning
    rules = {r["rule_id"]: r for r in answer["reasons"]}
    assert {"cn.night", "house.hours"} <= set(rules) and rules["cn.night"]["source"]
    assert answer["message_en"] and answer["message_zh"]
    with runtime.engine.connect() as conn:
        due = conn.execute(select(work_items.c.due_at).where(work_items.c.id == item)).scalar_one()
    assert due.isoformat() == morning  # deferred: not judged again before then
    later = service.next_contact(runtime, d.alice)
    assert later["status"] == "queue_empty" and later["next_due_at"] == morning
    at(runtime, datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    assert service.next_contact(runtime, d.alice)["status"] == "leased"


def test_a_hold_blocks_without_an_end_and_dead_phones_are_never_offered(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    held = debtor(runtime, 1, d.team, d.alice.user_id)
    dead = debtor(runtime, 2, d.team, d.alice.user_id, mobile_status="invalid")
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(debtor_flags).values(
                debtor_id=held.id,
                kind=HoldKind.DISPUTE.value,
                detail={},
                set_by="x",
                set_at=MORNING - timedelta(days=1),
                reason="r",
                created_at=MORNING,
            )
        )
        conn.execute(
            contact_points.update().where(contact_points.c.id == dead.spouse).values(status="wrong_party")
        )
    held_item = work(runtime, held, collector=d.alice.user_id, team=d.team, priority=2)
    dead_item = work(runtime, dead, collector=d.alice.user_id, team=d.team, priority=1)
    answer = service.next_contact(runtime, d.alice)
    assert answer["status"] == "nothing_allowed"
    assert answer["blocked_without_end"] == 1 and answer["without_usable_phone"] == 1
    assert "house.dispute" in {r["rule_id"] for r in answer["reasons"]}
    with runtime.engine.connect() as conn:
        rows = {i: st for i, st in conn.execute(select(work_items.c.id, work_items.c.status))}
        due = conn.execute(select(work_items.c.due_at).where(work_items.c.id == held_item)).scalar_one()
    assert rows[dead_item] == "cancelled" and rows[held_item] == "open"
    assert due == MORNING + service.RECHECK_NEVER


def test_call_backs_not_yet_due_wait_and_say_when(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, d.alice.user_id)
    work(
        runtime, a, collector=d.alice.user_id, team=d.team, kind=WorkKind.CALLBACK, due_in=timedelta(hours=3)
    )
    answer = service.next_contact(runtime, d.alice)
    assert answer["status"] == "queue_empty"
    assert answer["next_due_at"] == answer["earliest_allowed"] == (MORNING + timedelta(hours=3)).isoformat()


def test_batched_facts_equal_the_compliance_engines_own(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, None)
    b = debtor(runtime, 2, d.team, None, tz="America/New_York", region="US")
    with runtime.engine.begin() as conn:
        conn.execute(
            insert(debtor_flags).values(
                debtor_id=a.id,
                kind=HoldKind.OPT_OUT.value,
                detail={"channels": ["sms"]},
                set_by="x",
                set_at=MORNING,
                reason="r",
                created_at=MORNING,
            )
        )
        many = load_many(conn, [a.id, b.id], MORNING, "Asia/Shanghai", "CN")
        for x in (a, b):
            got = many[x.id]
            assert isinstance(got, DebtorFacts)
            one = load_facts(conn, x.id, MORNING, "Asia/Shanghai")
            assert got.facts.debtor == one.debtor and got.facts.history == one.history
            assert set(got.facts.contact_points) == set(one.contact_points)
            assert [f.id for f in got.facts.flags] == [f.id for f in one.flags]
    assert [rs.name for rs in many[b.id].rulesets] == ["us-regf", "house-default"]  # type: ignore[union-attr]


def test_queue_views_and_their_permissions(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a, b = debtor(runtime, 1, d.team, d.alice.user_id), debtor(runtime, 2, d.team, None)
    work(runtime, a, collector=d.alice.user_id, team=d.team)
    work(runtime, b, collector=None, team=d.team, due_in=timedelta(hours=1))
    mine = service.queue(runtime, d.alice)
    assert mine["open"] == 1 and mine["due_now"] == 1 and mine["items"][0]["debtor"]["name"] == "张*"
    team = service.queue(runtime, d.lead, "team")
    assert team["open"] == 2 and team["due_now"] == 1
    with pytest.raises(Forbidden):
        service.queue(runtime, d.alice, "team")
    with pytest.raises(Forbidden):
        service.queue(runtime, d.lead, "team", team_id=d.team + 1)
    manager = make_user(runtime, Role.MANAGER)
    assert service.queue(runtime, manager, "team", team_id=d.team)["open"] == 2
    with pytest.raises(InputRejected):
        service.queue(runtime, manager, "team")


def test_the_dial_hand_off_resolves_only_with_permission_and_is_audited(runtime: Runtime) -> None:
    at(runtime, MORNING)
    d = desk(runtime)
    a = debtor(runtime, 1, d.team, d.alice.user_id)
    work(runtime, a, collector=d.alice.user_id, team=d.team)
    token = service.next_contact(runtime, d.alice)["dial"]["token"]
    with pytest.raises(Forbidden):
        service.resolve_dial(runtime, d.alice, token)
    resolved = service.resolve_dial(runtime, d.lead, token)
    assert resolved["number"] == "+8613900010000" and resolved["uri"] == "tel:+8613900010000"
    with runtime.engine.connect() as conn:
        audit = conn.execute(select(audit_log).where(audit_log.c.action == "dial.resolve")).one()
    assert "+8613900010000" not in audit.details
    with pytest.raises(NotFound):
        service.resolve_dial(runtime, d.lead, "not-a-token-at-all")
    at(runtime, MORNING + timedelta(hours=1))
    with pytest.raises(NotFound):  # the lease ran out: so did the token
        service.resolve_dial(runtime, d.lead, token)
