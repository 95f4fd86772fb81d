"""Look-ups an attempt needs, inside the caller's transaction: the dialled point, the work item, the facts,
the dialer's agent. No transaction begins here."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.engine import Connection

from arrears.core.access import Principal
from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.portfolio.reads import debtor_scope
from arrears.portfolio.store import contact_points, debtors
from arrears.runtime import Runtime
from arrears.users.store import users
from arrears.worklist import queries
from arrears.worklist.facts import DebtorFacts, load_many
from arrears.worklist.model import AttemptReport, WorkStatus
from arrears.worklist.store import debtor_leases, work_items


def reject(problems_found: list[tuple[str, str, str]], what: str = "attempt refused") -> None:
    """Raise InputRejected naming each (field, value, reason), when there is any."""
    if problems_found:
        fp = [FieldProblem(0, f, v, r) for f, v, r in problems_found]
        raise InputRejected(f"{what}: " + "; ".join(f"{p.field}: {p.reason}" for p in fp), fp)


def scoped_debtor(conn: Connection, principal: Principal, debtor_id: int, now: datetime) -> Any:
    """The debtor's row for the policy facts (d_id, timezone, timezone_source, region), its contactability
    and its live lease (`queries.lease_of`), when it exists and the principal may see it (the same scope
    as `users.unmask.debtor_in_scope`); None otherwise."""
    scope = debtor_scope(principal)
    d = debtors.c
    query = (
        select(
            d.id.label("d_id"),
            d.timezone,
            d.timezone_source,
            d.region,
            d.contactability,
            *queries.LEASE_OF_COLUMNS,
        )
        .outerjoin(
            debtor_leases,
            and_(debtor_leases.c.debtor_id == d.id, debtor_leases.c.expires_at > bindparam("now")),
        )
        .where(d.id == debtor_id, *([] if scope is None else [scope]))
    )
    return conn.execute(query, {"now": now}).first()


def dialled_point(
    conn: Connection, debtor_id: int, report: AttemptReport, known: tuple[Any, ...] | None = None
) -> Any:
    """The dialled contact point (by id, or by number for dialers); None when unknown or not given.

    `known`: the debtor's contact_points rows already loaded (the policy facts), looked in first.
    """
    cp = contact_points.c
    if report.contact_point_id is not None:
        row = None
        if known is not None:
            row = next((r for r in known if int(r.id) == report.contact_point_id), None)
        if row is None:
            row = conn.execute(_point_stmt(), {"id": report.contact_point_id}).first()
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
        if known is not None:
            phone = report.phone.strip()
            return next((r for r in known if r.channel == "phone" and r.value == phone), None)
        return conn.execute(
            select(contact_points).where(
                cp.debtor_id == debtor_id, cp.channel == "phone", cp.value == report.phone.strip()
            )
        ).first()
    return None


@cache
def _point_stmt() -> Any:
    return select(contact_points).where(contact_points.c.id == bindparam("id"))


@cache
def _item_stmt() -> Any:
    return select(work_items).where(work_items.c.id == bindparam("id"))


def work_item_of(conn: Connection, debtor_id: int, item_id: int | None) -> Any:
    """The named work item; InputRejected unless it is the debtor's."""
    if item_id is None:
        return None
    row = conn.execute(_item_stmt(), {"id": item_id}).first()
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


def facts_at(
    conn: Connection, rt: Runtime, debtor_id: int, at: datetime, debtor_row: Any = None
) -> DebtorFacts | InputRejected:
    """One debtor's policy facts at a moment, or the stored-data problem (returned, for the caller to raise
    where it judges); NotFound when the debtor does not exist. `debtor_row` saves the debtors query."""
    rows = [debtor_row] if debtor_row is not None else []
    found = load_many(conn, [debtor_id], at, rt.settings.default_timezone, rt.settings.default_region, rows)
    f = found.get(debtor_id)
    if f is None:
        raise NotFound(f"debtor {debtor_id} not found")
    return f


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
