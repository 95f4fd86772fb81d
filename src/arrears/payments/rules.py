"""Pure payment rules: allocating a payment across balance components and due items (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from arrears.portfolio.model import DEFAULT_ALLOCATION_ORDER, Component, DueItem


@dataclass(frozen=True, slots=True)
class Allocation:
    """How one payment splits: an amount per balance component, and what is left over as credit."""

    parts: dict[Component, int]
    credit: int

    @property
    def applied(self) -> int:
        """The part of the payment that reduced balances."""
        return sum(self.parts.values())

    def remaining(self, balances: Mapping[Component, int]) -> dict[Component, int]:
        """The balances after this allocation."""
        return {c: balances.get(c, 0) - self.parts.get(c, 0) for c in Component}


def parse_order(text: str | None) -> tuple[Component, ...]:
    """An allocation order from its stored form 'fees,penalty,interest,principal'."""
    if not text:
        return DEFAULT_ALLOCATION_ORDER
    return tuple(Component(part.strip()) for part in text.split(","))


def allocate(amount_minor: int, balances: Mapping[Component, int], order: Sequence[Component]) -> Allocation:
    """Pay components in `order` until the payment is used up; what exceeds the balances is credit.

    Never creates or loses money: sum(parts) + credit == amount_minor, and no part exceeds its balance.
    """
    if amount_minor < 0:
        raise ValueError("a payment amount cannot be negative")
    if sorted(order) != sorted(Component) or len(set(order)) != len(order):
        raise ValueError(f"allocation order must list each component once, got {list(order)}")
    left = amount_minor
    parts: dict[Component, int] = {}
    for component in order:
        owed = balances.get(component, 0)
        if owed < 0:
            raise ValueError(f"balance of {component} is negative")
        paid = min(owed, left)
        parts[component] = paid
        left -= paid
    return Allocation(parts=parts, credit=left)


def pay_due_items(amount_minor: int, items: Sequence[DueItem]) -> tuple[list[DueItem], int]:
    """Pay due items oldest first; returns the updated items (same order as given) and what is left."""
    if amount_minor < 0:
        raise ValueError("a payment amount cannot be negative")
    left = amount_minor
    paid: dict[int, DueItem] = {}
    for index in sorted(range(len(items)), key=lambda i: items[i].due_date):
        item = items[index]
        take = min(item.unpaid_minor, left)
        left -= take
        paid[index] = DueItem(item.due_date, item.amount_minor, item.paid_minor + take)
    return [paid[i] for i in range(len(items))], left


def oldest_unpaid(items: Sequence[DueItem]) -> date | None:
    """The due date of the oldest item not fully paid (what days past due count from)."""
    open_dates = [i.due_date for i in items if i.unpaid_minor > 0]
    return min(open_dates) if open_dates else None
