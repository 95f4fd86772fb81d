"""Reads the payments services share: accounts in scope (locked for update), debtors, zones, users."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from arrears.core.access import Principal
from arrears.core.errors import NotFound
from arrears.portfolio.model import Component
from arrears.portfolio.reads import account_scope, debtor_scope
from arrears.portfolio.store import accounts, cases, debtors
from arrears.users.store import users

DEFAULT_ZONE = "Asia/Shanghai"
COLUMNS = {
    Component.PRINCIPAL: "principal_minor",
    Component.INTEREST: "interest_minor",
    Component.FEES: "fees_minor",
    Component.PENALTY: "penalty_minor",
}


def balances_of(row: Any) -> dict[Component, int]:
    """An account row's component balances."""
    return {c: int(getattr(row, col)) for c, col in COLUMNS.items()}


def owed_of(row: Any) -> int:
    """What an account row owes in total (credit not netted)."""
    return sum(balances_of(row).values())


def account(conn: Connection, account_id: int, principal: Principal | None = None, *,
            lock: bool = False) -> Row:
    """The account row (locked when asked), within the principal's scope; NotFound otherwise."""
    query = select(accounts).where(accounts.c.id == account_id)
    scope = account_scope(principal) if principal is not None else None
    if scope is not None:
        query = query.where(scope)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"account {account_id} not found")
    return row


def account_by_external(conn: Connection, external_id: str, principal: Principal | None = None, *,
                        lock: bool = False) -> Row:
    """The account with this external id, within scope; NotFound otherwise."""
    found = conn.execute(select(accounts.c.id).where(accounts.c.external_id == external_id)).scalar()
    if found is None:
        raise NotFound(f"account {external_id!r} not found")
    return account(conn, int(found), principal, lock=lock)


def debtor(conn: Connection, debtor_id: int, principal: Principal | None = None) -> Row:
    """The debtor row within scope; NotFound otherwise."""
    query = select(debtors).where(debtors.c.id == debtor_id)
    scope = debtor_scope(principal) if principal is not None else None
    if scope is not None:
        query = query.where(scope)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"debtor {debtor_id} not found")
    return row


def debtor_accounts(conn: Connection, debtor_id: int, currency: str | None = None) -> list[Row]:
    """A debtor's accounts (in a currency, when given), oldest first."""
    query = select(accounts).where(accounts.c.debtor_id == debtor_id).order_by(accounts.c.id)
    if currency is not None:
        query = query.where(accounts.c.currency == currency)
    return list(conn.execute(query))


def zone_of(tz_name: str | None, fallback: str = DEFAULT_ZONE) -> ZoneInfo:
    """The debtor's zone, or the fallback when it is missing or unknown."""
    try:
        return ZoneInfo(tz_name) if tz_name else ZoneInfo(fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def case_of(conn: Connection, case_id: int | None) -> Row | None:
    """The case row, or None."""
    if case_id is None:
        return None
    return conn.execute(select(cases).where(cases.c.id == case_id)).first()


def live_case_of_debtor(conn: Connection, debtor_id: int) -> Row | None:
    """The debtor's case that is not closed, if any."""
    return conn.execute(select(cases).where(cases.c.debtor_id == debtor_id, cases.c.status != "closed")
                        .order_by(cases.c.id.desc()).limit(1)).first()


def user(conn: Connection, user_id: int | None) -> Row | None:
    """A users row, or None."""
    if user_id is None:
        return None
    return conn.execute(select(users).where(users.c.id == user_id)).first()


def iso(day: date | None) -> str | None:
    """A date as ISO text (None stays None)."""
    return day.isoformat() if day else None


def save_document(conn: Connection, *, kind: str, entity_id: int | None, debtor_id: int,
                  account_id: int | None, language: str, text_zh: str, text_en: str, created_by: str,
                  now: Any) -> int:
    """Store one arrangement document (both languages); returns its id."""
    from arrears.payments.store import arrangement_documents

    return int(conn.execute(arrangement_documents.insert().values(
        kind=kind, entity_id=entity_id, debtor_id=debtor_id, account_id=account_id, language=language,
        text_zh=text_zh, text_en=text_en, created_by=created_by, created_at=now,
    ).returning(arrangement_documents.c.id)).scalar_one())
