"""REST for the contact policy: the check endpoint (collector's desk, dialers), the decision log, holds,
contact attempts and the rule sets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from arrears.compliance import service
from arrears.compliance.model import ContactChannel, Content, Direction, HoldKind, Outcome, Party, Purpose
from arrears.core.access import Permission, Principal
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["compliance"])
RT = Annotated[Runtime, Depends(get_runtime)]
CHECK = Annotated[Principal, Depends(requires(Permission.COMPLIANCE_CHECK))]
MAX_ID = 2**63 - 1  # ids are BIGINT: larger numbers are refused (422), never passed to the database


class DbCheckIn(BaseModel):
    """Check a contact against the debtor's rows; the decision is logged."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = Field(ge=1, le=MAX_ID)
    contact_point_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel: ContactChannel
    party: Party = Party.DEBTOR
    at: AwareDatetime | None = Field(None, description="Proposed moment (default: now); must carry an offset")
    purpose: Purpose | None = None
    content: Content | None = Field(None, description="Voicemail: limited or full content")
    includes_opt_out: bool | None = Field(None, description="E-mail / SMS: carries an opt-out notice")
    collector_type: Literal["in_house", "agency"] | None = None
    requested_by: str | None = Field(None, max_length=64)
    rulesets: list[str] | None = Field(None, description="Override the account's rule sets (testing)")


class ScenarioIn(BaseModel):
    """A whole scenario (see the compliance README); evaluated without the database and not logged."""

    model_config = ConfigDict(extra="allow")
    debtor: dict[str, Any]
    proposed: dict[str, Any]


class RuleHitOut(BaseModel):
    """A rule that fired."""

    rule_id: str
    ruleset: str
    effect: str = Field(description="deny | require")
    reason_zh: str
    reason_en: str
    source: str
    not_before: datetime | None
    requirement: str | None


class DecisionOut(BaseModel):
    """Allow or deny, the rules that fired and were checked, and the earliest allowed moment."""

    decision_id: int | None = Field(None, description="Row in the decision log (checks against the database)")
    allowed: bool
    earliest_allowed: datetime | None = Field(description="null: never, without a change of facts")
    earliest_allowed_local: dict[str, str] | None
    script_mode: str
    requirements: list[str]
    fired: list[RuleHitOut]
    checked: list[str]
    rulesets: list[dict[str, str]]
    evaluated_at: datetime
    proposed: dict[str, Any]
    local_times: dict[str, str]
    collector_type: str | None = None


class DecisionLogOut(BaseModel):
    """One row of the decision log."""

    id: int
    debtor_id: int
    contact_point_id: int | None
    channel: str
    party: str
    purpose: str | None
    proposed_at: datetime
    allowed: bool
    rules_checked: list[str]
    fired: list[dict[str, Any]]
    rulesets: list[dict[str, str]]
    requirements: list[str]
    script_mode: str
    earliest_allowed: datetime | None
    collector_type: str | None
    requested_by: str | None
    evaluated_at: datetime
    created_at: datetime


class HoldIn(BaseModel):
    """Set a hold or a declaration: what, who, why (and when, default now)."""

    model_config = ConfigDict(extra="forbid")
    kind: HoldKind
    set_by: str | None = Field(None, min_length=1, max_length=64,
                               description="Ignored for a logged-in user: the hold is set in their name")
    reason: str = Field(min_length=1)
    detail: dict[str, Any] = Field(default_factory=dict, description="By kind: windows, places, channels...")
    contact_point_id: int | None = Field(None, ge=1, le=MAX_ID)
    set_at: AwareDatetime | None = None


class LiftIn(BaseModel):
    """Lift a hold: who and why (and when, default now)."""

    model_config = ConfigDict(extra="forbid")
    lifted_by: str | None = Field(None, min_length=1, max_length=64,
                                  description="Ignored for a logged-in user: lifted in their name")
    reason: str = Field(min_length=1)
    lifted_at: AwareDatetime | None = None


class HoldOut(BaseModel):
    """A hold or declaration with its history."""

    id: int
    debtor_id: int
    kind: str
    contact_point_id: int | None
    detail: dict[str, Any]
    set_by: str
    set_at: datetime
    reason: str
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    active: bool
    created_at: datetime


class AttemptIn(BaseModel):
    """A contact attempt that happened (from the desk or a dialer)."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = Field(ge=1, le=MAX_ID)
    contact_point_id: int | None = Field(None, ge=1, le=MAX_ID)
    channel: ContactChannel
    outcome: Outcome
    started_at: AwareDatetime
    party: Party = Party.DEBTOR
    direction: Direction = Direction.OUTBOUND
    by_agency: bool = False
    agency: str | None = Field(None, max_length=64)
    conversation: bool | None = None
    consent_at: AwareDatetime | None = None
    collector: str | None = Field(None, max_length=64)
    decision_id: int | None = Field(None, ge=1, le=MAX_ID)


@router.post("/compliance/check", response_model=DecisionOut)
def check(body: Annotated[DbCheckIn | ScenarioIn, Body()], rt: RT, principal: CHECK) -> dict[str, Any]:
    """Check a proposed contact: against the database (logged) or as a whole scenario (not logged)."""
    if isinstance(body, ScenarioIn):
        return service.check_scenario(principal, body.model_dump()).as_dict()
    logged = service.check_contact(
        rt,
        principal,
        body.debtor_id,
        body.channel,
        body.contact_point_id,
        body.party,
        body.at,
        body.purpose,
        body.content,
        body.includes_opt_out,
        body.collector_type,
        body.requested_by,
        body.rulesets,
    )
    return logged.as_dict()


@router.get("/compliance/decisions", response_model=list[DecisionLogOut])
def decision_log(
    rt: RT, principal: Annotated[Principal, Depends(requires(Permission.DECISIONS_READ))],
    debtor_id: Annotated[int, Query(ge=1, le=MAX_ID)], limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """A debtor's decision log, newest first: which rules, which versions, which verdict."""
    return service.decisions(rt, principal, debtor_id, limit)


@router.get("/compliance/rulesets")
def list_rulesets(_principal: CHECK) -> dict[str, Any]:
    """The shipped rule sets (name, version, rules with their sources) and the selection table."""
    from arrears.compliance import rulesets

    sel = rulesets.selection()
    return {
        "rulesets": [rulesets.get(n).summary() for n in rulesets.names()],
        "selection": [{"match": dict(m), "rulesets": list(c)} for m, c in sel.entries],
    }


@router.post("/debtors/{debtor_id}/holds", response_model=HoldOut, status_code=201)
def set_hold(
    debtor_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: HoldIn, rt: RT,
    principal: Annotated[Principal, Depends(requires(Permission.HOLD_SET))],
) -> dict[str, Any]:
    """Put a hold or declaration on a debtor (in the caller's name; audited)."""
    return service.set_hold(
        rt, principal, debtor_id, body.kind, body.set_by, body.reason, body.detail, body.contact_point_id,
        body.set_at,
    )


@router.get("/debtors/{debtor_id}/holds", response_model=list[HoldOut])
def list_holds(
    debtor_id: Annotated[int, Path(ge=1, le=MAX_ID)], rt: RT,
    principal: Annotated[Principal, Depends(requires(Permission.PORTFOLIO_READ))], active_only: bool = False,
) -> list[dict[str, Any]]:
    """A debtor's holds and declarations, newest first."""
    return service.holds(rt, principal, debtor_id, include_lifted=not active_only)


@router.post("/holds/{hold_id}/lift", response_model=HoldOut)
def lift_hold(
    hold_id: Annotated[int, Path(ge=1, le=MAX_ID)], body: LiftIn, rt: RT,
    principal: Annotated[Principal, Depends(requires(Permission.HOLD_LIFT))],
) -> dict[str, Any]:
    """Lift a hold; it stays on record with who lifted it, when and why (audited)."""
    return service.lift_hold(rt, principal, hold_id, body.lifted_by, body.reason, body.lifted_at)


@router.post("/compliance/attempts", status_code=201)
def record_attempt(
    body: AttemptIn, rt: RT, principal: Annotated[Principal, Depends(requires(Permission.WORK_QUEUE))]
) -> dict[str, int]:
    """Record a contact attempt (a refusal makes the contact point do-not-contact for good)."""
    attempt_id = service.record_attempt(
        rt,
        principal,
        body.debtor_id,
        body.channel,
        body.outcome,
        body.started_at,
        body.contact_point_id,
        body.party,
        body.direction,
        body.by_agency,
        body.agency,
        body.conversation,
        body.consent_at,
        body.collector,
        body.decision_id,
    )
    return {"id": attempt_id}
