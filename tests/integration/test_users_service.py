"""User administration on both backends: every change audited (never a password), permissions, scope."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Conflict, Forbidden, InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.users import audit, service
from arrears.users import login as logins
from arrears.users.store import audit_log, users
from tests.authkit import PASSWORD, make_user

NEW = "Brand-new-pass-77"


def _trail(rt: Runtime) -> list[tuple[str, str, str, dict[str, object]]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
    return [(r.actor, r.action, r.entity_id, json.loads(r.details)) for r in rows]


def test_create_users_teams_and_agencies_audited_without_passwords(runtime: Runtime) -> None:
    admin = make_user(runtime, Role.ADMINISTRATOR, username="root")
    team = service.create_team(runtime, admin, "  East   team ")
    agency = service.create_agency(runtime, admin, "acme-01", "Acme Collections", 150_000)
    assert (team.name, agency.code) == ("East team", "ACME-01")
    collector = service.create_user(runtime, admin, username="Li.Wei", role="collector", password=PASSWORD,
                                    display_name="李伟", team_id=team.id)
    assert (collector.username, collector.team, collector.has_password) == ("li.wei", "East team", True)
    outsider = service.create_user(runtime, admin, username="acme.sun", role=Role.AGENCY_USER,
                                   agency_id=agency.id)
    assert outsider.agency == "Acme Collections" and not outsider.has_password
    trail = _trail(runtime)
    assert [(a, act) for a, act, _, _ in trail] == [
        ("root", "team.create"), ("root", "agency.create"), ("root", "user.create"), ("root", "user.create")]
    assert trail[2][3] == {"username": "li.wei", "role": "collector", "team_id": team.id, "agency_id": None,
                           "with_password": True}
    with runtime.engine.connect() as conn:
        everything = " ".join(conn.execute(select(audit_log.c.details)).scalars())
    assert PASSWORD not in everything and "argon2" not in everything
    with runtime.engine.connect() as conn:
        assert audit.verify(conn)[1] == []
    listed = [u.username for u in service.list_users(runtime, admin)]
    assert listed == ["acme.sun", "li.wei", "root"]
    assert [t.members for t in service.list_teams(runtime, admin)] == [1]
    assert [a.members for a in service.list_agencies(runtime, admin)] == [1]


def test_refusals_name_the_field_and_write_nothing(runtime: Runtime) -> None:
    admin = make_user(runtime, Role.ADMINISTRATOR)
    cases = [
        (dict(username="ab", role="manager"), "username"),
        (dict(username="li.wei", role="pilot"), "role"),
        (dict(username="li.wei", role="manager", password="short1"), "password"),
        (dict(username="li.wei", role="manager", password="li.wei-2026-x"), "password"),
        (dict(username="li.wei", role="collector"), "team_id"),
        (dict(username="li.wei", role="agency_user"), "agency_id"),
        (dict(username="li.wei", role="manager", team_id=999), "team_id"),
    ]
    for kwargs, field in cases:
        with pytest.raises(InputRejected) as info:
            service.create_user(runtime, admin, **kwargs)  # type: ignore[arg-type]
        assert field in {p.field for p in info.value.problems}, (kwargs, info.value.problems)
    service.create_user(runtime, admin, username="li.wei", role="manager")
    with pytest.raises(Conflict, match="taken"):
        service.create_user(runtime, admin, username="LI.WEI", role="manager")
    assert [a for _, a, _, _ in _trail(runtime)] == ["user.create"]


def test_only_administrators_manage_users(runtime: Runtime) -> None:
    for role in (Role.MANAGER, Role.COMPLIANCE_OFFICER, Role.TEAM_LEAD):
        someone = make_user(runtime, role)
        with pytest.raises(Forbidden, match="users.manage"):
            service.create_user(runtime, someone, username="x.y.z", role="manager")
        with pytest.raises(Forbidden):
            service.list_users(runtime, someone)
        with pytest.raises(Forbidden):
            service.create_team(runtime, someone, "T")
    assert _trail(runtime) == []


def test_role_change_deactivation_and_the_last_administrator(runtime: Runtime) -> None:
    root = make_user(runtime, Role.ADMINISTRATOR, username="root")
    team = service.create_team(runtime, root, "North")
    user = service.create_user(runtime, root, username="li.wei", role="collector", team_id=team.id)
    promoted = service.set_role(runtime, root, user.id, Role.TEAM_LEAD, team_id=team.id)
    assert promoted.role is Role.TEAM_LEAD
    with pytest.raises(InputRejected):
        service.set_role(runtime, root, user.id, Role.COLLECTOR)  # a collector needs a team
    assert root.user_id is not None
    with pytest.raises(Conflict, match="yourself"):
        service.deactivate(runtime, root, root.user_id)
    with pytest.raises(Conflict, match="last active administrator"):
        service.set_role(runtime, SYSTEM, root.user_id, Role.MANAGER)
    with pytest.raises(Conflict, match="last active administrator"):
        service.deactivate(runtime, SYSTEM, root.user_id)
    assert not service.deactivate(runtime, root, user.id).active
    assert service.activate(runtime, root, user.id).active
    with pytest.raises(NotFound):
        service.deactivate(runtime, root, 987_654)
    actions = [(act, details.get("to")) for _, act, _, details in _trail(runtime)]
    assert actions == [
        ("team.create", None), ("user.create", None),
        ("user.role_change", {"role": "team_lead", "team_id": team.id, "agency_id": None}),
        ("user.deactivate", None), ("user.activate", None),
    ]


def test_passwords_change_and_reset(runtime: Runtime) -> None:
    root = make_user(runtime, Role.ADMINISTRATOR, username="root")
    me = make_user(runtime, Role.MANAGER, username="wang", password=PASSWORD)
    assert me.user_id is not None
    with pytest.raises(InputRejected, match="current password is wrong"):
        service.change_password(runtime, me, "Not-my-pass-1", NEW)
    with pytest.raises(InputRejected, match="must contain both letters and digits"):
        service.change_password(runtime, me, PASSWORD, "onlyletterspassword")
    with pytest.raises(InputRejected, match="differ"):
        service.change_password(runtime, me, PASSWORD, PASSWORD)
    service.change_password(runtime, me, PASSWORD, NEW)
    assert logins.login(runtime, "wang", NEW, "1.2.3.4").principal.user_id == me.user_id
    session = logins.login(runtime, "wang", NEW, "1.2.3.4")
    service.reset_password(runtime, root, me.user_id, "Reset-by-admin-9")
    assert logins.authenticate(runtime, cookie=session.token) is None  # a reset ends the sessions
    assert logins.login(runtime, "wang", "Reset-by-admin-9", "1.2.3.4").principal.username == "wang"
    with runtime.engine.connect() as conn:
        stamp = conn.execute(select(users.c.password_changed_at).where(users.c.id == me.user_id)).scalar()
    assert stamp == runtime.clock.now()
    trail = _trail(runtime)
    assert [(actor, act) for actor, act, _, _ in trail] == [("wang", "password.change"),
                                                            ("root", "password.reset")]
    assert all(set(details) == {"username"} for _, _, _, details in trail)


def test_the_first_administrator_comes_from_the_command_line(runtime: Runtime) -> None:
    admin = service.create_admin(runtime, "Boss", PASSWORD, "The Boss")
    assert (admin.username, admin.role, admin.display_name) == ("boss", Role.ADMINISTRATOR, "The Boss")
    with pytest.raises(InputRejected, match="commonly used"):
        service.create_admin(runtime, "other", "password123")
    assert [(actor, act) for actor, act, _, _ in _trail(runtime)] == [("system", "user.create")]
