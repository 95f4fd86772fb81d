"""Scenario builders for the contact-policy tests: a scenario dict, evaluated like the CLI does."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from arrears.compliance.engine import evaluate
from arrears.compliance.model import Decision
from arrears.compliance.rulesets import layered
from arrears.compliance.scenario import parse_scenario

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
LA = ZoneInfo("America/Los_Angeles")
CHI = ZoneInfo("America/Chicago")


def sh(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment in Shanghai, March 2026 by default (2026-03-02 is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=SH)


def chi(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    """A moment in Chicago, April 2026 by default (2026-04-06 is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHI)


def point(cp_id: str, relationship: str = "self", zone: str = "Asia/Shanghai", **kw: Any) -> dict[str, Any]:
    """A contact point."""
    return {
        "id": cp_id,
        "kind": kw.pop("kind", "phone"),
        "relationship": relationship,
        "status": kw.pop("status", "valid"),
        "source": kw.pop("source", "debtor_provided"),
        "timezones": [zone] if zone else [],
        **kw,
    }


def attempt(at: datetime, outcome: str = "no_answer", cp: str = "m1", **kw: Any) -> dict[str, Any]:
    """A past contact attempt (a call by default)."""
    return {
        "at": at.isoformat(),
        "channel": kw.pop("channel", "call"),
        "contact_point": cp,
        "outcome": outcome,
        **kw,
    }


def flag(kind: str, set_at: datetime, lifted_at: datetime | None = None, **kw: Any) -> dict[str, Any]:
    """A hold or declaration."""
    out = {
        "kind": kind,
        "set_by": kw.pop("set_by", "agent-7"),
        "set_at": set_at.isoformat(),
        "reason": kw.pop("reason", "test"),
        **kw,
    }
    if lifted_at:
        out["lifted_at"] = lifted_at.isoformat()
    return out


def scenario(
    rulesets: list[str],
    at: datetime,
    *,
    cp: str | None = "m1",
    channel: str = "call",
    party: str = "debtor",
    points: list[dict[str, Any]] | None = None,
    history: list[dict[str, Any]] | None = None,
    flags: list[dict[str, Any]] | None = None,
    tz: str = "Asia/Shanghai",
    address: str | None = "Asia/Shanghai",
    **proposed: Any,
) -> dict[str, Any]:
    """A scenario dict with sensible defaults (a Shanghai debtor with one mobile, m1)."""
    return {
        "rulesets": rulesets,
        "debtor": {"id": "D1", "timezone": tz, "address_timezone": address},
        "contact_points": points if points is not None else [point("m1", zone=tz)],
        "proposed": {
            "channel": channel,
            "contact_point": cp,
            "party": party,
            "at": at.isoformat(),
            **proposed,
        },
        "history": history or [],
        "flags": flags or [],
    }


def decide(data: dict[str, Any]) -> Decision:
    """Parse and evaluate a scenario as the CLI does."""
    sc = parse_scenario(data, "test")
    return evaluate(sc.proposed, sc.facts, layered(sc.rulesets), sc.evaluated_at)


def denied_by(decision: Decision) -> set[str]:
    """The ids of the rules that denied."""
    return {h.rule_id for h in decision.denials}


def days(n: float) -> timedelta:
    """A duration of n days."""
    return timedelta(days=n)
