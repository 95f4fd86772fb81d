"""age_portfolio on SQLite and PostgreSQL: DPD and buckets, late fees, penalty interest, idempotency,
earlier dates, bucket history. Every figure is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, update

from arrears.core.errors import Conflict, InputRejected
from arrears.portfolio.aging.service import age_portfolio, recent_runs
from arrears.portfolio.store import accounts, accruals, aging_runs, bucket_history, due_items
from arrears.runtime import Runtime
from tests.integration.aging_seed import account, charges, count, debtor, history, state

AS_OF = date(2026, 3, 31)  # the clock fixture's date


def at(rt: Runtime, day: date) -> None:
    """Move the fixed clock to 23:00 UTC of a day."""
    rt.clock.set(datetime(day.year, day.month, day.day, 23, tzinfo=UTC))  # type: ignore[attr-defined]


def test_dpd_and_buckets_at_the_edges(runtime: Runtime) -> None:
    cases = {  # ref: (due date of the one item, paid, expected dpd, bucket)
        "paid": (date(2026, 1, 15), 100_000, 0, "M0"),
        "today": (date(2026, 3, 31), 0, 0, "M0"),
        "future": (date(2026, 4, 15), 0, 0, "M0"),
        "d1": (date(2026, 3, 30), 0, 1, "M1"),
        "d30": (date(2026, 3, 1), 0, 30, "M1"),
        "d31": (date(2026, 2, 28), 0, 31, "M2"),
        "d180": (date(2025, 10, 2), 0, 180, "M6"),
        "d181": (date(2025, 10, 1), 0, 181, "WO"),
        "part": (date(2026, 3, 21), 99_999, 10, "M1"),
    }
    with runtime.engine.begin() as conn:
        ids = {ref: account(conn, debtor(conn, ref), ref, (due, 100_000, paid)) for ref, (due, paid, _, _) in
               cases.items()}
    summary = age_portfolio(runtime, AS_OF)
    assert summary.accounts_aged == 9 and summary.first_aged == 9 and summary.bucket_moves == 0
    assert summary.buckets == {"M0": 3, "M1": 3, "M2": 1, "M3": 0, "M4": 0, "M5": 0, "M6": 1, "WO": 1}
    with runtime.engine.connect() as conn:
        for ref, (_, _, dpd, bucket) in cases.items():
            row = state(conn, ids[ref])
            assert (row.dpd, row.bucket, row.aged_as_of) == (dpd, bucket, AS_OF), ref
            assert history(conn, ids[ref]) == [(bucket, AS_OF, None, dpd)], ref


def test_late_fees_on_month_ends_with_grace(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        a = account(conn, debtor(conn, "D"), "A",
                    (date(2025, 12, 31), 100_000), (date(2026, 1, 31), 100_000), (date(2026, 2, 28), 100_000),
                    grace_days=3, late_fee_minor=5_000)
    # cycles: Dec 31, Jan 31, Feb 28 (each a due date and an anniversary), Mar 31 (+3 = Apr 3, not before)
    first = age_portfolio(runtime, AS_OF)
    assert (first.late_fees, first.late_fees_minor, first.penalty_minor) == (3, 15_000, 0)
    at(runtime, date(2026, 4, 3))
    assert age_portfolio(runtime, date(2026, 4, 3)).late_fees == 0  # Mar 31 + 3 = Apr 3: not before Apr 3
    at(runtime, date(2026, 4, 4))
    fourth = age_portfolio(runtime, date(2026, 4, 4))
    assert (fourth.late_fees, fourth.late_fees_minor) == (1, 5_000)
    with runtime.engine.connect() as conn:
        row = state(conn, a)
        assert (row.fees_minor, row.late_fee_through, row.dpd) == (20_000, date(2026, 3, 31), 94)
        assert [c[:4] for c in charges(conn, a)] == [
            ("late_fee", date(2025, 12, 31), 0, 5_000), ("late_fee", date(2026, 1, 31), 0, 5_000),
            ("late_fee", date(2026, 2, 28), 0, 5_000), ("late_fee", date(2026, 3, 31), 0, 5_000)]


def test_penalty_interest_by_hand(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        p1 = account(conn, d, "P1", (date(2026, 3, 1), 120_000), (date(2026, 3, 15), 60_000, 20_000),
                     penalty_rate_ppm=180_000, day_count=360)
        p2 = account(conn, d, "P2", (date(2026, 3, 1), 100_000, 10_000, 80_000),
                     penalty_rate_ppm=200_000, day_count=365, penalty_basis="overdue_principal")
    first = age_portfolio(runtime, AS_OF)
    # P1: (120,000 x 30 + 40,000 x 16) x 0.18 / 360 = 2,120
    # P2: min(80,000, 90,000) x 30 x 0.20 / 365 = 1,315.07 -> 1,315
    assert first.penalty_minor == 2_120 + 1_315 and first.penalty_accruals == 2
    at(runtime, date(2026, 4, 1))
    second = age_portfolio(runtime, date(2026, 4, 1))
    # P1: 160,000 x 1 x 0.18 / 360 = 80; P2: 80,000 x 1 x 0.20 / 365 = 43.84 -> 44
    assert second.penalty_minor == 80 + 44
    with runtime.engine.connect() as conn:
        assert charges(conn, p1) == [("penalty", AS_OF, 30, 2_120, AS_OF),
                                     ("penalty", date(2026, 4, 1), 1, 80, date(2026, 4, 1))]
        assert [c[2:4] for c in charges(conn, p2)] == [(30, 1_315), (1, 44)]
        assert (state(conn, p1).penalty_minor, state(conn, p1).penalty_through) == (2_200, date(2026, 4, 1))
        assert state(conn, p2).penalty_minor == 1_359


def test_the_same_date_twice_adds_nothing(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        a = account(conn, debtor(conn, "D"), "A", (date(2026, 1, 10), 50_000), (date(2026, 2, 10), 50_000),
                    late_fee_minor=2_500, penalty_rate_ppm=365_000, day_count=365)
    first = age_portfolio(runtime, AS_OF)
    assert (first.late_fees, first.cases_opened) == (3, 1)  # Jan 10, Feb 10, Mar 10
    with runtime.engine.connect() as conn:
        before = (state(conn, a), count(conn, accruals), count(conn, bucket_history))
    again = age_portfolio(runtime, AS_OF)
    assert (again.late_fees, again.penalty_minor, again.bucket_moves, again.first_aged) == (0, 0, 0, 0)
    assert (again.cases_opened, again.cases_closed, again.buckets["M3"]) == (0, 0, 1)
    with runtime.engine.connect() as conn:
        after = (state(conn, a), count(conn, accruals), count(conn, bucket_history))
    assert after[1:] == before[1:]
    assert {**after[0]._mapping, "updated_at": None} == {**before[0]._mapping, "updated_at": None}
    assert [r["as_of"] for r in recent_runs(runtime)] == [AS_OF, AS_OF]


def test_an_earlier_date_is_refused_and_nothing_changes(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        a = account(conn, debtor(conn, "D"), "A", (date(2026, 3, 1), 50_000), late_fee_minor=1_000)
    age_portfolio(runtime, AS_OF)
    with pytest.raises(Conflict, match="before the latest aging run"):
        age_portfolio(runtime, date(2026, 3, 30))
    with pytest.raises(InputRejected, match="after today"):
        age_portfolio(runtime, date(2026, 4, 1))
    with runtime.engine.connect() as conn:
        assert count(conn, aging_runs) == 1 and state(conn, a).dpd == 30
        assert [c[:2] for c in charges(conn, a)] == [("late_fee", date(2026, 3, 1))]


def test_bucket_history_moves_and_cure(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        a = account(conn, debtor(conn, "D"), "A", (date(2026, 1, 30), 100_000))
    moves = []
    for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)):  # 29, 30, 31 DPD
        moves.append(age_portfolio(runtime, day).moves)
    with runtime.engine.begin() as conn:
        conn.execute(update(due_items).where(due_items.c.account_id == a).values(paid_minor=100_000))
        conn.execute(update(accounts).where(accounts.c.id == a).values(principal_minor=0))
    cure = age_portfolio(runtime, date(2026, 3, 3))
    assert moves == [{}, {}, {"M1>M2": 1}] and cure.moves == {"M2>M0": 1} and cure.bucket_moves == 1
    with runtime.engine.connect() as conn:
        assert history(conn, a) == [("M1", date(2026, 2, 28), date(2026, 3, 2), 29),
                                    ("M2", date(2026, 3, 2), date(2026, 3, 3), 31),
                                    ("M0", date(2026, 3, 3), None, 0)]
        assert (state(conn, a).dpd, state(conn, a).bucket) == (0, "M0")


def test_thresholds_come_from_settings(runtime: Runtime) -> None:
    custom = Runtime(runtime.settings.model_copy(update={"bucket_thresholds": [10, 20]}), runtime.engine,
                     runtime.clock)
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        a15 = account(conn, d, "A15", (date(2026, 3, 16), 1_000))
        a25 = account(conn, d, "A25", (date(2026, 3, 6), 1_000))
    summary = age_portfolio(custom, AS_OF)
    assert summary.buckets == {"M0": 0, "M1": 0, "M2": 1, "WO": 1}
    with runtime.engine.connect() as conn:
        assert (state(conn, a15).bucket, state(conn, a25).bucket) == ("M2", "WO")


def test_only_active_accounts_are_aged(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        closed = account(conn, d, "C", (date(2026, 1, 1), 1_000), status="closed", late_fee_minor=500)
        active = account(conn, d, "A", (date(2026, 3, 30), 1_000))
    summary = age_portfolio(runtime, AS_OF)
    assert summary.accounts_aged == 1 and summary.late_fees == 0
    with runtime.engine.connect() as conn:
        assert (state(conn, closed).dpd, state(conn, closed).aged_as_of) == (0, None)
        assert history(conn, closed) == [] and charges(conn, closed) == []
        assert state(conn, active).dpd == 1


def test_a_failed_run_writes_nothing(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        a = account(conn, debtor(conn, "D"), "A", (date(2026, 3, 1), 1_000), late_fee_minor=500)
        # a charge the watermark does not know of: the run's own late fee for Mar 1 collides with it
        conn.execute(insert(accruals).values(account_id=a, kind="late_fee", period_date=date(2026, 3, 1),
                                             amount_minor=500, as_of=date(2026, 3, 2)))
    with pytest.raises(Conflict, match="rolled back"):
        age_portfolio(runtime, AS_OF)
    with runtime.engine.connect() as conn:
        row = state(conn, a)
        assert (row.dpd, row.bucket, row.fees_minor, row.aged_as_of, row.case_id) == (0, "M0", 0, None, None)
        assert (count(conn, aging_runs), count(conn, bucket_history), len(charges(conn, a))) == (0, 0, 1)


def test_progress_and_recent_runs(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        for i in range(3):
            account(conn, d, f"A{i}", (date(2026, 3, 1), 1_000), late_fee_minor=100)
    seen: list[tuple[int, int | None, str]] = []
    age_portfolio(runtime, date(2026, 3, 30), progress=lambda done, total=None, label="": seen.append(
        (done, total, label)))
    age_portfolio(runtime, AS_OF)
    assert seen[0] == (0, 3, "aging accounts") and (3, 3, "aging accounts") in seen and seen[-1][0] == 3
    runs = recent_runs(runtime, limit=5)
    assert [(r["as_of"], r["accounts_aged"], r["late_fees"], r["late_fees_minor"], r["cases_opened"])
            for r in runs] == [(AS_OF, 3, 0, 0, 0), (date(2026, 3, 30), 3, 3, 300, 1)]
    assert all(r["finished_at"] is not None for r in runs)
