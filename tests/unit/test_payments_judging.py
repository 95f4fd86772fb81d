"""Promise and plan rules (pure): tolerance, judging, attributing payments, schedules, break rule,
reminder times in the debtor's zone, re-aging due items."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.payments.judging import (
    PaidItem,
    PromiseWindow,
    add_months,
    attribute,
    followup_at,
    instalments_paid,
    judge,
    plan_breaks,
    reage_items,
    reminder_at,
    schedule,
    split_amount,
    tolerance,
)
from arrears.payments.model import PromiseStatus as S
from arrears.payments.policy import PromisePolicy

SH = ZoneInfo("Asia/Shanghai")
D = date(2026, 4, 3)


def test_tolerance_is_the_larger_of_absolute_and_percent() -> None:
    assert tolerance(50_000, 100, Decimal(1)) == 500
    assert tolerance(5_000, 100, Decimal(1)) == 100
    assert tolerance(5_000, 0, Decimal(0)) == 0


@pytest.mark.parametrize(("paid", "as_of", "status"), [
    (50_000, date(2026, 4, 1), S.KEPT),            # covered early: kept at once
    (49_600, date(2026, 4, 1), S.KEPT),            # within tolerance (500)
    (49_000, date(2026, 4, 5), S.PENDING),          # short, but due + grace (2 days) not over
    (49_000, date(2026, 4, 6), S.PARTLY_KEPT),
    (0, date(2026, 4, 6), S.BROKEN),
    (0, date(2026, 4, 5), S.PENDING),
])
def test_judge(paid: int, as_of: date, status: S) -> None:
    assert judge(50_000, paid, D, 2, 500, as_of) is status


def test_attribute_fills_earliest_due_first_within_windows_and_never_twice() -> None:
    pays = [PaidItem(1, date(2026, 4, 1), 300), PaidItem(2, date(2026, 4, 10), 500)]
    wins = [PromiseWindow(10, date(2026, 3, 31), date(2026, 4, 2), 2, 200),
            PromiseWindow(11, date(2026, 3, 31), date(2026, 4, 12), 0, 1_000)]
    assert attribute(pays, wins) == {10: 200, 11: 600}
    outside = [PromiseWindow(12, date(2026, 4, 2), date(2026, 4, 3), 0, 100)]
    assert attribute(pays, outside) == {12: 0}


def test_payments_on_the_books_before_the_promise_do_not_count() -> None:
    made = datetime(2026, 3, 31, 10, tzinfo=UTC)
    before = PaidItem(1, date(2026, 3, 31), 100, datetime(2026, 3, 31, 9, tzinfo=UTC))
    after = PaidItem(2, date(2026, 3, 31), 100, datetime(2026, 3, 31, 11, tzinfo=UTC))
    w = PromiseWindow(1, date(2026, 3, 31), D, 0, 500, made)
    assert attribute([before, after], [w]) == {1: 100}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 10**6), max_size=8), st.lists(st.integers(1, 10**6), max_size=6))
def test_attribute_never_exceeds_payments_or_promises(paid: list[int], promised: list[int]) -> None:
    pays = [PaidItem(i, date(2026, 4, 1), a) for i, a in enumerate(paid)]
    wins = [PromiseWindow(i, date(2026, 3, 1), date(2026, 4, 1 + i), 0, a) for i, a in enumerate(promised)]
    got = attribute(pays, wins)
    assert sum(got.values()) == min(sum(paid), sum(promised))
    assert all(got[w.id] <= w.amount_minor for w in wins)


def test_instalments_fill_in_order_and_the_plan_breaks_after_n_missed() -> None:
    assert instalments_paid([100, 100, 100], 150) == [100, 50, 0]
    assert not plan_breaks([S.KEPT, S.BROKEN, S.PENDING], 2)
    assert plan_breaks([S.BROKEN, S.PARTLY_KEPT], 2)


def test_split_and_schedule() -> None:
    assert split_amount(1_000, 3) == [334, 333, 333]
    with pytest.raises(ValueError):
        split_amount(2, 3)
    assert schedule(date(2026, 1, 31), 3, "monthly") == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3,
                                                                                                    31)]
    assert schedule(date(2026, 4, 1), 2, "biweekly") == [date(2026, 4, 1), date(2026, 4, 15)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    with pytest.raises(ValueError):
        schedule(D, 2, "daily")


def test_reminder_the_day_before_in_the_debtors_zone_or_shortly_before() -> None:
    policy = PromisePolicy()
    now = datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert reminder_at(D, None, SH, now, policy) == datetime(2026, 4, 2, 2, tzinfo=UTC)
    today = date(2026, 3, 31)  # due today at 20:00 Shanghai: two hours before, 18:00 = 10:00 UTC
    assert reminder_at(today, time(20, 0), SH, now, policy) == now
    assert reminder_at(date(2026, 4, 1), time(20, 0), SH, now, policy) == datetime(2026, 4, 1, 10, tzinfo=UTC)
    assert followup_at(D, 2, SH, now, policy) == datetime(2026, 4, 4, 2, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=8),
       st.lists(st.integers(0, 90), min_size=1, max_size=6))
def test_reage_moves_overdue_amounts_without_changing_what_is_owed(
        raw: list[tuple[int, int, int]], ahead: list[int]) -> None:
    today = date(2026, 3, 31)
    items = {}
    for offset, amount, paid in raw:
        d = date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + offset)
        items[d] = (amount + paid, paid)  # paid never above amount
    before = [(d, a, p) for d, (a, p) in items.items()]
    dates = [date.fromordinal(today.toordinal() + n) for n in ahead]
    after = reage_items(before, today, dates)
    assert sum(a - p for a, p in after.values()) == sum(a - p for _, a, p in before)
    assert all(a == p for d, (a, p) in after.items() if d < today)
    assert all(0 <= p <= a for a, p in after.values())
