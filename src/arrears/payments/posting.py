"""Posting and reversing payments in the caller's transaction.

A payment lands once (idempotent by reference: the same details again is a no-op, different details a
conflict), is allocated in the contract's order (components, then credit), pays due items oldest first,
and at once judges the promises, plan instalments and settlements it meets. A reversal (a bounced
payment) re-opens exactly what the payment paid: the same components, the same due items, its credit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import Conflict, FieldProblem, InputRejected, NotFound
from arrears.core.money import Money
from arrears.payments import ledger, plans, promises, queries, settlements
from arrears.payments.judging import local_today
from arrears.payments.model import ClaimStatus, LedgerKind
from arrears.payments.rules import Delta, parse_order, pay_due_items, payment_delta
from arrears.payments.store import payment_due_items, promise_claims
from arrears.portfolio.model import DueItem
from arrears.portfolio.store import accounts, debtors, due_items, payments
from arrears.users import audit

MAX_REFERENCE = 64
OLDEST_DAYS = 3660


@dataclass(frozen=True, slots=True)
class Posted:
    """What posting one payment did."""

    payment_id: int
    reference: str
    account_id: int
    duplicate: bool
    applied_minor: int = 0
    credit_minor: int = 0
    parts: dict[str, int] | None = None
    promises_kept: int = 0
    settled: bool = False


def _hash(*values: object) -> str:
    return hashlib.md5("\x1f".join(str(v) for v in values).encode(), usedforsecurity=False).hexdigest()


def today_for(conn: Connection, account: Any, now: datetime) -> date:
    """The debtor's local date for an account."""
    tz = conn.execute(select(debtors.c.timezone).where(debtors.c.id == account.debtor_id)).scalar()
    return local_today(now, queries.zone_of(tz))


def check_terms(reference: str, amount: Money, paid_on: date, channel: str, account: Any, today: date,
                row: int = 0, file: str = "") -> list[FieldProblem]:
    """Field problems of a payment: reference, amount, currency, date, channel."""
    out: list[FieldProblem] = []
    if not reference or not reference.strip():
        out.append(FieldProblem(row, "reference", "", "every payment needs the channel's reference", file))
    elif len(reference.strip()) > MAX_REFERENCE:
        out.append(FieldProblem(row, "reference", reference, f"longer than {MAX_REFERENCE} characters", file))
    if amount.currency != account.currency:
        out.append(FieldProblem(row, "currency", amount.currency,
                                f"account {account.external_id} is in {account.currency}", file))
    if amount.minor <= 0:
        out.append(FieldProblem(row, "amount", str(amount.amount), "must be more than zero", file))
    if paid_on > today:
        out.append(FieldProblem(row, "paid_on", paid_on.isoformat(),
                                f"in the future (today is {today.isoformat()})", file))
    elif (today - paid_on).days > OLDEST_DAYS:
        out.append(FieldProblem(row, "paid_on", paid_on.isoformat(), "more than ten years ago", file))
    if not channel or not channel.strip():
        out.append(FieldProblem(row, "channel", "", "name the payment channel", file))
    return out


def existing(conn: Connection, reference: str) -> Row | None:
    """The payment already recorded under a reference, if any."""
    return conn.execute(select(payments).where(payments.c.reference == reference.strip())).first()


def same_payment(row: Any, account_id: int, amount_minor: int, currency: str, paid_on: date) -> bool:
    """Whether a recorded payment has these details (a re-sent file or request)."""
    return (row.account_id, int(row.amount_minor), row.currency, row.paid_on) == (
        account_id, amount_minor, currency, paid_on)


def post_in(conn: Connection, principal: Principal, *, account: Any, reference: str, amount: Money,
            paid_on: date, channel: str, source: str, now: datetime, row: int = 0, file: str = "",
            quiet: frozenset[int] | None = None) -> Posted:
    """Post one payment against a locked account row; see the module docstring.

    `quiet`: accounts known to have no open promise, plan, settlement or claim (a file's batch check), for
    which judging is skipped.
    """
    require(principal, Permission.PAYMENT_POST)
    today = today_for(conn, account, now)
    problems = check_terms(reference, amount, paid_on, channel, account, today, row, file)
    if problems:
        raise InputRejected("; ".join(p.describe() for p in problems), problems)
    reference = reference.strip()
    found = existing(conn, reference)
    if found is not None:
        if same_payment(found, account.id, amount.minor, amount.currency, paid_on):
            return Posted(int(found.id), reference, int(found.account_id), duplicate=True)
        raise Conflict(f"payment reference {reference!r} is already recorded with different details "
                       f"(account, date or amount); a recorded payment cannot be changed")
    account = ledger.sync(conn, account, today, now, principal.username)
    delta = payment_delta(ledger.book_of(account), amount.minor, parse_order(account.allocation_order))
    payment_id = int(conn.execute(payments.insert().values(
        reference=reference, account_id=account.id, paid_on=paid_on, amount_minor=amount.minor,
        currency=amount.currency, channel=channel.strip(), status="posted", source=source,
        posted_by=principal.username, created_at=now,
        row_hash=_hash(reference, account.id, paid_on.isoformat(), amount.minor, amount.currency, channel),
    ).returning(payments.c.id)).scalar_one())
    latest = account.last_payment_date is None or paid_on >= account.last_payment_date
    extra = {"last_payment_date": paid_on, "last_payment_minor": amount.minor} if latest else {}
    ledger.post(conn, account, LedgerKind.PAYMENT, delta, paid_on, now, principal.username, "payment",
                payment_id, f"{channel} {reference}", **extra)
    _pay_items(conn, account.id, payment_id, -delta.total)
    judged: dict[str, int] = {}
    settled = False
    if quiet is None or account.id not in quiet:
        payment = conn.execute(select(payments).where(payments.c.id == payment_id)).one()
        promises.match_open_claims(conn, payment, now)
        judged = promises.judge_promises(conn, as_of=today, now=now, account_ids=[account.id])
        plans.judge_plans(conn, as_of=today, now=now, account_ids=[account.id])
        settled = settlements.after_payment(conn, principal, account.id, today, now)
    parts = {c.value: -v for c, v in delta.parts.items()}
    audit.record(conn, principal, "payment.post", "payment", payment_id, {
        "reference": reference, "account_id": account.id, "amount_minor": amount.minor,
        "currency": amount.currency, "paid_on": paid_on.isoformat(), "channel": channel, "source": source,
        "allocation": parts, "credit_minor": delta.credit}, now)
    return Posted(payment_id, reference, account.id, False, -delta.total, delta.credit, parts,
                  judged.get("kept", 0), settled)


def _pay_items(conn: Connection, account_id: int, payment_id: int, applied: int) -> None:
    """Pay the account's open due items oldest first, recording how much of each this payment paid."""
    if applied <= 0:
        return
    d = due_items.c
    rows = list(conn.execute(select(d.id, d.due_date, d.amount_minor, d.paid_minor).where(
        d.account_id == account_id, d.paid_minor < d.amount_minor).order_by(d.due_date)))
    paid, _left = pay_due_items(applied, [DueItem(r.due_date, r.amount_minor, r.paid_minor) for r in rows])
    for r, item in zip(rows, paid, strict=True):
        took = item.paid_minor - r.paid_minor
        if took > 0:
            conn.execute(due_items.update().where(d.id == r.id).values(paid_minor=item.paid_minor))
            conn.execute(payment_due_items.insert().values(payment_id=payment_id, due_item_id=r.id,
                                                           amount_minor=took))


def _unpay_items(conn: Connection, account_id: int, payment_id: int, applied: int) -> None:
    """Re-open what the payment paid on due items (exactly, when recorded; else newest paid first)."""
    pdi = payment_due_items
    recorded = list(conn.execute(select(pdi).where(pdi.c.payment_id == payment_id)))
    d = due_items.c
    if recorded:
        for r in recorded:
            item = conn.execute(select(d.paid_minor).where(d.id == r.due_item_id)).scalar_one()
            conn.execute(due_items.update().where(d.id == r.due_item_id)
                         .values(paid_minor=max(int(item) - int(r.amount_minor), 0)))
        return
    left = applied
    for r in conn.execute(select(d.id, d.paid_minor).where(d.account_id == account_id, d.paid_minor > 0)
                          .order_by(d.due_date.desc())).all():
        if left <= 0:
            break
        take = min(int(r.paid_minor), left)
        conn.execute(due_items.update().where(d.id == r.id).values(paid_minor=int(r.paid_minor) - take))
        left -= take


def reverse_in(conn: Connection, principal: Principal, *, reference: str, reason: str,
               now: datetime) -> dict[str, Any]:
    """Reverse a posted payment (bounced, recalled): everything it paid re-opens; judged again."""
    require(principal, Permission.PAYMENT_REVERSE)
    if not reason or not reason.strip():
        raise InputRejected("a reversal needs a reason", [FieldProblem(0, "reason", "",
                                                                       "say why (e.g. bounced)")])
    pay = conn.execute(select(payments).where(payments.c.reference == reference.strip())
                       .with_for_update()).first()
    if pay is None:
        raise NotFound(f"no payment with reference {reference!r}: nothing to reverse")
    account = queries.account(conn, pay.account_id, principal, lock=True)
    if pay.status == "reversed":
        raise Conflict(f"payment {reference!r} was already reversed on {pay.reversed_at:%Y-%m-%d}")
    today = today_for(conn, account, now)
    account = ledger.sync(conn, account, today, now, principal.username)
    booked = ledger.row_for(conn, LedgerKind.PAYMENT, "payment", pay.id)
    assert booked is not None  # sync booked it if it came in through an import
    undo: Delta = -ledger.delta_of(booked)
    if undo.credit < 0 and account.credit_minor < -undo.credit:
        raise Conflict(f"payment {reference!r}: the credit it created has already been used")
    ledger.post(conn, account, LedgerKind.REVERSAL, undo, today, now, principal.username, "payment", pay.id,
                reason.strip())
    _unpay_items(conn, account.id, pay.id, undo.total)
    conn.execute(payments.update().where(payments.c.id == pay.id).values(
        status="reversed", reversed_at=now, reversed_by=principal.username, reversal_reason=reason.strip()))
    last = conn.execute(select(payments.c.paid_on, payments.c.amount_minor).where(
        payments.c.account_id == account.id, payments.c.status == "posted")
        .order_by(payments.c.paid_on.desc(), payments.c.id.desc()).limit(1)).first()
    conn.execute(accounts.update().where(accounts.c.id == account.id).values(
        last_payment_date=last.paid_on if last else None,
        last_payment_minor=last.amount_minor if last else None))
    conn.execute(promise_claims.update().where(promise_claims.c.matched_payment_id == pay.id).values(
        status=ClaimStatus.UNMATCHED.value, matched_payment_id=None, resolved_at=None))
    promises.judge_promises(conn, as_of=today, now=now, account_ids=[account.id], reopen=True)
    plans.judge_plans(conn, as_of=today, now=now, account_ids=[account.id], reopen=True)
    settlements.after_reversal(conn, principal, account.id, today, now)
    parts = {c.value: v for c, v in undo.parts.items()}
    audit.record(conn, principal, "payment.reverse", "payment", pay.id, {
        "reference": pay.reference, "account_id": account.id, "amount_minor": int(pay.amount_minor),
        "reopened": parts, "credit_minor": undo.credit, "reason": reason.strip()}, now)
    return {"payment_id": int(pay.id), "reference": pay.reference, "account_id": account.id,
            "reopened": parts, "credit_removed_minor": -undo.credit}


def after_external_payments(conn: Connection, payment_ids: list[int], now: datetime) -> int:
    """For payments another path inserted (the portfolio import): book them, match claims, judge promises,
    instalments and settlements at once, as posting does. Returns how many accounts were touched."""
    from arrears.core.access import SYSTEM

    rows = list(conn.execute(select(payments).where(payments.c.id.in_(payment_ids),
                                                    payments.c.status == "posted")))
    for pay in rows:
        promises.match_open_claims(conn, pay, now)
    touched = sorted({int(p.account_id) for p in rows})
    for account_id in touched:
        account = queries.account(conn, account_id, lock=True)
        today = today_for(conn, account, now)
        ledger.sync(conn, account, today, now, SYSTEM.username)
        promises.judge_promises(conn, as_of=today, now=now, account_ids=[account_id])
        plans.judge_plans(conn, as_of=today, now=now, account_ids=[account_id])
        settlements.after_payment(conn, SYSTEM, account_id, today, now)
    return len(touched)
