"""REST for the audit trail: list and filter records, verify the hash chain (Permission.AUDIT_READ)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from arrears.core.access import Permission, Principal
from arrears.runtime import Runtime
from arrears.users import audit_service
from arrears.users.audit_store import AuditFilter
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["audit"])


class AuditRecordOut(BaseModel):
    """One record of the append-only, hash-chained trail."""

    seq: int
    at: datetime
    actor: str
    actor_role: str
    action: str = Field(examples=["pii.unmask"])
    entity_type: str
    entity_id: str
    details: dict[str, Any] = Field(description="What changed (never a password or an unmasked value)")
    prev_hash: str
    hash: str


class AuditPageOut(BaseModel):
    """Newest-first records; pass next_before_seq as before_seq for the next page."""

    items: list[AuditRecordOut]
    total: int
    limit: int
    next_before_seq: int | None


class ChainBreakOut(BaseModel):
    """A record that breaks the chain and why."""

    seq: int
    reason: str


class ChainOut(BaseModel):
    """The result of walking the whole chain."""

    intact: bool
    checked: int = Field(description="Records checked")
    head_seq: int | None
    head_hash: str | None = Field(description="Keep seq:hash outside the database as an anchor")
    first_break: ChainBreakOut | None
    breaks: list[ChainBreakOut]
    guard_installed: bool = Field(description="The database refuses UPDATE and DELETE on the trail")
    anchor_problem: str | None
    verified_at: datetime


@router.get("/audit", response_model=AuditPageOut, summary="List audit records")
def list_audit(
    principal: Principal = Depends(requires(Permission.AUDIT_READ)),
    rt: Runtime = Depends(get_runtime),
    entity_type: str | None = Query(None, max_length=32, description="e.g. debtor, payment, user"),
    entity_id: str | None = Query(None, max_length=64),
    actor: str | None = Query(None, max_length=64, description="Username"),
    action: str | None = Query(None, max_length=65, description="e.g. pii.unmask, or payment.* for a family"),
    since: AwareDatetime | None = Query(None, description="From this moment (with offset)"),
    until: AwareDatetime | None = Query(None, description="Before this moment (with offset)"),
    before_seq: int | None = Query(None, ge=1, le=2**63 - 1, description="Records older than this seq"),
    limit: int = Query(audit_service.DEFAULT_LIMIT, ge=1, le=audit_service.MAX_LIMIT),
) -> AuditPageOut:
    """Records of the trail, newest first, filtered by entity, actor, action and time."""
    f = AuditFilter(entity_type=entity_type or None, entity_id=entity_id or None, actor=actor or None,
                    action=action or None, since=since, until=until, before_seq=before_seq)
    page = audit_service.list_records(rt, principal, f, limit)
    return AuditPageOut(
        items=[AuditRecordOut.model_validate(e, from_attributes=True) for e in page.items], total=page.total,
        limit=page.limit, next_before_seq=page.next_before_seq,
    )


@router.get("/audit/verify", response_model=ChainOut, summary="Verify the audit chain")
def verify_audit(
    principal: Principal = Depends(requires(Permission.AUDIT_READ)),
    rt: Runtime = Depends(get_runtime),
    anchor: str | None = Query(None, max_length=90, description="SEQ:HASH of an earlier head"),
) -> ChainOut:
    """Walk the chain: intact, or the first record that breaks it and why."""
    parsed = audit_service.parse_anchor(anchor) if anchor else None
    report = audit_service.verify_chain(rt, principal, parsed)
    first = report.first_break
    return ChainOut(
        intact=report.intact, checked=report.checked, head_seq=report.head_seq, head_hash=report.head_hash,
        first_break=ChainBreakOut(seq=first.seq, reason=first.reason) if first else None,
        breaks=[ChainBreakOut(seq=b.seq, reason=b.reason) for b in report.breaks],
        guard_installed=report.guard_installed, anchor_problem=report.anchor_problem,
        verified_at=report.verified_at,
    )
