"""REST for simulation mode (tag "system"): `GET/PUT /api/v1/system/clock`, administrators only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from arrears.core.access import Permission, Principal
from arrears.runtime import Runtime
from arrears.sim import service
from arrears.web.deps import get_runtime, requires

router = APIRouter(prefix="/system", tags=["system"])
_CLOCK = requires(Permission.CLOCK_SET)


class ClockIn(BaseModel):
    """The moment to set (with its offset) and why."""

    at: datetime
    reason: str = Field(default="", max_length=500)


class ClockOut(BaseModel):
    """The clock in use."""

    mode: str
    now: str
    settable: bool
    set_by: str | None = None
    set_at: str | None = None


@router.get("/clock", response_model=ClockOut)
def get_clock(rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_CLOCK)) -> dict[str, Any]:
    """The clock the server runs on (system or manual) and the moment it shows."""
    return service.get_clock(rt, principal)


@router.put("/clock", response_model=ClockOut, responses={409: {"description": "not in simulation mode"}})
def put_clock(
    body: ClockIn, rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_CLOCK)
) -> dict[str, Any]:
    """Set the simulation clock (only with ARREARS_CLOCK=manual; audited as clock.set)."""
    return service.set_clock(rt, principal, body.at, body.reason)
