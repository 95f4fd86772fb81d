"""Contactability refresh on both backends: the set-based SQL agrees with the rule, state is kept current."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Forbidden, NotFound
from arrears.portfolio.store import contact_points, debtors
from arrears.runtime import Runtime
from arrears.strategy.contactability import (
    AttemptFact,
    PointFacts,
    classify,
    compute_range,
    owner_of,
    refresh_all,
    refresh_contactability,
    refresh_debtor,
)
from tests.authkit import make_user
from tests.integration import scoring_seed as seed

AS_OF = date(2026, 3, 31)
RELATIONSHIPS = ["self", "self", "spouse", "parent", "friend", "payables"]
CONSENTS = ["debtor_gave", "contract_names", "public_record"]
STATUSES = ["valid", "valid", "unverified", "invalid", "wrong_party", "do_not_contact"]
OUTCOMES = ["no_answer", "no_answer", "busy", "voicemail", "connected_rpc", "connected_third_party",
            "invalid_number", "wrong_number", "sent", "refused"]


def _state(conn, debtor_id: int) -> tuple[str, object]:  # type: ignore[no-untyped-def]
    row = conn.execute(select(debtors.c.contactability, debtors.c.contactability_at)
                       .where(debtors.c.id == debtor_id)).one()
    return row[0], row[1]


def test_sql_agrees_with_the_rule_on_random_portfolios(runtime: Runtime) -> None:
    rng = random.Random(7)
    now = runtime.clock.now()
    expected: dict[int, str] = {}
    with runtime.engine.begin() as conn:
        for _ in range(60):
            d = seed.debtor(conn)
            points, outcomes = [], {}
            for _ in range(rng.randint(0, 3)):
                rel, consent, status = rng.choice(RELATIONSHIPS), rng.choice(CONSENTS), rng.choice(STATUSES)
                channel = rng.choice(["phone", "phone", "phone", "email"])
                p = seed.point(conn, d, rel, status, consent, channel)
                points.append(PointFacts(p, owner_of(rel, consent), status, channel))
                facts = []
                for _ in range(rng.choice([0, 1, 3, 6, 8])):
                    at = now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 23))
                    outcome = rng.choice(OUTCOMES)
                    facts.append(AttemptFact(at, outcome, seed.attempt(conn, d, p, at, outcome)))
                outcomes[p] = [f for f in facts if now - timedelta(days=30) <= f.at <= now]
            seed.attempt(conn, d, None, now - timedelta(days=1), "connected_rpc", direction="inbound")
            expected[d] = classify(points, outcomes).value
        computed = compute_range(conn, min(expected), max(expected), now)
        assert computed == expected
        counts = refresh_all(conn, AS_OF, now, chunk=7)  # several id ranges
        stored = dict(conn.execute(select(debtors.c.id, debtors.c.contactability)).all())
        assert stored == expected
        assert counts["contactable"] + counts["semi_lost"] + counts["lost"] == 60
        assert counts["changed"] == sum(1 for s in expected.values() if s != "contactable")
        assert len(set(expected.values())) == 3  # the sample covers every state
        for d in list(expected)[:15]:  # the per-debtor path gives the same answer
            assert refresh_debtor(conn, d, now) == expected[d]


def test_state_follows_outcomes_and_moves_its_timestamp_only_on_change(runtime: Runtime) -> None:
    clock = runtime.clock
    with runtime.engine.begin() as conn:
        d = seed.debtor(conn)
        own = seed.point(conn, d)
        spouse = seed.point(conn, d, "spouse", consent="debtor_gave")
        assert refresh_debtor(conn, d, clock.now()) == "contactable"
        assert _state(conn, d) == ("contactable", None)  # unchanged: no timestamp
        for k in range(5):
            seed.attempt(conn, d, own, clock.now() - timedelta(days=k), "no_answer")
        assert refresh_debtor(conn, d, clock.now()) == "semi_lost"
        assert _state(conn, d) == ("semi_lost", clock.now())
        seed.attempt(conn, d, spouse, clock.now(), "invalid_number")
        assert refresh_debtor(conn, d, clock.now()) == "lost"
        first = clock.now()
        clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
        assert refresh_debtor(conn, d, clock.now()) == "lost"
        assert _state(conn, d) == ("lost", first)  # still lost: the 'since' stays
        seed.attempt(conn, d, own, clock.now(), "connected_rpc")
        assert refresh_debtor(conn, d, clock.now()) == "contactable"
        # the window forgets: 31 days later the spouse's number counts again, the own one too
        conn.execute(update(contact_points).where(contact_points.c.id == own).values(status="invalid"))
        clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
        counts = refresh_all(conn, AS_OF, clock.now())
        assert counts["semi_lost"] == 1 and counts["changed"] == 1
        assert _state(conn, d) == ("semi_lost", clock.now())


def test_unknown_debtor_and_empty_portfolio(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        assert refresh_all(conn, AS_OF, runtime.clock.now()) == {
            "contactable": 0, "semi_lost": 0, "lost": 0, "changed": 0, "recomputed": 0}
        with pytest.raises(NotFound):
            refresh_debtor(conn, 999, runtime.clock.now())


def test_refresh_use_case_needs_batch_permission(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        seed.debtor(conn)
    assert refresh_contactability(runtime, SYSTEM)["lost"] == 1
    collector = make_user(runtime, Role.COLLECTOR)
    with pytest.raises(Forbidden):
        refresh_contactability(runtime, collector)


def test_the_increment_equals_a_full_recompute(runtime: Runtime) -> None:
    from arrears.core.clock import FixedClock

    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    rng = random.Random(11)
    with runtime.engine.begin() as conn:
        points: dict[int, list[int]] = {}
        for _ in range(40):
            d = seed.debtor(conn)
            kinds = [rng.choice(["self", "spouse"]) for _ in range(rng.randint(1, 2))]
            points[d] = [seed.point(conn, d, kind) for kind in kinds]
            for _ in range(rng.randint(0, 7)):
                at = clock.now() - timedelta(days=rng.randint(0, 29), hours=rng.randint(0, 23))
                seed.attempt(conn, d, rng.choice(points[d]), at, rng.choice(OUTCOMES))
        first = refresh_all(conn, AS_OF, clock.now())
        assert first["recomputed"] == 40
        # ten days on: calls (one recorded late), a number found invalid, a new debtor without phones
        clock.advance(timedelta(days=10))
        debtor_ids = sorted(points)
        for d in debtor_ids[:12]:
            for k in range(5):
                seed.attempt(conn, d, points[d][0], clock.now() - timedelta(days=k, hours=1), "no_answer",
                             created_at=clock.now() - timedelta(hours=1))
        seed.attempt(conn, debtor_ids[12], points[debtor_ids[12]][0], clock.now() - timedelta(days=9),
                     "invalid_number", created_at=clock.now())
        conn.execute(update(contact_points).where(contact_points.c.id == points[debtor_ids[13]][0])
                     .values(status="invalid", updated_at=clock.now()))
        seed.debtor(conn, created_at=clock.now(), updated_at=clock.now())
        second = refresh_all(conn, AS_OF, clock.now())
        assert 14 <= second["recomputed"] < 41  # the affected ones (and those whose calls aged out)
        stored = dict(conn.execute(select(debtors.c.id, debtors.c.contactability)).all())
        assert stored == compute_range(conn, 1, 10**9, clock.now())
        # 25 more days without a call: the old failures leave the window, states come back
        clock.advance(timedelta(days=25))
        third = refresh_all(conn, AS_OF, clock.now())
        stored = dict(conn.execute(select(debtors.c.id, debtors.c.contactability)).all())
        assert stored == compute_range(conn, 1, 10**9, clock.now())
        assert third["changed"] > 0
        assert refresh_all(conn, AS_OF, clock.now(), full=True)["changed"] == 0  # nothing left behind
