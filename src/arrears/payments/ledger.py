"""The per-account money ledger, in the caller's transaction: book a change with the account's balances,
bring the ledger up to date with what other domains did (aging's accruals, payments imported by the
portfolio import), and read balances as of any date. After `sync`, the sum of an account's ledger rows
equals its balance columns, so conservation of money can be checked at any time (`check`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import String, cast, exists, func, select
from sqlalchemy.engine import Connection, Row

from arrears.payments.model import LedgerKind
from arrears.payments.queries import COLUMNS
from arrears.payments.rules import (
    Book,
    Delta,
    PastEvent,
    accrual_delta,
    parse_order,
    payment_delta,
    reconstruct,
    total,
)
from arrears.payments.store import account_ledger
from arrears.portfolio.model import Component
from arrears.portfolio.store import accounts, accruals, payments


def book_of(row: Any) -> Book:
    """An account row's balances and credit as a Book."""
    return Book({c: int(getattr(row, col)) for c, col in COLUMNS.items()}, int(row.credit_minor))


def delta_of(row: Any) -> Delta:
    """A ledger row's delta."""
    return Delta({c: int(getattr(row, col)) for c, col in COLUMNS.items()}, int(row.credit_minor))


def entries(conn: Connection, account_id: int, through: date | None = None) -> list[Row]:
    """An account's ledger rows in effective order (up to a date, when given)."""
    query = select(account_ledger).where(account_ledger.c.account_id == account_id)
    if through is not None:
        query = query.where(account_ledger.c.effective_on <= through)
    return list(conn.execute(query.order_by(account_ledger.c.effective_on, account_ledger.c.id)))


def ledger_book(conn: Connection, account_id: int, through: date | None = None) -> Book:
    """The sum of the ledger (as of the end of a day, when given)."""
    return total(delta_of(r) for r in entries(conn, account_id, through))


def insert(conn: Connection, account: Any, kind: LedgerKind, delta: Delta, effective_on: date, now: datetime,
           actor: str, ref_type: str | None = None, ref_id: object = None, note: str = "") -> int:
    """Append one ledger row (no balance update: see `post`)."""
    values: dict[str, Any] = {col: delta.parts.get(c, 0) for c, col in COLUMNS.items()}
    return int(conn.execute(account_ledger.insert().values(
        account_id=account.id, at=now, effective_on=effective_on, kind=kind.value, currency=account.currency,
        credit_minor=delta.credit, ref_type=ref_type, ref_id=None if ref_id is None else str(ref_id),
        actor=actor, note=note, **values,
    ).returning(account_ledger.c.id)).scalar_one())


def post(conn: Connection, account: Any, kind: LedgerKind, delta: Delta, effective_on: date, now: datetime,
         actor: str, ref_type: str | None = None, ref_id: object = None, note: str = "",
         **columns: Any) -> Book:
    """Book a change: the ledger row and the account's new balances together; returns the new book.

    Raises ValueError when a component or the credit would go negative (nothing written then).
    """
    after = book_of(account).apply(delta)
    insert(conn, account, kind, delta, effective_on, now, actor, ref_type, ref_id, note)
    values: dict[str, Any] = {col: after.parts[c] for c, col in COLUMNS.items()}
    conn.execute(accounts.update().where(accounts.c.id == account.id).values(
        credit_minor=after.credit, updated_at=now, **values, **columns))
    return after


def _sums(conn: Connection, account_id: int) -> tuple[int, Book]:
    """How many ledger rows an account has and what they add up to (one query)."""
    cols = [func.coalesce(func.sum(account_ledger.c[col]), 0) for col in (*COLUMNS.values(), "credit_minor")]
    row = conn.execute(select(func.count(), *cols).where(account_ledger.c.account_id == account_id)).one()
    parts = {c: int(v) for c, v in zip(COLUMNS, row[1:5], strict=True)}
    return int(row[0]), Book(parts, int(row[5]))


def _unbooked(kind: LedgerKind, table: Any) -> Any:
    """NOT EXISTS a ledger row booked for this table's row (uses the ledger's unique reference index)."""
    ref_type = "accrual" if kind is LedgerKind.ACCRUAL else "payment"
    return ~exists().where(account_ledger.c.kind == kind.value, account_ledger.c.ref_type == ref_type,
                           account_ledger.c.ref_id == cast(table.c.id, String))


def _outside_events(conn: Connection, account_id: int) -> list[PastEvent]:
    """Accruals and posted payments not in the ledger yet (aging; the portfolio import)."""
    events = [PastEvent(r.as_of, int(r.id), "accrual", int(r.amount_minor), r.kind)
              for r in conn.execute(select(accruals).where(accruals.c.account_id == account_id,
                                                           _unbooked(LedgerKind.ACCRUAL, accruals)))]
    events += [PastEvent(r.paid_on, int(r.id), "payment", int(r.amount_minor))
               for r in conn.execute(select(payments).where(payments.c.account_id == account_id,
                                                            payments.c.status == "posted",
                                                            _unbooked(LedgerKind.PAYMENT, payments)))]
    return events


def _ref(e: PastEvent) -> tuple[LedgerKind, str]:
    return (LedgerKind.ACCRUAL, "accrual") if e.kind == "accrual" else (LedgerKind.PAYMENT, "payment")


def sync(conn: Connection, account: Any, today: date, now: datetime, actor: str = "system") -> Any:
    """Bring the ledger up to the account's balances; returns the (unchanged) account row.

    The first time: an opening reconstructed backwards from today's balances through the accruals and
    payments booked elsewhere. Later: those events booked forward. Anything left unexplained is one
    `sync` row, so the ledger always sums to the balance columns.
    """
    order = parse_order(account.allocation_order)
    current = book_of(account)
    events = _outside_events(conn, account.id)
    rows, booked = _sums(conn, account.id)
    if rows == 0:
        opening, deltas, _residual = reconstruct(current, events, order)
        opened = account.open_date or account.created_at.date()
        first = min([opened] + [e.on for e in events])
        booked = Book(opening.parts, opening.credit)
        insert(conn, account, LedgerKind.OPENING, Delta(opening.parts, opening.credit), first, now, actor,
               "account", account.id, "balances when the ledger opened")
        for e, d in zip(events, deltas, strict=True):
            kind, ref_type = _ref(e)
            insert(conn, account, kind, d, e.on, now, actor, ref_type, e.seq, "booked from " + ref_type + "s")
            booked = total([Delta(booked.parts, booked.credit), d])
    else:
        for e in sorted(events, key=lambda e: (e.on, e.kind != "accrual", e.seq)):
            d = accrual_delta(e.accrual_kind, e.amount_minor) if e.kind == "accrual" else payment_delta(
                Book({c: max(v, 0) for c, v in booked.parts.items()}, max(booked.credit, 0)), e.amount_minor,
                order)
            kind, ref_type = _ref(e)
            insert(conn, account, kind, d, e.on, now, actor, ref_type, e.seq, "booked from " + ref_type + "s")
            booked = total([Delta(booked.parts, booked.credit), d])
    gap = Delta({c: current.parts[c] - booked.parts[c] for c in Component}, current.credit - booked.credit)
    if not gap.is_zero():
        insert(conn, account, LedgerKind.SYNC, gap, today, now, actor,
               note="balances changed outside the ledger")
    return account


def check(conn: Connection, account: Any) -> Delta:
    """Balance columns minus the ledger's sum (zero when money is conserved)."""
    booked = ledger_book(conn, account.id)
    current = book_of(account)
    return Delta({c: current.parts[c] - booked.parts[c] for c in Component}, current.credit - booked.credit)


def row_for(conn: Connection, kind: LedgerKind, ref_type: str, ref_id: object) -> Row | None:
    """The ledger row booked for a reference (e.g. a payment's), if any."""
    return conn.execute(select(account_ledger).where(
        account_ledger.c.kind == kind.value, account_ledger.c.ref_type == ref_type,
        account_ledger.c.ref_id == str(ref_id))).first()


def total_of(rows: list[Row]) -> Book:
    """The sum of some ledger rows."""
    return total(delta_of(r) for r in rows)


def describe(row: Any) -> dict[str, Any]:
    """A ledger row for an API response or a page."""
    return {"id": row.id, "effective_on": row.effective_on.isoformat(), "at": row.at.isoformat(),
            "kind": row.kind, "principal_minor": int(row.principal_minor),
            "interest_minor": int(row.interest_minor),
            "fees_minor": int(row.fees_minor), "penalty_minor": int(row.penalty_minor),
            "credit_minor": int(row.credit_minor), "ref_type": row.ref_type, "ref_id": row.ref_id,
            "actor": row.actor, "note": row.note}
