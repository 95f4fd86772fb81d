"""The audit trail: append one hash-chained record per change; verify the whole chain.

Every service that changes money, promises, holds, rule sets, strategies or users calls `record`
inside its own transaction, so the change and its audit record commit or roll back together.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from arrears.core.access import Principal
from arrears.core.clock import require_aware
from arrears.users.store import audit_log

GENESIS = "0" * 64
_CHAIN_LOCK = 7_406_311  # PostgreSQL advisory-lock key serialising appends to the chain


def canonical(details: dict[str, Any]) -> str:
    """The exact JSON text that is stored and hashed (sorted keys, no spaces, dates as ISO text)."""
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def link_hash(prev_hash: str, seq: int, at: datetime, actor: str, actor_role: str, action: str,
              entity_type: str, entity_id: str, details_json: str) -> str:
    """SHA-256 over the previous hash and every field of the record."""
    body = "\x1f".join([prev_hash, str(seq), require_aware(at).isoformat(), actor, actor_role, action,
                        entity_type, entity_id, details_json])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(conn: Connection, principal: Principal, action: str, entity_type: str, entity_id: object,
           details: dict[str, Any], at: datetime) -> int:
    """Append one audit record in the caller's transaction; returns its sequence number."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("select pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    last = conn.execute(
        select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    details_json = canonical(details)
    role = principal.role.value
    digest = link_hash(prev, seq, at, principal.username, role, action, entity_type, str(entity_id),
                       details_json)
    conn.execute(audit_log.insert().values(
        seq=seq, at=at, actor=principal.username, actor_role=role, action=action,
        entity_type=entity_type, entity_id=str(entity_id), details=details_json, prev_hash=prev,
        hash=digest,
    ))
    return seq


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where the chain stops being consistent and why."""

    seq: int
    reason: str


def _rows(conn: Connection, batch: int = 5000) -> Iterator[Any]:
    after = 0
    while True:
        rows = conn.execute(
            select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def verify(conn: Connection) -> tuple[int, list[ChainBreak]]:
    """Walk the chain; returns how many records were checked and every break found."""
    breaks: list[ChainBreak] = []
    prev, expected_seq, count = GENESIS, 1, 0
    for row in _rows(conn):
        count += 1
        if row.seq != expected_seq:
            breaks.append(ChainBreak(row.seq, f"sequence gap: expected {expected_seq}"))
        if row.prev_hash != prev:
            breaks.append(ChainBreak(row.seq, "previous-hash link does not match the record before it"))
        digest = link_hash(row.prev_hash, row.seq, row.at, row.actor, row.actor_role, row.action,
                           row.entity_type, row.entity_id, row.details)
        if digest != row.hash:
            breaks.append(ChainBreak(row.seq, "content does not match its hash (record altered)"))
        prev, expected_seq = row.hash, row.seq + 1
    return count, breaks
