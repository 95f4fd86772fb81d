"""Demo users: two in-house teams, an agency, one user per role, and the demo cases allocated to them.

`arrears demo` (so `make run`) calls `ensure_demo_users` after loading the portfolio and prints the
users with the shared demo password. It is idempotent: users that exist are left as they are, and
cases are allocated only while no case has a team and no account is placed. Never in production
(`ARREARS_ENVIRONMENT=production`): a known password there would be an open door.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.engine import Connection

from arrears.core.access import SYSTEM, Role
from arrears.portfolio.store import accounts, cases, debtors
from arrears.runtime import Runtime
from arrears.users import service
from arrears.users.store import agencies, teams, user_row

DEMO_PASSWORD = "arrears-demo-2026"
TEAM_ZH = "催收一组 Team A (zh-CN)"
TEAM_EN = "Team B (English)"
AGENCY_CODE = "DEMO-AGENCY"
AGENCY_NAME = "示例委外机构 Demo Collections Agency"
PLACE_FROM_DPD = 121  # debtors whose oldest arrears are 121..180 days are placed with the agency
PLACE_TO_DPD = 180


@dataclass(frozen=True, slots=True)
class DemoUser:
    """One demo login."""

    username: str
    role: Role
    display_name: str
    scope: str  # the team or agency, for the printed list
    created: bool


# username, role, display name, scope key ("zh", "en", "agency" or "")
USERS: tuple[tuple[str, Role, str, str], ...] = (
    ("admin", Role.ADMINISTRATOR, "系统管理员 Admin", ""),
    ("manager", Role.MANAGER, "王经理 Manager Wang", ""),
    ("analyst", Role.STRATEGY_ANALYST, "策略分析 Analyst Liu", ""),
    ("compliance", Role.COMPLIANCE_OFFICER, "合规专员 Compliance Chen", ""),
    ("lead.zh", Role.TEAM_LEAD, "组长 Lead Zhao", "zh"),
    ("collector.zh", Role.COLLECTOR, "催收员 Collector Li", "zh"),
    ("lead.en", Role.TEAM_LEAD, "Lead Taylor", "en"),
    ("collector.en", Role.COLLECTOR, "Collector Smith", "en"),
    ("agency", Role.AGENCY_USER, "委外催收员 Agency Sun", "agency"),
)


def _ensure_scopes(rt: Runtime) -> dict[str, int]:
    """The two teams and the agency (created when missing); scope key -> id."""
    with rt.engine.connect() as conn:
        found = {r.name: r.id for r in conn.execute(select(teams.c.id, teams.c.name))}
        agency = conn.execute(select(agencies.c.id).where(agencies.c.code == AGENCY_CODE)).scalar()
    ids: dict[str, int] = {}
    for key, name in (("zh", TEAM_ZH), ("en", TEAM_EN)):
        ids[key] = found[name] if name in found else service.create_team(rt, SYSTEM, name).id
    ids["agency"] = agency if agency is not None else service.create_agency(
        rt, SYSTEM, AGENCY_CODE, AGENCY_NAME, commission_ppm=150_000).id
    return ids


def ensure_demo_users(rt: Runtime) -> list[DemoUser]:
    """Create the demo teams, agency and users that are missing, then allocate the demo cases."""
    scopes = _ensure_scopes(rt)
    names = {"zh": TEAM_ZH, "en": TEAM_EN, "agency": AGENCY_NAME, "": "—"}
    out: list[DemoUser] = []
    for username, role, display, key in USERS:
        with rt.engine.connect() as conn:
            exists_already = user_row(conn, username=username) is not None
        if not exists_already:
            service.create_user(
                rt, SYSTEM, username=username, role=role, password=DEMO_PASSWORD, display_name=display,
                team_id=scopes[key] if key in ("zh", "en") else None,
                agency_id=scopes["agency"] if key == "agency" else None,
                languages="en" if key == "en" else "zh-CN", capacity=400 if role is Role.COLLECTOR else 0,
                promise_authority_minor=500_000 if role is Role.COLLECTOR else 0,
            )
        out.append(DemoUser(username, role, display, names[key], not exists_already))
    allocate(rt, scopes)
    return out


def allocate(rt: Runtime, scopes: dict[str, int]) -> bool:
    """Place older debtors with the agency and give every other case to a team and its collector.

    Only on a portfolio nobody has allocated yet (no case with a team, no placed account).
    """
    with rt.engine.begin() as conn:
        started = conn.execute(select(
            exists().where(cases.c.team_id.is_not(None)) | exists().where(accounts.c.agency_id.is_not(None))
        )).scalar()
        if started:
            return False
        collectors = {key: _user_id(conn, f"collector.{key}") for key in ("zh", "en")}
        oldest = (select(accounts.c.debtor_id).group_by(accounts.c.debtor_id)
                  .having(func.max(accounts.c.dpd).between(PLACE_FROM_DPD, PLACE_TO_DPD)))
        placed_debtors = select(cases.c.debtor_id).where(cases.c.status == "open",
                                                          cases.c.debtor_id.in_(oldest))
        conn.execute(update(accounts).where(accounts.c.debtor_id.in_(placed_debtors), accounts.c.dpd > 0)
                     .values(agency_id=scopes["agency"]))
        conn.execute(update(cases).where(cases.c.status == "open", cases.c.debtor_id.in_(oldest))
                     .values(status="placed", updated_at=rt.clock.now()))
        english = select(debtors.c.id).where(debtors.c.preferred_language == "en")
        for key, language_match in (("en", cases.c.debtor_id.in_(english)),
                                    ("zh", cases.c.debtor_id.not_in(english))):
            conn.execute(update(cases).where(and_(cases.c.status != "placed", language_match)).values(
                team_id=scopes[key], collector_id=collectors[key]))
    return True


def _user_id(conn: Connection, username: str) -> int | None:
    row = user_row(conn, username=username)
    return None if row is None else int(row.id)
