"""Core-insert helpers for the contactability, best-time and scoring tests (debtors, points, attempts)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from arrears.compliance.store import contact_attempts
from arrears.portfolio.store import accounts, bucket_history, contact_points, debtors, payments

STAMP = datetime(2026, 1, 1, tzinfo=UTC)
_seq = {"n": 0}


def _next() -> int:
    _seq["n"] += 1
    return _seq["n"]


def debtor(conn: Connection, kind: str = "person", timezone: str = "Asia/Shanghai", **values: Any) -> int:
    """Insert a debtor; its id."""
    n = _next()
    row = {"external_id": f"D{n}", "kind": kind, "name": f"Debtor {n}", "timezone": timezone,
           "timezone_source": "given", "row_hash": "h", "created_at": STAMP, "updated_at": STAMP} | values
    return int(conn.execute(insert(debtors).values(**row).returning(debtors.c.id)).scalar_one())


def point(conn: Connection, debtor_id: int, relationship: str = "self", status: str = "valid",
          consent: str = "debtor_gave", channel: str = "phone") -> int:
    """Insert a contact point; its id."""
    n = _next()
    value = f"+8613{n:09d}" if channel == "phone" else f"p{n}@example.com"
    return int(conn.execute(insert(contact_points).values(
        debtor_id=debtor_id, relationship=relationship, channel=channel, value=value, source="contract",
        consent=consent, status=status, row_hash="h", created_at=STAMP, updated_at=STAMP,
    ).returning(contact_points.c.id)).scalar_one())


def attempt(conn: Connection, debtor_id: int, point_id: int | None, at: datetime, outcome: str,
            channel: str = "call", direction: str = "outbound", created_at: datetime | None = None) -> int:
    """Insert a contact attempt; its id."""
    connected = outcome in ("connected_rpc", "connected_third_party", "wrong_number", "refused", "visited")
    return int(conn.execute(insert(contact_attempts).values(
        debtor_id=debtor_id, contact_point_id=point_id, channel=channel,
        party="debtor" if outcome != "connected_third_party" else "third_party", direction=direction,
        started_at=at, outcome=outcome, connected=connected, conversation=outcome == "connected_rpc",
        by_agency=False, created_at=created_at or at,
    ).returning(contact_attempts.c.id)).scalar_one())


def account(conn: Connection, debtor_id: int, **values: Any) -> int:
    """Insert an account; its id."""
    n = _next()
    row = {"external_id": f"A{n}", "debtor_id": debtor_id, "product": "consumer_loan", "currency": "CNY",
           "principal_minor": 1_000_000, "row_hash": "h", "created_at": STAMP, "updated_at": STAMP} | values
    return int(conn.execute(insert(accounts).values(**row).returning(accounts.c.id)).scalar_one())


def payment(conn: Connection, account_id: int, paid_on: date, amount_minor: int = 50_000,
            status: str = "posted") -> int:
    """Insert a payment; its id."""
    n = _next()
    return int(conn.execute(insert(payments).values(
        reference=f"P{n}", account_id=account_id, paid_on=paid_on, amount_minor=amount_minor, currency="CNY",
        channel="bank_transfer", status=status, row_hash="h", created_at=STAMP,
    ).returning(payments.c.id)).scalar_one())


def bucket_row(conn: Connection, account_id: int, bucket: str, entered_on: date, dpd_at_entry: int,
               left_on: date | None = None) -> None:
    """Insert a bucket_history row."""
    conn.execute(insert(bucket_history).values(account_id=account_id, bucket=bucket, entered_on=entered_on,
                                               left_on=left_on, dpd_at_entry=dpd_at_entry))


def planted_history(conn: Connection, as_of: date, n_accounts: int = 300,
                    seed: int = 5) -> dict[str, list[int]]:
    """A planted signal: 'payers' (current, paying most months), 'strugglers' (60-150 DPD, rarely pay)."""
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    groups: dict[str, list[int]] = {"payers": [], "strugglers": []}
    pay_rows: list[dict[str, Any]] = []
    history_rows: list[dict[str, Any]] = []
    for k in range(n_accounts):
        d = debtor(conn)
        point(conn, d)
        payer = k % 2 == 0
        dpd = 0 if payer else rng.randint(60, 150)
        acc = account(conn, d, dpd=dpd, bucket="M0" if payer else f"M{(dpd + 29) // 30}",
                      open_date=as_of - timedelta(days=700), principal_minor=rng.randint(50, 500) * 10_000,
                      product=rng.choice(["credit_card", "consumer_loan"]))
        groups["payers" if payer else "strugglers"].append(acc)
        if payer:
            history_rows.append({"account_id": acc, "bucket": "M0", "entered_on": as_of - timedelta(days=600),
                                 "dpd_at_entry": 0})
            for month in range(1, 9):
                if rng.random() < 0.8:
                    paid_on = as_of - timedelta(days=30 * month - rng.randint(0, 5))
                    pay_rows.append({"account_id": acc, "paid_on": paid_on, "amount": 80_000})
        else:
            history_rows.append({"account_id": acc, "bucket": f"M{(dpd + 29) // 30}",
                                 "entered_on": as_of - timedelta(days=dpd - 1), "dpd_at_entry": 1})
            if rng.random() < 0.25:
                pay_rows.append({"account_id": acc, "paid_on": as_of - timedelta(days=rng.randint(1, 200)),
                                 "amount": 5_000})
    conn.execute(insert(bucket_history), history_rows)
    conn.execute(insert(payments), [
        {"reference": f"PH{_next()}", "account_id": r["account_id"], "paid_on": r["paid_on"],
         "amount_minor": r["amount"], "currency": "CNY", "channel": "bank_transfer", "status": "posted",
         "row_hash": "h", "created_at": STAMP} for r in pay_rows])
    return groups
