"""Desk use cases: reads composed from the domains' services for the collector's pre-call panel and the team
lead's board, the objection library (seeded on first use, edited by managers), and the live note check.

The desk never re-implements a domain's logic: the next contact, attempts, promises, holds and the timeline
come from their services; only small reads that no service offers (today's allowed window, a collector's
day) live here, built on the domains' public functions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from arrears.compliance import service as compliance
from arrears.compliance.context import Context
from arrears.compliance.engine import evaluate
from arrears.compliance.language.detector import check_text
from arrears.compliance.language.model import Finding, has_blocking
from arrears.compliance.store import contact_attempts
from arrears.compliance.zones import UnknownZone, zone
from arrears.core.access import Permission, Principal, require
from arrears.core.errors import ArrearsError, FieldProblem, Forbidden, InputRejected, NotFound
from arrears.core.masking import mask_name
from arrears.desk.objections import SEED, Objection, check, ordered
from arrears.desk.store import desk_objections
from arrears.payments import service as payments
from arrears.portfolio import service as portfolio
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from arrears.users import audit
from arrears.users.store import teams as team_table
from arrears.users.store import users
from arrears.worklist import history
from arrears.worklist.judge import proposal
from arrears.worklist.lookups import facts_of
from arrears.worklist.store import debtor_leases

STEP = timedelta(minutes=15)  # resolution of today's allowed window
MAX_NOTE = 20_000
CONNECTED_OUTCOMES = frozenset({
    "third_party_reached", "right_party_reached", "promise_to_pay", "refused_to_pay", "callback_requested",
    "claimed_paid", "disputed", "hung_up", "refused_contact",
})
RPC_OUTCOMES = frozenset({
    "right_party_reached", "promise_to_pay", "refused_to_pay", "claimed_paid", "disputed", "hung_up",
})


# --- the objection library ----------------------------------------------------------------------------


def _objection(r: Any) -> Objection:
    return Objection(key=r.key, title_zh=r.title_zh, title_en=r.title_en, answer_zh=r.answer_zh,
                     answer_en=r.answer_en, position=int(r.position), active=bool(r.active), id=int(r.id))


def _seed(conn: Connection, now: datetime) -> None:
    conn.execute(insert(desk_objections), [
        {"key": o.key, "position": (i + 1) * 10, "title_zh": o.title_zh, "title_en": o.title_en,
         "answer_zh": o.answer_zh, "answer_en": o.answer_en, "active": True, "updated_by": "seed",
         "updated_at": now}
        for i, o in enumerate(SEED)
    ])


def ensure_objections(rt: Runtime) -> None:
    """Seed the library with the common objections when it is empty (first use; idempotent)."""
    with rt.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(desk_objections)).scalar_one():
            return
    try:
        with rt.engine.begin() as conn:
            if not conn.execute(select(func.count()).select_from(desk_objections)).scalar_one():
                _seed(conn, rt.clock.now())
    except IntegrityError:  # another request seeded it at the same moment
        return


def objections(rt: Runtime, principal: Principal, include_inactive: bool = False) -> list[Objection]:
    """The objection library in display order (seeded on first use): collectors read it, editors too."""
    if not principal.can(Permission.TEMPLATE_MANAGE):
        require(principal, Permission.WORK_QUEUE)
    ensure_objections(rt)
    with rt.engine.connect() as conn:
        rows = conn.execute(select(desk_objections)).all()
    return ordered([_objection(r) for r in rows], include_inactive)


def objection(rt: Runtime, principal: Principal, key: str) -> Objection:
    """One objection by key (NotFound when unknown or retired)."""
    found = next((o for o in objections(rt, principal) if o.key == key), None)
    if found is None:
        raise NotFound(f"no objection {key!r}")
    return found


def save_objection(rt: Runtime, principal: Principal, *, key: str, title_zh: str, title_en: str,
                   answer_zh: str, answer_en: str, position: int = 0, active: bool = True) -> Objection:
    """Create or change one objection (managers; audited as desk.objection.save)."""
    require(principal, Permission.TEMPLATE_MANAGE)
    key = key.strip()
    texts = [t.strip() for t in (title_zh, title_en, answer_zh, answer_en)]
    problems = check(texts[0], texts[1], texts[2], texts[3], key=key)
    if not -10_000 <= position <= 10_000:
        problems.append(FieldProblem(0, "position", str(position), "between -10000 and 10000"))
    if problems:
        raise InputRejected(f"objection {key!r} not saved: " + "; ".join(p.describe() for p in problems),
                            problems)
    ensure_objections(rt)
    now = rt.clock.now()
    values = {"title_zh": texts[0], "title_en": texts[1], "answer_zh": texts[2], "answer_en": texts[3],
              "position": position, "active": active, "updated_by": principal.username[:64],
              "updated_at": now}
    with rt.engine.begin() as conn:
        found = conn.execute(select(desk_objections.c.id).where(desk_objections.c.key == key)).scalar()
        if found is None:
            conn.execute(insert(desk_objections).values(key=key, **values))
        else:
            conn.execute(update(desk_objections).where(desk_objections.c.id == found).values(**values))
        row = conn.execute(select(desk_objections).where(desk_objections.c.key == key)).one()
        audit.record(conn, principal, "desk.objection.save", "desk_objection", row.id,
                     {"key": key, "created": found is None, "active": active}, now)
    return _objection(row)


# --- the live note check ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoteCheck:
    """What the language check says about a note being typed."""

    findings: list[Finding]
    blocking: bool
    flags: list[str]


def check_note(principal: Principal, text: str, third_party: bool = False) -> NoteCheck:
    """Run the language check on a note as it is typed (nothing is stored)."""
    require(principal, Permission.WORK_QUEUE)
    if len(text) > MAX_NOTE:
        raise InputRejected(f"note: at most {MAX_NOTE} characters")
    findings = check_text(text, kind="note", third_party=third_party) if text.strip() else []
    return NoteCheck(findings, has_blocking(findings), sorted({f.flag for f in findings if f.flag}))


# --- the pre-call panel -------------------------------------------------------------------------------


@dataclass
class Window:
    """Today's allowed calling time on one phone, in the debtor's local time."""

    zone: str
    day: date
    spans: list[tuple[time, time | None]] = field(default_factory=list)  # None end = midnight
    allowed_now: bool = False
    next_allowed: datetime | None = None
    problem: str | None = None


def allowed_window(rt: Runtime, principal: Principal, debtor_id: int, point_id: int | None,
                   now: datetime | None = None) -> Window:
    """When today (the debtor's local day) the policy allows a call to this phone, at 15-minute steps."""
    require(principal, Permission.PORTFOLIO_READ)
    now = now or rt.clock.now()
    with rt.engine.connect() as conn:
        try:
            f = facts_of(conn, rt, debtor_id, now)
        except InputRejected as exc:
            return Window(rt.settings.default_timezone, now.date(), problem=str(exc))
        name = conn.execute(select(debtors.c.timezone).where(debtors.c.id == debtor_id)).scalar()
    try:
        tz: ZoneInfo = zone(name or rt.settings.default_timezone)
    except UnknownZone:
        tz = ZoneInfo(rt.settings.default_timezone)
    point = next((p for p in f.points if point_id is not None and int(p.id) == point_id), None)
    rel = point.relationship if point is not None else None
    ctx = Context(f.facts)
    local_now = now.astimezone(tz)
    day = local_now.date()
    out = Window(str(tz.key), day)
    start = datetime.combine(day, time(0), tz)
    steps = int((datetime.combine(day + timedelta(days=1), time(0), tz) - start) / STEP)
    run_from: datetime | None = None
    for i in range(steps + 1):
        at = start + i * STEP
        ok = i < steps and evaluate(proposal(point_id, rel, at), ctx, f.rulesets, now).allowed
        if ok and run_from is None:
            run_from = at
        if not ok and run_from is not None:
            end = at.astimezone(tz)
            out.spans.append((run_from.astimezone(tz).time(), None if end.date() != day else end.time()))
            run_from = None
    decision = evaluate(proposal(point_id, rel, now), ctx, f.rulesets, now)
    out.allowed_now = decision.allowed
    out.next_allowed = None if decision.allowed else decision.earliest_allowed
    return out


@dataclass
class PreCall:
    """Everything that decides a call, read from the domains' services (personal data masked)."""

    debtor: Any  # portfolio DebtorView
    promises: Any  # payments PromiseHistory
    holds: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    window: Window
    past_delinquencies: int
    broken_promises: int


def precall(rt: Runtime, principal: Principal, debtor_id: int, point_id: int | None,
            now: datetime | None = None) -> PreCall:
    """The pre-call panel: debtor, balances by component, holds and flags, promises, timeline, window."""
    require(principal, Permission.PORTFOLIO_READ)
    view = portfolio.debtor_view(rt, principal, debtor_id)
    promises = payments.history(rt, principal, debtor_id)
    holds = [h for h in compliance.holds(rt, principal, debtor_id) if h["active"]]
    attempts = history.timeline(rt, principal, debtor_id, limit=20)["attempts"]
    window = allowed_window(rt, principal, debtor_id, point_id, now)
    spells = sum(1 for a in view.accounts for s in a.bucket_history if s.bucket == "M1")
    return PreCall(view, promises, holds, attempts, window, spells, promises.broken)


# --- the team lead's board ----------------------------------------------------------------------------


def _team_of(principal: Principal, team_id: int | None) -> int:
    require(principal, Permission.WORK_MANAGE)
    team = team_id if principal.sees_all_teams and team_id is not None else principal.team_id
    if team_id is not None and team_id != team:
        raise Forbidden(f"{principal.username} may see only team {principal.team_id}")
    if team is None:
        raise InputRejected("name the team to show (team)")
    return team


def teams(rt: Runtime, principal: Principal) -> list[dict[str, Any]]:
    """The teams a team board can show (managers pick one)."""
    require(principal, Permission.WORK_MANAGE)
    q = select(team_table.c.id, team_table.c.name).order_by(team_table.c.name)
    if not principal.sees_all_teams:
        q = q.where(team_table.c.id == principal.team_id)
    with rt.engine.connect() as conn:
        return [{"id": int(r.id), "name": r.name} for r in conn.execute(q)]


def day_bounds(rt: Runtime, day: date | None) -> tuple[date, datetime, datetime]:
    """A day in the display time zone and its [start, end) in UTC-aware moments."""
    tz = ZoneInfo(rt.settings.default_timezone)
    day = day or rt.clock.now().astimezone(tz).date()
    start = datetime.combine(day, time(0), tz)
    return day, start, datetime.combine(day + timedelta(days=1), time(0), tz)


def team_board(rt: Runtime, principal: Principal, team_id: int | None = None,
               day: date | None = None) -> dict[str, Any]:
    """The team's queue with who holds what, each collector's day in numbers, and the approvals waiting."""
    from arrears.payments import arrangements
    from arrears.worklist import service as worklist

    team = _team_of(principal, team_id)
    queue = worklist.queue(rt, principal, "team", team if principal.sees_all_teams else None, 100)
    day, start, end = day_bounds(rt, day)
    now = rt.clock.now()
    a, u = contact_attempts.c, users.c
    with rt.engine.connect() as conn:
        members = conn.execute(
            select(u.id, u.username, u.display_name, u.role)
            .where(u.team_id == team, u.active.is_(True), u.role.in_(("collector", "team_lead")))
            .order_by(u.display_name)
        ).all()
        ids = [int(m.id) for m in members]
        rows = conn.execute(
            select(a.collector_id, a.call_outcome, a.outcome, a.promise_id, a.started_at)
            .where(a.collector_id.in_(ids), a.started_at >= start, a.started_at < end)
        ).all() if ids else []
        leases = {
            int(r.collector_id): r
            for r in conn.execute(
                select(debtor_leases.c.collector_id, debtor_leases.c.debtor_id, debtor_leases.c.expires_at,
                       debtors.c.name)
                .join(debtors, debtors.c.id == debtor_leases.c.debtor_id)
                .where(debtor_leases.c.collector_id.in_(ids), debtor_leases.c.expires_at > now)
            )
        } if ids else {}
    people = []
    for m in members:
        mine = [r for r in rows if r.collector_id == m.id]
        held = leases.get(int(m.id))
        people.append({
            "id": int(m.id), "username": m.username, "display_name": m.display_name, "role": m.role,
            **tally(mine),
            "working_on": None if held is None else {"debtor_id": int(held.debtor_id),
                                                     "name": mask_name(held.name),
                                                     "until": held.expires_at},
        })
    waiting: list[dict[str, Any]] = []
    if principal.can(Permission.ARRANGEMENT_APPROVE):
        waiting = arrangements.inbox(rt, principal, "pending")
    return {"team_id": team, "day": day, "queue": queue, "collectors": people, "approvals": waiting}


def tally(rows: list[Any]) -> dict[str, Any]:
    """A collector's attempts in numbers: calls, connected, right-party contacts, promises, last call."""
    outcomes = Counter(r.call_outcome or r.outcome for r in rows)
    return {
        "attempts": len(rows),
        "connected": sum(n for o, n in outcomes.items() if o in CONNECTED_OUTCOMES),
        "rpc": sum(n for o, n in outcomes.items() if o in RPC_OUTCOMES),
        "promises": sum(1 for r in rows if r.promise_id is not None),
        "last_at": max((r.started_at for r in rows), default=None),
        "outcomes": dict(sorted(outcomes.items())),
    }


def collector_day(rt: Runtime, principal: Principal, collector_id: int,
                  day: date | None = None) -> dict[str, Any]:
    """One collector's day at a glance: every attempt with its outcome, elements, promise and note flags."""
    require(principal, Permission.WORK_MANAGE)
    day, start, end = day_bounds(rt, day)
    a = contact_attempts.c
    with rt.engine.connect() as conn:
        who = conn.execute(select(users.c.id, users.c.username, users.c.display_name, users.c.team_id)
                           .where(users.c.id == collector_id)).first()
        if who is None or (not principal.sees_all_teams and who.team_id != principal.team_id):
            raise NotFound(f"collector {collector_id} not found")
        rows = conn.execute(
            select(a.id, a.debtor_id, a.started_at, a.ended_at, a.call_outcome, a.outcome, a.party,
                   a.elements, a.flags, a.promise_id, a.claim_id, a.callback_item_id, a.violation,
                   a.note_id, debtors.c.name)
            .join(debtors, debtors.c.id == a.debtor_id)
            .where(and_(a.collector_id == collector_id, a.started_at >= start, a.started_at < end))
            .order_by(a.started_at.desc(), a.id.desc())
            .limit(500)
        ).all()
    items = [{
        "id": int(r.id), "debtor_id": int(r.debtor_id), "debtor": mask_name(r.name),
        "started_at": r.started_at,
        "minutes": None if r.ended_at is None else round((r.ended_at - r.started_at).total_seconds() / 60, 1),
        "outcome": r.call_outcome or r.outcome, "party": r.party, "elements": len(r.elements or []),
        "flags": list(r.flags or []), "promise_id": r.promise_id, "claim_id": r.claim_id,
        "callback": r.callback_item_id is not None, "violation": bool(r.violation),
    } for r in rows]
    return {"collector": {"id": int(who.id), "username": who.username, "display_name": who.display_name},
            "day": day, "summary": tally(list(rows)), "attempts": items}


def safe(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    """Run a service call; (result, None) or (None, the error message) for a page to show."""
    try:
        return call(*args, **kwargs), None
    except ArrearsError as exc:
        return None, str(exc)
