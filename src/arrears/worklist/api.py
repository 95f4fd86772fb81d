"""REST for the live work queue and the call workflow (tag "worklist"), used alike by the desk pages and
dialers: next contact, leases, the queue, attempts (desk and dialer), call-backs, the timeline, violations."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime

from arrears.core.access import Permission, Principal
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires
from arrears.worklist import attempts, callbacks, history, service
from arrears.worklist.rules import elements_catalogue
from arrears.worklist.schemas import AttemptIn, AttemptOut, CallbackIn, DialIn, ExternalAttemptIn, NextOut

router = APIRouter(tags=["worklist"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "The role lacks the permission"},
    404: {"description": "No such debtor, contact point or lease in scope"},
    409: {"description": "Forbidden by the contact policy (problems name rule ids and sources), or leased"},
    422: {"description": "Bad request: problems name each field"},
}


@router.post(
    "/queue/next",
    response_model=NextOut,
    response_model_exclude_none=True,
    responses=ERRORS,
    summary="Next contact",
)
def next_contact(
    principal: Principal = Depends(requires(Permission.WORK_QUEUE)), rt: Runtime = Depends(get_runtime)
) -> dict[str, Any]:
    """The most valuable contact the policy allows now, leased to you; or why none is and from when."""
    return service.next_contact(rt, principal)


@router.post("/queue/leases/{lease_id}/release", responses=ERRORS, summary="Release a lease")
def release_lease(
    lease_id: int = Path(ge=1, le=2**63 - 1),
    principal: Principal = Depends(requires(Permission.WORK_QUEUE)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Give the leased debtor back to the queue (409 when the lease already ended or expired)."""
    return service.release(rt, principal, lease_id)


@router.get("/queue", responses=ERRORS, summary="My queue (or my team's)")
def show_queue(
    scope: Literal["mine", "team"] = Query("mine"),
    team_id: int | None = Query(None, ge=1, description="Managers: any team; team leads: their own"),
    limit: int = Query(100, ge=1, le=500),
    principal: Principal = Depends(requires(Permission.WORK_QUEUE)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Open work, best first, with who holds which debtor; scope=team needs worklist.manage."""
    return service.queue(rt, principal, scope, team_id, limit)


@router.post("/queue/dial", responses=ERRORS, summary="Resolve a dial hand-off (dialer integration)")
def resolve_dial(
    body: DialIn,
    principal: Principal = Depends(requires(Permission.PII_UNMASK)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """The clear number behind a live lease's dial token, for the dialer; every resolution is audited."""
    return service.resolve_dial(rt, principal, body.token)


@router.get("/queue/elements", summary="The nine call elements")
def call_elements(_principal: Principal = Depends(requires(Permission.WORK_QUEUE))) -> list[dict[str, Any]]:
    """The nine elements of a good call, in order, with zh-CN and English labels."""
    return elements_catalogue()


@router.post(
    "/attempts",
    response_model=AttemptOut,
    response_model_exclude_none=True,
    status_code=201,
    responses=ERRORS,
    summary="Record a call attempt",
)
def record_attempt(
    body: AttemptIn,
    principal: Principal = Depends(requires(Permission.WORK_QUEUE)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Record a call from the desk with its outcome, elements, note, flags, promise, claim or call-back."""
    return attempts.record_attempt(rt, principal, body.report(rt.settings.default_currency))


@router.post(
    "/attempts/external",
    response_model=AttemptOut,
    response_model_exclude_none=True,
    status_code=201,
    responses=ERRORS,
    summary="Record a dialer's call",
)
def record_external(
    body: ExternalAttemptIn,
    principal: Principal = Depends(requires(Permission.WORK_MANAGE)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Record a call made outside Arrears; judged at its start, a broken rule is marked as a violation."""
    return attempts.record_external(rt, principal, body.report())


@router.get("/attempts/violations", responses=ERRORS, summary="Attempts that broke a contact rule")
def list_violations(
    since: AwareDatetime | None = Query(None),
    until: AwareDatetime | None = Query(None),
    limit: int = Query(100, ge=1, le=1000),
    principal: Principal = Depends(requires(Permission.DECISIONS_READ)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Recorded violations (e.g. a dialer calling at night), newest first, with the rules broken."""
    return history.violations(rt, principal, since, until, limit)


@router.get("/debtors/{debtor_id}/attempts", responses=ERRORS, summary="A debtor's attempts (timeline)")
def debtor_attempts(
    debtor_id: int = Path(ge=1, le=2**63 - 1),
    limit: int = Query(100, ge=1, le=1000),
    principal: Principal = Depends(requires(Permission.PORTFOLIO_READ)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Every attempt on the debtor, newest first: outcome, elements, note, flags, violations."""
    return history.timeline(rt, principal, debtor_id, limit)


@router.post("/callbacks", status_code=201, responses=ERRORS, summary="Book a call-back")
def book_callback(
    body: CallbackIn,
    principal: Principal = Depends(requires(Permission.WORK_QUEUE)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Book a call-back the debtor asked for; served first when due, judged by the policy then."""
    return callbacks.book_callback(rt, principal, body.debtor_id, body.at, body.contact_point_id, body.note)
