"""Batch work of the payments domain (the nightly run calls these in its own transaction)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.engine import Connection

from arrears.core.access import SYSTEM
from arrears.payments import plans, promises, settlements
from arrears.payments.model import JudgeSummary
from arrears.payments.policy import default as default_policy


def judge_due_promises(conn: Connection, as_of: date, now: datetime) -> JudgeSummary:
    """Judge every promise and plan instalment due by `as_of`; lapse unpaid settlements (as SYSTEM)."""
    found = promises.judge_promises(conn, as_of=as_of, now=now, principal=SYSTEM)
    inst = plans.judge_plans(conn, as_of=as_of, now=now, principal=SYSTEM)
    settlements.lapse_settlements(conn, as_of, now, default_policy().promises.grace_days)
    return JudgeSummary(
        as_of=as_of, judged=found.get("judged", 0), kept=found.get("kept", 0),
        partly_kept=found.get("partly_kept", 0), broken=found.get("broken", 0),
        instalments_judged=inst["instalments_judged"], plans_broken=inst["plans_broken"],
        plans_completed=inst["plans_completed"], work_items=found.get("work_items", 0) + inst["work_items"])
