"""Compliance read helpers: a debtor's facts and rule sets from the database (no transactions begin here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from arrears.compliance.model import (
    ContactChannel,
    ContactPointInfo,
    DebtorInfo,
    Direction,
    Facts,
    Flag,
    HistoryEntry,
    HoldKind,
    Outcome,
    Party,
)
from arrears.compliance.rulesets import RuleSet, for_account
from arrears.compliance.store import contact_attempts, debtor_flags
from arrears.compliance.zones import UnknownZone, zone
from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.portfolio.store import accounts, cases, contact_points, debtors
from arrears.runtime import Runtime

HISTORY_DAYS = 90  # history loaded for a decision (refusals are loaded whatever their age)
WORK_RELATIONSHIPS = ("employer", "colleague")


def debtor_row(conn: Connection, debtor_id: int) -> Any:
    """The debtor's zone columns; NotFound when there is no such debtor."""
    row = conn.execute(
        select(debtors.c.id, debtors.c.timezone, debtors.c.timezone_source, debtors.c.region).where(
            debtors.c.id == debtor_id
        )
    ).first()
    if row is None:
        raise NotFound(f"debtor {debtor_id} not found")
    return row


def _zone_checked(name: str | None, what: str) -> str | None:
    if name is None:
        return None
    try:
        zone(name)
    except UnknownZone as exc:
        raise InputRejected(f"{what}: {exc}", [FieldProblem(0, what, name, str(exc))]) from None
    return name


def load_facts(conn: Connection, debtor_id: int, at: datetime, fallback_zone: str) -> Facts:
    """A debtor's facts from the database: zones, contact points, recent history, relevant flags."""
    d = debtor_row(conn, debtor_id)
    tz = _zone_checked(d.timezone, f"debtor {debtor_id} timezone") or fallback_zone
    address = tz if d.timezone_source in ("given", "address", "phone") else None
    debtor = DebtorInfo(str(d.id), tz, address, d.region)
    points = tuple(
        ContactPointInfo(
            str(r.id),
            r.channel,
            r.relationship,
            r.status,
            r.source,
            r.consent,
            (_zone_checked(r.timezone, f"contact point {r.id} timezone") or "",) if r.timezone else (),
            "work" if r.relationship in WORK_RELATIONSHIPS else None,
        )
        for r in conn.execute(select(contact_points).where(contact_points.c.debtor_id == debtor_id))
    )
    since = at - timedelta(days=HISTORY_DAYS)
    rows = conn.execute(
        select(contact_attempts)
        .where(
            contact_attempts.c.debtor_id == debtor_id,
            or_(contact_attempts.c.started_at >= since, contact_attempts.c.outcome == Outcome.REFUSED.value),
        )
        .order_by(contact_attempts.c.started_at, contact_attempts.c.id)
    )
    history = tuple(
        HistoryEntry(
            r.started_at,
            ContactChannel(r.channel),
            Outcome(r.outcome),
            str(r.contact_point_id) if r.contact_point_id else None,
            Party(r.party),
            Direction(r.direction),
            bool(r.by_agency),
            bool(r.conversation),
            r.consent_at,
        )
        for r in rows
    )
    flag_rows = conn.execute(
        select(debtor_flags).where(
            debtor_flags.c.debtor_id == debtor_id,
            or_(debtor_flags.c.lifted_at.is_(None), debtor_flags.c.lifted_at > since),
        )
    )
    flags = tuple(_flag(r) for r in flag_rows)
    return Facts(debtor, points, history, flags)


def _flag(r: Any) -> Flag:
    return Flag(
        HoldKind(r.kind),
        r.set_by,
        r.set_at,
        r.reason,
        str(r.id),
        r.lifted_at,
        r.lifted_by,
        r.lift_reason,
        str(r.contact_point_id) if r.contact_point_id else None,
        r.detail or {},
    )


def rulesets_for(
    conn: Connection, rt: Runtime, debtor_id: int, collector_type: str | None
) -> tuple[tuple[RuleSet, ...], str]:
    """The layered rule sets for a debtor: jurisdiction x products x collector type (from selection.yaml)."""
    d = debtor_row(conn, debtor_id)
    products = sorted(
        {r.product for r in conn.execute(select(accounts.c.product).where(accounts.c.debtor_id == debtor_id))}
    )
    if collector_type is None:
        placed = conn.execute(
            select(cases.c.id).where(cases.c.debtor_id == debtor_id, cases.c.status == "placed")
        ).first()
        collector_type = "agency" if placed else "in_house"
    jurisdiction = d.region or rt.settings.default_region
    return for_account(jurisdiction, products, collector_type), collector_type
