"""The compliance decision log as the queue keeps it: a decision on a contact, alone or with its attempt.

No transaction begins here; `service.py` and `attempts.py` own the transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection

from arrears.compliance.model import Decision
from arrears.compliance.store import compliance_decisions, contact_attempts, decision_row

DECISION_COLUMNS = (
    "debtor_id",
    "contact_point_id",
    "channel",
    "party",
    "purpose",
    "proposed_at",
    "allowed",
    "rules_checked",
    "fired",
    "rulesets",
    "requirements",
    "script_mode",
    "earliest_allowed",
    "collector_type",
    "requested_by",
    "evaluated_at",
    "created_at",
)


def log_decision(
    conn: Connection,
    debtor_id: int,
    contact_point_id: int | None,
    decision: Decision,
    collector_type: str,
    requested_by: str,
    now: datetime,
) -> int:
    """Keep a decision on an actual contact in the compliance decision log (same content as check_contact)."""
    values = decision_row(debtor_id, contact_point_id, decision, collector_type, requested_by, now)
    return int(conn.execute(_decision_stmt(), values).scalar_one())


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision to keep in the decision log along with what it was made for."""

    debtor_id: int
    contact_point_id: int | None
    decision: Decision
    collector_type: str
    requested_by: str
    now: datetime

    def values(self, prefix: str = "") -> dict[str, Any]:
        """The decision log row's values (keys prefixed)."""
        v = decision_row(
            self.debtor_id,
            self.contact_point_id,
            self.decision,
            self.collector_type,
            self.requested_by,
            self.now,
        )
        return {f"{prefix}{k}": x for k, x in v.items()}


def insert_attempt(
    conn: Connection, decision: DecisionRecord | None, values: dict[str, Any]
) -> tuple[int, int | None]:
    """Insert a contact_attempts row (its decision_id set from the decision kept with it): (attempt id,
    decision id). On PostgreSQL the decision and the attempt go in one statement."""
    if decision is None:
        stmt = _attempt_stmt(tuple(values), False)
        return int(conn.execute(stmt, {**values, "decision_id": None}).scalar_one()), None
    if conn.dialect.name != "postgresql":
        decision_id = int(conn.execute(_decision_stmt(), decision.values()).scalar_one())
        stmt = _attempt_stmt(tuple(values), False)
        return int(conn.execute(stmt, {**values, "decision_id": decision_id}).scalar_one()), decision_id
    row = conn.execute(_attempt_stmt(tuple(values), True), {**values, **decision.values("dec_")}).one()
    return int(row.id), int(row.decision_id)


@cache
def _attempt_stmt(columns: tuple[str, ...], with_decision: bool) -> Any:
    """INSERT contact_attempts RETURNING id; with_decision (PostgreSQL): WITH dec AS (INSERT decision)
    INSERT ... SELECT ..., dec.id FROM dec RETURNING id, decision_id."""
    a = contact_attempts.c
    if not with_decision:
        return insert(contact_attempts).returning(a.id)
    cd = compliance_decisions.c
    dec = (
        insert(compliance_decisions)
        .values({c: bindparam(f"dec_{c}", type_=cd[c].type) for c in DECISION_COLUMNS})
        .returning(cd.id)
        .cte("dec")
    )
    src = select(*(bindparam(c, type_=a[c].type) for c in columns), dec.c.id)
    return (
        insert(contact_attempts)
        .from_select([*columns, "decision_id"], src)
        .returning(a.id, a.decision_id)
        .add_cte(dec)
    )


@cache
def _decision_stmt() -> Any:
    return insert(compliance_decisions).returning(compliance_decisions.c.id)
