"""The other domains' tables the reports read, and how their columns map onto report terms.

Reporting reads: contact_attempts (compliance/worklist), promises (payments), payments, bucket_history,
accounts and cases (portfolio), work_items (worklist), arm_assignments (strategy), users and teams.
Columns added by other domains are picked up when present (e.g. contact_attempts.collector_id,
ended_at, account_id); the fallbacks are documented beside each one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, inspect, null, or_
from sqlalchemy.engine import Connection

from arrears.compliance.model import CONNECTED, Outcome
from arrears.compliance.store import contact_attempts
from arrears.worklist.model import WorkKind

#: attempts that count: outbound calls and field visits (SMS, e-mail and letters are not attempts here)
ATTEMPT_CHANNELS = ("call", "visit")
#: an answered attempt that reached the right party (when the party is the debtor)
RPC_OUTCOMES = frozenset(o.value for o in CONNECTED) - {
    Outcome.CONNECTED_THIRD_PARTY.value,
    Outcome.WRONG_NUMBER.value,
}
#: work that asks for a contact with the debtor (penetration's denominator); tracing and reviews do not
CONTACT_KINDS = tuple(
    k.value
    for k in (
        WorkKind.CALL,
        WorkKind.CALLBACK,
        WorkKind.PROMISE_REMINDER,
        WorkKind.PROMISE_FOLLOWUP,
        WorkKind.BROKEN_PROMISE,
        WorkKind.CLAIMED_PAYMENT,
    )
)
#: promise statuses that mean "judged": the promise fell due and its outcome is known
KEPT, PARTLY_KEPT, BROKEN = "kept", "partly_kept", "broken"
JUDGED = (KEPT, PARTLY_KEPT, BROKEN)
#: promise statuses that are not promises taken (refused by an approver, withdrawn)
NOT_TAKEN = ("rejected", "cancelled", "withdrawn")


def col(table: Table, name: str) -> Any:
    """A column of a table, or None when the owning domain has not added it (yet)."""
    return table.c[name] if name in table.c else None


def is_attempt() -> ColumnElement[bool]:
    """An outbound call or field visit."""
    a = contact_attempts
    return and_(a.c.channel.in_(ATTEMPT_CHANNELS), a.c.direction == "outbound")


def attempts_filter(start: Any, end: Any) -> ColumnElement[bool]:
    """Outbound calls and visits started in [start, end)."""
    a = contact_attempts
    return and_(a.c.started_at >= start, a.c.started_at < end, is_attempt())


def attempt_collector_id() -> Any:
    """The collector who made the attempt: contact_attempts.collector_id, or NULL (then no hours)."""
    found = col(contact_attempts, "collector_id")
    return found if found is not None else null()


def attempt_end() -> Any:
    """When the attempt ended: ended_at when recorded, else its start."""
    ended = col(contact_attempts, "ended_at")
    if ended is None:
        return contact_attempts.c.started_at
    return func.coalesce(ended, contact_attempts.c.started_at)


def attempt_account_id() -> Any:
    """The attempt's own account when recorded (contact_attempts.account_id), else None."""
    return col(contact_attempts, "account_id")


def is_rpc() -> ColumnElement[bool]:
    """A right-party contact: the debtor (or a person with authority to pay) reached in person."""
    a = contact_attempts
    return and_(a.c.party == "debtor", a.c.outcome.in_(sorted(RPC_OUTCOMES)))


def _present(conn: Connection | None, table: Table) -> Table | None:
    """The table when the database has it (the owning domain may not be migrated in yet)."""
    if conn is None or inspect(conn).has_table(table.name):
        return table
    return None


def promises_table(conn: Connection | None = None) -> Table | None:
    """The payments domain's promises table, when it exists (in code and in the database)."""
    try:
        from arrears.payments.store import promises
    except ImportError:
        return None
    return _present(conn, promises)


def arm_table(conn: Connection | None = None) -> Table | None:
    """The strategy domain's arm_assignments table, when it exists (in code and in the database)."""
    try:
        from arrears.strategy.store import arm_assignments
    except ImportError:
        return None
    return _present(conn, arm_assignments)


def experiments_table(conn: Connection | None = None) -> Table | None:
    """The strategy domain's experiments table, when it exists (in code and in the database)."""
    try:
        from arrears.strategy.store import experiments
    except ImportError:
        return None
    return _present(conn, experiments)


def posted_payment(payments: Table) -> ColumnElement[bool]:
    """A payment that still counts: posted and not reversed."""
    reversed_at = col(payments, "reversed_at")
    condition = payments.c.status == "posted"
    return and_(condition, reversed_at.is_(None)) if reversed_at is not None else condition


def covers(entered: Any, left: Any, day: Any) -> ColumnElement[bool]:
    """A bucket_history row in force on the day (entered on or before it, not left by it)."""
    return and_(entered <= day, or_(left.is_(None), left > day))
