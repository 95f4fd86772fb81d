"""Booking a call-back the debtor asked for outside a recorded call (served first when due)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arrears.compliance.model import Party
from arrears.core.access import Permission, Principal, require
from arrears.core.errors import NotFound
from arrears.runtime import Runtime
from arrears.users.unmask import debtor_in_scope
from arrears.worklist.lookups import dialled_point, reject
from arrears.worklist.model import AttemptReport, CallOutcome
from arrears.worklist.planning import add_work
from arrears.worklist.rules import AttemptShape, problems
from arrears.worklist.service import collector_of, serialized
from arrears.worklist.support import callback_work, policy_preview


def book_callback(
    rt: Runtime,
    principal: Principal,
    debtor_id: int,
    at: datetime,
    contact_point_id: int | None = None,
    note: str = "",
) -> dict[str, Any]:
    """Book a call-back the debtor asked for (outside a recorded call); served first when due, if allowed."""
    require(principal, Permission.WORK_QUEUE)
    now = rt.clock.now()
    me = collector_of(principal)
    if at <= now:
        reject([("at", at.isoformat(), "in the past")], "call-back refused")
    report = AttemptReport(
        debtor_id=debtor_id,
        outcome=CallOutcome.CALLBACK_REQUESTED,
        started_at=now,
        contact_point_id=contact_point_id,
        callback_at=at,
        note=note,
    )
    reject(
        [
            p
            for p in problems(AttemptShape(report.outcome, now, now, now, Party.DEBTOR, callback_at=at))
            if p[0] == "callback_at"
        ],
        "call-back refused",
    )
    with serialized(rt) as conn:
        if not debtor_in_scope(conn, principal, debtor_id):
            raise NotFound(f"debtor {debtor_id} not found")
        point = dialled_point(conn, debtor_id, report)
        work = callback_work(report, None, point, me, principal, None)
        item_id = add_work(conn, work, now)
        preview = policy_preview(conn, rt, debtor_id, point, at, now)
    return {
        "work_item_id": item_id,
        "debtor_id": debtor_id,
        "due_at": at.isoformat(),
        "collector_id": me,
        "policy": preview,
    }
