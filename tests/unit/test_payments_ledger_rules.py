"""The account book and its ledger deltas (pure): payments, reversals, waivers, accruals, settlement,
balances as of a date, reconstructing an opening; property-tested: money is never created or lost."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arrears.payments.rules import (
    Book,
    Delta,
    PastEvent,
    accrual_delta,
    as_of,
    payment_delta,
    reconstruct,
    reversal_delta,
    settlement_delta,
    total,
    unpay,
    waiver_by_order,
    waiver_delta,
)
from arrears.portfolio.model import DEFAULT_ALLOCATION_ORDER, Component

F, N, INT, P = Component.FEES, Component.PENALTY, Component.INTEREST, Component.PRINCIPAL
ORDER = DEFAULT_ALLOCATION_ORDER


def book(fees: int = 0, penalty: int = 0, interest: int = 0, principal: int = 0, credit: int = 0) -> Book:
    return Book({F: fees, N: penalty, INT: interest, P: principal}, credit)


def test_payment_pays_in_contract_order_and_keeps_the_excess_as_credit() -> None:
    b = book(100, 200, 300, 1_000)
    d = payment_delta(b, 1_700, ORDER)
    assert d.parts == {F: -100, N: -200, INT: -300, P: -1_000} and d.credit == 100
    after = b.apply(d)
    assert after.owed == 0 and after.credit == 100


def test_custom_order_pays_principal_first() -> None:
    d = payment_delta(book(100, 0, 50, 1_000), 500, (P, INT, F, N))
    assert d.parts[P] == -500 and d.parts[F] == 0


def test_reversal_restores_exactly() -> None:
    b = book(100, 200, 300, 1_000, credit=7)
    paid = payment_delta(b, 2_000, ORDER)
    assert b.apply(paid).apply(reversal_delta(paid)) == b


def test_waiver_refuses_more_than_owed_and_negative_parts() -> None:
    b = book(100, 200)
    assert waiver_delta(b, {N: 150}).parts[N] == -150
    with pytest.raises(ValueError, match="cannot waive 201"):
        waiver_delta(b, {N: 201})
    with pytest.raises(ValueError, match="negative"):
        waiver_delta(b, {F: -1})


def test_waiver_by_order_takes_penalty_then_fees() -> None:
    assert waiver_by_order(book(100, 200, 0, 50), 250, (N, F, INT, P)) == {N: 200, F: 50, INT: 0, P: 0}
    with pytest.raises(ValueError):
        waiver_by_order(book(1), 2, (N, F, INT, P))


def test_accruals_and_settlement() -> None:
    assert accrual_delta("late_fee", 50).parts[F] == 50
    assert accrual_delta("penalty", 7).parts[N] == 7
    b = book(1, 2, 3, 4, credit=9)
    assert b.apply(settlement_delta(b)) == book(credit=9)


def test_apply_refuses_a_negative_component_or_credit() -> None:
    with pytest.raises(ValueError, match="fees"):
        book(1).apply(Delta({F: -2, N: 0, INT: 0, P: 0}))
    with pytest.raises(ValueError, match="credit"):
        book().apply(Delta(credit=-1))


def test_balance_as_of_sums_what_is_effective_by_the_day() -> None:
    d1, d2 = date(2026, 3, 1), date(2026, 3, 10)
    entries = [(d1, Delta({F: 0, N: 0, INT: 0, P: 1_000})), (d2, Delta({F: 0, N: 0, INT: 0, P: -400}))]
    assert as_of(entries, d1 - timedelta(days=1)).owed == 0
    assert as_of(entries, d1).owed == 1_000
    assert as_of(entries, d2).owed == 600


def test_unpay_is_consistent_with_allocation() -> None:
    after = book(0, 0, 30, 1_000)
    d = unpay(after, 70, ORDER)
    before = Book({c: after.parts[c] - d.parts[c] for c in Component}, after.credit - d.credit)
    assert payment_delta(before, 70, ORDER) == d
    fully = book(credit=40)
    d2 = unpay(fully, 100, ORDER)
    assert d2.credit == 40 and d2.parts[F] == -60


def test_reconstruct_walks_back_to_the_opening() -> None:
    events = [PastEvent(date(2026, 1, 5), 1, "accrual", 50, "late_fee"),
              PastEvent(date(2026, 2, 1), 2, "payment", 120),
              PastEvent(date(2026, 3, 1), 3, "accrual", 7, "penalty")]
    current = book(0, 7, 0, 930)
    opening, deltas, residual = reconstruct(current, events, ORDER)
    assert residual.is_zero()
    assert total([Delta(opening.parts, opening.credit), *deltas]) == current
    assert all(v >= 0 for v in opening.parts.values())


# --- property: random histories conserve money ------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10**9)
books_st = st.builds(book, amounts, amounts, amounts, amounts, st.integers(0, 10**6))
ops = st.lists(st.one_of(
    st.tuples(st.just("pay"), st.integers(1, 2 * 10**9)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("waive"), st.integers(0, 10**9)),
    st.tuples(st.just("accrue"), st.integers(0, 10**7)),
), max_size=40)


@settings(max_examples=300, deadline=None)
@given(books_st, ops, st.permutations(list(Component)))
def test_no_sequence_creates_or_loses_money(start: Book, steps: list[tuple[str, int]],
                                             order: list[Component]) -> None:
    b = start
    paid_in = reversed_out = waived = accrued = 0
    live: list[Delta] = []
    for kind, n in steps:
        if kind == "pay":
            d = payment_delta(b, n, order)
            live.append(d)
            paid_in += n
        elif kind == "reverse" and live:
            d = reversal_delta(live.pop(n % len(live)))
            reversed_out += d.total - d.credit
        elif kind == "waive":
            take = min(n, b.owed)
            d = waiver_delta(b, waiver_by_order(b, take, order))
            waived += take
        elif kind == "accrue":
            d = accrual_delta("penalty" if n % 2 else "late_fee", n)
            accrued += n
        else:
            continue
        b = b.apply(d)  # raises if a component or the credit would go negative
        assert all(v >= 0 for v in b.parts.values()) and b.credit >= 0
    # owed - credit moves by: + accruals - payments + reversals - waivers
    assert (b.owed - b.credit) == (start.owed - start.credit) + accrued - paid_in + reversed_out - waived


@settings(max_examples=200, deadline=None)
@given(books_st, st.lists(st.integers(1, 10**9), min_size=1, max_size=10), st.data())
def test_reversing_any_subset_restores_exactly(start: Book, payments: list[int], data: st.DataObject) -> None:
    b = start
    deltas = []
    for amount in payments:
        d = payment_delta(b, amount, ORDER)
        deltas.append(d)
        b = b.apply(d)
    for d in data.draw(st.permutations(deltas)):
        b = b.apply(reversal_delta(d))
    assert b == start


events_st = st.lists(st.tuples(st.integers(0, 60), st.sampled_from(["accrual", "payment"]),
                               st.integers(1, 10**7), st.sampled_from(["late_fee", "penalty"])), max_size=15)


@settings(max_examples=300, deadline=None)
@given(books_st, events_st, st.permutations(list(Component)))
def test_reconstruct_explains_any_history_it_can(start: Book, raw: list[tuple[int, str, int, str]],
                                                 order: list[Component]) -> None:
    from arrears.payments.rules import replay

    events = [PastEvent(date(2026, 1, 1) + timedelta(days=d), i, kind, amount, ak)
              for i, (d, kind, amount, ak) in enumerate(raw)]
    current, _ = replay(start, events, order)
    opening, deltas, residual = reconstruct(current, events, order)
    assert all(v >= 0 for v in opening.parts.values()) and opening.credit >= 0
    # whatever the history cannot explain is the residual: the books always add up
    summed = total([Delta(opening.parts, opening.credit), *deltas, residual])
    assert summed == current
