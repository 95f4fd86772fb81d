"""REST for propensity scores and models (tag "strategy"), mounted under /api/v1."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from arrears.core.access import Permission, Principal
from arrears.core.errors import FieldProblem, InputRejected
from arrears.runtime import Runtime
from arrears.strategy.scoring import service
from arrears.strategy.scoring.rules import default_scorecard
from arrears.web.deps import get_language, get_runtime, requires

router = APIRouter(tags=["strategy"])


class ModelOut(BaseModel):
    """One stored model version (its bytes are never sent)."""

    version: int
    kind: str
    status: str = Field(description="trained | active | retired")
    trained_at: datetime
    trained_by: str
    as_of: date
    metrics: dict[str, Any] = Field(description="holdout AUC, KS, Brier, reliability by decile, counts")
    features: list[str]
    activated_at: datetime | None
    activated_by: str | None


class ModelsOut(BaseModel):
    """The stored versions and what is in force."""

    in_force: str = Field(description="'model-<version>' or the default scorecard's name")
    models: list[ModelOut]


class TrainRequest(BaseModel):
    """Body of POST /models/train."""

    as_of: date | None = Field(default=None, description="History up to this date (default today)")
    activate: bool = Field(default=False, description="Activate it when its holdout AUC is good enough")
    kind: str = Field(default="hist_gradient_boosting", description="hist_gradient_boosting | logistic")


class TrainOut(BaseModel):
    """A trained, stored model version."""

    version: int
    kind: str
    activated: bool
    metrics: dict[str, Any]
    warnings: list[str]


class ReasonOut(BaseModel):
    """A factor lowering the chance of payment."""

    code: str
    label: str = Field(description="In the request's language (zh-CN or English)")
    label_en: str


class ScoreOut(BaseModel):
    """An account's propensity to pay within 30 days."""

    external_id: str
    probability: float = Field(ge=0, le=1, description="Chance of a payment within 30 days (not money)")
    band: str = Field(description="A (most likely to pay) .. E")
    reasons: list[ReasonOut]
    model_version: str
    scored_on: date | None = Field(description="None when computed on request (no run has scored it yet)")
    stored: bool


def _model(m: service.ModelInfo) -> ModelOut:
    return ModelOut(version=m.version, kind=m.kind, status=m.status, trained_at=m.trained_at,
                    trained_by=m.trained_by, as_of=m.as_of, metrics=m.metrics, features=m.features,
                    activated_at=m.activated_at, activated_by=m.activated_by)


@router.get("/models", response_model=ModelsOut)
def list_models(
    principal: Annotated[Principal, Depends(requires(Permission.PORTFOLIO_READ))],
    rt: Annotated[Runtime, Depends(get_runtime)],
) -> ModelsOut:
    """Stored propensity models, newest first, and which one is in force."""
    models = service.list_models(rt, principal)
    active = next((m for m in models if m.status == "active"), None)
    in_force = f"model-{active.version}" if active else default_scorecard().label
    return ModelsOut(in_force=in_force, models=[_model(m) for m in models])


@router.post("/models/train", response_model=TrainOut, status_code=201)
def train(
    body: TrainRequest,
    principal: Annotated[Principal, Depends(requires(Permission.STRATEGY_MANAGE))],
    rt: Annotated[Runtime, Depends(get_runtime)],
) -> TrainOut:
    """Train a model on the portfolio's history; 422 when there is too little (the model in force stays)."""
    result = service.train_model(rt, principal, body.as_of, activate=body.activate, kind=body.kind)
    return TrainOut(version=result.version, kind=result.kind, activated=result.activated,
                    metrics=result.metrics, warnings=result.warnings)


@router.post("/models/{version}/activate", response_model=ModelsOut)
def activate(
    version: str,
    principal: Annotated[Principal, Depends(requires(Permission.STRATEGY_MANAGE))],
    rt: Annotated[Runtime, Depends(get_runtime)],
) -> ModelsOut:
    """Activate a version ('scorecard': the default scorecard); a rollback is activating an older one."""
    if version != "scorecard" and not version.isdigit():
        raise InputRejected("bad model version",
                            [FieldProblem(0, "version", version, "a version number or 'scorecard'")])
    service.activate_model(rt, principal, None if version == "scorecard" else int(version))
    return list_models(principal, rt)


@router.get("/accounts/{external_id}/score", response_model=ScoreOut)
def account_score(
    external_id: str,
    principal: Annotated[Principal, Depends(requires(Permission.PORTFOLIO_READ))],
    rt: Annotated[Runtime, Depends(get_runtime)],
    language: Annotated[str, Depends(get_language)],
) -> ScoreOut:
    """An account's propensity to pay, its band and the reasons lowering it (labels in zh-CN or English)."""
    s = service.account_score(rt, principal, external_id, language)
    return ScoreOut(external_id=s.external_id, probability=s.probability, band=s.band,
                    reasons=[ReasonOut(**r) for r in s.reasons], model_version=s.model_version,
                    scored_on=s.scored_on, stored=s.stored)
