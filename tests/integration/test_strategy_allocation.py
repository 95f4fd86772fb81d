"""Allocation on SQLite and PostgreSQL: placement past in-house age, teams by language, continuity,
rebalancing for absent collectors, manual reassignment by team leads; every move recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Forbidden, InputRejected, NotFound
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.strategy import jobs, service
from arrears.strategy import store as st
from arrears.strategy.model import BatchStep
from arrears.users.service import create_agency
from arrears.users.store import audit_log, users
from arrears.worklist.model import PlannedWork, WorkKind
from arrears.worklist.planning import add_work
from arrears.worklist.store import work_items
from tests.authkit import make_team, make_user
from tests.integration.strategy_seed import AS_OF, debtor, desk

STEPS = [BatchStep.TREATMENTS, BatchStep.ALLOCATION]


def _night(rt: Runtime, day: int = 0) -> dict[str, object]:
    summary = jobs.run_nightly(rt, SYSTEM, AS_OF + timedelta(days=day), steps=STEPS, force=True)
    assert summary.status == "completed", [(s.step, s.error) for s in summary.steps]
    return summary.steps[-1].counts


def _case(rt: Runtime, case_id: int) -> tuple[object, ...]:
    with rt.engine.connect() as conn:
        row = conn.execute(
            select(cases.c.status, cases.c.team_id, cases.c.collector_id).where(cases.c.id == case_id)
        ).one()
    return tuple(row)


def test_first_allocation_by_language_and_capacity(runtime: Runtime) -> None:
    d = desk(runtime, capacity=2)
    zh = [debtor(runtime, i, 20 + i, balance=100_000 * (i + 1)) for i in range(5)]
    en = debtor(runtime, 9, 30, language="en")
    counts = _night(runtime)
    assert counts["moves"] == 6 and counts["by_reason"] == {"initial": 6}
    assert _case(runtime, en["case"]) == ("open", d.en_team, d.en1.user_id)
    got = [_case(runtime, x["case"]) for x in zh]
    assert all(team == d.zh_team for _, team, _ in got)
    holders = [c for _, _, c in got]
    assert holders[4] is not None and holders[3] is not None  # the most valuable get collectors first
    assert (
        holders.count(None) == 1 and holders[0] is None
    )  # 2 collectors x capacity 2: one waits in the team queue
    with runtime.engine.connect() as conn:
        moves = conn.execute(select(st.allocation_moves).order_by(st.allocation_moves.c.id)).all()
        audit = conn.execute(
            select(audit_log.c.action, audit_log.c.details).where(audit_log.c.action == "allocation.run")
        ).all()
    assert len(moves) == 6 and all(m.actor == "system" and m.as_of == AS_OF for m in moves)
    assert len(audit) == 1 and '"moves":6' in audit[0].details.replace(" ", "")
    assert _night(runtime)["moves"] == 0  # a rerun moves nothing


def test_placement_past_in_house_age_and_key_accounts_stay(runtime: Runtime) -> None:
    desk(runtime)
    agency = create_agency(runtime, SYSTEM, "AG1", "Agency One").id
    old = debtor(runtime, 1, 95)
    key = debtor(runtime, 2, 95, kind="company", key=True)
    counts = _night(runtime)
    assert counts["placement"]["placed"] == 1
    assert _case(runtime, old["case"])[0::2] == ("placed", None)
    assert _case(runtime, key["case"])[0] == "open"
    with runtime.engine.connect() as conn:
        assert (
            conn.execute(select(accounts.c.agency_id).where(accounts.c.id == old["account"])).scalar()
            == agency
        )
        move = conn.execute(
            select(st.allocation_moves).where(st.allocation_moves.c.case_id == old["case"])
        ).one()
        step = conn.execute(
            select(st.account_treatments.c.step).where(st.account_treatments.c.account_id == old["account"])
        ).scalar()
    assert move.reason == "placement" and move.to_agency_id == agency and step == "placed"
    assert _night(runtime)["placement"] == {"due": 0, "placed": 0, "unknown_agencies": []}


def test_no_agency_means_a_placement_review(runtime: Runtime) -> None:
    desk(runtime)
    old = debtor(runtime, 1, 100)
    counts = _night(runtime)
    assert counts["placement"] == {"due": 1, "placed": 0, "unknown_agencies": [], "not_placed": 1}
    assert _case(runtime, old["case"])[0] == "open"


def test_absent_collectors_cases_are_rebalanced_after_the_threshold(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 20, team=d.zh_team, collector=d.zh1.user_id)
    with runtime.engine.begin() as conn:  # away one day: the case stays (the team queue serves it)
        conn.execute(
            update(users).where(users.c.id == d.zh1.user_id).values(absent_until=AS_OF + timedelta(days=1))
        )
    assert _night(runtime)["moves"] == 0
    with runtime.engine.begin() as conn:  # away a week: rebalanced
        conn.execute(
            update(users).where(users.c.id == d.zh1.user_id).values(absent_until=AS_OF + timedelta(days=7))
        )
    counts = _night(runtime)
    assert counts["by_reason"] == {"absent": 1}
    assert _case(runtime, a["case"]) == ("open", d.zh_team, d.zh2.user_id)


def test_a_deactivated_collector_loses_the_case(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 20, team=d.zh_team, collector=d.zh1.user_id)
    with runtime.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == d.zh1.user_id).values(active=False))
    assert _night(runtime)["by_reason"] == {"ineligible": 1}
    assert _case(runtime, a["case"])[2] == d.zh2.user_id


def test_team_lead_reassigns_within_the_own_team_only(runtime: Runtime) -> None:
    d = desk(runtime)
    a = debtor(runtime, 1, 20, team=d.zh_team, collector=d.zh1.user_id)
    other = debtor(runtime, 2, 20, team=d.en_team, collector=d.en1.user_id)
    with runtime.engine.begin() as conn:
        add_work(
            conn,
            PlannedWork(
                debtor_id=a["debtor"],
                kind=WorkKind.CALL,
                due_at=runtime.clock.now(),
                reason="call",
                source="batch",
                case_id=a["case"],
                collector_id=d.zh1.user_id,
                team_id=d.zh_team,
            ),
            runtime.clock.now(),
        )
    out = service.reassign(runtime, d.lead, a["case"], d.zh2.username, "balance the load")
    assert out["moved"] and _case(runtime, a["case"]) == ("open", d.zh_team, d.zh2.user_id)
    with runtime.engine.connect() as conn:
        item = conn.execute(
            select(work_items.c.collector_id).where(work_items.c.case_id == a["case"])
        ).scalar()
        move = conn.execute(
            select(st.allocation_moves).where(st.allocation_moves.c.case_id == a["case"])
        ).one()
        audit = (
            conn.execute(select(audit_log.c.actor).where(audit_log.c.action == "case.reassign"))
            .scalars()
            .all()
        )
    assert item == d.zh2.user_id
    assert (move.reason, move.note, move.actor) == ("manual", "balance the load", d.lead.username)
    assert audit == [d.lead.username]
    with pytest.raises(Forbidden):
        service.reassign(runtime, d.lead, a["case"], d.en1.username, "to another team")
    with pytest.raises(NotFound):
        service.reassign(runtime, d.lead, other["case"], d.zh1.username, "not my team's case")
    with pytest.raises(InputRejected):
        service.reassign(runtime, d.lead, a["case"], d.zh1.username, "")
    with pytest.raises(Forbidden):
        service.reassign(runtime, d.zh1, a["case"], d.zh1.username, "collectors cannot")
    manager = make_user(runtime, Role.MANAGER)
    assert (
        service.reassign(runtime, manager, a["case"], d.en1.user_id, "english speaker")["team_id"]
        == d.en_team
    )
    assert [m["reason"] for m in service.case_moves(runtime, manager, a["case"])] == ["manual", "manual"]
    assert not service.reassign(runtime, manager, a["case"], d.en1.username, "again")["moved"]


def test_cases_page_data_is_scoped_to_the_team(runtime: Runtime) -> None:
    d = desk(runtime)
    debtor(runtime, 1, 20, team=d.zh_team, collector=d.zh1.user_id, balance=900_000)
    debtor(runtime, 2, 20, team=d.en_team, collector=d.en1.user_id)
    make_team(runtime, "empty")
    data = service.team_cases(runtime, d.lead, None)
    assert data["team_id"] == d.zh_team and len(data["cases"]) == 1
    assert data["cases"][0]["debtor_name"] != "Debtor 1" and data["cases"][0]["balance"] == 900_000
    assert {c["username"] for c in data["collectors"]} == {d.zh1.username, d.zh2.username, d.lead.username}
    everyone = service.team_cases(runtime, make_user(runtime, Role.MANAGER), None)
    assert len(everyone["cases"]) == 2
