"""The queue's cheap paths on SQLite and PostgreSQL: the decision, the lease history row and the lease kept
together (one statement on PostgreSQL), the attempt with its decision, ending a lease, the debtor read with
its live lease, the dialled point found among loaded rows, the bearer token resolved in one query, the
best-time chances read in one query, and the number of statements `next` and an attempt send (a guard
against creeping round trips)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from arrears.compliance.context import Context
from arrears.compliance.store import compliance_decisions, contact_attempts
from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.core.errors import InputRejected, NotFound
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from arrears.strategy.best_time.jobs import refresh_rates
from arrears.strategy.best_time.rules import (
    ALL_SEGMENT,
    cell_prior,
    clip_rate,
    debtor_rate,
    load_priors,
    pay_day_factor,
)
from arrears.strategy.best_time.service import rpc_chances
from arrears.strategy.best_time.store import debtor_cells, debtor_facts, rpc_hour_rates, segment_cells
from arrears.strategy.contactability import refresh_debtor
from arrears.users import login as logins
from arrears.users.store import api_tokens
from arrears.worklist import attempts, queries, service
from arrears.worklist.facts import DebtorFacts, load_many
from arrears.worklist.judge import judge
from arrears.worklist.lookups import dialled_point, scoped_debtor
from arrears.worklist.model import AttemptReport, CallOutcome
from arrears.worklist.rules import PointChoice
from arrears.worklist.store import debtor_leases, lease_log
from tests.authkit import bearer, make_team, make_user
from tests.integration import scoring_seed as seed
from tests.integration.worklist_seed import Debtor, Desk, debtor, desk, work

MORNING = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def setup(rt: Runtime) -> tuple[Desk, Debtor]:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.set(MORNING)
    d = desk(rt)
    a = debtor(rt, 1, d.team, d.alice.user_id)
    work(rt, a, collector=d.alice.user_id, team=d.team)
    return d, a


def count(rt: Runtime, table: Any) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def facts_of(rt: Runtime, conn: Any, debtor_id: int) -> DebtorFacts:
    f = load_many(conn, [debtor_id], rt.clock.now(), "Asia/Shanghai", "CN")[debtor_id]
    assert isinstance(f, DebtorFacts)
    return f


def decide(rt: Runtime, conn: Any, debtor_id: int, who: int, username: str) -> tuple[int, int] | None:
    """What `next` does once a debtor's phone is allowed: keep the decision and lease the debtor."""
    f = facts_of(rt, conn, debtor_id)
    points = [PointChoice(int(p.id), p.relationship, p.status, p.channel) for p in f.points]
    verdict = judge(points, Context(f.facts), f.rulesets, rt.clock.now())
    assert verdict.allowed and verdict.point is not None and verdict.decision is not None
    now = rt.clock.now()
    return queries.lease_decided(
        conn,
        debtor_id=debtor_id,
        collector_id=who,
        work_item_id=None,
        contact_point_id=verdict.point.id,
        decision=verdict.decision,
        collector_type=f.collector_type,
        requested_by=username,
        token=queries.new_token(),
        now=now,
        expires_at=now + timedelta(minutes=15),
    )


def test_next_keeps_the_decision_the_history_row_and_the_lease_together(runtime: Runtime) -> None:
    d, a = setup(runtime)
    answer = service.next_contact(runtime, d.alice)
    assert answer["status"] == "leased"
    with runtime.engine.connect() as conn:
        lease = conn.execute(select(debtor_leases)).one()
        logged = conn.execute(select(lease_log)).one()
        decision = conn.execute(select(compliance_decisions)).one()
    assert lease.lease_id == logged.id == answer["lease"]["id"]
    assert lease.decision_id == decision.id == answer["decision_id"]
    assert (lease.debtor_id, lease.collector_id) == (a.id, d.alice.user_id)
    assert (logged.debtor_id, logged.collector_id, logged.work_item_id) == (
        a.id,
        d.alice.user_id,
        answer["work_item"]["id"],
    )
    assert decision.allowed and decision.debtor_id == a.id and decision.requested_by == d.alice.username
    assert decision.contact_point_id == lease.contact_point_id == answer["contact_point"]["id"]
    assert decision.rules_checked and decision.rulesets == answer["rulesets"]


def test_a_held_debtor_is_not_leased_and_nothing_of_the_try_is_kept(runtime: Runtime) -> None:
    d, a = setup(runtime)
    assert service.next_contact(runtime, d.alice)["status"] == "leased"
    before = (count(runtime, compliance_decisions), count(runtime, lease_log))
    assert d.bob.user_id is not None
    with runtime.engine.begin() as conn:
        assert decide(runtime, conn, a.id, d.bob.user_id, d.bob.username) is None
    assert (count(runtime, compliance_decisions), count(runtime, lease_log)) == before
    with runtime.engine.connect() as conn:
        assert conn.execute(select(debtor_leases.c.collector_id)).scalar_one() == d.alice.user_id


def test_an_expired_lease_is_taken_over_with_the_new_decision(runtime: Runtime) -> None:
    d, a = setup(runtime)
    first = service.next_contact(runtime, d.alice)
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.advance(timedelta(minutes=runtime.settings.lease_minutes, seconds=1))
    assert d.bob.user_id is not None
    with runtime.engine.begin() as conn:
        taken = decide(runtime, conn, a.id, d.bob.user_id, d.bob.username)
    assert taken is not None
    lease_id, decision_id = taken
    assert lease_id != first["lease"]["id"] and decision_id != first["decision_id"]
    with runtime.engine.connect() as conn:
        lease = conn.execute(select(debtor_leases)).one()
        decision = conn.execute(
            select(compliance_decisions).where(compliance_decisions.c.id == decision_id)
        ).one()
    assert (lease.lease_id, lease.collector_id, lease.decision_id) == (lease_id, d.bob.user_id, decision_id)
    assert decision.requested_by == d.bob.username and decision.debtor_id == a.id


def test_an_attempt_is_kept_with_its_decision(runtime: Runtime) -> None:
    d, a = setup(runtime)
    answer = service.next_contact(runtime, d.alice)
    start = MORNING - timedelta(minutes=2)
    report = AttemptReport(a.id, CallOutcome.NO_ANSWER, start, start + timedelta(minutes=1), a.mobile)
    out = attempts.record_attempt(runtime, d.alice, report)
    with runtime.engine.connect() as conn:
        row = conn.execute(select(contact_attempts).where(contact_attempts.c.id == out["attempt_id"])).one()
        decision = conn.execute(
            select(compliance_decisions).where(compliance_decisions.c.id == out["decision_id"])
        ).one()
    assert out["decision_id"] is not None and out["decision_id"] != answer["decision_id"]
    assert row.decision_id == decision.id and row.lease_id == answer["lease"]["id"]
    assert decision.allowed and decision.proposed_at == start and decision.contact_point_id == a.mobile
    assert out["lease_released"] == answer["lease"]["id"] and count(runtime, debtor_leases) == 0


def test_an_inbound_call_is_kept_without_a_decision(runtime: Runtime) -> None:
    d, a = setup(runtime)
    start = MORNING - timedelta(minutes=2)
    report = AttemptReport(
        a.id, CallOutcome.RIGHT_PARTY_REACHED, start, start + timedelta(minutes=1), a.mobile, inbound=True
    )
    out = attempts.record_attempt(runtime, d.alice, report)
    with runtime.engine.connect() as conn:
        row = conn.execute(select(contact_attempts).where(contact_attempts.c.id == out["attempt_id"])).one()
    assert out["decision_id"] is None and row.decision_id is None and row.direction == "inbound"
    assert count(runtime, compliance_decisions) == 0


def test_contactability_is_recomputed_from_the_state_read_with_the_debtor(runtime: Runtime) -> None:
    d, a = setup(runtime)
    start = MORNING - timedelta(minutes=2)

    def stored() -> str:
        with runtime.engine.connect() as conn:
            return str(
                conn.execute(select(debtors.c.contactability).where(debtors.c.id == a.id)).scalar_one()
            )

    out = attempts.record_attempt(
        runtime, d.alice, AttemptReport(a.id, CallOutcome.INVALID_NUMBER, start, None, a.mobile)
    )
    assert out["contactability"] == stored() == "semi_lost"  # only the spouse's phone still works
    out = attempts.record_attempt(
        runtime, d.alice, AttemptReport(a.id, CallOutcome.WRONG_PARTY, start, None, a.spouse)
    )
    assert out["contactability"] == stored() == "lost"
    with runtime.engine.begin() as conn:  # the stored state is corrected when the one handed in differs
        conn.execute(debtors.update().where(debtors.c.id == a.id).values(contactability="contactable"))
        assert refresh_debtor(conn, a.id, runtime.clock.now(), current="contactable") == "lost"
    assert stored() == "lost"


def test_ending_a_lease_says_whether_it_was_live_and_closes_its_history_once(runtime: Runtime) -> None:
    d, _ = setup(runtime)
    lease_id = service.next_contact(runtime, d.alice)["lease"]["id"]
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        assert queries.end(conn, lease_id, now, "released") is True
    with runtime.engine.begin() as conn:
        assert queries.end(conn, lease_id, now + timedelta(minutes=1), "attempt") is False
    with runtime.engine.connect() as conn:
        logged = conn.execute(select(lease_log)).one()
    assert (logged.ended_at, logged.end_reason) == (now, "released")
    assert count(runtime, debtor_leases) == 0


def test_an_expired_lease_ends_as_not_live_but_its_history_is_closed(runtime: Runtime) -> None:
    d, _ = setup(runtime)
    lease_id = service.next_contact(runtime, d.alice)["lease"]["id"]
    later = runtime.clock.now() + timedelta(minutes=runtime.settings.lease_minutes + 1)
    with runtime.engine.begin() as conn:
        assert queries.end(conn, lease_id, later, "attempt") is False
    with runtime.engine.connect() as conn:
        logged = conn.execute(select(lease_log)).one()
    assert (logged.ended_at, logged.end_reason) == (later, "attempt")


def test_the_debtor_is_read_in_scope_with_its_live_lease(runtime: Runtime) -> None:
    d, a = setup(runtime)
    outsider = make_user(runtime, Role.COLLECTOR, team_id=make_team(runtime))
    now = runtime.clock.now()
    with runtime.engine.connect() as conn:
        assert scoped_debtor(conn, outsider, a.id, now) is None
        assert scoped_debtor(conn, d.alice, a.id + 999, now) is None
        row = scoped_debtor(conn, d.alice, a.id, now)
        assert row is not None and row.d_id == a.id and row.timezone == "Asia/Shanghai"
        assert queries.lease_of(row) is None
    answer = service.next_contact(runtime, d.alice)
    with runtime.engine.connect() as conn:
        lease = queries.lease_of(scoped_debtor(conn, d.bob, a.id, now))
        assert lease == queries.lease_on(conn, a.id, now)
        assert lease is not None and lease.lease_id == answer["lease"]["id"]
        assert lease.collector_id == d.alice.user_id
        later = now + timedelta(minutes=runtime.settings.lease_minutes, seconds=1)
        assert queries.lease_of(scoped_debtor(conn, d.alice, a.id, later)) is None


def test_the_dialled_point_is_found_among_the_loaded_points_as_by_a_query(runtime: Runtime) -> None:
    d, a = setup(runtime)
    other = debtor(runtime, 2, d.team, d.alice.user_id)
    start = MORNING - timedelta(minutes=2)
    with runtime.engine.connect() as conn:
        known = facts_of(runtime, conn, a.id).points
        for point_id in (a.mobile, a.spouse):
            report = AttemptReport(a.id, CallOutcome.BUSY, start, None, point_id)
            found, queried = dialled_point(conn, a.id, report, known), dialled_point(conn, a.id, report)
            assert found is not None and queried is not None and found.id == queried.id == point_id
        by_phone = AttemptReport(a.id, CallOutcome.BUSY, start, None, None, phone=f" {known[1].value} ")
        assert dialled_point(conn, a.id, by_phone, known).id == known[1].id
        assert dialled_point(conn, a.id, by_phone, known).id == dialled_point(conn, a.id, by_phone).id
        unknown = AttemptReport(a.id, CallOutcome.BUSY, start, None, None, phone="+8610000000")
        assert dialled_point(conn, a.id, unknown, known) is None
        with pytest.raises(InputRejected, match="not one of debtor"):
            dialled_point(conn, a.id, AttemptReport(a.id, CallOutcome.BUSY, start, None, other.mobile), known)
        with pytest.raises(NotFound):
            dialled_point(conn, a.id, AttemptReport(a.id, CallOutcome.BUSY, start, None, 10**9), known)


def test_a_bearer_token_is_resolved_in_one_query_and_its_use_noted_at_most_every_five_minutes(
    runtime: Runtime,
) -> None:
    d, _ = setup(runtime)
    token = bearer(runtime, d.alice)["Authorization"][len("Bearer ") :]
    assert isinstance(runtime.clock, FixedClock)
    first = runtime.clock.now()

    def used() -> Any:
        with runtime.engine.connect() as conn:
            return conn.execute(select(api_tokens.c.last_used_at)).scalar_one()

    with statements(runtime) as sent:
        found = logins.authenticate(runtime, bearer=token)
    assert found is not None and found.principal == d.alice and found.via == "token"
    assert used() == first and len(sent) == 2  # the look-up, then the first note of use
    runtime.clock.advance(timedelta(minutes=4))
    with statements(runtime) as sent:
        assert logins.authenticate(runtime, bearer=token) is not None
    assert used() == first and len(sent) == 1
    runtime.clock.advance(timedelta(minutes=2))
    assert logins.authenticate(runtime, bearer=token) is not None
    assert used() == runtime.clock.now()
    assert logins.authenticate(runtime, bearer=token + "x") is None


@contextmanager
def statements(rt: Runtime) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(rt.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(rt.engine, "before_cursor_execute", note)


def reference_chances(conn: Any, ids: list[int], weekday: int, hour: int, day: Any) -> dict[int, float]:
    """The RPC chances as three queries gave them (debtor facts, segment cells, debtor cells)."""
    priors = load_priors()
    facts = debtor_facts(conn, ids)
    cells = segment_cells(conn, {s for s, _, _ in facts.values()} | {ALL_SEGMENT}, weekday, hour)
    own = debtor_cells(conn, list(facts), weekday, hour)
    out = {}
    for debtor_id, (segment, pay_day, _) in facts.items():
        rate = cells.get((segment, hour), cells.get((ALL_SEGMENT, hour)))
        if rate is None:
            rate = cell_prior(priors.base_rate, weekday, hour, priors)
        if (debtor_id, hour) in own:
            n, r = own[(debtor_id, hour)]
            rate = debtor_rate(r, n, rate, priors)
        out[debtor_id] = clip_rate(rate * pay_day_factor(day, pay_day, priors))
    return out


def test_the_best_time_chances_in_one_query_equal_the_three_query_figures(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        a = seed.debtor(conn, timezone="Asia/Shanghai")
        b = seed.debtor(conn, timezone="Asia/Shanghai", pay_day=2)
        c = seed.debtor(conn, timezone="Asia/Shanghai")
        e = seed.debtor(conn, timezone="Asia/Shanghai")  # no account: segment "none/person"
        seed.account(conn, a, product="consumer_loan")
        seed.account(conn, b, product="consumer_loan")
        seed.account(conn, c, product="credit_card")
        pa, pc = seed.point(conn, a), seed.point(conn, c)
        for minute, outcome in ((5, "connected_rpc"), (20, "no_answer"), (40, "connected_rpc")):
            seed.attempt(conn, a, pa, datetime(2026, 3, 30, 1, minute, tzinfo=UTC), outcome)
        seed.attempt(conn, c, pc, datetime(2026, 3, 30, 1, 30, tzinfo=UTC), "no_answer")
        refresh_rates(conn, date(2026, 3, 31), runtime.clock.now())
        # credit cards lose their Monday 09:00 cell (the "all" cell stands in); Monday 10:00 loses "all" too
        conn.execute(
            rpc_hour_rates.delete().where(
                rpc_hour_rates.c.weekday == 0,
                ((rpc_hour_rates.c.segment == "credit_card/person") & (rpc_hour_rates.c.hour == 9))
                | (rpc_hour_rates.c.hour == 10),
            )
        )
        ids = [a, b, c, e, 10**9]
        for weekday, hour, day in ((0, 9, date(2026, 3, 30)), (0, 10, None), (3, 15, date(2026, 3, 31))):
            got = rpc_chances(conn, ids, weekday, hour, day)
            assert got == pytest.approx(reference_chances(conn, ids, weekday, hour, day))
            assert set(got) == {a, b, c, e}
        assert rpc_chances(conn, [10**9], 0, 9) == {}
        monday9 = rpc_chances(conn, ids, 0, 9)
        assert monday9[a] != monday9[b]  # a's own calls count


# statements in the transaction (besides BEGIN/COMMIT). `next`: (SET LOCAL | BEGIN IMMEDIATE), the held
# lease, the candidates, 1 for the best-time chances, 4 for the policy facts, then the decision + lease
# history + lease (1 on PostgreSQL, 3 on SQLite). An attempt: the debtor with its contactability and live
# lease, 4 for the facts, the work item, decision + attempt (1 | 2), the item's fate, the lease's end
# (1 | 2), 2 to recompute contactability. (Before: 14 and 20 on PostgreSQL.)
NEXT_STATEMENTS = {"postgresql": 9, "sqlite": 11}
ATTEMPT_STATEMENTS = {"postgresql": 11, "sqlite": 14}


def test_next_and_an_attempt_send_a_bounded_number_of_statements(runtime: Runtime) -> None:
    d, a = setup(runtime)
    for n in range(2, 9):  # a full page of candidates
        work(runtime, debtor(runtime, n, d.team, d.alice.user_id), collector=d.alice.user_id, team=d.team)
    dialect = runtime.engine.dialect.name
    with statements(runtime) as sent:
        answer = service.next_contact(runtime, d.alice)
    assert answer["status"] == "leased"
    assert len(sent) <= NEXT_STATEMENTS[dialect], sent
    start = MORNING - timedelta(minutes=2)
    debtor_id, point = answer["debtor"]["id"], answer["contact_point"]["id"]
    report = AttemptReport(debtor_id, CallOutcome.NO_ANSWER, start, start + timedelta(minutes=1), point)
    with statements(runtime) as sent:
        attempts.record_attempt(runtime, d.alice, report)
    assert len(sent) <= ATTEMPT_STATEMENTS[dialect], sent
