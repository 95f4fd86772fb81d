"""Work-queue use cases: the next contact for a collector (policy judged at the moment of asking, debtor
leased), releasing a lease, the queue views and the dial hand-off. Transactions begin here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from arrears.compliance.context import Context
from arrears.compliance.zones import UnknownZone, local
from arrears.core.access import Permission, Principal, require
from arrears.core.errors import ConfigError, Conflict, Forbidden, InputRejected, NotFound
from arrears.core.masking import mask_name, mask_phone
from arrears.portfolio.store import contact_points, debtors
from arrears.runtime import Runtime
from arrears.users import audit
from arrears.users.store import users
from arrears.users.unmask import debtor_in_scope
from arrears.worklist import decisions, queries
from arrears.worklist.facts import DebtorFacts, load_many
from arrears.worklist.judge import Verdict, judge
from arrears.worklist.model import WorkStatus
from arrears.worklist.rules import Candidate, PointChoice, lease_expiry, order, why
from arrears.worklist.store import debtor_leases, work_items
from arrears.worklist.views import Tally, debtor_card, lease_card, point_card, work_card

PAGE = 8  # candidates judged per round
MAX_PAGES = 4  # rounds per scope before answering "nothing allowed now"
RECHECK_NEVER = timedelta(days=1)  # an item blocked without an end (a hold) is judged again after this


@contextmanager
def serialized(rt: Runtime) -> Iterator[Connection]:
    """One transaction; on SQLite taken with BEGIN IMMEDIATE so that queue decisions are serialised."""
    with rt.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def collector_of(principal: Principal) -> int:
    """The user id the queue serves; the system principal has no queue."""
    if principal.user_id is None:
        raise InputRejected("the work queue serves a user: name the collector (e.g. --collector USER)")
    return principal.user_id


def rpc_chances(conn: Connection, rows: list[Any], now: datetime) -> dict[int, float]:
    """Chance of reaching each debtor in person at this local hour (empty: order by stored priority).

    `rows` carry d_id and timezone (the candidate rows): debtors are grouped by their local weekday and hour
    so the best-time model is asked once per group.
    """
    try:
        from arrears.strategy.best_time.service import rpc_chances as chances_at
    except ImportError:  # the best-time model is optional: the stored priority orders the queue then
        return {}
    groups: dict[tuple[int, int, date], list[int]] = {}
    for row in rows:
        try:
            here = local(now, row.timezone)
        except UnknownZone:
            continue
        groups.setdefault((here.weekday(), here.hour, here.date()), []).append(int(row.d_id))
    out: dict[int, float] = {}
    try:
        for (weekday, hour, day), ids in groups.items():
            out.update(chances_at(conn, ids, weekday, hour, day))
    except ConfigError:
        return {}
    return out


def _scopes(principal: Principal, me: int) -> list[dict[str, int]]:
    scopes = [{"collector_id": me}]
    if principal.team_id is not None:
        scopes.append({"team_id": principal.team_id})
    return scopes


def next_contact(rt: Runtime, principal: Principal, now: datetime | None = None) -> dict[str, Any]:
    """The most valuable contact the policy allows right now, leased to the collector; or why none is."""
    require(principal, Permission.WORK_QUEUE)
    me = collector_of(principal)
    now = now or rt.clock.now()
    until = lease_expiry(now, rt.settings.lease_minutes)
    tally = Tally()
    with serialized(rt) as conn:
        if conn.dialect.name == "postgresql":
            # a lease is short-lived: losing the last few ms of them in a crash only returns debtors to the
            # queue, so `next` does not wait for the WAL flush (atomicity and order are unaffected)
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        held = queries.held_by(conn, me, now)
        if held is not None:
            resumed = _resume(conn, rt, principal, held, now, until, tally)
            if resumed is not None:
                return resumed
        for scope in _scopes(principal, me):
            seen: list[int] = []
            for _ in range(MAX_PAGES):
                page = queries.candidates(conn, now, limit=PAGE, exclude=seen, **scope)
                seen += [c.id for c, _ in page]
                found = _serve(conn, rt, principal, page, now, until, tally) if page else None
                if found is not None:
                    return found
                if len(page) < PAGE:
                    break
        due = [d for d in (queries.next_due(conn, now, **s) for s in _scopes(principal, me)) if d]
    return tally.answer(min(due) if due else None)


def _serve(
    conn: Connection,
    rt: Runtime,
    principal: Principal,
    page: list[tuple[Candidate, Any]],
    now: datetime,
    until: datetime,
    tally: Tally,
) -> dict[str, Any] | None:
    """Judge a page of candidates best first; lease the first allowed one. Blocked items are deferred."""
    ids = [c.debtor_id for c, _ in page]
    rows = {c.id: row for c, row in page}
    chances = rpc_chances(conn, [row for _, row in page], now)
    facts = load_many(
        conn, ids, now, rt.settings.default_timezone, rt.settings.default_region, [row for _, row in page]
    )
    deferred: dict[datetime, list[int]] = {}
    dead: list[int] = []
    verdicts: dict[int, Verdict] = {}
    found: dict[str, Any] | None = None
    for c in order([c for c, _ in page], chances):
        f = facts.get(c.debtor_id)
        if f is None:
            continue
        if isinstance(f, InputRejected):
            tally.data_problem(str(f))
            deferred.setdefault(now + RECHECK_NEVER, []).append(c.id)
            continue
        seen = verdicts.get(c.debtor_id)
        verdict = judge(_points(f), Context(f.facts), f.rulesets, now, c.contact_point_id)
        verdicts[c.debtor_id] = verdict
        if verdict.allowed:
            if seen is not None and seen.allowed:
                continue  # the debtor is held by someone else (its other item just failed to lease)
            found = _lease(conn, principal, c, rows[c.id], f, verdict, now, until, chances.get(c.debtor_id))
            if found is not None:
                break
            tally.taken += 1
            continue
        if verdict.no_usable_point:
            if seen is None:
                tally.no_point()
            dead.append(c.id)
            continue
        if seen is None:  # count each debtor once, even with several items on the page
            tally.denied(verdict)
        later = verdict.earliest if verdict.earliest is not None else now + RECHECK_NEVER
        deferred.setdefault(later, []).append(c.id)
    for later, item_ids in deferred.items():
        queries.defer(conn, item_ids, later, now)
    queries.close_items(conn, dead, WorkStatus.CANCELLED, now, "queue: no usable phone")
    return found


def _points(f: DebtorFacts) -> list[PointChoice]:
    return [PointChoice(int(p.id), p.relationship, p.status, p.channel) for p in f.points]


def _lease(
    conn: Connection,
    principal: Principal,
    c: Candidate,
    row: Any,
    f: DebtorFacts,
    verdict: Verdict,
    now: datetime,
    until: datetime,
    chance: float | None,
) -> dict[str, Any] | None:
    assert verdict.point is not None and verdict.decision is not None
    token = queries.new_token()
    taken = queries.lease_decided(
        conn,
        debtor_id=c.debtor_id,
        collector_id=collector_of(principal),
        work_item_id=c.id,
        contact_point_id=verdict.point.id,
        decision=verdict.decision,
        collector_type=f.collector_type,
        requested_by=principal.username,
        token=token,
        now=now,
        expires_at=until,
    )
    if taken is None:
        return None
    lease_id, decision_id = taken
    return _answer(conn, c, row, f, verdict, lease_id, now, until, token, decision_id, chance, resumed=False)


def _answer(
    conn: Connection,
    c: Candidate,
    row: Any,
    f: DebtorFacts,
    verdict: Verdict,
    lease_id: int,
    now: datetime,
    until: datetime,
    token: str,
    decision_id: int,
    chance: float | None,
    resumed: bool,
) -> dict[str, Any]:
    assert verdict.point is not None and verdict.decision is not None
    point = next(p for p in f.points if int(p.id) == verdict.point.id)
    decision = verdict.decision
    return {
        "status": "leased",
        "resumed": resumed,
        "lease": lease_card(lease_id, now, until),
        "work_item": work_card(conn, c, row),
        "debtor": debtor_card(conn, c.debtor_id, now, row),
        "contact_point": point_card(point, decision.proposed.party.value),
        "dial": {
            "token": token,
            "uri": f"arrears-dial:{token}",
            "resolve": "/api/v1/queue/dial",
            "expires_at": until.isoformat(),
        },
        "why": why(c, chance),
        "script_mode": decision.script_mode,
        "requirements": list(decision.requirements),
        "decision_id": decision_id,
        "rulesets": [{"name": n, "version": v} for n, v in decision.rulesets],
    }


def _resume(
    conn: Connection,
    rt: Runtime,
    principal: Principal,
    held: queries.Lease,
    now: datetime,
    until: datetime,
    tally: Tally,
) -> dict[str, Any] | None:
    """A repeated `next` while holding a debtor returns the same debtor if still allowed, else lets go."""
    c, row = queries.candidate_of(conn, held.work_item_id, held.debtor_id, now)
    facts = load_many(
        conn, [held.debtor_id], now, rt.settings.default_timezone, rt.settings.default_region, [row]
    )
    f = facts.get(held.debtor_id)
    if isinstance(f, DebtorFacts):
        verdict = judge(_points(f), Context(f.facts), f.rulesets, now, held.contact_point_id)
        if verdict.allowed and verdict.point is not None and verdict.decision is not None:
            token = queries.new_token()
            decision_id = decisions.log_decision(
                conn,
                held.debtor_id,
                verdict.point.id,
                verdict.decision,
                f.collector_type,
                principal.username,
                now,
            )
            queries.renew(
                conn, held, token, until, decision_id, verdict.decision.script_mode, verdict.point.id
            )
            chance = rpc_chances(conn, [row] if row is not None else [], now).get(held.debtor_id)
            return _answer(
                conn, c, row, f, verdict, held.lease_id, now, until, token, decision_id, chance, True
            )
        tally.denied(verdict)
    queries.end(conn, held.lease_id, now, "superseded")
    return None


def release(rt: Runtime, principal: Principal, lease_id: int) -> dict[str, Any]:
    """Give a leased debtor back to the queue (its holder, or a team lead over the debtor's team)."""
    require(principal, Permission.WORK_QUEUE)
    now = rt.clock.now()
    with serialized(rt) as conn:
        row = queries.lease_by_id(conn, lease_id)
        if row is None or not debtor_in_scope(conn, principal, int(row.debtor_id)):
            raise NotFound(f"lease {lease_id} not found")
        if row.collector_id != principal.user_id and not principal.can(Permission.WORK_MANAGE):
            raise Forbidden(f"lease {lease_id} belongs to another collector")
        if row.live_until is None or row.live_until <= now or row.ended_at is not None:
            ended = row.ended_at or row.expires_at
            raise Conflict(
                f"lease {lease_id} already ended at {ended.isoformat()} ({row.end_reason or 'expired'})"
            )
        queries.end(conn, lease_id, now, "released")
    return {"lease_id": lease_id, "debtor_id": int(row.debtor_id), "released_at": now.isoformat()}


def resolve_dial(rt: Runtime, principal: Principal, token: str) -> dict[str, Any]:
    """The clear number behind a dial hand-off token (dialer integration; audited as dial.resolve)."""
    require(principal, Permission.PII_UNMASK)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        lease = queries.by_token(conn, token.strip(), now) if token and token.strip() else None
        if (
            lease is None
            or lease.contact_point_id is None
            or not debtor_in_scope(conn, principal, lease.debtor_id)
        ):
            raise NotFound("unknown or expired dial token")
        value = conn.execute(
            select(contact_points.c.value).where(contact_points.c.id == lease.contact_point_id)
        ).scalar_one()
        audit.record(
            conn,
            principal,
            "dial.resolve",
            "contact_point",
            lease.contact_point_id,
            {
                "debtor_id": lease.debtor_id,
                "lease_id": lease.lease_id,
                "collector_id": lease.collector_id,
                "masked": mask_phone(value),
            },
            now,
        )
    return {
        "number": value,
        "uri": f"tel:{value}",
        "lease_id": lease.lease_id,
        "debtor_id": lease.debtor_id,
        "contact_point_id": lease.contact_point_id,
        "collector_id": lease.collector_id,
        "expires_at": lease.expires_at.isoformat(),
    }


def queue(
    rt: Runtime, principal: Principal, scope: str = "mine", team_id: int | None = None, limit: int = 100
) -> dict[str, Any]:
    """A collector's open work (or a team's, for team leads), best first, with who holds what."""
    require(principal, Permission.WORK_QUEUE)
    now = rt.clock.now()
    w = work_items.c
    if scope == "team":
        require(principal, Permission.WORK_MANAGE)
        team = team_id if principal.sees_all_teams else principal.team_id
        if team_id is not None and team_id != team:
            raise Forbidden(f"{principal.username} may see only the queue of team {principal.team_id}")
        if team is None:
            raise InputRejected("name the team whose queue to show (team_id)")
        cond = and_(w.team_id == team, w.status == WorkStatus.OPEN.value)
        who: dict[str, Any] = {"scope": "team", "team_id": team}
    elif scope == "mine":
        cond = and_(w.collector_id == collector_of(principal), w.status == WorkStatus.OPEN.value)
        who = {"scope": "mine", "collector_id": principal.user_id}
    else:
        raise InputRejected(f"unknown scope {scope!r}: use mine or team")
    holder = users.alias("holder")
    assigned = users.alias("assigned")
    lease = debtor_leases
    query = (
        select(
            w.id,
            w.kind,
            w.reason,
            w.due_at,
            w.priority,
            w.serve_class,
            w.attempt_count,
            w.debtor_id,
            debtors.c.name,
            debtors.c.external_id,
            assigned.c.username.label("collector"),
            holder.c.username.label("held_by"),
            lease.c.expires_at.label("held_until"),
        )
        .join(debtors, debtors.c.id == w.debtor_id)
        .outerjoin(assigned, assigned.c.id == w.collector_id)
        .outerjoin(lease, and_(lease.c.debtor_id == w.debtor_id, lease.c.expires_at > now))
        .outerjoin(holder, holder.c.id == lease.c.collector_id)
        .where(cond)
        .order_by(w.serve_class.desc(), w.priority.desc(), w.id)
        .limit(max(1, min(limit, 500)))
    )
    with rt.engine.connect() as conn:
        items = [
            {
                "id": r.id,
                "kind": r.kind,
                "reason": r.reason,
                "due_at": r.due_at.isoformat(),
                "due": r.due_at <= now,
                "priority": r.priority,
                "attempts": r.attempt_count,
                "debtor": {"id": r.debtor_id, "external_id": r.external_id, "name": mask_name(r.name)},
                "collector": r.collector,
                "held_by": r.held_by,
                "held_until": r.held_until.isoformat() if r.held_until else None,
            }
            for r in conn.execute(query)
        ]
        total, due_now = conn.execute(
            select(func.count(), func.count().filter(w.due_at <= now)).select_from(work_items).where(cond)
        ).one()
    return {**who, "as_of": now.isoformat(), "open": int(total), "due_now": int(due_now), "items": items}
