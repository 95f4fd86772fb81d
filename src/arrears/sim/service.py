"""Simulation mode for the server: read and set the clock kept in the database (administrators only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arrears.core.access import Permission, Principal, require
from arrears.core.clock import SystemClock
from arrears.core.errors import Conflict, FieldProblem, InputRejected
from arrears.runtime import Runtime
from arrears.sim import store
from arrears.users import audit


def get_clock(rt: Runtime, principal: Principal) -> dict[str, Any]:
    """The clock in use: its mode, the moment it shows, and (manual mode) who set it last."""
    require(principal, Permission.CLOCK_SET)
    out: dict[str, Any] = {
        "mode": rt.settings.clock,
        "now": rt.clock.now().isoformat(),
        "settable": rt.settings.clock == "manual",
        "set_by": None,
        "set_at": None,
    }
    if rt.settings.clock == "manual":
        with rt.engine.connect() as conn:
            found = store.read(conn)
        if found is not None:
            out["set_by"], out["set_at"] = found[1], found[2].isoformat()
    return out


def set_clock(rt: Runtime, principal: Principal, at: datetime, reason: str = "") -> dict[str, Any]:
    """Move the manual clock to a moment (409 unless ARREARS_CLOCK=manual); every change is audited."""
    require(principal, Permission.CLOCK_SET)
    if rt.settings.clock != "manual":
        raise Conflict(
            "the clock can be set only in simulation mode: start the server with ARREARS_CLOCK=manual"
        )
    if at.tzinfo is None or at.tzinfo.utcoffset(at) is None:
        raise InputRejected(
            "the clock needs a moment with its offset",
            [FieldProblem(0, "at", at.isoformat(), "naive timestamp: add an offset")],
        )
    wall = SystemClock().now()
    with rt.engine.begin() as conn:
        before = store.read(conn)
        store.write(conn, at, principal.username, wall)
        audit.record(
            conn,
            principal,
            "clock.set",
            "clock",
            store.ROW_ID,
            {"from": before[0].isoformat() if before else None, "to": at.isoformat(), "reason": reason[:500]},
            wall,
        )
    return get_clock(rt, principal)
