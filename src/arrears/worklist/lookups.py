"""Look-ups an attempt needs, inside the caller's transaction: the dialled point, the work item, the facts,
the dialer's agent. No transaction begins here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.portfolio.store import contact_points
from arrears.runtime import Runtime
from arrears.users.store import users
from arrears.worklist.facts import DebtorFacts, load_many
from arrears.worklist.model import AttemptReport, WorkStatus
from arrears.worklist.store import work_items


def reject(problems_found: list[tuple[str, str, str]], what: str = "attempt refused") -> None:
    """Raise InputRejected naming each (field, value, reason), when there is any."""
    if problems_found:
        fp = [FieldProblem(0, f, v, r) for f, v, r in problems_found]
        raise InputRejected(f"{what}: " + "; ".join(f"{p.field}: {p.reason}" for p in fp), fp)


def dialled_point(conn: Connection, debtor_id: int, report: AttemptReport) -> Any:
    """The dialled contact point (by id, or by number for dialers); None when unknown or not given."""
    cp = contact_points.c
    if report.contact_point_id is not None:
        row = conn.execute(select(contact_points).where(cp.id == report.contact_point_id)).first()
        if row is None:
            raise NotFound(f"contact point {report.contact_point_id} not found")
        if int(row.debtor_id) != debtor_id:
            reject(
                [
                    (
                        "contact_point_id",
                        str(report.contact_point_id),
                        f"not one of debtor {debtor_id}'s contact points",
                    )
                ]
            )
        if row.channel != "phone":
            reject([("contact_point_id", str(report.contact_point_id), f"a {row.channel}, not a phone")])
        return row
    if report.phone:
        return conn.execute(
            select(contact_points).where(
                cp.debtor_id == debtor_id, cp.channel == "phone", cp.value == report.phone.strip()
            )
        ).first()
    return None


def work_item_of(conn: Connection, debtor_id: int, item_id: int | None) -> Any:
    """The named work item; InputRejected unless it is the debtor's."""
    if item_id is None:
        return None
    row = conn.execute(select(work_items).where(work_items.c.id == item_id)).first()
    if row is None or int(row.debtor_id) != debtor_id:
        reject([("work_item_id", str(item_id), f"not a work item of debtor {debtor_id}")])
    return row


def due_item(conn: Connection, debtor_id: int, now: datetime) -> Any:
    """A call made without a lease (from the debtor's page) settles the debtor's most urgent due call."""
    w = work_items.c
    return conn.execute(
        select(work_items)
        .where(
            w.debtor_id == debtor_id,
            w.status == WorkStatus.OPEN.value,
            w.serve_class > 0,
            w.channel == "call",
            w.due_at <= now,
        )
        .order_by(w.serve_class.desc(), w.due_at, w.id)
        .limit(1)
    ).first()


def facts_of(conn: Connection, rt: Runtime, debtor_id: int, at: datetime) -> DebtorFacts:
    """One debtor's policy facts at a moment; NotFound, or the stored-data problem."""
    found = load_many(conn, [debtor_id], at, rt.settings.default_timezone, rt.settings.default_region)
    f = found.get(debtor_id)
    if f is None:
        raise NotFound(f"debtor {debtor_id} not found")
    if isinstance(f, InputRejected):
        raise f
    return f


def agent_id(conn: Connection, username: str | None) -> int | None:
    """The user id of a dialer's agent, when the username is known."""
    if not username:
        return None
    found = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    return None if found is None else int(found)
