"""Demo users on both backends: teams, an agency, one user per role, cases allocated, old debtors placed."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from arrears.core.access import Role
from arrears.portfolio import service as portfolio
from arrears.portfolio.demo.service import load_demo
from arrears.portfolio.demo.users import DEMO_PASSWORD, USERS, ensure_demo_users
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.users import login as logins
from arrears.users.store import audit_log


def test_demo_users_log_in_and_see_their_scope(runtime: Runtime) -> None:
    load_demo(runtime, debtors=120, seed=11, as_of=date(2026, 3, 31))
    made = ensure_demo_users(runtime)
    assert {u.role for u in made} == set(Role) and all(u.created for u in made)
    with runtime.engine.connect() as conn:
        placed = conn.execute(
            select(func.count()).select_from(cases).where(cases.c.status == "placed")).scalar()
        unassigned = conn.execute(select(func.count()).select_from(cases).where(
            cases.c.status != "placed", cases.c.team_id.is_(None))).scalar()
        on_agency = conn.execute(select(func.max(accounts.c.dpd), func.min(accounts.c.dpd))
                                 .where(accounts.c.agency_id.is_not(None))).one()
        created = conn.execute(select(func.count()).select_from(audit_log)
                               .where(audit_log.c.action == "user.create")).scalar()
    assert placed and unassigned == 0 and created == len(USERS)
    assert on_agency[0] <= 180 and on_agency[1] > 0
    seen = {}
    for username, role, _, _ in USERS:
        principal = logins.login(runtime, username, DEMO_PASSWORD, "127.0.0.1").principal
        assert principal.role is role
        seen[username] = portfolio.list_debtors(runtime, principal, page_size=200).total
    assert seen["manager"] == seen["admin"] == 120
    assert 0 < seen["agency"] < 120 and 0 < seen["collector.zh"] < 120
    assert seen["collector.zh"] == seen["lead.zh"] and seen["collector.en"] == seen["lead.en"]
    assert seen["collector.zh"] + seen["collector.en"] + seen["agency"] <= 120


def test_demo_users_are_created_once(runtime: Runtime) -> None:
    first = ensure_demo_users(runtime)
    again = ensure_demo_users(runtime)
    assert [u.username for u in first] == [u.username for u in again]
    assert not any(u.created for u in again)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == len(USERS) + 3
