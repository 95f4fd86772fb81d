"""REST for treatments, experiments, allocation and the nightly run (tag "strategy"), under /api/v1."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query
from pydantic import BaseModel, Field

from arrears.core.access import Permission, Principal
from arrears.core.errors import ArrearsError
from arrears.runtime import Runtime
from arrears.strategy import service
from arrears.strategy.model import BatchStep
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["strategy"])
log = logging.getLogger(__name__)
_READ = requires(Permission.STRATEGY_READ)
_MANAGE = requires(Permission.STRATEGY_MANAGE)
_WORK = requires(Permission.WORK_MANAGE)
_BATCH = requires(Permission.BATCH_RUN)
_PORTFOLIO = requires(Permission.PORTFOLIO_READ)
Rt = Annotated[Runtime, Depends(get_runtime)]
Reader = Annotated[Principal, Depends(_READ)]
Manager = Annotated[Principal, Depends(_MANAGE)]
Lead = Annotated[Principal, Depends(_WORK)]
Batch = Annotated[Principal, Depends(_BATCH)]
Viewer = Annotated[Principal, Depends(_PORTFOLIO)]
AnId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MAX_YAML = 200_000


class TreatmentFile(BaseModel):
    """A treatment file's YAML text."""

    yaml: str = Field(max_length=MAX_YAML, description="The treatment file (YAML)")
    file_name: str = Field(default="upload.yaml", max_length=200)


class TreatmentUpload(TreatmentFile):
    """Upload a version (and put it in force at once with activate)."""

    reason: str = Field(default="", max_length=2000, description="Why (required when activating)")
    activate: bool = False


class Reason(BaseModel):
    """Why a change is made (kept with it)."""

    reason: str = Field(max_length=2000)


class ProblemOut(BaseModel):
    """One problem: file, line, key path, value, reason."""

    file: str
    line: int
    path: str
    value: str
    reason: str


class ValidationOut(BaseModel):
    """The outcome of checking a file (nothing stored)."""

    valid: bool
    message: str
    problems: list[ProblemOut]
    warnings: list[str]
    summary: dict[str, Any] | None


class VersionOut(BaseModel):
    """A stored treatment version (without its text unless asked)."""

    id: int
    name: str
    version: str
    label: str
    title: str
    file_name: str
    checksum: str
    status: str
    in_force: bool
    warnings: list[str]
    uploaded_by: str
    uploaded_at: datetime
    upload_reason: str
    activated_by: str | None
    activated_at: datetime | None
    yaml_text: str | None = None
    summary: dict[str, Any] | None = None


class VersionsOut(BaseModel):
    """Stored versions, the one in force and the activations."""

    in_force: dict[str, Any] | None
    versions: list[VersionOut]
    activations: list[dict[str, Any]]


class ArmOut(BaseModel):
    """An arm with its share, path and accounts drawn into it."""

    arm: str
    percent: float
    path: str
    accounts: int


class ExperimentOut(BaseModel):
    """A champion/challenger experiment."""

    name: str
    path: str
    status: str
    version_id: int
    started_on: date
    ended_on: date | None
    accounts: int
    arms: list[ArmOut]


class Reassign(BaseModel):
    """Give a case to another collector."""

    to: str = Field(max_length=64, description="The collector's username or user id")
    reason: str = Field(max_length=2000)


class RunRequest(BaseModel):
    """Start (or resume) the nightly run for a date."""

    as_of: date | None = Field(default=None, description="The night to run (default: today)")
    steps: list[BatchStep] | None = Field(default=None, description="Only these steps (default: all)")
    force: bool = Field(default=False, description="Repeat steps already completed for the date")


class RunQueued(BaseModel):
    """A run accepted: it continues in the background; poll GET /batch/runs/{run_id}."""

    run_id: int
    as_of: date
    steps: list[str]
    status: str


def _validation(v: service.Validation) -> ValidationOut:
    return ValidationOut(
        valid=v.valid,
        message=v.message,
        warnings=v.warnings,
        summary=v.summary,
        problems=[
            ProblemOut(file=p.file, line=p.row, path=p.field, value=p.value, reason=p.reason)
            for p in v.problems
        ],
    )


@router.get("/strategy/treatments", response_model=VersionsOut)
def list_treatments(principal: Reader, rt: Rt) -> dict[str, Any]:
    """Stored treatment versions (newest first), the one in force and who activated what, when and why."""
    return service.list_versions(rt, principal)


@router.get("/strategy/treatments/active", response_model=VersionOut)
def active_treatment(principal: Reader, rt: Rt) -> dict[str, Any]:
    """The version in force with its YAML and parsed summary."""
    return service.show_version(rt, principal, None)


@router.get("/strategy/treatments/{version_id}", response_model=VersionOut)
def show_treatment(version_id: AnId, principal: Reader, rt: Rt) -> dict[str, Any]:
    """One stored version with its YAML and parsed summary."""
    return service.show_version(rt, principal, version_id)


@router.post("/strategy/treatments/validate", response_model=ValidationOut)
def validate_treatment(body: TreatmentFile, principal: Reader, rt: Rt) -> ValidationOut:
    """Check a file against the schema and the contact policy; every problem with line and key path."""
    return _validation(service.validate(rt, principal, body.yaml, body.file_name))


@router.post("/strategy/treatments", response_model=VersionOut, status_code=201)
def upload_treatment(body: TreatmentUpload, principal: Manager, rt: Rt) -> dict[str, Any]:
    """Store a version (422 with every problem when invalid; nothing stored, the version in force stays)."""
    return service.upload(rt, principal, body.yaml, body.file_name, body.reason, activate=body.activate)


@router.post("/strategy/treatments/{version_id}/activate", response_model=VersionOut)
def activate_treatment(version_id: AnId, body: Reason, principal: Manager, rt: Rt) -> dict[str, Any]:
    """Put a stored version in force (re-checked against today's policy first)."""
    return service.activate(rt, principal, version_id, body.reason)


@router.get("/strategy/experiments", response_model=list[ExperimentOut])
def experiments(principal: Reader, rt: Rt) -> list[dict[str, Any]]:
    """Champion/challenger experiments, their arms and how many accounts each holds."""
    return service.list_experiments(rt, principal)


@router.get("/strategy/accounts/{account_id}/treatment")
def account_treatment(account_id: AnId, principal: Viewer, rt: Rt) -> dict[str, Any]:
    """An account's current path, step, next action, channel and arm."""
    return service.account_treatment(rt, principal, account_id)


@router.get("/strategy/cases")
def team_cases(
    principal: Lead,
    rt: Rt,
    team_id: int | None = Query(None, ge=1, le=2**63 - 1),
    collector_id: int | None = Query(None, ge=1, le=2**63 - 1),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Live cases (a team lead: the own team's) with collector and treatment, most valuable first."""
    return service.team_cases(rt, principal, team_id, limit, collector_id)


@router.post("/strategy/cases/{case_id}/reassign")
def reassign_case(case_id: AnId, body: Reassign, principal: Lead, rt: Rt) -> dict[str, Any]:
    """Give a case to another collector (team leads: within their team); recorded and audited."""
    return service.reassign(rt, principal, case_id, body.to, body.reason)


@router.get("/strategy/cases/{case_id}/moves")
def case_moves(case_id: AnId, principal: Lead, rt: Rt) -> list[dict[str, Any]]:
    """Every move of a case: from/to team, collector or agency, why, by whom, when."""
    return service.case_moves(rt, principal, case_id)


@router.get("/batch/runs")
def batch_runs(principal: Reader, rt: Rt, limit: int = Query(50, ge=1, le=500)) -> list[dict[str, Any]]:
    """Nightly runs, newest first, each with every step's status, counts and time."""
    return service.list_runs(rt, principal, limit)


@router.get("/batch/runs/{run_id}")
def batch_run(run_id: AnId, principal: Reader, rt: Rt) -> dict[str, Any]:
    """One run and the step records of its date."""
    return service.get_run(rt, principal, run_id)


def _background(
    rt: Runtime, principal: Principal, run_id: int, as_of: date, steps: list[str], force: bool
) -> None:
    try:
        service.run_batch(rt, principal, as_of, steps, force, run_id=run_id)
    except ArrearsError as exc:  # e.g. another run holds the lock: the queued run records why
        log.warning("nightly run %s did not start: %s", run_id, exc)
        from arrears.strategy.jobs import mark_not_started

        mark_not_started(rt, run_id, str(exc))


@router.post("/batch/runs", response_model=RunQueued, status_code=202)
def trigger_run(body: RunRequest, tasks: BackgroundTasks, principal: Batch, rt: Rt) -> RunQueued:
    """Start (or resume) the nightly run; it continues in the background (completed steps are skipped)."""
    steps = [s.value for s in body.steps] if body.steps else None
    run_id, as_of, chosen = service.queue_batch(rt, principal, body.as_of, steps, body.force)
    tasks.add_task(_background, rt, principal, run_id, as_of, [s.value for s in chosen], body.force)
    return RunQueued(run_id=run_id, as_of=as_of, steps=[s.value for s in chosen], status="queued")
