"""The audit trail's read side and its database guard: indexes, append-only triggers, filtered queries.

`audit_log` itself is declared in `users/store.py`; this module adds what reading and protecting it needs:

- indexes for the filters of `arrears audit list`, GET /api/v1/audit and the audit page;
- triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) on `audit_log`. They are installed by
  migration 0002 for migrated databases and by a DDL event for `metadata.create_all`. On SQLite a future
  batch-mode migration that rebuilds `audit_log` drops its triggers: such a migration must re-create them
  (`install_guard`). The triggers stop mistakes and the application itself; someone who owns the database
  can still drop them, which is what the hash chain and `arrears audit verify` are for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import DDL, ColumnElement, Index, event, func, select
from sqlalchemy.engine import Connection

from arrears.users.store import audit_log

Index("ix_audit_log_entity", audit_log.c.entity_type, audit_log.c.entity_id)
Index("ix_audit_log_actor", audit_log.c.actor)
Index("ix_audit_log_at", audit_log.c.at)

GUARD_MESSAGE = "audit_log is append-only"

# The same statements are frozen into migration 0002; tests check both install a working guard.
POSTGRES_GUARD = (
    "CREATE OR REPLACE FUNCTION arrears_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION USING MESSAGE = '{GUARD_MESSAGE}; ' || TG_OP || ' refused', "
    "ERRCODE = 'insufficient_privilege'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION arrears_audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION arrears_audit_log_append_only()",
)
POSTGRES_UNGUARD = (
    "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "DROP FUNCTION IF EXISTS arrears_audit_log_append_only()",
)
SQLITE_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}; UPDATE refused'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{GUARD_MESSAGE}; DELETE refused'); END",
)
SQLITE_UNGUARD = (
    "DROP TRIGGER IF EXISTS audit_log_no_update",
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
)

for _statement in POSTGRES_GUARD:
    event.listen(audit_log, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_GUARD:
    event.listen(audit_log, "after_create", DDL(_statement).execute_if(dialect="sqlite"))


def install_guard(conn: Connection) -> None:
    """Create the append-only triggers on this connection's database (idempotent)."""
    if conn.dialect.name == "postgresql":
        for statement in POSTGRES_UNGUARD[:2]:
            conn.exec_driver_sql(statement)
        for statement in POSTGRES_GUARD:
            conn.exec_driver_sql(statement)
    else:
        for statement in SQLITE_GUARD:
            conn.exec_driver_sql(statement)


def guard_installed(conn: Connection) -> bool:
    """Whether the append-only triggers are present."""
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql(
            "select count(*) from pg_trigger where tgrelid = 'audit_log'::regclass and not tgisinternal "
            "and tgenabled <> 'D' and tgname in ('audit_log_append_only', 'audit_log_no_truncate')"
        ).scalar_one()
        return int(found) == 2
    found = conn.exec_driver_sql(
        "select count(*) from sqlite_master where type = 'trigger' and tbl_name = 'audit_log' "
        "and name in ('audit_log_no_update', 'audit_log_no_delete')"
    ).scalar_one()
    return int(found) == 2


@contextmanager
def guard_suspended(conn: Connection) -> Iterator[None]:
    """Lift the guard inside the caller's transaction (test teardown and forensics only); restored after.

    PostgreSQL disables the triggers (transactional, needs the table owner); SQLite drops and re-creates them.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        try:
            yield
        finally:
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER USER")
    else:
        had_guard = guard_installed(conn)
        for statement in SQLITE_UNGUARD:
            conn.exec_driver_sql(statement)
        try:
            yield
        finally:
            if had_guard:
                install_guard(conn)


# --- reading the trail ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What to select from the trail; None means any."""

    entity_type: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_seq: int | None = None  # keyset paging: records older than this sequence number


def _where(f: AuditFilter) -> list[ColumnElement[bool]]:
    c = audit_log.c
    where: list[ColumnElement[bool]] = []
    if f.entity_type:
        where.append(c.entity_type == f.entity_type)
    if f.entity_id:
        where.append(c.entity_id == f.entity_id)
    if f.actor:
        where.append(c.actor == f.actor)
    if f.action:
        # "payment.*" selects a family of actions; the prefix is escaped, never interpolated
        where.append(c.action.startswith(f.action[:-1], autoescape=True) if f.action.endswith("*")
                     else c.action == f.action)
    if f.since:
        where.append(c.at >= f.since)
    if f.until:
        where.append(c.at < f.until)
    if f.before_seq:
        where.append(c.seq < f.before_seq)
    return where


def select_records(conn: Connection, f: AuditFilter, limit: int) -> Sequence[Any]:
    """The matching records, newest first, at most `limit`."""
    return conn.execute(
        select(audit_log).where(*_where(f)).order_by(audit_log.c.seq.desc()).limit(limit)
    ).all()


def count_records(conn: Connection, f: AuditFilter) -> int:
    """How many records match (ignoring paging)."""
    paged = replace(f, before_seq=None)
    return int(conn.execute(select(func.count()).select_from(audit_log).where(*_where(paged))).scalar_one())


def head(conn: Connection) -> tuple[int, str] | None:
    """The newest record's sequence number and hash, or None for an empty trail."""
    row = conn.execute(
        select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return (int(row.seq), str(row.hash)) if row else None


def hash_at(conn: Connection, seq: int) -> str | None:
    """The stored hash of the record with this sequence number, or None when there is none."""
    value = conn.execute(select(audit_log.c.hash).where(audit_log.c.seq == seq)).scalar_one_or_none()
    return None if value is None else str(value)


def actions(conn: Connection) -> list[str]:
    """The distinct actions recorded so far (for the page's filter list)."""
    return [str(a) for a in conn.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action))
            .scalars()]
