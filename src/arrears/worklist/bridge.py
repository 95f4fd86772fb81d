"""Calls into the neighbouring domains an attempt needs, in the attempt's transaction: promises and claimed
payments (arrears.payments) and contactability (arrears.strategy)."""

from __future__ import annotations

import importlib
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from arrears.core.access import Principal
from arrears.core.errors import ConfigError, FieldProblem, InputRejected
from arrears.portfolio.store import accounts
from arrears.worklist.model import AttemptReport

BALANCE = (
    accounts.c.principal_minor + accounts.c.interest_minor + accounts.c.fees_minor + accounts.c.penalty_minor
)


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ConfigError(f"{name} is not available: {exc}") from None


def account_for(conn: Connection, debtor_id: int, given: int | None, item: Any, field: str) -> int:
    """The account a promise or claim is about: the one named, the work item's, else the largest open one."""
    if given is not None:
        owner = conn.execute(select(accounts.c.debtor_id).where(accounts.c.id == given)).scalar()
        if owner != debtor_id:
            raise InputRejected(
                f"{field}: account {given} is not one of debtor {debtor_id}'s",
                [FieldProblem(0, field, str(given), f"not an account of debtor {debtor_id}")],
            )
        return given
    if item is not None and item.account_id is not None:
        return int(item.account_id)
    found = conn.execute(
        select(accounts.c.id)
        .where(accounts.c.debtor_id == debtor_id)
        .order_by((accounts.c.status == "active").desc(), BALANCE.desc(), accounts.c.id)
        .limit(1)
    ).scalar()
    if found is None:
        raise InputRejected(
            f"{field}: debtor {debtor_id} has no account",
            [FieldProblem(0, field, "", "the debtor has no account")],
        )
    return int(found)


def promise(
    conn: Connection, principal: Principal, report: AttemptReport, item: Any, attempt_id: int, now: datetime
) -> dict[str, Any]:
    """Take the promise through arrears.payments (approval above authority, reminders, confirmation)."""
    terms = report.promise
    assert terms is not None
    mod = _module("arrears.payments.promises")
    account_id = account_for(conn, report.debtor_id, terms.account_id, item, "promise.account_id")
    made = mod.make_promise(
        conn,
        principal,
        debtor_id=report.debtor_id,
        account_id=account_id,
        amount=terms.amount,
        due_on=terms.due_on,
        due_time=terms.due_time,
        channel=terms.channel,
        now=now,
        attempt_id=attempt_id,
        note=terms.note,
    )
    return {
        "promise_id": made.promise_id,
        "status": str(made.status),
        "approval_id": made.approval_id,
        "confirmation_id": made.confirmation_id,
        "account_id": account_id,
    }


def claim_payment(
    conn: Connection, principal: Principal, report: AttemptReport, item: Any, attempt_id: int, now: datetime
) -> dict[str, Any]:
    """Record 'I already paid' through arrears.payments; an unmatched claim becomes follow-up work there."""
    terms = report.claim
    assert terms is not None
    mod = _module("arrears.payments.promises")
    account_id = account_for(conn, report.debtor_id, terms.account_id, item, "claimed_payment.account_id")
    made = mod.record_claimed_payment(
        conn,
        principal,
        debtor_id=report.debtor_id,
        account_id=account_id,
        paid_on=terms.paid_on,
        amount=terms.amount,
        channel=terms.channel,
        reference=terms.reference,
        now=now,
        attempt_id=attempt_id,
    )
    return {
        "claim_id": made.claim_id,
        "matched_payment_id": made.matched_payment_id,
        "matched": made.matched_payment_id is not None,
        "account_id": account_id,
    }


def refresh_contactability(
    conn: Connection, debtor_id: int, now: datetime, current: str | None = None
) -> str | None:
    """Recompute the debtor's contactability right after an attempt (None when the module is absent);
    `current`: its stored state when just read."""
    try:
        from arrears.strategy.contactability import refresh_debtor
    except ImportError:
        return None
    return refresh_debtor(conn, debtor_id, now, current=current)
