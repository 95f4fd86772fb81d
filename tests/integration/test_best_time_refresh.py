"""Best time on both backends: calls counted in local time, smoothed rates, chances and best hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.strategy.best_time.jobs import refresh_rates
from arrears.strategy.best_time.rules import load_priors
from arrears.strategy.best_time.service import (
    best_hours,
    debtor_best_time,
    rpc_chances,
    rpc_chances_at,
)
from arrears.strategy.best_time.store import debtor_hour_counts, rpc_hour_rates
from tests.authkit import make_agency, make_user
from tests.integration import scoring_seed as seed

AS_OF = date(2026, 3, 31)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def portfolio(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.begin() as conn:
        a = seed.debtor(conn, timezone="Asia/Shanghai")
        b = seed.debtor(conn, timezone="America/New_York")
        c = seed.debtor(conn, timezone="Asia/Shanghai", pay_day=2)
        seed.account(conn, a, product="consumer_loan")
        seed.account(conn, b, product="credit_card")
        seed.account(conn, b, product="consumer_loan", principal_minor=10)  # the largest decides: card
        seed.account(conn, c, product="consumer_loan")
        pa, pb = seed.point(conn, a), seed.point(conn, b)
        # A: Monday 2026-03-30 09:xx Shanghai = 01:xx UTC, 3 calls, 2 RPCs; 12:xx local, 2 calls, none
        for minute, outcome in ((5, "connected_rpc"), (20, "no_answer"), (40, "connected_rpc")):
            seed.attempt(conn, a, pa, utc(2026, 3, 30, 1, minute), outcome)
        for minute in (10, 50):
            seed.attempt(conn, a, pa, utc(2026, 3, 30, 4, minute), "no_answer")
        seed.attempt(conn, a, pa, utc(2026, 3, 30, 2, 0), "sent", channel="sms")  # not a call
        seed.attempt(conn, a, pa, utc(2026, 3, 30, 3, 0), "connected_rpc", direction="inbound")
        seed.attempt(conn, a, pa, utc(2025, 9, 1, 1, 0), "connected_rpc")  # older than 180 days
        # B: New York, Monday 10:00 EDT after the DST change, Friday 10:00 EST before it
        seed.attempt(conn, b, pb, utc(2026, 3, 9, 14, 0), "connected_rpc")
        seed.attempt(conn, b, pb, utc(2026, 3, 6, 15, 0), "no_answer")
    return {"a": a, "b": b, "c": c}


def test_refresh_counts_in_local_time_and_smooths(runtime: Runtime, portfolio: dict[str, int]) -> None:
    p = load_priors()
    with runtime.engine.begin() as conn:
        summary = refresh_rates(conn, AS_OF, runtime.clock.now())
        assert (summary.attempts, summary.rpcs, summary.debtors_with_history) == (7, 3, 2)
        cells = {(d, w, h): (n, r) for d, w, h, n, r in conn.execute(select(debtor_hour_counts))}
        a, b = portfolio["a"], portfolio["b"]
        assert cells == {(a, 0, 9): (3, 2), (a, 0, 12): (2, 0), (b, 0, 10): (1, 1), (b, 4, 10): (1, 0)}
        rates = {(s, w, h): (n, r, rate, prior) for s, w, h, n, r, rate, prior, _ in
                 conn.execute(select(rpc_hour_rates))}
        assert {s for s, _, _ in rates} == {"all", "consumer_loan/person", "credit_card/person"}
        assert len(rates) == 3 * 7 * 24
        base = (2 + 200 * 0.15) / (5 + 200)  # consumer_loan/person: 2 RPCs in 5 calls
        prior = base * 1.35 * 0.90  # Monday 09:00
        n, r, rate, stored_prior = rates[("consumer_loan/person", 0, 9)]
        assert (n, r) == (3, 2)
        assert stored_prior == pytest.approx(prior)
        assert rate == pytest.approx((2 + 20 * prior) / (3 + 20))
        assert rates[("all", 0, 10)][:2] == (1, 1)
        # a debtor with history: pulled toward the segment cell with strength 8
        chances = rpc_chances(conn, [a, portfolio["c"], 99_999], 0, 9)
        assert set(chances) == {a, portfolio["c"]}  # unknown debtors are left out
        assert chances[a] == pytest.approx((2 + 8 * rate) / (3 + 8))
        assert chances[portfolio["c"]] == pytest.approx(rate)
        # three days before C's pay day (the 2nd): Monday 2026-03-30 lifts the chance
        lifted = rpc_chances(conn, [portfolio["c"]], 0, 9, date(2026, 3, 30))
        assert lifted[portfolio["c"]] == pytest.approx(rate * p.pay_day_factor)
        # rerun: same tables, nothing doubled
        refresh_rates(conn, AS_OF, runtime.clock.now())
        assert len(list(conn.execute(select(debtor_hour_counts)))) == 4


def test_best_hours_and_local_moments(runtime: Runtime, portfolio: dict[str, int]) -> None:
    with runtime.engine.begin() as conn:
        refresh_rates(conn, AS_OF, runtime.clock.now())
        monday = date(2026, 3, 30)
        hours = best_hours(conn, portfolio["a"], monday, top=13)
        assert [h for h, _ in hours][0] == 9  # A answers at nine
        assert [h for h, _ in hours][-1] == 12  # and not at lunch
        assert all(8 <= h <= 20 for h, _ in hours) and len(hours) == 13
        chances = [c for _, c in hours]
        assert chances == sorted(chances, reverse=True)
        assert best_hours(conn, portfolio["c"], monday, top=1)[0][0] == 9  # the prior: early morning
        at = utc(2026, 3, 30, 1, 30)  # 09:30 Monday in Shanghai, 21:30 Sunday in New York
        a, b = portfolio["a"], portfolio["b"]
        both = rpc_chances_at(conn, [a, b], at)
        assert both[a] == pytest.approx(rpc_chances(conn, [a], 0, 9)[a])
        assert both[b] == pytest.approx(rpc_chances(conn, [b], 6, 21)[b])
        with pytest.raises(InputRejected):
            rpc_chances(conn, [portfolio["a"]], 7, 9)
        with pytest.raises(NotFound):
            best_hours(conn, 99_999, monday)


def test_chances_before_any_refresh_are_the_priors(runtime: Runtime, portfolio: dict[str, int]) -> None:
    with runtime.engine.connect() as conn:
        chance = rpc_chances(conn, [portfolio["a"]], 2, 9)[portfolio["a"]]
    assert chance == pytest.approx(0.15 * 1.35 * 1.10)


def test_debtor_best_time_use_case_and_scope(runtime: Runtime, portfolio: dict[str, int]) -> None:
    with runtime.engine.begin() as conn:
        refresh_rates(conn, AS_OF, runtime.clock.now())
    result = debtor_best_time(runtime, SYSTEM, portfolio["a"], date(2026, 3, 30))
    assert result.has_history and result.best[0][0] == 9 and result.segment == "consumer_loan/person"
    assert set(result.hours) == set(range(8, 21))
    default_day = debtor_best_time(runtime, SYSTEM, portfolio["b"])
    assert default_day.local_date == date(2026, 3, 31)  # 06:00 in New York on the clock's day
    agency_user = make_user(runtime, Role.AGENCY_USER, agency_id=make_agency(runtime))
    with pytest.raises(NotFound):  # nothing of A is placed with that agency
        debtor_best_time(runtime, agency_user, portfolio["a"])


def _tables(conn) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:  # type: ignore[no-untyped-def]
    cells = {tuple(r) for r in conn.execute(select(debtor_hour_counts))}
    t = rpc_hour_rates
    rates = {(s, w, h, n, r, round(rate, 9)) for s, w, h, n, r, rate in
             conn.execute(select(t.c.segment, t.c.weekday, t.c.hour, t.c.attempts, t.c.rpcs, t.c.rate))}
    return cells, rates


def test_the_increment_equals_a_full_recount(runtime: Runtime, portfolio: dict[str, int]) -> None:
    from datetime import timedelta

    from arrears.core.clock import FixedClock

    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    a, b = portfolio["a"], portfolio["b"]
    with runtime.engine.begin() as conn:
        first = refresh_rates(conn, AS_OF, clock.now())
        assert first.mode == "full"
        # a day later: new calls (one recorded late, for a call started yesterday), one recorded long ago
        clock.advance(timedelta(days=1))
        pa = seed.point(conn, a, "spouse")
        seed.attempt(conn, a, pa, clock.now() - timedelta(hours=3), "connected_rpc")
        seed.attempt(conn, b, None, clock.now() - timedelta(days=2), "no_answer", created_at=clock.now())
        second = refresh_rates(conn, AS_OF, clock.now())
        assert second.mode == "incremental" and second.changed_cells == 2
        incremental = _tables(conn)
        full = refresh_rates(conn, AS_OF, clock.now(), full=True)
        assert full.mode == "full"
        assert _tables(conn) == incremental
        # 170 days on, B's early-March calls leave the 180-day window: taken off by the increment
        clock.advance(timedelta(days=170))
        third = refresh_rates(conn, AS_OF, clock.now())
        assert third.mode == "incremental"
        incremental = _tables(conn)
        refresh_rates(conn, AS_OF, clock.now(), full=True)
        assert _tables(conn) == incremental
        assert second.attempts == 9 and third.attempts == 7  # B's two early-March calls left the window
        # a gap longer than the window: a full recount again
        clock.advance(timedelta(days=400))
        assert refresh_rates(conn, AS_OF, clock.now()).mode == "full"
