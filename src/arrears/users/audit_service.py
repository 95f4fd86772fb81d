"""Audit-trail use cases: list and filter the trail, verify the hash chain (with an optional anchor)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import FieldProblem, InputRejected
from arrears.runtime import Runtime
from arrears.users import audit, audit_store
from arrears.users.audit_store import AuditFilter

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_ACTION = re.compile(r"^[A-Za-z0-9_.\-]{1,64}\*?$")
_ANCHOR = re.compile(r"^\s*(\d{1,18})\s*:\s*([0-9a-fA-F]{64})\s*$")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One record of the trail as readers see it (details parsed back from the stored JSON)."""

    seq: int
    at: datetime
    actor: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    """Newest-first records matching a filter, and where the next page starts."""

    items: tuple[AuditEntry, ...]
    total: int
    limit: int
    next_before_seq: int | None


@dataclass(frozen=True, slots=True)
class ChainBreakView:
    """Where the chain is broken and why."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of walking the whole chain."""

    checked: int
    head_seq: int | None
    head_hash: str | None
    breaks: tuple[ChainBreakView, ...]
    guard_installed: bool
    verified_at: datetime
    anchor: tuple[int, str] | None = None
    anchor_problem: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def intact(self) -> bool:
        """True when no record breaks the chain and the anchor (if given) still holds."""
        return not self.breaks and self.anchor_problem is None

    @property
    def first_break(self) -> ChainBreakView | None:
        """The earliest break (by sequence number), the anchor problem, or None."""
        if self.breaks:
            return min(self.breaks, key=lambda b: b.seq)
        if self.anchor_problem and self.anchor:
            return ChainBreakView(self.anchor[0], self.anchor_problem)
        return None


def parse_anchor(value: str) -> tuple[int, str]:
    """Parse an anchor 'SEQ:HASH' (a head printed by an earlier verify) or raise InputRejected."""
    match = _ANCHOR.match(value or "")
    if not match:
        raise InputRejected("anchor must be SEQ:HASH (the head printed by an earlier `arrears audit verify`)",
                            [FieldProblem(0, "anchor", value or "", "expected e.g. 42:<64 hex digits>")])
    return int(match.group(1)), match.group(2).lower()


def check_filter(f: AuditFilter, limit: int) -> None:
    """Refuse filters that cannot be valid (InputRejected naming each field)."""
    problems: list[FieldProblem] = []
    for name, value, longest in (("entity_type", f.entity_type, 32), ("entity_id", f.entity_id, 64),
                                 ("actor", f.actor, 64), ("action", f.action, 65)):
        if value is None:
            continue
        if len(value) > longest:
            problems.append(FieldProblem(0, name, value, f"at most {longest} characters"))
        elif any(ord(ch) < 32 for ch in value):
            problems.append(FieldProblem(0, name, value, "control characters are not allowed"))
    if f.action is not None and not problems and not _ACTION.match(f.action):
        problems.append(FieldProblem(0, "action", f.action,
                                     "letters, digits, '.', '_', '-', optionally ending in '*'"))
    for name, moment in (("since", f.since), ("until", f.until)):
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            problems.append(FieldProblem(0, name, moment.isoformat(), "must carry a time-zone offset"))
    if f.since and f.until and not problems and f.until <= f.since:
        problems.append(FieldProblem(0, "until", f.until.isoformat(), "must be after 'since'"))
    if f.before_seq is not None and not 1 <= f.before_seq <= 2**63 - 1:
        problems.append(FieldProblem(0, "before_seq", str(f.before_seq), "must be a positive seq number"))
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(FieldProblem(0, "limit", str(limit), f"must be 1..{MAX_LIMIT}"))
    if problems:
        raise InputRejected("invalid audit filter: " + "; ".join(p.describe() for p in problems), problems)


def _details(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return {"_unparsed": text}
    return value if isinstance(value, dict) else {"_value": value}


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(seq=int(row.seq), at=row.at, actor=row.actor, actor_role=row.actor_role,
                      action=row.action, entity_type=row.entity_type, entity_id=row.entity_id,
                      details=_details(row.details), prev_hash=row.prev_hash, hash=row.hash)


def list_records(rt: Runtime, principal: Principal, f: AuditFilter | None = None,
                 limit: int = DEFAULT_LIMIT) -> AuditPage:
    """Records of the trail matching the filter, newest first, one page at a time."""
    require(principal, Permission.AUDIT_READ)
    f = f or AuditFilter()
    check_filter(f, limit)
    with rt.engine.connect() as conn:
        rows = audit_store.select_records(conn, f, limit + 1)
        total = audit_store.count_records(conn, f)
    items = tuple(_entry(r) for r in rows[:limit])
    more = len(rows) > limit
    return AuditPage(items=items, total=total, limit=limit, next_before_seq=items[-1].seq if more else None)


def known_actions(rt: Runtime, principal: Principal) -> list[str]:
    """The distinct actions in the trail (for filter choices)."""
    require(principal, Permission.AUDIT_READ)
    with rt.engine.connect() as conn:
        return audit_store.actions(conn)


def verify_chain(rt: Runtime, principal: Principal, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the whole chain; with an anchor (seq, hash) also check that record still holds that hash.

    The chain alone cannot see records removed from its end (or the whole trail emptied): compare the
    head with an anchor kept outside the database to detect that.
    """
    require(principal, Permission.AUDIT_READ)
    with rt.engine.connect() as conn:
        checked, breaks = audit.verify(conn)
        top = audit_store.head(conn)
        guarded = audit_store.guard_installed(conn)
        anchor_problem = None
        if anchor is not None:
            stored = audit_store.hash_at(conn, anchor[0])
            if stored is None:
                anchor_problem = (f"anchored record {anchor[0]} is missing: records were removed "
                                  f"(the trail now ends at {top[0] if top else 'nothing'})")
            elif stored != anchor[1]:
                anchor_problem = f"record {anchor[0]} no longer has the anchored hash (record altered)"
    notes = () if guarded else ("the append-only guard (triggers) is not installed: run `arrears init`",)
    return ChainReport(
        checked=checked, head_seq=top[0] if top else None, head_hash=top[1] if top else None,
        breaks=tuple(ChainBreakView(b.seq, b.reason) for b in breaks), guard_installed=guarded,
        verified_at=rt.clock.now(), anchor=anchor, anchor_problem=anchor_problem, notes=notes,
    )
