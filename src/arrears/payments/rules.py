"""Pure payment rules: allocating a payment across balance components and due items, the account book
(balances + credit) and its ledger deltas: payments, reversals, waivers, accruals, balances as of a date,
and reconstructing an opening from a history booked elsewhere (no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


# --- the account book and its ledger deltas ---------------------------------------------------------------


def _zero() -> dict[Component, int]:
    return {c: 0 for c in Component}


@dataclass(frozen=True, slots=True)
class Delta:
    """A signed change of an account's components and credit (one ledger row)."""

    parts: dict[Component, int] = field(default_factory=_zero)
    credit: int = 0

    @property
    def total(self) -> int:
        """The change of what is owed (components only)."""
        return sum(self.parts.values())

    def __neg__(self) -> Delta:
        return Delta({c: -self.parts.get(c, 0) for c in Component}, -self.credit)

    def __add__(self, other: Delta) -> Delta:
        return Delta({c: self.parts.get(c, 0) + other.parts.get(c, 0) for c in Component},
                     self.credit + other.credit)

    def is_zero(self) -> bool:
        """True when nothing changes."""
        return self.credit == 0 and not any(self.parts.values())


@dataclass(frozen=True, slots=True)
class Book:
    """An account's balances by component and the credit held for it (minor units)."""

    parts: dict[Component, int] = field(default_factory=_zero)
    credit: int = 0

    @property
    def owed(self) -> int:
        """What is owed in total."""
        return sum(self.parts.values())

    def apply(self, delta: Delta) -> Book:
        """The book after a delta; refuses to make any component or the credit negative."""
        parts = {c: self.parts.get(c, 0) + delta.parts.get(c, 0) for c in Component}
        credit = self.credit + delta.credit
        negative = [c.value for c, v in parts.items() if v < 0] + (["credit"] if credit < 0 else [])
        if negative:
            raise ValueError(f"the change would make {', '.join(negative)} negative")
        return Book(parts, credit)


def payment_delta(book: Book, amount_minor: int, order: Sequence[Component]) -> Delta:
    """A payment: components paid down in the contract's order; what exceeds the balances is credit."""
    allocation = allocate(amount_minor, book.parts, order)
    return Delta({c: -allocation.parts.get(c, 0) for c in Component}, allocation.credit)


def reversal_delta(paid: Delta) -> Delta:
    """A reversal re-opens exactly what the payment paid and takes back the credit it created."""
    return -paid


def waiver_delta(book: Book, parts: Mapping[Component, int]) -> Delta:
    """A waiver forgives amounts of components; never more than is owed on each."""
    for c, amount in parts.items():
        if amount < 0:
            raise ValueError(f"a waiver of {c.value} cannot be negative")
        if amount > book.parts.get(c, 0):
            raise ValueError(f"cannot waive {amount} of {c.value}: only {book.parts.get(c, 0)} is owed")
    return Delta({c: -parts.get(c, 0) for c in Component}, 0)


def waiver_by_order(book: Book, amount_minor: int, order: Sequence[Component]) -> dict[Component, int]:
    """Split a waiver amount across components (penalty and fees first unless told otherwise)."""
    if amount_minor > book.owed:
        raise ValueError(f"cannot waive {amount_minor}: only {book.owed} is owed")
    return dict(allocate(amount_minor, book.parts, order).parts)


def accrual_delta(kind: str, amount_minor: int) -> Delta:
    """An accrual from aging: a late fee adds to fees, penalty interest to penalty."""
    component = Component.FEES if kind == "late_fee" else Component.PENALTY
    parts = _zero()
    parts[component] = amount_minor
    return Delta(parts, 0)


def settlement_delta(book: Book) -> Delta:
    """A settlement paid in full forgives everything still owed."""
    return Delta({c: -book.parts.get(c, 0) for c in Component}, 0)


def total(deltas: Iterable[Delta]) -> Book:
    """The book a sequence of deltas adds up to (no negativity check: a sum, not a history)."""
    parts, credit = _zero(), 0
    for d in deltas:
        for c in Component:
            parts[c] += d.parts.get(c, 0)
        credit += d.credit
    return Book(parts, credit)


def as_of(entries: Iterable[tuple[date, Delta]], day: date) -> Book:
    """Balances as of the end of a day: the sum of every delta effective on or before it."""
    return total(d for effective, d in entries if effective <= day)


def unpay(after: Book, amount_minor: int, order: Sequence[Component]) -> Delta:
    """One payment's delta, inferred from the book after it (for payments booked without one).

    Consistent with `allocate`: what cannot be credit goes to the first component in order still owed
    after the payment (the payment ran out there), or else to the first component in order.
    """
    from_credit = min(amount_minor, after.credit) if after.owed == 0 else 0
    rest = amount_minor - from_credit
    target = next((c for c in order if after.parts.get(c, 0) > 0), order[0])
    parts = _zero()
    parts[target] = -rest
    return Delta(parts, from_credit)


@dataclass(frozen=True, slots=True)
class PastEvent:
    """Something that changed an account before its ledger opened: an accrual or a payment."""

    on: date
    seq: int
    kind: str  # accrual | payment
    amount_minor: int
    accrual_kind: str = ""


def replay(opening: Book, events: Sequence[PastEvent], order: Sequence[Component]) -> tuple[Book,
                                                                                            list[Delta]]:
    """Apply events forward from an opening (in date order); the final book and each event's delta."""
    book = opening
    deltas: dict[int, Delta] = {}
    for index in sorted(range(len(events)), key=lambda i: (events[i].on, events[i].kind != "accrual",
                                                          events[i].seq)):
        e = events[index]
        d = accrual_delta(e.accrual_kind, e.amount_minor) if e.kind == "accrual" else payment_delta(
            book, e.amount_minor, order)
        book = book.apply(d)
        deltas[index] = d
    return book, [deltas[i] for i in range(len(events))]


def reconstruct(current: Book, events: Sequence[PastEvent], order: Sequence[Component],
                rounds: int = 25) -> tuple[Book, list[Delta], Delta]:
    """The opening from which the events booked elsewhere lead to today's book, each event's delta (same
    order as `events`) and a residual (current minus where the history leads: what it cannot explain).

    Starts from today's book with the accruals taken off and the payments put back on the last component,
    replays forward with the contract's allocation, and corrects the opening by the gap until it closes.
    """
    accrued = total(accrual_delta(e.accrual_kind, e.amount_minor) for e in events if e.kind == "accrual")
    paid = sum(e.amount_minor for e in events if e.kind == "payment")
    parts = {c: current.parts[c] - accrued.parts[c] for c in Component}
    parts[order[-1]] += paid
    opening = Book({c: max(v, 0) for c, v in parts.items()}, current.credit)
    final, deltas = replay(opening, events, order)
    for _ in range(rounds):
        gap = {c: current.parts[c] - final.parts[c] for c in Component}
        credit_gap = current.credit - final.credit
        if credit_gap == 0 and not any(gap.values()):
            break
        moved = Book({c: max(opening.parts[c] + gap[c], 0) for c in Component},
                     max(opening.credit + credit_gap, 0))
        if moved == opening:
            break
        opening = moved
        final, deltas = replay(opening, events, order)
    residual = Delta({c: current.parts[c] - final.parts[c] for c in Component}, current.credit - final.credit)
    return opening, deltas, residual
