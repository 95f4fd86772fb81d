"""Helpers of the attempt use cases: checks of promise and claim terms in the debtor's local time,
the call-back work item, and a policy preview for a call-back time (no transactions begin here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from arrears.compliance.context import Context
from arrears.compliance.engine import evaluate
from arrears.compliance.zones import UnknownZone, local_date, zone
from arrears.core.access import Principal
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from arrears.worklist.facts import DebtorFacts, load_many
from arrears.worklist.judge import proposal
from arrears.worklist.model import AttemptReport, PlannedWork, WorkKind

MAX_PROMISE_AHEAD = timedelta(days=366)


def _zone(conn: Connection, rt: Runtime, debtor_id: int) -> str:
    tz = conn.execute(select(debtors.c.timezone).where(debtors.c.id == debtor_id)).scalar()
    try:
        zone(tz or "")
        return str(tz)
    except UnknownZone:
        return rt.settings.default_timezone


def promise_problems(
    conn: Connection, rt: Runtime, report: AttemptReport, now: datetime
) -> list[tuple[str, str, str]]:
    """Promise: positive, not in the past (debtor's local date). Claim: positive, not in the future."""
    out: list[tuple[str, str, str]] = []
    if report.promise is None and report.claim is None:
        return out
    today = local_date(now, _zone(conn, rt, report.debtor_id))
    p = report.promise
    if p is not None:
        if p.amount.minor <= 0:
            out.append(("promise.amount", str(p.amount.amount), "must be more than zero"))
        if p.due_on < today:
            out.append(
                ("promise.due_on", p.due_on.isoformat(), f"in the past (today is {today.isoformat()})")
            )
        elif p.due_on > today + MAX_PROMISE_AHEAD:
            out.append(("promise.due_on", p.due_on.isoformat(), "more than a year ahead"))
        if not p.channel.strip():
            out.append(("promise.channel", "", "name the payment channel"))
    c = report.claim
    if c is not None:
        if c.amount.minor <= 0:
            out.append(("claimed_payment.amount", str(c.amount.amount), "must be more than zero"))
        if c.paid_on > today:
            out.append(("claimed_payment.paid_on", c.paid_on.isoformat(), "in the future"))
        if not c.reference.strip():
            out.append(("claimed_payment.reference", "", "ask for the transfer id or cheque number"))
        if not c.channel.strip():
            out.append(("claimed_payment.channel", "", "name the channel it was paid through"))
    return out


def callback_work(
    report: AttemptReport,
    item: Any,
    point: Any,
    collector_id: int | None,
    principal: Principal,
    source_ref: str | None,
) -> PlannedWork:
    """The CALLBACK item: due at the time asked, for the collector who booked it, on the number asked."""
    assert report.callback_at is not None
    return PlannedWork(
        debtor_id=report.debtor_id,
        kind=WorkKind.CALLBACK,
        due_at=report.callback_at,
        reason=f"call-back requested for {report.callback_at.isoformat()}"
        + (f": {report.note.strip()[:200]}" if report.note.strip() and item is None else ""),
        source="callback",
        source_ref=source_ref,
        case_id=item.case_id if item is not None else None,
        account_id=item.account_id if item is not None else None,
        collector_id=collector_id,
        team_id=principal.team_id,
        priority=float(item.priority) if item is not None else 0.0,
        expected_recovery_minor=int(item.expected_recovery_minor) if item is not None else 0,
        contact_point_id=int(point.id) if point is not None else None,
        not_after=report.callback_at + timedelta(days=1),
    )


def policy_preview(
    conn: Connection, rt: Runtime, debtor_id: int, point: Any, at: datetime, now: datetime
) -> dict[str, Any]:
    """Would a call at that time be allowed on today's facts? (It is judged again when served.)"""
    f = load_many(conn, [debtor_id], at, rt.settings.default_timezone, rt.settings.default_region).get(
        debtor_id
    )
    if not isinstance(f, DebtorFacts):
        return {"allowed": None, "earliest_allowed": None, "fired": []}
    p = proposal(
        int(point.id) if point is not None else None, point.relationship if point is not None else None, at
    )
    d = evaluate(p, Context(f.facts), f.rulesets, now)
    return {
        "allowed": d.allowed,
        "earliest_allowed": d.earliest_allowed.isoformat() if d.earliest_allowed else None,
        "fired": [
            {"rule_id": h.rule_id, "source": h.source, "reason_zh": h.reason_zh, "reason_en": h.reason_en}
            for h in d.denials
        ],
    }
