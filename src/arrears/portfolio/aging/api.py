"""REST for aging: start a run (POST /aging/runs) and list recent runs (GET /aging/runs)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from arrears.core.access import Permission, Principal
from arrears.portfolio.aging.service import age_portfolio, recent_runs
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["aging"])
_RUN = requires(Permission.AGING_RUN)


class AgingRunRequest(BaseModel):
    """Body of POST /aging/runs."""

    as_of: date = Field(description="Age as of this date (YYYY-MM-DD); not after today (UTC)")


class CurrencyTotalsOut(BaseModel):
    """Money charged in one currency, minor units."""

    late_fees: int
    late_fees_minor: int
    penalty_accruals: int
    penalty_minor: int


class AgingSummaryOut(BaseModel):
    """What an aging run did."""

    run_id: int
    as_of: date
    accounts_aged: int
    buckets: dict[str, int]
    bucket_moves: int
    moves: dict[str, int]
    first_aged: int
    late_fees: int
    late_fees_minor: int
    penalty_accruals: int
    penalty_minor: int
    cases_opened: int
    cases_closed: int
    duration_s: float
    by_currency: dict[str, CurrencyTotalsOut]


class AgingRunOut(BaseModel):
    """One recorded run (table aging_runs)."""

    id: int
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    accounts_aged: int
    bucket_moves: int
    late_fees: int
    late_fees_minor: int
    penalty_minor: int
    cases_opened: int
    cases_closed: int


@router.post("/aging/runs", response_model=AgingSummaryOut)
def start_run(
    body: AgingRunRequest, rt: Annotated[Runtime, Depends(get_runtime)],
    principal: Annotated[Principal, Depends(_RUN)],
) -> dict[str, Any]:
    """Age the portfolio as of the given date and return the run's summary."""
    summary = age_portfolio(rt, body.as_of, principal=principal)
    out = summary.as_dict()
    out["as_of"] = summary.as_of
    return out


@router.get("/aging/runs", response_model=list[AgingRunOut])
def list_runs(
    rt: Annotated[Runtime, Depends(get_runtime)],
    _principal: Annotated[Principal, Depends(requires(Permission.PORTFOLIO_READ))],
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> list[dict[str, Any]]:
    """Recent completed aging runs, newest first."""
    return recent_runs(rt, limit)
