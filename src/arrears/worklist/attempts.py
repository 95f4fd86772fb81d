"""Recording attempts: from the desk (the policy refuses a forbidden one) and from dialers (always recorded,
a broken rule marked as a violation); each in one transaction with its note, flags, promise, claimed
payment, call-back, contact-point hygiene, work-item fate, lease release and contactability refresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from arrears.compliance.context import Context
from arrears.compliance.engine import evaluate
from arrears.compliance.language.model import Finding
from arrears.compliance.model import CONNECTED, ContactChannel, Decision, Direction, Outcome, Party
from arrears.compliance.store import contact_attempts
from arrears.core.access import Permission, Principal, require
from arrears.core.errors import Conflict, FieldProblem, InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.worklist import decisions, effects, queries
from arrears.worklist.bridge import claim_payment, promise, refresh_contactability
from arrears.worklist.facts import DebtorFacts
from arrears.worklist.judge import proposal
from arrears.worklist.lookups import (
    agent_id,
    dialled_point,
    due_item,
    facts_at,
    reject,
    scoped_debtor,
    work_item_of,
)
from arrears.worklist.model import AttemptReport, AttemptSource, WorkKind, WorkStatus
from arrears.worklist.planning import add_work
from arrears.worklist.rules import (
    STOPPING_FLAGS,
    AttemptShape,
    NextWork,
    all_flags,
    attempt_party,
    effect_of,
    next_work,
    party_for,
    problems,
)
from arrears.worklist.service import collector_of, serialized
from arrears.worklist.support import callback_work, policy_preview, promise_problems

UNKNOWN_NUMBER = {
    "rule_id": "worklist.unknown_number",
    "ruleset": "worklist",
    "effect": "deny",
    "source": "House policy: only contact points on file with consent may be called (never an address book)",
    "reason_zh": "拨打的号码不在该债务人的联系方式中（未经同意的联系人）",
    "reason_en": "The number dialled is not one of the debtor's contact points on file (no consent)",
}


def _hit(h: Any) -> dict[str, Any]:
    return {
        "rule_id": h.rule_id,
        "ruleset": h.ruleset,
        "effect": h.effect.value,
        "source": h.source,
        "reason_zh": h.reason_zh,
        "reason_en": h.reason_en,
        "not_before": h.not_before.isoformat() if h.not_before else None,
    }


def record_attempt(rt: Runtime, principal: Principal, report: AttemptReport) -> dict[str, Any]:
    """Record a call made from the desk; a call the policy forbids at its start is refused (409)."""
    require(principal, Permission.WORK_QUEUE)
    return _record(rt, principal, report, AttemptSource.ARREARS)


def record_external(rt: Runtime, principal: Principal, report: AttemptReport) -> dict[str, Any]:
    """Record a call a dialer made outside Arrears: always kept, judged at its start, violations marked."""
    require(principal, Permission.WORK_MANAGE)
    return _record(rt, principal, report, AttemptSource.DIALER)


def _shape(report: AttemptReport, intended: Party, now: datetime) -> AttemptShape:
    return AttemptShape(
        report.outcome,
        report.started_at,
        report.ended_at or report.started_at,
        now,
        intended,
        report.elements,
        report.flags,
        report.flag_details,
        report.promise is not None,
        report.claim is not None,
        report.callback_at,
    )


def _record(
    rt: Runtime, principal: Principal, report: AttemptReport, source: AttemptSource
) -> dict[str, Any]:
    with serialized(rt) as conn:
        return record_in(conn, rt, principal, report, source, rt.clock.now())


def record_in(
    conn: Connection,
    rt: Runtime,
    principal: Principal,
    report: AttemptReport,
    source: AttemptSource,
    now: datetime,
) -> dict[str, Any]:
    """Record one attempt in the caller's transaction (the use cases and the dialer import call this)."""
    desk = source is AttemptSource.ARREARS
    report = replace(report, ended_at=report.ended_at or report.started_at)
    flags = all_flags(report.outcome, report.flags)
    debtor_row = scoped_debtor(conn, principal, report.debtor_id, now)  # with its live lease
    if debtor_row is None:
        raise NotFound(f"debtor {report.debtor_id} not found")
    if not desk and report.external_ref:
        dup = conn.execute(
            select(contact_attempts.c.id).where(
                contact_attempts.c.source == source.value,
                contact_attempts.c.external_ref == report.external_ref,
            )
        ).scalar()
        if dup is not None:
            return {"attempt_id": int(dup), "duplicate": True, "external_ref": report.external_ref}
    # the policy facts first: their contact points also answer which point was dialled (one query less)
    facts = facts_at(conn, rt, report.debtor_id, report.started_at, debtor_row)
    point = dialled_point(
        conn, report.debtor_id, report, facts.points if isinstance(facts, DebtorFacts) else None
    )
    if desk and point is None and not report.inbound:
        reject([("contact_point_id", "", "name the contact point dialled")])
    intended = party_for(point.relationship) if point is not None else Party.DEBTOR
    found = problems(_shape(report, intended, now))
    found += promise_problems(conn, rt, report, now)
    reject(found)
    effects.check_flag_details(flags, report.flag_details)
    item = work_item_of(conn, report.debtor_id, report.work_item_id)
    me = collector_of(principal) if desk else agent_id(conn, report.agent)
    lease = queries.lease_of(debtor_row)
    if desk and lease is not None and lease.collector_id != me:
        raise Conflict(
            f"debtor {report.debtor_id} is leased to another collector until {lease.expires_at.isoformat()}"
        )
    if isinstance(facts, InputRejected):
        raise facts
    decision, violated = _judge(facts, point, report, now)
    if desk and violated:
        fp = [FieldProblem(0, v["rule_id"], v["source"], v["reason_en"]) for v in violated]
        raise InputRejected(
            "the contact policy forbids this attempt: " + ", ".join(v["rule_id"] for v in violated),
            fp,
            status_code=409,
        )
    if item is None and desk and lease is not None and lease.work_item_id is not None:
        item = work_item_of(conn, report.debtor_id, lease.work_item_id)
    if item is None and desk and not report.inbound:
        item = due_item(conn, report.debtor_id, now)
    party = attempt_party(report.outcome, intended)
    effect = effect_of(report.outcome, party)
    note_id: int | None = None
    findings: list[Finding] = []
    if report.note.strip():
        note_id, findings = effects.save_note(
            conn,
            report.debtor_id,
            report.note,
            principal.username if desk else (report.agent or "dialer"),
            party is Party.THIRD_PARTY,
            now,
        )
    logged = None
    if decision is not None:  # kept with the attempt (one statement on PostgreSQL)
        logged = decisions.DecisionRecord(
            report.debtor_id,
            point.id if point is not None else None,
            decision,
            facts.collector_type,
            principal.username if desk else f"dialer:{principal.username}",
            now,
        )
    attempt_id, decision_id = decisions.insert_attempt(
        conn,
        logged,
        dict(
            debtor_id=report.debtor_id,
            contact_point_id=point.id if point is not None else None,
            channel=ContactChannel.CALL.value,
            party=party.value,
            direction=(Direction.INBOUND if report.inbound else Direction.OUTBOUND).value,
            started_at=report.started_at,
            ended_at=report.ended_at,
            outcome=effect.history.value,
            connected=effect.history in CONNECTED,
            conversation=effect.history is Outcome.CONNECTED_RPC,
            by_agency=principal.is_agency or facts.collector_type == "agency",
            agency=str(principal.agency_id) if principal.agency_id else None,
            collector=(principal.username if desk else (report.agent or "dialer"))[:64],
            collector_id=me,
            created_at=now,
            work_item_id=item.id if item is not None else None,
            lease_id=lease.lease_id if desk and lease is not None else None,
            call_outcome=report.outcome.value,
            elements=[e.value for e in dict.fromkeys(report.elements)],
            note_id=note_id,
            flags=[f.value for f in flags],
            source=source.value,
            external_ref=report.external_ref,
            violation=bool(violated),
            violated_rules=violated or None,
        ),
    )
    out: dict[str, Any] = {
        "attempt_id": attempt_id,
        "source": source.value,
        "outcome": report.outcome.value,
        "history_outcome": effect.history.value,
        "party": party.value,
        "decision_id": decision_id,
        "violation": bool(violated),
        "violated_rules": violated,
        "note": None
        if note_id is None
        else {
            "id": note_id,
            "findings": [f.as_dict() for f in findings],
            "suggested_flags": sorted({f.flag for f in findings if f.flag}),
        },
    }
    out.update(_apply(conn, rt, principal, report, point, item, attempt_id, flags, party, me, now))
    if desk and lease is not None:
        queries.end(conn, lease.lease_id, now, "attempt")
        out["lease_released"] = lease.lease_id
    out["contactability"] = refresh_contactability(conn, report.debtor_id, now, debtor_row.contactability)
    return out


def _judge(
    facts: DebtorFacts, point: Any, report: AttemptReport, now: datetime
) -> tuple[Decision | None, list[dict[str, Any]]]:
    """The policy at the attempt's start; the rules it breaks (inbound calls are not judged)."""
    if report.inbound:
        return None, []
    at = report.started_at
    if point is None:
        decision = evaluate(proposal(None, None, at), Context(facts.facts), facts.rulesets, now)
        return decision, [UNKNOWN_NUMBER] + [_hit(h) for h in decision.denials]
    decision = evaluate(
        proposal(int(point.id), point.relationship, at), Context(facts.facts), facts.rulesets, now
    )
    return decision, [_hit(h) for h in decision.denials]


def _apply(
    conn: Connection,
    rt: Runtime,
    principal: Principal,
    report: AttemptReport,
    point: Any,
    item: Any,
    attempt_id: int,
    flags: list[Any],
    party: Party,
    me: int | None,
    now: datetime,
) -> dict[str, Any]:
    """Hygiene, holds, promise, claim, call-back and the work item's fate."""
    out: dict[str, Any] = {}
    effect = effect_of(report.outcome, party)
    if point is not None and effect.point_status:
        effects.set_point_status(conn, int(point.id), effect.point_status, now)
        out["contact_point_status"] = effect.point_status
    elif point is not None and effect.verifies_point and effects.verify_point(conn, int(point.id), now):
        out["contact_point_status"] = "valid"
    who = principal.username
    reason = f"raised on call attempt {attempt_id}"
    holds, notes = effects.raise_flags(
        conn,
        principal,
        report.debtor_id,
        flags,
        report.flag_details,
        int(point.id) if point is not None else None,
        reason,
        now,
    )
    out["holds"], out["flag_notes"] = holds, notes
    updates: dict[str, Any] = {}
    if report.promise is not None:
        out["promise"] = promise(conn, principal, report, item, attempt_id, now)
        updates["promise_id"] = out["promise"]["promise_id"]
    if report.claim is not None:
        out["claim"] = claim_payment(conn, principal, report, item, attempt_id, now)
        updates["claim_id"] = out["claim"]["claim_id"]
    if report.callback_at is not None:
        work = callback_work(report, item, point, me, principal, f"attempt:{attempt_id}")
        callback_id = add_work(conn, work, now)
        out["callback"] = {
            "work_item_id": callback_id,
            "due_at": report.callback_at.isoformat(),
            "policy": policy_preview(conn, rt, report.debtor_id, point, report.callback_at, now),
        }
        updates["callback_item_id"] = callback_id
    if updates:
        conn.execute(update(contact_attempts).where(contact_attempts.c.id == attempt_id).values(**updates))
    if item is not None:
        if item.status != WorkStatus.OPEN.value:
            out["work_item"] = {
                "id": int(item.id),
                "status": item.status,
                "next": "unchanged",
                "due_at": None,
            }
        else:
            fate, due = next_work(report.outcome, int(item.attempt_count) + 1, report.ended_at or now)
            if report.callback_at is not None or WorkKind(item.kind) is WorkKind.CALLBACK:
                fate, due = (NextWork.DONE, None) if fate is not NextWork.OTHER_POINT else (fate, due)
            out["work_item"] = effects.settle_item(conn, int(item.id), fate, due, now, who)
    if set(flags) & STOPPING_FLAGS:
        out["cancelled_work"] = effects.cancel_call_work(conn, report.debtor_id, now, f"hold: {reason}")
    return out
