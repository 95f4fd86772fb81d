"""Reading attempts back: a debtor's timeline (催记) and the list of recorded policy violations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from arrears.compliance.language.store import collection_notes
from arrears.compliance.store import contact_attempts
from arrears.core.access import Permission, Principal, require
from arrears.core.errors import NotFound
from arrears.core.masking import mask_name
from arrears.portfolio.store import accounts, cases, contact_points, debtors
from arrears.runtime import Runtime
from arrears.users.unmask import debtor_in_scope
from arrears.worklist.rules import ELEMENT_LABELS
from arrears.worklist.views import masked_value

ELEMENT_IDS = [e.value for e in ELEMENT_LABELS]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _attempt(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "debtor_id": r.debtor_id,
        "started_at": _iso(r.started_at),
        "ended_at": _iso(r.ended_at),
        "duration_s": int((r.ended_at - r.started_at).total_seconds()) if r.ended_at else None,
        "channel": r.channel,
        "direction": r.direction,
        "party": r.party,
        "outcome": r.call_outcome or r.outcome,
        "history_outcome": r.outcome,
        "connected": bool(r.connected),
        "source": r.source,
        "external_ref": r.external_ref,
        "collector": r.collector,
        "collector_id": r.collector_id,
        "contact_point": None
        if r.cp_id is None
        else {
            "id": r.cp_id,
            "relationship": r.cp_relationship,
            "masked": masked_value(r.cp_channel, r.cp_value),
        },
        "elements": [e for e in ELEMENT_IDS if e in (r.elements or [])],
        "elements_covered": f"{len(r.elements or [])}/9",
        "flags": list(r.flags or []),
        "note": None
        if r.note_id is None
        else {"id": r.note_id, "text": r.note_text, "worst_severity": r.note_severity},
        "violation": bool(r.violation),
        "violated_rules": r.violated_rules or [],
        "work_item_id": r.work_item_id,
        "promise_id": r.promise_id,
        "claim_id": r.claim_id,
        "callback_item_id": r.callback_item_id,
        "decision_id": r.decision_id,
    }


def _query() -> Any:
    a = contact_attempts
    return (
        select(
            a,
            contact_points.c.id.label("cp_id"),
            contact_points.c.relationship.label("cp_relationship"),
            contact_points.c.channel.label("cp_channel"),
            contact_points.c.value.label("cp_value"),
            collection_notes.c.text.label("note_text"),
            collection_notes.c.worst_severity.label("note_severity"),
        )
        .outerjoin(contact_points, contact_points.c.id == a.c.contact_point_id)
        .outerjoin(collection_notes, collection_notes.c.id == a.c.note_id)
    )


def timeline(rt: Runtime, principal: Principal, debtor_id: int, limit: int = 100) -> dict[str, Any]:
    """A debtor's attempts, newest first, with outcome, elements, note, flags and any violation."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        if not debtor_in_scope(conn, principal, debtor_id):
            raise NotFound(f"debtor {debtor_id} not found")
        rows = conn.execute(
            _query()
            .where(contact_attempts.c.debtor_id == debtor_id)
            .order_by(contact_attempts.c.started_at.desc(), contact_attempts.c.id.desc())
            .limit(max(1, min(limit, 1000)))
        ).all()
    return {"debtor_id": debtor_id, "attempts": [_attempt(r) for r in rows]}


def scope_filter(principal: Principal) -> ColumnElement[bool] | None:
    """The debtors a principal may see, as a condition on contact_attempts.debtor_id."""
    a = contact_attempts.c
    if principal.is_agency:
        return exists().where(
            accounts.c.debtor_id == a.debtor_id, accounts.c.agency_id == principal.agency_id
        )
    if not principal.sees_all_teams:
        return exists().where(cases.c.debtor_id == a.debtor_id, cases.c.team_id == principal.team_id)
    return None


def violations(
    rt: Runtime,
    principal: Principal,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """Recorded attempts that broke a contact rule (dialer reports), newest first."""
    require(principal, Permission.DECISIONS_READ)
    a = contact_attempts.c
    cond: list[ColumnElement[bool]] = [a.violation.is_(True)]
    if since is not None:
        cond.append(a.started_at >= since)
    if until is not None:
        cond.append(a.started_at < until)
    scoped = scope_filter(principal)
    if scoped is not None:
        cond.append(scoped)
    with rt.engine.connect() as conn:
        rows = conn.execute(
            _query()
            .add_columns(
                debtors.c.external_id.label("debtor_external_id"), debtors.c.name.label("debtor_name")
            )
            .join(debtors, debtors.c.id == a.debtor_id)
            .where(and_(*cond))
            .order_by(a.started_at.desc(), a.id.desc())
            .limit(max(1, min(limit, 1000)))
        ).all()
    items = []
    for r in rows:
        item = _attempt(r)
        item["debtor"] = {
            "id": r.debtor_id,
            "external_id": r.debtor_external_id,
            "name": mask_name(r.debtor_name),
        }
        items.append(item)
    return {"count": len(items), "violations": items}


def count_violations(conn: Connection) -> int:
    """How many attempts are marked as violations (for the benchmark and the CLI summary)."""
    from sqlalchemy import func

    return int(conn.execute(select(func.count()).where(contact_attempts.c.violation.is_(True))).scalar_one())
