"""Compliance use cases: check a contact against the database (and log the decision), set and lift holds,
record contact attempts. The only place a compliance transaction begins and commits.

Every use case takes the acting principal, checks its permission, and refuses (404) a debtor outside
its team or agency. Setting and lifting a hold is audited. Who did it (set_by, lifted_by) is the
logged-in user; a name given by the caller is used only when the system itself acts (CLI, batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from arrears.compliance.engine import evaluate
from arrears.compliance.flagdetail import check_detail
from arrears.compliance.model import (
    CONNECTED,
    TELEPHONE,
    ContactChannel,
    Content,
    Decision,
    Direction,
    HoldKind,
    Outcome,
    Party,
    ProposedContact,
    Purpose,
)
from arrears.compliance.reads import debtor_row, load_facts, rulesets_for
from arrears.compliance.rulesets import RULESETS_DIR, layered
from arrears.compliance.scenario import parse_scenario
from arrears.compliance.store import compliance_decisions, contact_attempts, debtor_flags, decision_row
from arrears.core.access import Permission, Principal, require
from arrears.core.clock import require_aware
from arrears.core.errors import Conflict, FieldProblem, InputRejected, NotFound
from arrears.portfolio.reads import require_debtor_in_scope
from arrears.portfolio.store import contact_points
from arrears.runtime import Runtime
from arrears.users import audit


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    """A decision on an actual contact, with its row in the decision log."""

    id: int
    debtor_id: int
    decision: Decision
    collector_type: str

    def as_dict(self) -> dict[str, Any]:
        """The decision as JSON, with its log id."""
        return {
            "decision_id": self.id,
            "debtor_id": self.debtor_id,
            "collector_type": self.collector_type,
            **self.decision.as_dict(),
        }


def _aware(value: datetime | None, what: str, default: datetime) -> datetime:
    if value is None:
        return default
    try:
        return require_aware(value, what)
    except ValueError as exc:
        raise InputRejected(str(exc), [FieldProblem(0, what, value.isoformat(), "naive timestamp")]) from None


def acting_name(principal: Principal, given: str | None) -> str:
    """Who to record as having done something: the logged-in user, else (system) the name given."""
    if principal.user_id is not None:
        return principal.username
    return (given or "").strip() or principal.username


def check_contact(
    rt: Runtime,
    principal: Principal,
    debtor_id: int,
    channel: ContactChannel,
    contact_point_id: int | None = None,
    party: Party = Party.DEBTOR,
    at: datetime | None = None,
    purpose: Purpose | None = None,
    content: Content | None = None,
    includes_opt_out: bool | None = None,
    collector_type: str | None = None,
    requested_by: str | None = None,
    rulesets: list[str] | None = None,
) -> LoggedDecision:
    """Evaluate a proposed contact against the debtor's rows and store the decision in the log."""
    require(principal, Permission.COMPLIANCE_CHECK)
    now = rt.clock.now()
    moment = _aware(at, "at", now)
    if principal.is_agency:
        collector_type = "agency"  # an agency's contact is judged by the agency rules, whatever it asks
    with rt.engine.begin() as conn:
        require_debtor_in_scope(conn, principal, debtor_id)
        if contact_point_id is not None:
            owner = conn.execute(
                select(contact_points.c.debtor_id).where(contact_points.c.id == contact_point_id)
            ).scalar()
            if owner != debtor_id:
                raise NotFound(f"contact point {contact_point_id} is not one of debtor {debtor_id}'s")
        facts = load_facts(conn, debtor_id, moment, rt.settings.default_timezone)
        chosen, ctype = rulesets_for(conn, rt, debtor_id, collector_type)
        if rulesets:
            chosen = layered(rulesets, RULESETS_DIR, allow_paths=False)
        proposed = ProposedContact(
            channel,
            moment,
            str(contact_point_id) if contact_point_id else None,
            party,
            purpose,
            content,
            includes_opt_out,
        )
        decision = evaluate(proposed, facts, chosen, now)
        decision_id = conn.execute(
            insert(compliance_decisions)
            .values(decision_row(debtor_id, contact_point_id, decision, ctype,
                                 requested_by or principal.username, now))
            .returning(compliance_decisions.c.id)
        ).scalar_one()
    return LoggedDecision(int(decision_id), debtor_id, decision, ctype)


def check_scenario(principal: Principal, data: Any, rulesets: list[str] | None = None) -> Decision:
    """Evaluate a scenario object (no database, nothing logged): to test rule changes before release."""
    require(principal, Permission.COMPLIANCE_CHECK)
    scenario = parse_scenario(data, "request body")
    chosen = tuple(rulesets or ()) or scenario.rulesets
    if not chosen:
        raise InputRejected("no rule set: name them in 'rulesets'")
    sets = layered(chosen, RULESETS_DIR, allow_paths=False)  # never a server file named by a request
    return evaluate(scenario.proposed, scenario.facts, sets, scenario.evaluated_at)


def decisions(rt: Runtime, principal: Principal, debtor_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """The decision log of a debtor, newest first."""
    require(principal, Permission.DECISIONS_READ)
    with rt.engine.connect() as conn:
        require_debtor_in_scope(conn, principal, debtor_id)
        debtor_row(conn, debtor_id)
        rows = conn.execute(
            select(compliance_decisions)
            .where(compliance_decisions.c.debtor_id == debtor_id)
            .order_by(compliance_decisions.c.id.desc())
            .limit(limit)
        )
        return [dict(r._mapping) for r in rows]


def _hold_dict(r: Any) -> dict[str, Any]:
    out = dict(r._mapping)
    out["detail"] = out.get("detail") or {}
    out["active"] = out["lifted_at"] is None
    return out


def set_hold(
    rt: Runtime,
    principal: Principal,
    debtor_id: int,
    kind: HoldKind,
    set_by: str | None,
    reason: str,
    detail: dict[str, Any] | None = None,
    contact_point_id: int | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Put a hold or declaration on a debtor, with who set it, when and why (audited as hold.set)."""
    require(principal, Permission.HOLD_SET)
    now = rt.clock.now()
    moment = _aware(at, "set_at", now)
    set_by = acting_name(principal, set_by)
    problems = [FieldProblem(0, p, v, why) for p, v, why in check_detail(kind, detail or {})]
    if not set_by.strip():
        problems.append(FieldProblem(0, "set_by", set_by, "required: who sets the hold"))
    if not reason.strip():
        problems.append(FieldProblem(0, "reason", reason, "required: why the hold is set"))
    if problems:
        raise InputRejected(f"hold refused: {problems[0].field}: {problems[0].reason}", problems)
    with rt.engine.begin() as conn:
        require_debtor_in_scope(conn, principal, debtor_id)
        debtor_row(conn, debtor_id)
        _require_own_contact_point(conn, debtor_id, contact_point_id)
        row = conn.execute(
            insert(debtor_flags)
            .values(
                debtor_id=debtor_id,
                kind=kind.value,
                contact_point_id=contact_point_id,
                detail=detail or {},
                set_by=set_by.strip(),
                set_at=moment,
                reason=reason.strip(),
                created_at=now,
            )
            .returning(*debtor_flags.c)
        ).one()
        audit.record(conn, principal, "hold.set", "debtor", debtor_id,
                     {"hold_id": row.id, "kind": kind.value, "reason": reason.strip(),
                      "contact_point_id": contact_point_id, "set_at": moment.isoformat(),
                      "detail": detail or {}}, now)
    return _hold_dict(row)


def lift_hold(
    rt: Runtime, principal: Principal, hold_id: int, lifted_by: str | None, reason: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Lift a hold (it stays on record) with who lifted it, when and why (audited as hold.lift)."""
    require(principal, Permission.HOLD_LIFT)
    now = rt.clock.now()
    moment = _aware(at, "lifted_at", now)
    lifted_by = acting_name(principal, lifted_by)
    if not lifted_by.strip() or not reason.strip():
        raise InputRejected("lifting a hold needs who (lifted_by) and why (reason)")
    with rt.engine.begin() as conn:
        row = conn.execute(select(debtor_flags).where(debtor_flags.c.id == hold_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"hold {hold_id} not found")
        try:
            require_debtor_in_scope(conn, principal, row.debtor_id)
        except NotFound:
            raise NotFound(f"hold {hold_id} not found") from None
        if row.lifted_at is not None:
            raise Conflict(
                f"hold {hold_id} was already lifted at {row.lifted_at.isoformat()} by {row.lifted_by}"
            )
        if moment < row.set_at:
            raise InputRejected(
                f"hold {hold_id} cannot be lifted before it was set ({row.set_at.isoformat()})"
            )
        row = conn.execute(
            update(debtor_flags)
            .where(debtor_flags.c.id == hold_id)
            .values(
                lifted_at=moment,
                lifted_by=lifted_by.strip(),
                lift_reason=reason.strip(),
            )
            .returning(*debtor_flags.c)
        ).one()
        audit.record(conn, principal, "hold.lift", "debtor", row.debtor_id,
                     {"hold_id": hold_id, "kind": row.kind, "reason": reason.strip(),
                      "lifted_at": moment.isoformat()}, now)
    return _hold_dict(row)


def holds(
    rt: Runtime, principal: Principal, debtor_id: int, include_lifted: bool = True
) -> list[dict[str, Any]]:
    """A debtor's flags, newest first."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        require_debtor_in_scope(conn, principal, debtor_id)
        debtor_row(conn, debtor_id)
        q = select(debtor_flags).where(debtor_flags.c.debtor_id == debtor_id)
        if not include_lifted:
            q = q.where(debtor_flags.c.lifted_at.is_(None))
        return [_hold_dict(r) for r in conn.execute(q.order_by(debtor_flags.c.id.desc()))]


def record_attempt(
    rt: Runtime,
    principal: Principal,
    debtor_id: int,
    channel: ContactChannel,
    outcome: Outcome,
    started_at: datetime,
    contact_point_id: int | None = None,
    party: Party = Party.DEBTOR,
    direction: Direction = Direction.OUTBOUND,
    by_agency: bool = False,
    agency: str | None = None,
    conversation: bool | None = None,
    consent_at: datetime | None = None,
    collector: str | None = None,
    decision_id: int | None = None,
) -> int:
    """Record a contact attempt; a refusal makes the contact point do-not-contact for good."""
    require(principal, Permission.WORK_QUEUE)
    collector = collector if principal.user_id is None else principal.username
    if principal.is_agency:
        by_agency = True
    now = rt.clock.now()
    started = _aware(started_at, "started_at", now)
    consent = _aware(consent_at, "consent_at", now) if consent_at else None
    if conversation is None:
        conversation = outcome is Outcome.CONNECTED_RPC and channel in TELEPHONE
    with rt.engine.begin() as conn:
        require_debtor_in_scope(conn, principal, debtor_id)
        debtor_row(conn, debtor_id)
        _require_own_contact_point(conn, debtor_id, contact_point_id)
        attempt_id = conn.execute(
            insert(contact_attempts)
            .values(
                debtor_id=debtor_id,
                contact_point_id=contact_point_id,
                channel=channel.value,
                party=party.value,
                direction=direction.value,
                started_at=started,
                outcome=outcome.value,
                connected=outcome in CONNECTED,
                conversation=conversation,
                by_agency=by_agency,
                agency=agency,
                consent_at=consent,
                collector=collector,
                decision_id=decision_id,
                created_at=now,
            )
            .returning(contact_attempts.c.id)
        ).scalar_one()
        if outcome is Outcome.REFUSED and contact_point_id is not None:
            conn.execute(
                update(contact_points)
                .where(contact_points.c.id == contact_point_id)
                .values(status="do_not_contact", updated_at=now)
            )
    return int(attempt_id)


def _require_own_contact_point(conn: Connection, debtor_id: int, contact_point_id: int | None) -> None:
    """Refuse a contact point that does not belong to the debtor (NotFound)."""
    if contact_point_id is None:
        return
    owner = conn.execute(
        select(contact_points.c.debtor_id).where(contact_points.c.id == contact_point_id)
    ).scalar()
    if owner != debtor_id:
        raise NotFound(f"contact point {contact_point_id} is not one of debtor {debtor_id}'s")
