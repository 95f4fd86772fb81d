"""Approval requests in the caller's transaction: open one, decide one, list the inbox.

Promises above authority, plans, settlements and waivers share the `approvals` table; every decision is
a row with its reason; the requester never decides their own request; a committee is two managers.
Applying an approved arrangement is the owning module's job (see service.decide).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection, Row

from arrears.core.access import Permission, Principal, Role, require
from arrears.core.errors import Conflict, FieldProblem, Forbidden, InputRejected, NotFound
from arrears.payments.matrix import ROLE_LEVEL, approvals_needed, may_decide, settled
from arrears.payments.model import LEVEL_RANK, ApprovalKind, ApprovalLevel, ApprovalStatus
from arrears.payments.store import approval_decisions, approvals
from arrears.users import audit


def request(conn: Connection, principal: Principal, *, kind: ApprovalKind, entity_id: int, debtor_id: int,
            account_id: int | None, team_id: int | None, amount_minor: int, currency: str,
            level: ApprovalLevel, reason: str, summary: str, now: datetime) -> int:
    """Open an approval request for an arrangement; returns its id."""
    new_id = conn.execute(approvals.insert().values(
        kind=kind.value, entity_id=entity_id, debtor_id=debtor_id, account_id=account_id, team_id=team_id,
        amount_minor=amount_minor, currency=currency, level=level.value,
        approvals_needed=approvals_needed(level), status=ApprovalStatus.PENDING.value,
        requested_by_id=principal.user_id, requested_by=principal.username, request_reason=reason,
        summary=summary, created_at=now,
    ).returning(approvals.c.id)).scalar_one()
    audit.record(conn, principal, "approval.request", "approval", new_id,
                 {"kind": kind.value, "entity_id": entity_id, "level": level.value,
                  "amount_minor": amount_minor, "currency": currency}, now)
    return int(new_id)


def _visible(principal: Principal) -> Any:
    """Team leads and collectors decide their team's requests only; agencies none."""
    if principal.is_agency:
        return approvals.c.id < 0
    if not principal.sees_all_teams:
        if principal.team_id is None:
            return approvals.c.id < 0
        return approvals.c.team_id == principal.team_id
    return None


def get(conn: Connection, approval_id: int, principal: Principal | None = None, *, lock: bool = False) -> Row:
    """One approval request within the principal's scope; NotFound otherwise."""
    query = select(approvals).where(approvals.c.id == approval_id)
    scope = _visible(principal) if principal is not None else None
    if scope is not None:
        query = query.where(scope)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"approval {approval_id} not found")
    return row


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision recorded; `final` is the request's new status when this decision settled it."""

    approval: Row
    decision: str
    final: ApprovalStatus | None


def decide(conn: Connection, principal: Principal, approval_id: int, *, approve: bool, reason: str,
           now: datetime) -> Decided:
    """Record one decision with its reason; settle the request when enough deciders agree (or one rejects)."""
    require(principal, Permission.ARRANGEMENT_APPROVE)
    if not reason or not reason.strip():
        raise InputRejected("every decision needs a reason", [FieldProblem(0, "reason", "", "give a reason")])
    row = get(conn, approval_id, principal, lock=True)
    if row.status != ApprovalStatus.PENDING.value:
        raise Conflict(f"approval {approval_id} is already {row.status}")
    earlier = list(conn.execute(
        select(approval_decisions).where(approval_decisions.c.approval_id == approval_id)))
    check = may_decide(ApprovalLevel(row.level), principal.role, principal.username, row.requested_by,
                       [d.decided_by for d in earlier])
    if not check.allowed:
        raise Forbidden(f"approval {approval_id}: {check.reason}")
    decision = "approve" if approve else "reject"
    conn.execute(approval_decisions.insert().values(
        approval_id=approval_id, decided_by_id=principal.user_id, decided_by=principal.username,
        role=principal.role.value, decision=decision, reason=reason.strip(), at=now,
    ))
    ayes = sum(1 for d in earlier if d.decision == "approve") + (1 if approve else 0)
    nays = sum(1 for d in earlier if d.decision == "reject") + (0 if approve else 1)
    final = settled(ayes, nays, ApprovalLevel(row.level))
    if final is not None:
        conn.execute(approvals.update().where(approvals.c.id == approval_id)
                     .values(status=final, decided_at=now))
    audit.record(conn, principal, f"approval.{decision}", "approval", approval_id,
                 {"kind": row.kind, "entity_id": row.entity_id, "reason": reason.strip(),
                  "final": final}, now)
    return Decided(row, decision, ApprovalStatus(final) if final else None)


def cancel_for(conn: Connection, kind: ApprovalKind, entity_id: int, now: datetime) -> None:
    """Withdraw the pending request of an arrangement that no longer needs it."""
    conn.execute(approvals.update().where(and_(
        approvals.c.kind == kind.value, approvals.c.entity_id == entity_id,
        approvals.c.status == ApprovalStatus.PENDING.value,
    )).values(status=ApprovalStatus.CANCELLED.value, decided_at=now))


def inbox(conn: Connection, principal: Principal, *, status: str = "pending",
          limit: int = 200) -> list[dict[str, Any]]:
    """The requests the principal may decide (their level or below; never their own), oldest first."""
    require(principal, Permission.ARRANGEMENT_APPROVE)
    mine = ROLE_LEVEL.get(principal.role)
    if mine is None:
        return []
    allowed = [lvl.value for lvl in ApprovalLevel if LEVEL_RANK[lvl] <= LEVEL_RANK[mine]]
    if principal.role in (Role.MANAGER, Role.ADMINISTRATOR):
        allowed.append(ApprovalLevel.COMMITTEE.value)
    query = select(approvals).where(approvals.c.status == status, approvals.c.level.in_(allowed))
    scope = _visible(principal)
    if scope is not None:
        query = query.where(scope)
    if status == "pending":
        query = query.where(or_(approvals.c.requested_by != principal.username))
    rows = conn.execute(query.order_by(approvals.c.created_at, approvals.c.id).limit(limit)).all()
    ids = [r.id for r in rows]
    votes: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for d in conn.execute(select(approval_decisions).where(approval_decisions.c.approval_id.in_(ids))
                              .order_by(approval_decisions.c.at)):
            votes[d.approval_id].append({"by": d.decided_by, "role": d.role, "decision": d.decision,
                                         "reason": d.reason, "at": d.at.isoformat()})
    return [dict(r._mapping) | {"decisions": votes[r.id]} for r in rows]
