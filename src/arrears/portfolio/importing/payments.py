"""Posting payment rows: record each new payment once (by reference), allocate it across the account's
balance components in the account's order, pay due items oldest first, keep any overpayment as credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from arrears.core.errors import FieldProblem
from arrears.payments.rules import allocate, parse_order, pay_due_items
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.kinds import BatchOutcome, Context
from arrears.portfolio.importing.payment_rows import PaymentRecord
from arrears.portfolio.importing.schemas import row_hash
from arrears.portfolio.model import Component, DueItem
from arrears.portfolio.store import accounts, due_items, payments

_BALANCE = {
    Component.PRINCIPAL: "principal_minor",
    Component.INTEREST: "interest_minor",
    Component.FEES: "fees_minor",
    Component.PENALTY: "penalty_minor",
}


@dataclass
class _Account:
    id: int
    external_id: str
    currency: str
    balances: dict[Component, int]
    credit: int
    order: tuple[Component, ...]
    last_date: date | None
    last_minor: int | None
    due: list[tuple[int, DueItem]]
    touched: bool = False


class PaymentHandler:
    """Payments: validate in Python, then post each new payment against its account."""

    checks_on_write = True

    def __init__(self, ctx: Context) -> None:
        self.conn = ctx.conn
        self.now = ctx.now
        self.file = ctx.file

    def write(self, records: list[PaymentRecord]) -> BatchOutcome:
        """Post a batch of payments."""
        out = BatchOutcome()
        books = self._load_accounts({r.account_id for r in records})
        known = {
            r.reference: r.row_hash
            for r in self.conn.execute(
                select(payments.c.reference, payments.c.row_hash).where(
                    payments.c.reference.in_([r.reference for r in records])
                )
            )
        }
        new_payments: list[dict[str, Any]] = []
        for rec in records:
            account = books.get(rec.account_id)
            problem, amount = self._check(rec, account)
            if problem is not None or account is None:
                out.rejected.append((rec.row, rec.cells, [problem] if problem else []))
                continue
            digest = row_hash(
                (
                    rec.reference,
                    rec.account_id,
                    rec.paid_on.isoformat(),
                    amount,
                    account.currency,
                    rec.channel,
                )
            )
            if rec.reference in known:
                if known[rec.reference] == digest:
                    out.unchanged += 1
                else:
                    out.rejected.append(
                        (
                            rec.row,
                            rec.cells,
                            [
                                FieldProblem(
                                    rec.row,
                                    "reference",
                                    rec.reference,
                                    "this payment reference is already recorded with different details "
                                    "(account, date, amount or channel); recorded payments cannot be changed "
                                    "by an import",
                                    self.file,
                                )
                            ],
                        )
                    )
                continue
            _post(account, amount, rec.paid_on)
            new_payments.append(
                {
                    "reference": rec.reference,
                    "account_id": account.id,
                    "paid_on": rec.paid_on,
                    "amount_minor": amount,
                    "currency": account.currency,
                    "channel": rec.channel,
                    "status": "posted",
                    "row_hash": digest,
                    "created_at": self.now,
                }
            )
            out.new += 1
        if new_payments:
            self.conn.execute(insert(payments), new_payments)
        self._save(books)
        return out

    def _check(self, rec: PaymentRecord, account: _Account | None) -> tuple[FieldProblem | None, int]:
        if account is None:
            return FieldProblem(
                rec.row, "account_id", rec.account_id, "unknown account: import it first", self.file
            ), 0
        if rec.currency and rec.currency != account.currency:
            return FieldProblem(
                rec.row,
                "currency",
                rec.currency,
                f"amount in {rec.currency} but account {account.external_id} is in {account.currency}",
                self.file,
            ), 0
        if rec.assumed_currency == account.currency:
            return None, rec.amount_minor
        try:
            return None, vl.parse_amount(rec.raw_amount, account.currency)
        except vl.BadValue as exc:
            return FieldProblem(rec.row, "amount", vl.as_text(rec.raw_amount), str(exc), self.file), 0

    def _load_accounts(self, external_ids: set[str]) -> dict[str, _Account]:
        a = accounts.c
        books: dict[str, _Account] = {}
        for r in self.conn.execute(
            select(
                a.id,
                a.external_id,
                a.currency,
                a.principal_minor,
                a.interest_minor,
                a.fees_minor,
                a.penalty_minor,
                a.credit_minor,
                a.allocation_order,
                a.last_payment_date,
                a.last_payment_minor,
            ).where(a.external_id.in_(external_ids))
        ):
            balances = {c: int(getattr(r, col)) for c, col in _BALANCE.items()}
            books[r.external_id] = _Account(
                r.id,
                r.external_id,
                r.currency,
                balances,
                int(r.credit_minor),
                parse_order(r.allocation_order),
                r.last_payment_date,
                r.last_payment_minor,
                [],
            )
        by_id = {acc.id: acc for acc in books.values()}
        if by_id:
            d = due_items.c
            for item in self.conn.execute(
                select(d.id, d.account_id, d.due_date, d.amount_minor, d.paid_minor)
                .where(d.account_id.in_(list(by_id)), d.paid_minor < d.amount_minor)
                .order_by(d.due_date)
            ):
                due = DueItem(item.due_date, item.amount_minor, item.paid_minor)
                by_id[item.account_id].due.append((item.id, due))
        return books

    def _save(self, books: dict[str, _Account]) -> None:
        touched = [acc for acc in books.values() if acc.touched]
        if not touched:
            return
        a = accounts.c
        stmt = (
            update(accounts)
            .where(a.id == bindparam("_id"))
            .values(
                principal_minor=bindparam("_p"),
                interest_minor=bindparam("_i"),
                fees_minor=bindparam("_f"),
                penalty_minor=bindparam("_n"),
                credit_minor=bindparam("_c"),
                last_payment_date=bindparam("_d"),
                last_payment_minor=bindparam("_m"),
                updated_at=bindparam("_u"),
            )
        )
        self.conn.execute(
            stmt,
            [
                {
                    "_id": acc.id,
                    "_p": acc.balances[Component.PRINCIPAL],
                    "_i": acc.balances[Component.INTEREST],
                    "_f": acc.balances[Component.FEES],
                    "_n": acc.balances[Component.PENALTY],
                    "_c": acc.credit,
                    "_d": acc.last_date,
                    "_m": acc.last_minor,
                    "_u": self.now,
                }
                for acc in touched
            ],
        )
        paid = [{"_id": item_id, "_paid": item.paid_minor} for acc in touched for item_id, item in acc.due]
        if paid:
            self.conn.execute(
                update(due_items)
                .where(due_items.c.id == bindparam("_id"))
                .values(paid_minor=bindparam("_paid")),
                paid,
            )

    def close(self) -> None:
        """Nothing staged."""


def _post(account: _Account, amount: int, paid_on: date) -> None:
    """Allocate a payment to the account's components and due items (in memory)."""
    allocation = allocate(amount, account.balances, account.order)
    account.balances = allocation.remaining(account.balances)
    account.credit += allocation.credit
    items, _left = pay_due_items(allocation.applied, [item for _, item in account.due])
    account.due = [(item_id, item) for (item_id, _), item in zip(account.due, items, strict=True)]
    if account.last_date is None or paid_on >= account.last_date:
        account.last_date, account.last_minor = paid_on, amount
    account.touched = True
