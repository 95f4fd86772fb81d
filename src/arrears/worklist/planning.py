"""Putting work on the queue: one item (promises, payments, call-backs) or a night's plan (batch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime

from sqlalchemy import and_, delete, select
from sqlalchemy.engine import Connection

from arrears.worklist.model import PlannedWork, WorkStatus
from arrears.worklist.rules import serve_class
from arrears.worklist.store import work_items

_LIVE = (WorkStatus.OPEN.value, WorkStatus.LEASED.value)


def _row(item: PlannedWork, now: datetime) -> dict[str, object]:
    row = asdict(item)
    row["kind"] = item.kind.value
    row["serve_class"] = serve_class(item.kind, item.channel)
    row.update(status=WorkStatus.OPEN.value, created_at=now, updated_at=now)
    return row


def add_work(conn: Connection, item: PlannedWork, now: datetime) -> int | None:
    """Queue one item in the caller's transaction; idempotent by (source, source_ref, kind).

    Returns the new item's id, or None when a live item with the same source reference exists.
    """
    if item.source_ref is not None:
        existing = conn.execute(
            select(work_items.c.id).where(
                and_(
                    work_items.c.source == item.source,
                    work_items.c.source_ref == item.source_ref,
                    work_items.c.kind == item.kind.value,
                    work_items.c.status.in_(_LIVE),
                )
            )
        ).first()
        if existing:
            return None
    insert = work_items.insert().values(**_row(item, now)).returning(work_items.c.id)
    new_id = conn.execute(insert).scalar_one()
    return int(new_id)


def cancel_work(
    conn: Connection, source: str, source_ref: str, now: datetime, kinds: Iterable[str] = ()
) -> int:
    """Cancel the open items a source raised (e.g. a promise kept cancels its follow-ups)."""
    cond = and_(
        work_items.c.source == source,
        work_items.c.source_ref == source_ref,
        work_items.c.status == WorkStatus.OPEN.value,
    )
    kinds = list(kinds)
    if kinds:
        cond = and_(cond, work_items.c.kind.in_(kinds))
    result = conn.execute(
        work_items.update().where(cond).values(status=WorkStatus.CANCELLED.value, updated_at=now)
    )
    return result.rowcount or 0


def replace_planned_work(
    conn: Connection,
    plan_date: date,
    items: Iterable[PlannedWork],
    now: datetime,
    source: str = "batch",
    chunk: int = 5000,
) -> int:
    """Replace the open work a nightly run planned for plan_date (idempotent per date and source)."""
    conn.execute(
        delete(work_items).where(
            and_(
                work_items.c.plan_date == plan_date,
                work_items.c.source == source,
                work_items.c.status == WorkStatus.OPEN.value,
            )
        )
    )
    count, batch = 0, []
    for item in items:
        batch.append(_row(item, now))
        if len(batch) >= chunk:
            conn.execute(work_items.insert(), batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(work_items.insert(), batch)
        count += len(batch)
    return count
