"""Reading the raw per-account facts the features are built from, one account-id range at a time.

`current=True` (scoring tonight): DPD, balance and contactability as stored now.
`current=False` (a past snapshot for training): DPD reconstructed from bucket history, the balance
as today's plus what was paid after the snapshot less what was charged after it (late fees, penalty
interest: exact when every payment and charge went through Arrears), and
contactability recomputed by the same rule over the attempts before the snapshot (with today's
contact-point statuses: the point statuses of the past are not kept). The label is whether a posted
payment fell in the 30 days after the snapshot.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.engine import Connection

from arrears.compliance.store import contact_attempts
from arrears.core.tables import metadata
from arrears.portfolio.store import accounts, accruals, bucket_history, debtors, payments
from arrears.strategy.scoring.features import RawData, reconstruct_dpd

LABEL_DAYS = 30


def day_end(day: date) -> datetime:
    """The first moment after a day (UTC): attempts before it count for that day's snapshot."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _ordinals(values: list[Any]) -> np.ndarray:
    return np.array([v.toordinal() if v is not None else -1 for v in values], dtype=np.int64)


def account_bounds(conn: Connection) -> tuple[int, int] | None:
    """The smallest and largest account id (None when there are no accounts)."""
    lo, hi = conn.execute(select(func.min(accounts.c.id), func.max(accounts.c.id))).one()
    return None if lo is None else (int(lo), int(hi))


def _payment_aggregates(conn: Connection, lo: int, hi: int, t: date) -> dict[int, tuple[Any, ...]]:
    p = payments
    on_or_before = p.c.paid_on <= t
    recent = and_(p.c.paid_on > t - timedelta(days=90), on_or_before)
    after = p.c.paid_on > t
    label = and_(after, p.c.paid_on <= t + timedelta(days=LABEL_DAYS))
    stmt = (
        select(
            p.c.account_id,
            func.sum(case((on_or_before, 1), else_=0)),
            func.sum(case((recent, 1), else_=0)),
            func.sum(case((recent, p.c.amount_minor), else_=0)),
            func.max(case((on_or_before, p.c.paid_on), else_=None)),
            func.sum(case((after, p.c.amount_minor), else_=0)),
            func.max(case((label, 1), else_=0)),
        )
        .where(p.c.account_id.between(lo, hi), p.c.status == "posted")
        .group_by(p.c.account_id)
    )
    return {int(r[0]): tuple(r[1:]) for r in conn.execute(stmt)}


def _accrued_after(conn: Connection, lo: int, hi: int, t: date) -> dict[int, int]:
    """Late fees and penalty interest charged after day t (to take them off today's balance)."""
    c = accruals
    stmt = (select(c.c.account_id, func.sum(c.c.amount_minor))
            .where(c.c.account_id.between(lo, hi), c.c.as_of > t).group_by(c.c.account_id))
    return {int(a): int(n or 0) for a, n in conn.execute(stmt)}


def _attempt_aggregates(conn: Connection, lo: int, hi: int, t: date) -> dict[int, tuple[int, int]]:
    a = contact_attempts
    end = day_end(t)
    debtors_in_range = select(accounts.c.debtor_id).where(accounts.c.id.between(lo, hi))
    stmt = (
        select(a.c.debtor_id, func.count(), func.sum(case((a.c.outcome == "connected_rpc", 1), else_=0)))
        .where(a.c.debtor_id.in_(debtors_in_range), a.c.started_at >= end - timedelta(days=30),
               a.c.started_at < end)
        .group_by(a.c.debtor_id)
    )
    return {int(d): (int(n), int(r or 0)) for d, n, r in conn.execute(stmt)}


def _history(conn: Connection, lo: int, hi: int, t: date) -> dict[int, list[tuple[date, str, int]]]:
    b = bucket_history
    stmt = (
        select(b.c.account_id, b.c.entered_on, b.c.bucket, b.c.dpd_at_entry)
        .where(b.c.account_id.between(lo, hi))
        .order_by(b.c.account_id, b.c.entered_on, b.c.id)
    )
    out: dict[int, list[tuple[date, str, int]]] = {}
    for account_id, entered, bucket, dpd in conn.execute(stmt):
        out.setdefault(int(account_id), []).append((entered, str(bucket), int(dpd)))
    return out


def _episodes(conn: Connection, lo: int, hi: int, t: date) -> dict[int, int]:
    """Times each account entered M1 up to day t."""
    b = bucket_history
    stmt = (select(b.c.account_id, func.count())
            .where(b.c.account_id.between(lo, hi), b.c.bucket == "M1", b.c.entered_on <= t)
            .group_by(b.c.account_id))
    return {int(a): int(n) for a, n in conn.execute(stmt)}


def _promises_table() -> Any:
    """The payments package's promises table, if that package is installed."""
    table = metadata.tables.get("promises")
    if table is None:
        try:
            from arrears.payments.store import promises
        except ImportError:
            return None
        table = promises
    needed = ("account_id", "debtor_id", "status", "due_on")
    return table if all(n in table.c for n in needed) else None


def _broken_promises(conn: Connection, lo: int, hi: int, t: date) -> dict[int, int]:
    """Promises judged broken that fell due by day t, per account: its own, and its debtor's promises
    not tied to one account (read defensively: no payments package, no count)."""
    table = _promises_table()
    if table is None:
        return {}
    broken = and_(table.c.status == "broken", table.c.due_on <= t)
    own = (select(table.c.account_id, func.count())
           .where(table.c.account_id.between(lo, hi), broken).group_by(table.c.account_id))
    shared = (select(accounts.c.id, func.count())
              .join(table, and_(table.c.debtor_id == accounts.c.debtor_id, table.c.account_id.is_(None)))
              .where(accounts.c.id.between(lo, hi), broken).group_by(accounts.c.id))
    out: dict[int, int] = {}
    for stmt in (own, shared):
        for account_id, n in conn.execute(stmt):
            out[int(account_id)] = out.get(int(account_id), 0) + int(n)
    return out


def read_range(conn: Connection, lo: int, hi: int, t: date, *, current: bool,
               contactability: dict[int, str] | None = None, active_only: bool = True,
               calls: str | None = None) -> RawData:
    """Raw facts of the accounts with ids lo..hi as of day t (see the module doc for the two modes)."""
    if current and active_only:
        from arrears.strategy.scoring.current import read_current

        raw = read_current(conn, lo, hi, t, calls)
        broken = _broken_promises(conn, lo, hi, t)
        if broken:
            raw.broken_promises = np.array([broken.get(int(i), 0) for i in raw.account_id], dtype=np.int64)
        return raw
    a, d = accounts, debtors
    balance = a.c.principal_minor + a.c.interest_minor + a.c.fees_minor + a.c.penalty_minor
    stmt = (
        select(a.c.id, a.c.debtor_id, a.c.product, d.c.kind, a.c.dpd, balance, a.c.open_date,
               a.c.last_payment_date, d.c.contactability)
        .join(d, d.c.id == a.c.debtor_id)
        .where(a.c.id.between(lo, hi))
        .order_by(a.c.id)
    )
    if active_only:
        stmt = stmt.where(a.c.status == "active")
    if not current:
        stmt = stmt.where(func.coalesce(a.c.open_date, literal(t)) <= t)
    rows = conn.execute(stmt).all()
    n = len(rows)
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(9)]
    ids = np.array(cols[0], dtype=np.int64)
    pays = _payment_aggregates(conn, lo, hi, t)
    tries = _attempt_aggregates(conn, lo, hi, t)
    broken = _broken_promises(conn, lo, hi, t)
    history = _history(conn, lo, hi, t) if not current else {}
    zero = (0, 0, 0, None, 0, 0)
    p = [pays.get(int(i), zero) for i in ids]
    source_last = _ordinals(list(cols[7]))
    table_last = _ordinals([x[3] for x in p])
    last_paid = np.where(source_last <= t.toordinal(), np.maximum(source_last, table_last), table_last)
    t_day = t.toordinal()
    if current:
        entered = _episodes(conn, lo, hi, t)
        episodes = np.array([entered.get(int(i), 0) for i in ids], dtype=np.int64)
    else:
        episodes = np.array([sum(1 for e, b, _ in history.get(int(i), ())
                                 if b == "M1" and e.toordinal() <= t_day) for i in ids], dtype=np.int64)
    debtor_ids = np.array(cols[1], dtype=np.int64)
    raw = RawData(
        account_id=ids, debtor_id=debtor_ids, product=np.array(cols[2], dtype=str),
        is_company=np.array([1 if k == "company" else 0 for k in cols[3]], dtype=np.int64),
        dpd=np.array(cols[4], dtype=np.int64),
        balance_minor=np.array(cols[5], dtype=np.float64),
        open_day=_ordinals(list(cols[6])), last_paid_day=last_paid,
        payments_90d=np.array([int(x[1] or 0) for x in p], dtype=np.int64),
        paid_90d_minor=np.array([float(x[2] or 0) for x in p], dtype=np.float64),
        payments_total=np.array([int(x[0] or 0) for x in p], dtype=np.int64),
        broken_promises=np.array([broken.get(int(i), 0) for i in ids], dtype=np.int64),
        contactability=np.array(cols[8], dtype=str),
        attempts_30d=np.array([tries.get(int(x), (0, 0))[0] for x in debtor_ids], dtype=np.int64),
        rpcs_30d=np.array([tries.get(int(x), (0, 0))[1] for x in debtor_ids], dtype=np.int64),
        episodes=episodes, as_of_day=t_day,
    )
    if n == 0:
        raw.product = np.array([], dtype=str)
        raw.contactability = np.array([], dtype=str)
    if not current:
        accrued = _accrued_after(conn, lo, hi, t)
        raw.balance_minor = raw.balance_minor - np.array([float(accrued.get(int(i), 0)) for i in ids])
        _to_past(raw, history, p, t_day, contactability)
    return raw


def _to_past(raw: RawData, history: dict[int, list[tuple[date, str, int]]], p: list[tuple[Any, ...]],
             t_day: int, contactability: dict[int, str] | None) -> None:
    """Turn today's facts into the snapshot's: DPD, balance, contactability, label."""
    n = len(raw)
    entered = np.full(n, -1, dtype=np.int64)
    entered_dpd = np.zeros(n, dtype=np.int64)
    entered_current = np.zeros(n, dtype=np.int64)
    first_day = np.full(n, -1, dtype=np.int64)
    first_dpd = np.zeros(n, dtype=np.int64)
    for k, account_id in enumerate(raw.account_id):
        rows = history.get(int(account_id))
        if not rows:
            continue
        first_day[k], first_dpd[k] = rows[0][0].toordinal(), rows[0][2]
        for day, bucket, dpd in rows:
            if day.toordinal() > t_day:
                break
            entered[k], entered_dpd[k], entered_current[k] = day.toordinal(), dpd, int(bucket == "M0")
    raw.dpd = reconstruct_dpd(t_day, entered, entered_dpd, entered_current, first_day, first_dpd)
    raw.balance_minor = raw.balance_minor + np.array([float(x[4] or 0) for x in p], dtype=np.float64)
    raw.label = np.array([int(x[5] or 0) for x in p], dtype=np.int64)
    if contactability is not None:
        raw.contactability = np.array([contactability.get(int(x), "contactable") for x in raw.debtor_id],
                                      dtype=str)

