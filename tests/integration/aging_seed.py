"""Small Core-insert helpers for the aging integration tests (debtors, accounts, due items, reads)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from arrears.portfolio.store import accounts, accruals, bucket_history, cases, debtors, due_items

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def debtor(conn: Connection, ref: str) -> int:
    """Insert a debtor; its id."""
    return int(conn.execute(insert(debtors).values(
        external_id=ref, kind="person", name=f"Debtor {ref}", timezone="Asia/Shanghai",
        timezone_source="default", row_hash="h", created_at=STAMP, updated_at=STAMP,
    ).returning(debtors.c.id)).scalar_one())


def account(conn: Connection, debtor_id: int, ref: str, *items: tuple[Any, ...], **values: Any) -> int:
    """Insert an account with its due items (due_date, amount[, paid[, principal]]); its id."""
    row = {"external_id": ref, "debtor_id": debtor_id, "product": "consumer_loan", "currency": "CNY",
           "principal_minor": 100_000, "row_hash": "h", "created_at": STAMP, "updated_at": STAMP} | values
    account_id = int(conn.execute(insert(accounts).values(**row).returning(accounts.c.id)).scalar_one())
    for item in items:
        due, amount, paid, principal = (*item, 0, 0)[:4]
        conn.execute(insert(due_items).values(account_id=account_id, due_date=due, amount_minor=amount,
                                              paid_minor=paid, principal_minor=principal))
    return account_id


def case(conn: Connection, debtor_id: int, status: str, opened_on: date = date(2026, 1, 1)) -> int:
    """Insert a case for a debtor; its id."""
    return int(conn.execute(insert(cases).values(
        debtor_id=debtor_id, status=status, opened_on=opened_on,
        closed_on=opened_on if status == "closed" else None,
        close_reason="paid" if status == "closed" else None,
        hold_reason="dispute" if status == "on_hold" else None, created_at=STAMP, updated_at=STAMP,
    ).returning(cases.c.id)).scalar_one())


def state(conn: Connection, account_id: int) -> Any:
    """The account row."""
    return conn.execute(select(accounts).where(accounts.c.id == account_id)).one()


def history(conn: Connection, account_id: int) -> list[tuple[Any, ...]]:
    """(bucket, entered_on, left_on, dpd_at_entry) of an account, oldest first."""
    rows = conn.execute(select(bucket_history.c.bucket, bucket_history.c.entered_on, bucket_history.c.left_on,
                               bucket_history.c.dpd_at_entry)
                        .where(bucket_history.c.account_id == account_id).order_by(bucket_history.c.id))
    return [tuple(r) for r in rows]


def charges(conn: Connection, account_id: int) -> list[tuple[Any, ...]]:
    """(kind, period_date, days, amount_minor, as_of) of an account's accruals, in period order."""
    rows = conn.execute(select(accruals.c.kind, accruals.c.period_date, accruals.c.days,
                               accruals.c.amount_minor, accruals.c.as_of)
                        .where(accruals.c.account_id == account_id)
                        .order_by(accruals.c.as_of, accruals.c.kind, accruals.c.period_date))
    return [tuple(r) for r in rows]


def count(conn: Connection, table: Any) -> int:
    """Rows in a table."""
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
