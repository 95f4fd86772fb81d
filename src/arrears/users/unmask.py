"""Unmasking personal data: needs Permission.PII_UNMASK and a reason, stays within scope, and is audited.

The audit record ("pii.unmask") names the debtor, the fields, the contact point and the reason; it never
holds the clear values themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import case, select
from sqlalchemy.engine import Connection

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.portfolio.model import COMPANY_ROLES, Relationship
from arrears.portfolio.reads import debtor_scope
from arrears.portfolio.store import contact_points, debtors
from arrears.runtime import Runtime
from arrears.users import audit

MIN_REASON = 10
MAX_REASON = 500
ACTION = "pii.unmask"


class PiiField(StrEnum):
    """What can be unmasked."""

    PHONE = "phone"
    IDENTITY = "identity"
    EMAIL = "email"
    NAME = "name"


@dataclass(frozen=True, slots=True)
class Unmasked:
    """The clear values asked for (None where the debtor has none) and the audit record written."""

    debtor_id: int
    contact_point_id: int | None
    values: dict[str, str | None]
    audit_seq: int


def check_request(fields: Iterable[str], reason: str | None) -> tuple[list[PiiField], str]:
    """Validate the fields and the reason; returns them normalised or raises InputRejected."""
    problems: list[FieldProblem] = []
    chosen: list[PiiField] = []
    for raw in fields:
        try:
            value = PiiField(raw)
        except ValueError:
            problems.append(FieldProblem(0, "fields", str(raw)[:60],
                                         "must be one of: " + ", ".join(f.value for f in PiiField)))
            continue
        if value not in chosen:
            chosen.append(value)
    if not chosen and not problems:
        problems.append(FieldProblem(0, "fields", "", "name at least one field to unmask"))
    text = " ".join((reason or "").split())  # collapse whitespace: padding does not make a reason
    if len(text) < MIN_REASON:
        problems.append(FieldProblem(0, "reason", text, f"give a reason of at least {MIN_REASON} characters"))
    elif len(text) > MAX_REASON:
        problems.append(FieldProblem(0, "reason", text[:60], f"at most {MAX_REASON} characters"))
    elif any(ord(ch) < 32 for ch in text):
        problems.append(FieldProblem(0, "reason", text[:60], "control characters are not allowed"))
    if problems:
        raise InputRejected("unmask refused: " + "; ".join(p.describe() for p in problems), problems)
    return sorted(chosen, key=list(PiiField).index), text


def debtor_in_scope(conn: Connection, principal: Principal, debtor_id: int) -> bool:
    """Whether the debtor exists and the principal may see it: the same scope as the debtor page."""
    scope = debtor_scope(principal)  # agency placement, team cases; nothing for a scoped user without one
    query = select(debtors.c.id).where(debtors.c.id == debtor_id, *([] if scope is None else [scope]))
    return conn.execute(query).first() is not None


def _own_value(conn: Connection, debtor_id: int, channel: str) -> str | None:
    """The debtor's own phone or e-mail (self or a company role), usable ones first."""
    cp = contact_points.c
    own = [Relationship.SELF.value, *sorted(r.value for r in COMPANY_ROLES)]
    usable = case((cp.status == "valid", 0), (cp.status == "unverified", 1), else_=2)
    value = conn.execute(
        select(cp.value).where(cp.debtor_id == debtor_id, cp.channel == channel, cp.relationship.in_(own))
        .order_by(case((cp.relationship == "self", 0), else_=1), usable, cp.id).limit(1)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def unmask(rt: Runtime, principal: Principal, debtor_id: int, fields: Iterable[str], reason: str | None,
           contact_point_id: int | None = None) -> Unmasked:
    """Return the clear values of the fields for a debtor in scope, and record who, why and which fields."""
    require(principal, Permission.PII_UNMASK)
    chosen, why = check_request(fields, reason)
    with rt.engine.begin() as conn:
        if not debtor_in_scope(conn, principal, debtor_id):
            raise NotFound(f"debtor {debtor_id} not found")
        d = conn.execute(select(debtors.c.name, debtors.c.id_number).where(debtors.c.id == debtor_id)).one()
        point = None
        if contact_point_id is not None:
            point = conn.execute(select(contact_points).where(
                contact_points.c.id == contact_point_id, contact_points.c.debtor_id == debtor_id)).first()
            if point is None:
                raise NotFound(f"contact point {contact_point_id} not found for debtor {debtor_id}")
            channels = (PiiField.PHONE, PiiField.EMAIL)
            wrong = [f.value for f in chosen if f in channels and f.value != point.channel]
            if wrong:
                raise InputRejected(
                    f"contact point {contact_point_id} is a {point.channel}, not: {', '.join(wrong)}",
                    [FieldProblem(0, "fields", ",".join(wrong), f"contact point channel is {point.channel}")])
        values: dict[str, str | None] = {}
        for f in chosen:
            if f is PiiField.NAME:
                values["name"] = d.name
                if point is not None and point.contact_name:
                    values["contact_name"] = point.contact_name
            elif f is PiiField.IDENTITY:
                values["identity"] = d.id_number
            elif point is not None:
                values[f.value] = point.value
            else:
                values[f.value] = _own_value(conn, debtor_id, f.value)
        seq = audit.record(conn, principal, ACTION, "debtor", debtor_id, {
            "fields": [f.value for f in chosen], "reason": why, "contact_point_id": contact_point_id,
        }, rt.clock.now())
    return Unmasked(debtor_id=debtor_id, contact_point_id=contact_point_id, values=values, audit_seq=seq)
