"""Queue queries inside the caller's transaction: candidates (SKIP LOCKED) and leases (decisions.py: the log).

No transaction begins here; `service.py` and `attempts.py` own the transactions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from arrears.compliance.model import Decision
from arrears.compliance.store import compliance_decisions, decision_row
from arrears.core.tables import UtcDateTime
from arrears.portfolio.store import debtors
from arrears.worklist.decisions import DECISION_COLUMNS, log_decision
from arrears.worklist.model import WorkKind, WorkStatus
from arrears.worklist.rules import CALL_CHANNEL, Candidate, urgency_of_class
from arrears.worklist.store import debtor_leases, lease_log, work_items

OPEN = WorkStatus.OPEN.value


def _item_columns() -> list[Any]:
    w = work_items.c
    d = debtors.c
    return [
        w.id,
        w.debtor_id,
        w.kind,
        w.serve_class,
        w.priority,
        w.expected_recovery_minor,
        w.due_at,
        w.reason,
        w.contact_point_id,
        w.case_id,
        w.account_id,
        w.source,
        w.attempt_count,
        d.id.label("d_id"),
        d.external_id,
        d.name,
        d.kind.label("debtor_kind"),
        d.preferred_language,
        d.timezone,
        d.timezone_source,
        d.region,
        d.contactability,
    ]


def _candidate(r: Any) -> Candidate:
    return Candidate(
        int(r.id),
        int(r.debtor_id),
        WorkKind(r.kind),
        urgency_of_class(int(r.serve_class)),
        float(r.priority),
        int(r.expected_recovery_minor),
        r.due_at,
        r.reason or "",
        None if r.contact_point_id is None else int(r.contact_point_id),
    )


@cache
def _candidates_stmt(by_team: bool, limit: int, pg: bool) -> Any:
    """The candidate query, built once per shape (parameters: now, owner, exclude)."""
    w = work_items.c
    now = bindparam("now", type_=UtcDateTime())
    live_lease = exists().where(debtor_leases.c.debtor_id == w.debtor_id, debtor_leases.c.expires_at > now)
    cond = [
        w.status == OPEN,
        w.serve_class > 0,
        w.channel == CALL_CHANNEL,
        w.due_at <= now,
        (w.not_after.is_(None)) | (w.not_after > now),
        ~live_lease,
        w.id.not_in(bindparam("exclude", expanding=True)),
    ]
    if by_team:
        cond += [w.team_id == bindparam("owner"), w.collector_id.is_(None)]
    else:
        cond.append(w.collector_id == bindparam("owner"))
    query = (
        select(*_item_columns())
        .join(debtors, debtors.c.id == w.debtor_id)
        .where(and_(*cond))
        .order_by(w.serve_class.desc(), w.priority.desc())
        .limit(limit)
    )
    if pg:
        query = query.with_for_update(skip_locked=True, of=work_items)
    return query


def candidates(
    conn: Connection,
    now: datetime,
    *,
    collector_id: int | None = None,
    team_id: int | None = None,
    limit: int = 8,
    exclude: Sequence[int] = (),
) -> list[tuple[Candidate, Any]]:
    """The best open call work due now for a collector (or a team's unassigned work), not leased by anyone,
    each with its row (work item and debtor columns, for the answer and the facts).

    On PostgreSQL the rows are locked FOR UPDATE SKIP LOCKED: concurrent askers never get the same rows.
    """
    by_team = collector_id is None
    stmt = _candidates_stmt(by_team, limit, conn.dialect.name == "postgresql")
    params = {"now": now, "owner": team_id if by_team else collector_id, "exclude": list(exclude)}
    return [(_candidate(r), r) for r in conn.execute(stmt, params)]


def next_due(
    conn: Connection, now: datetime, *, collector_id: int | None = None, team_id: int | None = None
) -> datetime | None:
    """When the next open call work of a collector (or a team's unassigned work) falls due after now."""
    w = work_items.c
    cond = [w.status == OPEN, w.serve_class > 0, w.channel == CALL_CHANNEL, w.due_at > now]
    if collector_id is not None:
        cond.append(w.collector_id == collector_id)
    else:
        cond += [w.team_id == team_id, w.collector_id.is_(None)]
    found: datetime | None = conn.execute(select(func.min(w.due_at)).where(and_(*cond))).scalar()
    return found


def defer(conn: Connection, item_ids: Sequence[int], until: datetime, now: datetime) -> None:
    """Move items the policy blocks to the moment they become allowed (they are not re-judged before)."""
    if item_ids:
        conn.execute(
            update(work_items).where(work_items.c.id.in_(list(item_ids))).values(due_at=until, updated_at=now)
        )


def close_items(
    conn: Connection, item_ids: Sequence[int], status: WorkStatus, now: datetime, by: str
) -> None:
    """Mark items done, cancelled or expired."""
    if item_ids:
        conn.execute(
            update(work_items)
            .where(work_items.c.id.in_(list(item_ids)))
            .values(status=status.value, done_at=now, done_by=by[:64], updated_at=now)
        )


# --- leases ------------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    """What is stored for a dial hand-off token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh dial hand-off token (shown once, stored hashed)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Lease:
    """A live lease row."""

    lease_id: int
    debtor_id: int
    collector_id: int
    work_item_id: int | None
    contact_point_id: int | None
    script_mode: str
    decision_id: int | None
    leased_at: datetime
    expires_at: datetime


def _lease(r: Any) -> Lease:
    return Lease(
        int(r.lease_id),
        int(r.debtor_id),
        int(r.collector_id),
        r.work_item_id,
        r.contact_point_id,
        r.script_mode,
        r.decision_id,
        r.leased_at,
        r.expires_at,
    )


def held_by(conn: Connection, collector_id: int, now: datetime) -> Lease | None:
    """The collector's live lease, if any (the newest)."""
    r = conn.execute(_held_by_stmt(), {"collector": collector_id, "now": now}).first()
    return _lease(r) if r else None


@cache
def _held_by_stmt() -> Any:
    return (
        select(debtor_leases)
        .where(
            debtor_leases.c.collector_id == bindparam("collector"),
            debtor_leases.c.expires_at > bindparam("now", type_=UtcDateTime()),
        )
        .order_by(debtor_leases.c.leased_at.desc())
        .limit(1)
    )


def lease_on(conn: Connection, debtor_id: int, now: datetime) -> Lease | None:
    """The live lease on a debtor, if any."""
    r = conn.execute(_lease_on_stmt(), {"debtor": debtor_id, "now": now}).first()
    return _lease(r) if r else None


@cache
def _lease_on_stmt() -> Any:
    return select(debtor_leases).where(
        debtor_leases.c.debtor_id == bindparam("debtor"),
        debtor_leases.c.expires_at > bindparam("now", type_=UtcDateTime()),
    )


LEASE_OF_COLUMNS = tuple(c.label(f"lease_{c.name}") for c in debtor_leases.c if c.name != "dial_token_hash")


def lease_of(row: Any) -> Lease | None:
    """The live lease read along with another row (its columns as LEASE_OF_COLUMNS), if any."""
    if row is None or row.lease_lease_id is None:
        return None
    return Lease(
        int(row.lease_lease_id),
        int(row.lease_debtor_id),
        int(row.lease_collector_id),
        row.lease_work_item_id,
        row.lease_contact_point_id,
        row.lease_script_mode,
        row.lease_decision_id,
        row.lease_leased_at,
        row.lease_expires_at,
    )


def lease_by_id(conn: Connection, lease_id: int) -> Any:
    """A lease history row with its live row's expiry (None once released or taken over)."""
    return conn.execute(
        select(lease_log, debtor_leases.c.expires_at.label("live_until"))
        .outerjoin(debtor_leases, debtor_leases.c.lease_id == lease_log.c.id)
        .where(lease_log.c.id == lease_id)
    ).first()


def take(
    conn: Connection,
    *,
    debtor_id: int,
    collector_id: int,
    work_item_id: int | None,
    contact_point_id: int | None,
    script_mode: str,
    decision_id: int | None,
    token: str,
    now: datetime,
    expires_at: datetime,
) -> int | None:
    """Lease a debtor: the new lease id, or None when another collector holds a live lease on it.

    One row per debtor (primary key); an expired row is taken over in the same statement
    (INSERT ... ON CONFLICT DO UPDATE WHERE expired), so two sessions can never both succeed.
    """
    lease_id = int(
        conn.execute(
            _insert_log_stmt(),
            {
                "debtor_id": debtor_id,
                "collector_id": collector_id,
                "work_item_id": work_item_id,
                "contact_point_id": contact_point_id,
                "leased_at": now,
                "expires_at": expires_at,
            },
        ).scalar_one()
    )
    values = {
        "debtor_id": debtor_id,
        "lease_id": lease_id,
        "collector_id": collector_id,
        "work_item_id": work_item_id,
        "contact_point_id": contact_point_id,
        "dial_token_hash": token_hash(token),
        "script_mode": script_mode,
        "decision_id": decision_id,
        "leased_at": now,
        "expires_at": expires_at,
        "now": now,
    }
    stmt = _upsert_stmt(conn.dialect.name == "postgresql")
    if conn.execute(stmt, values).first() is None:
        conn.execute(delete(lease_log).where(lease_log.c.id == lease_id))
        if decision_id is not None:  # the contact was not handed out after all
            conn.execute(delete(compliance_decisions).where(compliance_decisions.c.id == decision_id))
        return None
    return lease_id


def lease_decided(
    conn: Connection,
    *,
    debtor_id: int,
    collector_id: int,
    work_item_id: int | None,
    contact_point_id: int | None,
    decision: Decision,
    collector_type: str,
    requested_by: str,
    token: str,
    now: datetime,
    expires_at: datetime,
) -> tuple[int, int] | None:
    """Keep the decision and lease the debtor: (lease id, decision id), or None when another collector holds
    a live lease on it (then neither the decision nor the lease history row is kept).

    On PostgreSQL the decision, the lease history row and the lease go in one statement (data-modifying
    CTEs; one round trip instead of three); elsewhere `log_decision` then `take`.
    """
    if conn.dialect.name != "postgresql":
        decision_id = log_decision(
            conn, debtor_id, contact_point_id, decision, collector_type, requested_by, now
        )
        lease_id = take(
            conn,
            debtor_id=debtor_id,
            collector_id=collector_id,
            work_item_id=work_item_id,
            contact_point_id=contact_point_id,
            script_mode=decision.script_mode,
            decision_id=decision_id,
            token=token,
            now=now,
            expires_at=expires_at,
        )
        return None if lease_id is None else (lease_id, decision_id)
    values = {
        f"dec_{k}": v
        for k, v in decision_row(
            debtor_id, contact_point_id, decision, collector_type, requested_by, now
        ).items()
    }
    values.update(
        debtor_id=debtor_id,
        collector_id=collector_id,
        work_item_id=work_item_id,
        contact_point_id=contact_point_id,
        dial_token_hash=token_hash(token),
        script_mode=decision.script_mode,
        leased_at=now,
        expires_at=expires_at,
        now=now,
    )
    row = conn.execute(_lease_decided_stmt(), values).one()
    lease_id, decision_id = int(row.lease_id), int(row.decision_id)
    if not row.taken:
        conn.execute(delete(lease_log).where(lease_log.c.id == lease_id))
        conn.execute(delete(compliance_decisions).where(compliance_decisions.c.id == decision_id))
        return None
    return lease_id, decision_id


@cache
def _lease_decided_stmt() -> Any:
    """PostgreSQL: WITH dec AS (INSERT decision), log AS (INSERT lease_log), up AS (INSERT lease ON CONFLICT
    DO UPDATE WHERE expired) SELECT the two ids and whether the lease was taken."""
    cd = compliance_decisions.c
    dec = (
        insert(compliance_decisions)
        .values({c: bindparam(f"dec_{c}", type_=cd[c].type) for c in DECISION_COLUMNS})
        .returning(cd.id)
        .cte("dec")
    )

    def p(name: str) -> Any:
        return bindparam(name, type_=debtor_leases.c[name].type)

    log = (
        insert(lease_log)
        .values({c: p(c) for c in ("debtor_id", "collector_id", "work_item_id", "contact_point_id")})
        .values(leased_at=p("leased_at"), expires_at=p("expires_at"))
        .returning(lease_log.c.id)
        .cte("log")
    )
    src = select(
        p("debtor_id"),
        log.c.id,
        p("collector_id"),
        p("work_item_id"),
        p("contact_point_id"),
        p("dial_token_hash"),
        p("script_mode"),
        dec.c.id,
        p("leased_at"),
        p("expires_at"),
    ).select_from(dec.join(log, true()))
    ins = pg_insert(debtor_leases).from_select(["debtor_id", *LEASE_COLUMNS], src)
    up = (
        ins.on_conflict_do_update(
            index_elements=[debtor_leases.c.debtor_id],
            set_={k: ins.excluded[k] for k in LEASE_COLUMNS},
            where=debtor_leases.c.expires_at <= bindparam("now", type_=UtcDateTime()),
        )
        .returning(debtor_leases.c.debtor_id)
        .cte("up")
    )
    taken = select(func.count()).select_from(up).scalar_subquery()
    return select(
        dec.c.id.label("decision_id"), log.c.id.label("lease_id"), (taken > 0).label("taken")
    ).select_from(dec.join(log, true()))


@cache
def _insert_log_stmt() -> Any:
    return insert(lease_log).returning(lease_log.c.id)


LEASE_COLUMNS = (
    "lease_id",
    "collector_id",
    "work_item_id",
    "contact_point_id",
    "dial_token_hash",
    "script_mode",
    "decision_id",
    "leased_at",
    "expires_at",
)


@cache
def _upsert_stmt(pg: bool) -> Any:
    """INSERT ... ON CONFLICT (debtor_id) DO UPDATE ... WHERE the held lease has expired."""
    maker = pg_insert if pg else sqlite_insert
    ins = maker(debtor_leases).values(
        {c: bindparam(c, type_=debtor_leases.c[c].type) for c in ("debtor_id", *LEASE_COLUMNS)}
    )
    return ins.on_conflict_do_update(
        index_elements=[debtor_leases.c.debtor_id],
        set_={k: ins.excluded[k] for k in LEASE_COLUMNS},
        where=debtor_leases.c.expires_at <= bindparam("now", type_=UtcDateTime()),
    ).returning(debtor_leases.c.debtor_id)


def renew(
    conn: Connection,
    lease: Lease,
    token: str,
    expires_at: datetime,
    decision_id: int | None,
    script_mode: str,
    contact_point_id: int | None,
) -> None:
    """Extend a collector's own live lease (a repeated `next`) with a fresh dial token."""
    conn.execute(
        update(debtor_leases)
        .where(debtor_leases.c.lease_id == lease.lease_id)
        .values(
            expires_at=expires_at,
            dial_token_hash=token_hash(token),
            decision_id=decision_id,
            script_mode=script_mode,
            contact_point_id=contact_point_id,
        )
    )
    conn.execute(
        update(lease_log)
        .where(lease_log.c.id == lease.lease_id)
        .values(expires_at=expires_at, contact_point_id=contact_point_id)
    )


def candidate_of(
    conn: Connection, work_item_id: int | None, debtor_id: int, now: datetime
) -> tuple[Candidate, Any]:
    """The work item behind a lease as a candidate with its row (a stand-in when the item is gone)."""
    r = None
    if work_item_id is not None:
        r = conn.execute(
            select(*_item_columns())
            .join(debtors, debtors.c.id == work_items.c.debtor_id)
            .where(work_items.c.id == work_item_id)
        ).first()
    if r is None:
        return Candidate(0, debtor_id, WorkKind.CALL, urgency_of_class(4), 0.0, 0, now, ""), None
    return _candidate(r), r


def end(conn: Connection, lease_id: int, now: datetime, reason: str) -> bool:
    """End a live lease (attempt recorded, released, superseded); False when it was not live.

    On PostgreSQL one statement (the lease row's delete and the history row's update as CTEs)."""
    params = {"lease_id": lease_id, "now": now, "reason": reason}
    if conn.dialect.name == "postgresql":
        return bool(conn.execute(_end_stmts()[0], params).scalar_one())
    gone = conn.execute(_end_stmts()[1], params).rowcount
    conn.execute(_end_stmts()[2], params)
    return bool(gone)


@cache
def _end_stmts() -> tuple[Any, Any, Any]:
    """(PostgreSQL's one statement, the lease delete, the history update)."""
    now = bindparam("now", type_=UtcDateTime())
    gone = delete(debtor_leases).where(
        debtor_leases.c.lease_id == bindparam("lease_id"), debtor_leases.c.expires_at > now
    )
    ended = (
        update(lease_log)
        .where(lease_log.c.id == bindparam("lease_id"), lease_log.c.ended_at.is_(None))
        .values(ended_at=now, end_reason=bindparam("reason"))
    )
    gone_cte = gone.returning(debtor_leases.c.lease_id).cte("gone")
    ended_cte = ended.returning(lease_log.c.id).cte("ended")
    both = select(select(func.count()).select_from(gone_cte).scalar_subquery()).add_cte(ended_cte)
    return both, gone, ended


def by_token(conn: Connection, token: str, now: datetime) -> Lease | None:
    """The live lease a dial hand-off token belongs to."""
    r = conn.execute(
        select(debtor_leases).where(
            debtor_leases.c.dial_token_hash == token_hash(token), debtor_leases.c.expires_at > now
        )
    ).first()
    return _lease(r) if r else None
