"""Reads for the team lead's cases page: a team's live cases with collector, worst bucket and treatment."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from arrears.core.masking import mask_name
from arrears.portfolio.store import accounts, cases, debtors
from arrears.strategy import store as st
from arrears.users.store import teams, users

LIVE = ("open", "on_hold")


def cases_of_team(
    conn: Connection, team_id: int | None, collector_id: int | None, limit: int
) -> dict[str, Any]:
    """Live in-house cases (of a team, or all), most valuable first, with the team's collectors."""
    a, c, d, u, t = accounts, cases, debtors, users, st.account_treatments
    balance = a.c.principal_minor + a.c.interest_minor + a.c.fees_minor + a.c.penalty_minor - a.c.credit_minor
    per_case = (
        select(
            a.c.case_id,
            func.max(a.c.dpd).label("dpd"),
            func.max(a.c.bucket).label("bucket"),
            func.sum(balance).label("balance"),
            func.min(a.c.currency).label("currency"),
        )
        .where(a.c.status == "active", a.c.case_id.is_not(None))
        .group_by(a.c.case_id)
        .subquery("per_case")
    )
    steps = (
        select(
            t.c.case_id,
            func.min(t.c.treatment).label("treatment"),
            func.min(t.c.step).label("step"),
            func.min(t.c.next_action_on).label("next_action_on"),
        )
        .group_by(t.c.case_id)
        .subquery("steps")
    )
    query = (
        select(
            c.c.id,
            c.c.status,
            c.c.team_id,
            c.c.collector_id,
            d.c.id.label("debtor_id"),
            d.c.name,
            per_case.c.dpd,
            per_case.c.bucket,
            per_case.c.balance,
            per_case.c.currency,
            u.c.display_name.label("collector_name"),
            steps.c.treatment,
            steps.c.step,
            steps.c.next_action_on,
        )
        .select_from(
            c.join(d, d.c.id == c.c.debtor_id)
            .join(per_case, per_case.c.case_id == c.c.id)
            .outerjoin(u, u.c.id == c.c.collector_id)
            .outerjoin(steps, steps.c.case_id == c.c.id)
        )
        .where(c.c.status.in_(LIVE))
    )
    if team_id is not None:
        query = query.where(c.c.team_id == team_id)
    if collector_id is not None:
        query = query.where(c.c.collector_id == collector_id)
    rows = conn.execute(query.order_by(per_case.c.balance.desc(), c.c.id).limit(limit)).all()
    members = select(
        u.c.id, u.c.username, u.c.display_name, u.c.team_id, u.c.role, u.c.capacity, u.c.absent_until
    ).where(u.c.active.is_(True), u.c.role.in_(("collector", "team_lead")))
    if team_id is not None:
        members = members.where(u.c.team_id == team_id)
    load: dict[int, int] = {
        int(k): int(n)
        for k, n in conn.execute(
            select(c.c.collector_id, func.count())
            .where(c.c.status.in_(LIVE), c.c.collector_id.is_not(None))
            .group_by(c.c.collector_id)
        )
    }
    team_name = None
    if team_id is not None:
        team_name = conn.execute(select(teams.c.name).where(teams.c.id == team_id)).scalar()
    return {
        "team_id": team_id,
        "team_name": team_name,
        "cases": [
            {**{k: r._mapping[k] for k in r._mapping if k != "name"}, "debtor_name": mask_name(r.name)}
            for r in rows
        ],
        "collectors": [
            {**dict(m._mapping), "open_cases": int(load.get(m.id, 0))}
            for m in conn.execute(members.order_by(u.c.display_name))
        ],
    }
