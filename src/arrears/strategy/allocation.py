"""The nightly 'allocation' step and manual reassignment: cases to agencies, teams and collectors.

Placement first: every case with an account due for placement (past in-house age) goes to the active
agency with the fewest placed cases (or the file's agencies); its accounts carry the agency, the case
becomes 'placed'. Then every live in-house case is given its team and collector (allocation_plan).
Every change is one allocation_moves row; the rows of a run share a batch key and are applied to the
cases set-based (UPDATE ... FROM), and the run leaves one summary record in the audit trail. A rerun
for the same date finds nothing to move.
"""

from __future__ import annotations

import heapq
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from arrears.core.access import SYSTEM, Principal
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.aging.rules import bucket_for
from arrears.portfolio.store import accounts, cases, debtors
from arrears.strategy import store as st
from arrears.strategy.allocation_plan import CaseFacts, CollectorFacts, Move, plan, split_list
from arrears.strategy.model import MoveReason, Step, Strategy, TeamRule
from arrears.users import audit
from arrears.users.store import agencies, teams, users

MOVE_COLUMNS = (
    "case_id",
    "from_team_id",
    "to_team_id",
    "from_collector_id",
    "to_collector_id",
    "from_agency_id",
    "to_agency_id",
    "reason",
    "note",
    "actor",
    "at",
    "as_of",
    "batch_key",
)
LIVE_IN_HOUSE = ("open", "on_hold")


def _balance() -> Any:
    a = accounts.c
    return a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor - a.credit_minor


def _agencies(conn: Connection, codes: Sequence[str]) -> tuple[list[int], list[str]]:
    rows = conn.execute(select(agencies.c.id, agencies.c.code).where(agencies.c.active.is_(True))).all()
    if not codes:
        return [int(r.id) for r in rows], []
    known = {r.code: int(r.id) for r in rows}
    return [known[c] for c in codes if c in known], [c for c in codes if c not in known]


def place(conn: Connection, strategy: Strategy, as_of: date, now: datetime, key: str) -> dict[str, Any]:
    """Place every case due for placement with an agency; counts (and who could not be placed)."""
    t, c = st.account_treatments, cases
    due = conn.execute(
        select(c.c.id, c.c.team_id, c.c.collector_id)
        .where(
            c.c.status.in_(LIVE_IN_HOUSE),
            c.c.id.in_(select(t.c.case_id).where(t.c.step == Step.PLACEMENT.value)),
        )
        .order_by(c.c.id)
    ).all()
    ids, unknown = _agencies(conn, strategy.escalation.agencies)
    out: dict[str, Any] = {"due": len(due), "placed": 0, "unknown_agencies": unknown}
    if not due:
        return out
    if not ids:
        out["not_placed"] = len(due)
        return out
    load = dict.fromkeys(ids, 0)
    for aid, n in conn.execute(
        select(accounts.c.agency_id, func.count(func.distinct(accounts.c.case_id)))
        .where(accounts.c.agency_id.in_(ids))
        .group_by(accounts.c.agency_id)
    ):
        load[int(aid)] = int(n)
    heap = [(n, aid) for aid, n in load.items()]
    heapq.heapify(heap)
    rows, by_agency = [], Counter[int]()
    for r in due:
        n, aid = heapq.heappop(heap)
        heapq.heappush(heap, (n + 1, aid))
        by_agency[aid] += 1
        rows.append(
            (
                r.id,
                r.team_id,
                r.team_id,
                r.collector_id,
                None,
                None,
                aid,
                MoveReason.PLACEMENT.value,
                f"past {strategy.escalation.in_house_max_dpd} DPD",
                SYSTEM.username,
                now,
                as_of,
                key,
            )
        )
    st.bulk_insert(conn, st.allocation_moves, MOVE_COLUMNS, rows)
    m = st.allocation_moves
    mine = and_(m.c.batch_key == key, m.c.reason == MoveReason.PLACEMENT.value)
    conn.execute(
        c.update()
        .where(m.c.case_id == c.c.id, mine)
        .values(status="placed", collector_id=None, updated_at=now)
    )
    conn.execute(
        accounts.update()
        .where(
            m.c.case_id == accounts.c.case_id,
            mine,
            accounts.c.status == "active",
            accounts.c.agency_id.is_(None),
        )
        .values(agency_id=m.c.to_agency_id, updated_at=now)
    )
    work_date = as_of + timedelta(days=1)
    conn.execute(
        t.update()
        .where(t.c.case_id.in_(select(m.c.case_id).where(mine)))
        .values(
            step=Step.PLACED.value,
            entered_on=work_date,
            next_action_on=None,
            channel=None,
            last_action_on=None,
            as_of=as_of,
            updated_at=now,
        )
    )
    out["placed"] = len(rows)
    out["by_agency"] = {str(k): v for k, v in sorted(by_agency.items())}
    return out


def _case_facts(conn: Connection, thresholds: Sequence[int]) -> list[CaseFacts]:
    c, a, d = cases, accounts, debtors
    query = (
        select(
            c.c.id,
            c.c.team_id,
            c.c.collector_id,
            d.c.preferred_language,
            d.c.kind,
            func.max(a.c.dpd),
            func.min(a.c.product),
            func.sum(_balance()),
        )
        .select_from(
            c.join(d, d.c.id == c.c.debtor_id).join(a, and_(a.c.case_id == c.c.id, a.c.status == "active"))
        )
        .where(c.c.status.in_(LIVE_IN_HOUSE))
        .group_by(c.c.id, c.c.team_id, c.c.collector_id, d.c.preferred_language, d.c.kind)
    )
    return [
        CaseFacts(
            int(i),
            team,
            coll,
            bucket_for(int(dpd or 0), thresholds),
            str(product),
            str(lang),
            str(kind),
            int(value or 0),
        )
        for i, team, coll, lang, kind, dpd, product, value in conn.execute(query)
    ]


def collector_facts(conn: Connection, roles: Sequence[str], work_date: date) -> list[CollectorFacts]:
    """The active collectors with a team: skills, capacity, absence."""
    away = st.absence_days(conn, work_date)
    u = users.c
    rows = conn.execute(
        select(u.id, u.team_id, u.languages, u.products, u.capacity).where(
            u.active.is_(True), u.role.in_(list(roles)), u.team_id.is_not(None)
        )
    )
    return [
        CollectorFacts(
            int(r.id),
            int(r.team_id),
            split_list(r.languages),
            split_list(r.products),
            int(r.capacity),
            True,
            away.get(int(r.id)),
        )
        for r in rows
    ]


def team_rules(conn: Connection, rules: Sequence[TeamRule]) -> tuple[list[tuple[TeamRule, int]], list[str]]:
    """The file's team rules with the team ids; names of teams that do not exist."""
    ids = {str(n): int(i) for i, n in conn.execute(select(teams.c.id, teams.c.name))}
    return [(r, ids[r.team]) for r in rules if r.team in ids], [r.team for r in rules if r.team not in ids]


def apply_moves(
    conn: Connection,
    moves: Sequence[Move],
    as_of: date | None,
    now: datetime,
    key: str,
    actor: str,
    note: str = "",
) -> int:
    """Record the moves and apply them to the cases."""
    rows = (
        (
            mv.case_id,
            mv.from_team,
            mv.to_team,
            mv.from_collector,
            mv.to_collector,
            None,
            None,
            mv.reason.value,
            note,
            actor,
            now,
            as_of,
            key,
        )
        for mv in moves
    )
    n = st.bulk_insert(conn, st.allocation_moves, MOVE_COLUMNS, rows)
    if n:
        m = st.allocation_moves
        conn.execute(
            cases.update()
            .where(m.c.case_id == cases.c.id, m.c.batch_key == key)
            .values(team_id=m.c.to_team_id, collector_id=m.c.to_collector_id, updated_at=now)
        )
    return n


def allocate(
    conn: Connection,
    strategy: Strategy,
    as_of: date,
    now: datetime,
    thresholds: Sequence[int],
    progress: Progress = no_progress,
    principal: Principal = SYSTEM,
) -> dict[str, Any]:
    """Run the allocation step for a date in the caller's transaction; its counts."""
    work_date = as_of + timedelta(days=1)
    key = uuid.uuid4().hex
    st.analyze(conn, ("account_treatments",))
    progress(0, 3, "allocation: placement")
    placed = place(conn, strategy, as_of, now, key)
    progress(1, 3, "allocation: reading cases")
    facts = _case_facts(conn, thresholds)
    rules, missing = team_rules(conn, strategy.allocation.teams)
    collectors = collector_facts(conn, strategy.allocation.collector_roles, work_date)
    progress(2, 3, "allocation: assigning")
    moves = plan(facts, collectors, rules, work_date, strategy.allocation.rebalance_absent_days)
    apply_moves(conn, moves, as_of, now, key, principal.username)
    reasons = Counter(mv.reason.value for mv in moves)
    unassigned = int(
        conn.execute(
            select(func.count())
            .select_from(cases)
            .where(cases.c.status.in_(LIVE_IN_HOUSE), cases.c.collector_id.is_(None))
        ).scalar_one()
    )
    counts: dict[str, Any] = {
        "cases": len(facts),
        "moves": len(moves),
        "by_reason": dict(sorted(reasons.items())),
        "placement": placed,
        "without_collector": unassigned,
        "collectors": len(collectors),
        "missing_teams": missing,
        "batch_key": key,
    }
    if moves or placed.get("placed"):
        audit.record(
            conn,
            principal,
            "allocation.run",
            "allocation",
            key,
            {
                "as_of": as_of.isoformat(),
                "moves": len(moves),
                "by_reason": counts["by_reason"],
                "placed": placed.get("placed", 0),
                "by_agency": placed.get("by_agency", {}),
            },
            now,
        )
    progress(3, 3, "allocation: done")
    return counts
