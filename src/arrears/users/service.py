"""User administration use cases: users, roles, passwords, teams and agencies; every change audited.

Each use case takes the acting `Principal` and checks `users.manage` (changing one's own password
needs only to be logged in). Every change appends an audit record in the same transaction
("user.create", "user.role_change", "user.deactivate", "password.change", ...); passwords and their
hashes never appear in a record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError

from arrears.core.access import SYSTEM, Permission, Principal, Role, require
from arrears.core.errors import Conflict, FieldProblem, InputRejected, NotFound, Unauthenticated
from arrears.runtime import Runtime
from arrears.users import audit
from arrears.users.model import AgencyView, Outcome, TeamView, UserView
from arrears.users.passwords import check_policy, hash_password, verify_password
from arrears.users.rules import MAX_PASSWORD, normalise_username, scope_problem, username_problem
from arrears.users.store import (
    active_administrators,
    add_attempt,
    agencies,
    agency_rows,
    end_sessions_and_tokens,
    team_rows,
    teams,
    user_row,
    user_rows,
    users,
)


def _view(row: Row, team: str | None = None, agency: str | None = None) -> UserView:
    return UserView(
        id=row.id, username=row.username, display_name=row.display_name, role=Role(row.role),
        team_id=row.team_id, team=team, agency_id=row.agency_id, agency=agency, active=bool(row.active),
        has_password=row.password_hash is not None, locked_until=row.locked_until, languages=row.languages,
        capacity=row.capacity, absent_until=row.absent_until,
        promise_authority_minor=row.promise_authority_minor,
        password_changed_at=row.password_changed_at, created_at=row.created_at,
    )


def _load(conn: Connection, user_id: int) -> UserView:
    for row in user_rows(conn):
        if row.id == user_id:
            return _view(row, row.team_name, row.agency_name)
    raise NotFound(f"user {user_id} not found")


def _check_scope(conn: Connection, role: Role, team_id: int | None, agency_id: int | None) -> None:
    problems = []
    why = scope_problem(role, team_id, agency_id)
    if why:
        problems.append(FieldProblem(0, "agency_id" if "agency" in why else "team_id", "", why))
    if team_id is not None and conn.execute(select(teams.c.id).where(teams.c.id == team_id)).first() is None:
        problems.append(FieldProblem(0, "team_id", str(team_id), "no such team"))
    if agency_id is not None and conn.execute(
            select(agencies.c.id).where(agencies.c.id == agency_id)).first() is None:
        problems.append(FieldProblem(0, "agency_id", str(agency_id), "no such agency"))
    if problems:
        raise InputRejected("user refused: " + "; ".join(p.reason for p in problems), problems)


def create_user(
    rt: Runtime, principal: Principal, *, username: str, role: Role | str, password: str | None = None,
    display_name: str | None = None, team_id: int | None = None, agency_id: int | None = None,
    languages: str = "zh-CN", capacity: int = 0, promise_authority_minor: int = 0,
) -> UserView:
    """Create an active user (password checked against the policy, stored as an Argon2id hash)."""
    require(principal, Permission.USERS_MANAGE)
    name = normalise_username(username)
    try:
        role = Role(role)
    except ValueError:
        allowed = "one of: " + ", ".join(r.value for r in Role)
        raise InputRejected(f"unknown role {role!r}", [FieldProblem(0, "role", str(role), allowed)]) from None
    why = username_problem(name)
    if why:
        raise InputRejected(f"username refused: {why}", [FieldProblem(0, "username", username, why)])
    if password is not None:
        check_policy(password, name)
    display = (display_name or "").strip()[:128] or name
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        _check_scope(conn, role, team_id, agency_id)
        if user_row(conn, username=name) is not None:
            raise Conflict(f"username {name!r} is taken")
        try:
            new_id = conn.execute(users.insert().values(
                username=name, display_name=display, role=role.value, team_id=team_id, agency_id=agency_id,
                password_hash=hash_password(password) if password is not None else None,
                password_changed_at=now if password is not None else None, languages=languages,
                capacity=max(0, capacity), promise_authority_minor=max(0, promise_authority_minor),
                created_at=now, updated_at=now,
            ).returning(users.c.id)).scalar_one()
        except IntegrityError:
            raise Conflict(f"username {name!r} is taken") from None
        audit.record(conn, principal, "user.create", "user", new_id,
                     {"username": name, "role": role.value, "team_id": team_id, "agency_id": agency_id,
                      "with_password": password is not None}, now)
        return _load(conn, int(new_id))


def create_admin(rt: Runtime, username: str, password: str, display_name: str | None = None) -> UserView:
    """The first (or another) administrator, from the command line (acts as SYSTEM)."""
    return create_user(rt, SYSTEM, username=username, role=Role.ADMINISTRATOR, password=password,
                       display_name=display_name)


def _user_for_change(conn: Connection, user_id: int) -> Row:
    row = conn.execute(select(users).where(users.c.id == user_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"user {user_id} not found")
    return row


def _keep_an_administrator(conn: Connection, row: Row) -> None:
    if row.role == Role.ADMINISTRATOR.value and row.active and active_administrators(conn) <= 1:
        raise Conflict("this is the last active administrator; appoint another one first")


def set_role(rt: Runtime, principal: Principal, user_id: int, role: Role | str, *, team_id: int | None = None,
             agency_id: int | None = None) -> UserView:
    """Change a user's role and scope (team or agency); their open sessions keep the new role at once."""
    require(principal, Permission.USERS_MANAGE)
    role = Role(role)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        _check_scope(conn, role, team_id, agency_id)
        if role is not Role.ADMINISTRATOR:
            _keep_an_administrator(conn, row)
        conn.execute(users.update().where(users.c.id == user_id).values(
            role=role.value, team_id=team_id, agency_id=agency_id, updated_at=now))
        audit.record(conn, principal, "user.role_change", "user", user_id,
                     {"username": row.username, "from": {"role": row.role, "team_id": row.team_id,
                                                         "agency_id": row.agency_id},
                      "to": {"role": role.value, "team_id": team_id, "agency_id": agency_id}}, now)
        return _load(conn, user_id)


def update_profile(rt: Runtime, principal: Principal, user_id: int, **changes: Any) -> UserView:
    """Change display name, languages, capacity, absence or promise authority (what allocation uses)."""
    require(principal, Permission.USERS_MANAGE)
    allowed = {"display_name", "languages", "products", "capacity", "absent_until", "promise_authority_minor"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InputRejected("unknown fields: " + ", ".join(unknown),
                            [FieldProblem(0, f, "", "cannot be changed here") for f in unknown])
    for field in ("capacity", "promise_authority_minor"):
        if field in changes and (not isinstance(changes[field], int) or changes[field] < 0):
            raise InputRejected(f"{field} must be 0 or more", [FieldProblem(0, field, str(changes[field]),
                                                                             "must be 0 or more")])
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        conn.execute(users.update().where(users.c.id == user_id).values(**changes, updated_at=now))
        audit.record(conn, principal, "user.update", "user", user_id,
                     {"username": row.username, "changes": {k: str(v) for k, v in changes.items()}}, now)
        return _load(conn, user_id)


def deactivate(rt: Runtime, principal: Principal, user_id: int) -> UserView:
    """Deactivate a user: they can no longer log in; their sessions end and their tokens are revoked."""
    require(principal, Permission.USERS_MANAGE)
    if principal.user_id == user_id:
        raise Conflict("you cannot deactivate yourself")
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        if not row.active:
            return _load(conn, user_id)
        _keep_an_administrator(conn, row)
        conn.execute(users.update().where(users.c.id == user_id).values(active=False, updated_at=now))
        end_sessions_and_tokens(conn, user_id, now)
        audit.record(conn, principal, "user.deactivate", "user", user_id, {"username": row.username}, now)
        return _load(conn, user_id)


def activate(rt: Runtime, principal: Principal, user_id: int) -> UserView:
    """Reactivate a deactivated user."""
    require(principal, Permission.USERS_MANAGE)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        if not row.active:
            conn.execute(users.update().where(users.c.id == user_id).values(active=True, updated_at=now))
            audit.record(conn, principal, "user.activate", "user", user_id, {"username": row.username}, now)
        return _load(conn, user_id)


def reset_password(rt: Runtime, principal: Principal, user_id: int, new_password: str) -> None:
    """An administrator sets a user's password; the user's sessions end and tokens are revoked."""
    require(principal, Permission.USERS_MANAGE)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        check_policy(new_password, row.username)
        conn.execute(users.update().where(users.c.id == user_id).values(
            password_hash=hash_password(new_password), password_changed_at=now, updated_at=now))
        end_sessions_and_tokens(conn, user_id, now)
        audit.record(conn, principal, "password.reset", "user", user_id, {"username": row.username}, now)


def change_password(rt: Runtime, principal: Principal, current: str, new_password: str) -> None:
    """A user changes their own password, giving the current one."""
    if principal.user_id is None:
        raise Unauthenticated("only a logged-in user can change their password")
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, principal.user_id)
        if not verify_password(row.password_hash, current[:MAX_PASSWORD]):
            raise InputRejected("the current password is wrong",
                                [FieldProblem(0, "current_password", "", "wrong password")])
        check_policy(new_password, row.username, "new_password")
        if verify_password(row.password_hash, new_password):
            raise InputRejected("the new password must differ from the current one",
                                [FieldProblem(0, "new_password", "", "same as the current password")])
        conn.execute(users.update().where(users.c.id == row.id).values(
            password_hash=hash_password(new_password), password_changed_at=now, updated_at=now))
        audit.record(conn, principal, "password.change", "user", row.id, {"username": row.username}, now)


def unlock(rt: Runtime, principal: Principal, user_id: int, client_ip: str = "admin") -> UserView:
    """Lift a login lockout before it runs out (recorded as an 'unlock' login attempt and audited)."""
    require(principal, Permission.USERS_MANAGE)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        add_attempt(conn, row.username, client_ip, now, Outcome.UNLOCK, row.id, "admin")
        conn.execute(users.update().where(users.c.id == user_id).values(failed_logins=0, locked_until=None))
        audit.record(conn, principal, "user.unlock", "user", user_id, {"username": row.username}, now)
        return _load(conn, user_id)


def revoke_tokens(rt: Runtime, principal: Principal, user_id: int) -> None:
    """End every session and revoke every API token of a user (a lost laptop, a leaked token)."""
    require(principal, Permission.USERS_MANAGE)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        row = _user_for_change(conn, user_id)
        end_sessions_and_tokens(conn, user_id, now)
        audit.record(conn, principal, "token.revoke_all", "user", user_id, {"username": row.username}, now)


def list_users(rt: Runtime, principal: Principal, include_inactive: bool = True) -> list[UserView]:
    """Every user with team and agency names, by username."""
    require(principal, Permission.USERS_MANAGE)
    with rt.engine.connect() as conn:
        return [_view(r, r.team_name, r.agency_name) for r in user_rows(conn, include_inactive)]


def get_user(rt: Runtime, principal: Principal, user_id: int) -> UserView:
    """One user (administrators; anyone may read themselves)."""
    if principal.user_id != user_id:
        require(principal, Permission.USERS_MANAGE)
    with rt.engine.connect() as conn:
        return _load(conn, user_id)


def find_user(rt: Runtime, principal: Principal, username: str) -> UserView:
    """One user by username."""
    require(principal, Permission.USERS_MANAGE)
    with rt.engine.connect() as conn:
        row = user_row(conn, username=normalise_username(username))
        if row is None:
            raise NotFound(f"no user {username!r}")
        return _load(conn, row.id)


def create_team(rt: Runtime, principal: Principal, name: str) -> TeamView:
    """Create an in-house team."""
    require(principal, Permission.USERS_MANAGE)
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 64:
        raise InputRejected("team name refused", [FieldProblem(0, "name", name[:60], "1-64 characters")])
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        if conn.execute(select(teams.c.id).where(teams.c.name == name)).first() is not None:
            raise Conflict(f"team {name!r} exists")
        new_id = conn.execute(
            teams.insert().values(name=name, created_at=now).returning(teams.c.id)).scalar_one()
        audit.record(conn, principal, "team.create", "team", new_id, {"name": name}, now)
    return TeamView(int(new_id), name, 0)


def list_teams(rt: Runtime, principal: Principal) -> list[TeamView]:
    """Every team with its number of active members."""
    require(principal, Permission.USERS_MANAGE)
    with rt.engine.connect() as conn:
        return [TeamView(r.id, r.name, int(r.members)) for r in team_rows(conn)]


def create_agency(
    rt: Runtime, principal: Principal, code: str, name: str, commission_ppm: int = 0
) -> AgencyView:
    """Create an outside collection agency (委外机构); commission in parts per million of what it collects."""
    require(principal, Permission.USERS_MANAGE)
    code, name = (code or "").strip().upper(), " ".join((name or "").split())
    problems = []
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        problems.append(FieldProblem(0, "code", code[:60], "1-32 letters, digits, '-', '_'"))
    if not 1 <= len(name) <= 128:
        problems.append(FieldProblem(0, "name", name[:60], "1-128 characters"))
    if not 0 <= commission_ppm <= 1_000_000:
        problems.append(FieldProblem(0, "commission_ppm", str(commission_ppm), "0..1000000"))
    if problems:
        raise InputRejected("agency refused", problems)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        if conn.execute(select(agencies.c.id).where(agencies.c.code == code)).first() is not None:
            raise Conflict(f"agency {code!r} exists")
        new_id = conn.execute(agencies.insert().values(
            code=code, name=name, commission_ppm=commission_ppm, created_at=now).returning(agencies.c.id)
        ).scalar_one()
        audit.record(conn, principal, "agency.create", "agency", new_id,
                     {"code": code, "name": name, "commission_ppm": commission_ppm}, now)
    return AgencyView(int(new_id), code, name, commission_ppm, True, 0)


def list_agencies(rt: Runtime, principal: Principal) -> list[AgencyView]:
    """Every agency with its number of active members."""
    require(principal, Permission.USERS_MANAGE)
    with rt.engine.connect() as conn:
        return [AgencyView(r.id, r.code, r.name, r.commission_ppm, bool(r.active), int(r.members))
                for r in agency_rows(conn)]
