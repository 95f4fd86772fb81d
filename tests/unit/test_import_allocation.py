"""Payment allocation: pure, and it never creates or loses money (property-tested with hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.payments.rules import Allocation, allocate, oldest_unpaid, parse_order, pay_due_items
from arrears.portfolio.model import DEFAULT_ALLOCATION_ORDER, Component, DueItem

F, N, INT, P = Component.FEES, Component.PENALTY, Component.INTEREST, Component.PRINCIPAL
balances_st = st.fixed_dictionaries({c: st.integers(min_value=0, max_value=10**12) for c in Component})
orders_st = st.permutations(list(Component))


def test_pays_components_in_order() -> None:
    got = allocate(1_000, {F: 100, N: 200, INT: 300, P: 5_000}, DEFAULT_ALLOCATION_ORDER)
    assert got == Allocation(parts={F: 100, N: 200, INT: 300, P: 400}, credit=0)
    assert got.applied == 1_000
    assert got.remaining({F: 100, N: 200, INT: 300, P: 5_000}) == {F: 0, N: 0, INT: 0, P: 4_600}


def test_custom_order_and_overpayment() -> None:
    got = allocate(10_000, {F: 100, N: 0, INT: 300, P: 5_000}, (P, INT, F, N))
    assert got.parts == {P: 5_000, INT: 300, F: 100, N: 0} and got.credit == 4_600


def test_zero_payment_and_empty_balances() -> None:
    assert allocate(0, {F: 5}, DEFAULT_ALLOCATION_ORDER).applied == 0
    assert allocate(700, {}, DEFAULT_ALLOCATION_ORDER).credit == 700


@pytest.mark.parametrize(
    ("amount", "balances", "order", "reason"),
    [
        (-1, {}, DEFAULT_ALLOCATION_ORDER, "negative"),
        (1, {F: -5}, DEFAULT_ALLOCATION_ORDER, "negative"),
        (1, {}, (F, N, INT), "each component once"),
        (1, {}, (F, F, INT, P), "each component once"),
    ],
)
def test_refuses_nonsense(
    amount: int, balances: dict[Component, int], order: tuple[Component, ...], reason: str
) -> None:
    with pytest.raises(ValueError, match=reason):
        allocate(amount, balances, order)


@given(st.integers(min_value=0, max_value=10**13), balances_st, orders_st)
def test_never_creates_or_loses_money(
    amount: int, balances: dict[Component, int], order: list[Component]
) -> None:
    got = allocate(amount, balances, order)
    assert got.applied + got.credit == amount
    assert all(0 <= got.parts[c] <= balances[c] for c in Component)
    assert sum(got.remaining(balances).values()) == sum(balances.values()) - got.applied
    assert got.credit == max(0, amount - sum(balances.values()))


@given(st.integers(min_value=0, max_value=10**13), balances_st, orders_st)
def test_earlier_components_are_cleared_first(
    amount: int, balances: dict[Component, int], order: list[Component]
) -> None:
    got = allocate(amount, balances, order)
    for i, component in enumerate(order):
        if got.parts[component] < balances[component]:
            assert all(got.parts[later] == 0 for later in order[i + 1 :])


@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(0, 10**6), st.integers(0, 10**6)), max_size=8),
    st.integers(min_value=0, max_value=10**7),
)
def test_due_items_are_paid_oldest_first(specs: list[tuple[int, int, int]], amount: int) -> None:
    start = date(2025, 1, 1)
    items = [DueItem(start + timedelta(days=d), total, min(paid, total)) for d, total, paid in specs]
    paid, left = pay_due_items(amount, items)
    assert len(paid) == len(items)
    taken = sum(p.paid_minor - i.paid_minor for p, i in zip(paid, items, strict=True))
    assert taken + left == amount and left == max(0, amount - sum(i.unpaid_minor for i in items))
    assert all(i.paid_minor <= p.paid_minor <= p.amount_minor for p, i in zip(paid, items, strict=True))
    for p, before in zip(paid, items, strict=True):
        if p.paid_minor > before.paid_minor:  # money reached this item only after every older one is paid
            assert all(q.unpaid_minor == 0 for q in paid if q.due_date < p.due_date)


def test_oldest_unpaid_and_order_parsing() -> None:
    items = [
        DueItem(date(2026, 2, 1), 100, 100),
        DueItem(date(2026, 3, 1), 100, 10),
        DueItem(date(2026, 4, 1), 5),
    ]
    assert oldest_unpaid(items) == date(2026, 3, 1)
    assert oldest_unpaid([DueItem(date(2026, 1, 1), 5, 5)]) is None
    assert parse_order("principal,interest,fees,penalty") == (P, INT, F, N)
    assert parse_order(None) == DEFAULT_ALLOCATION_ORDER
