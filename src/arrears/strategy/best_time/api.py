"""REST for the best time to reach a debtor (tag "strategy"), mounted under /api/v1."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from arrears.core.access import Permission, Principal
from arrears.runtime import Runtime
from arrears.strategy.best_time.service import debtor_best_time
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["strategy"])


class HourOut(BaseModel):
    """A local start hour and the chance of a right-party contact on a call then."""

    hour: int = Field(ge=0, le=23)
    chance: float = Field(ge=0, le=1)


class BestTimeOut(BaseModel):
    """When a debtor is most likely to be reached; advisory: the contact policy still decides."""

    debtor_id: int
    timezone: str
    local_date: date
    weekday: int = Field(description="0 = Monday .. 6 = Sunday")
    segment: str
    pay_day: int | None
    has_history: bool = Field(description="Whether the debtor's own calls shaped the chances")
    best: list[HourOut]
    hours: list[HourOut] = Field(description="Every advisory hour's chance")


@router.get("/debtors/{debtor_id}/best-time", response_model=BestTimeOut)
def best_time(
    debtor_id: int,
    principal: Annotated[Principal, Depends(requires(Permission.PORTFOLIO_READ))],
    rt: Annotated[Runtime, Depends(get_runtime)],
    on: Annotated[date | None, Query(alias="date", description="Local date (default: today there)")] = None,
    top: Annotated[int, Query(ge=1, le=24)] = 3,
) -> BestTimeOut:
    """The debtor's best local hours to call on a date, and the chance for every advisory hour."""
    r = debtor_best_time(rt, principal, debtor_id, on, top)
    return BestTimeOut(
        debtor_id=r.debtor_id, timezone=r.timezone, local_date=r.local_date, weekday=r.local_date.weekday(),
        segment=r.segment, pay_day=r.pay_day, has_history=r.has_history,
        best=[HourOut(hour=h, chance=round(c, 4)) for h, c in r.best],
        hours=[HourOut(hour=h, chance=round(c, 4)) for h, c in r.hours.items()],
    )
