"""Logins, lockout, the per-address limit, sessions and tokens, all kept in the database (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.runtime import Runtime
from arrears.users import login as logins
from arrears.users import service
from arrears.users.model import AccountLocked, LoginRefused, TooManyAttempts
from arrears.users.rules import IP_MAX_FAILURES, SESSION_IDLE, SESSION_MAX
from arrears.users.store import api_tokens, audit_log, login_attempts, users, web_sessions
from tests.authkit import PASSWORD, make_team, make_user

IP = "10.0.0.7"


def _outcomes(rt: Runtime, username: str) -> list[str]:
    with rt.engine.connect() as conn:
        return list(conn.execute(select(login_attempts.c.outcome).where(login_attempts.c.username == username)
                                 .order_by(login_attempts.c.id)).scalars())


def _user(rt: Runtime, name: str = "li.wei", role: Role = Role.COLLECTOR) -> int:
    team = make_team(rt) if role in (Role.COLLECTOR, Role.TEAM_LEAD) else None
    principal = make_user(rt, role, username=name, team_id=team, password=PASSWORD)
    assert principal.user_id is not None
    return principal.user_id


def test_login_opens_a_session_and_only_digests_are_stored(runtime: Runtime) -> None:
    user_id = _user(runtime)
    session = logins.login(runtime, " Li.Wei ", PASSWORD, IP)  # trimmed, case-insensitive
    assert session.principal.user_id == user_id and session.principal.role is Role.COLLECTOR
    assert len(session.token) >= 40 and len(session.csrf_token) >= 40
    assert session.expires_at == runtime.clock.now() + SESSION_IDLE
    with runtime.engine.connect() as conn:
        row = conn.execute(select(web_sessions)).one()
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert row.token_hash != session.token and len(row.token_hash) == 64
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    found = logins.authenticate(runtime, cookie=session.token)
    assert found is not None and found.via == "session" and found.csrf_token == session.csrf_token
    assert _outcomes(runtime, "li.wei") == ["success"]


def test_wrong_password_unknown_user_and_deactivated_user_get_the_same_refusal(runtime: Runtime) -> None:
    user_id = _user(runtime)
    admin = make_user(runtime, Role.ADMINISTRATOR)
    messages = set()
    for name, password in (("li.wei", "Wrong-pass-123"), ("nobody", PASSWORD)):
        with pytest.raises(LoginRefused) as info:
            logins.login(runtime, name, password, IP)
        messages.add(str(info.value))
    service.deactivate(runtime, admin, user_id)
    with pytest.raises(LoginRefused) as info:
        logins.login(runtime, "li.wei", PASSWORD, IP)
    messages.add(str(info.value))
    assert messages == {"wrong username or password"}
    assert _outcomes(runtime, "li.wei") == ["bad_password", "inactive"]
    assert _outcomes(runtime, "nobody") == ["unknown_user"]


def test_five_failures_lock_the_username_for_fifteen_minutes(runtime: Runtime, clock: FixedClock) -> None:
    _user(runtime)
    for _ in range(4):
        with pytest.raises(LoginRefused):
            logins.login(runtime, "li.wei", "Wrong-pass-123", IP)
        clock.advance(timedelta(seconds=30))
    with pytest.raises(AccountLocked) as fifth:
        logins.login(runtime, "li.wei", "Wrong-pass-123", IP)
    assert fifth.value.until == clock.now() + timedelta(minutes=15)
    with pytest.raises(AccountLocked):  # even the right password is refused, without being checked
        logins.login(runtime, "li.wei", PASSWORD, "10.9.9.9")
    with runtime.engine.connect() as conn:
        row = conn.execute(select(users.c.locked_until, users.c.failed_logins)).one()
    assert row.locked_until == fifth.value.until
    clock.advance(timedelta(minutes=15))
    assert logins.login(runtime, "li.wei", PASSWORD, IP).principal.username == "li.wei"
    assert _outcomes(runtime, "li.wei") == ["bad_password"] * 5 + ["locked", "success"]
    with runtime.engine.connect() as conn:
        assert conn.execute(select(users.c.locked_until, users.c.failed_logins)).one() == (None, 0)


def test_unknown_usernames_lock_too_so_the_answer_reveals_nothing(runtime: Runtime) -> None:
    for _ in range(4):
        with pytest.raises(LoginRefused):
            logins.login(runtime, "ghost", "Wrong-pass-123", IP)
    with pytest.raises(AccountLocked):
        logins.login(runtime, "ghost", "Wrong-pass-123", IP)


def test_an_administrator_unlocks(runtime: Runtime) -> None:
    user_id = _user(runtime)
    admin = make_user(runtime, Role.ADMINISTRATOR)
    for _ in range(5):
        with pytest.raises((LoginRefused, AccountLocked)):
            logins.login(runtime, "li.wei", "Wrong-pass-123", IP)
    assert service.unlock(runtime, admin, user_id).locked_until is None
    assert logins.login(runtime, "li.wei", PASSWORD, IP).principal.user_id == user_id
    with runtime.engine.connect() as conn:
        actions = list(conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())
    assert actions == ["user.unlock"]


def test_many_failures_from_one_address_refuse_it(runtime: Runtime, clock: FixedClock) -> None:
    _user(runtime)
    for n in range(IP_MAX_FAILURES):  # different usernames: no single one gets locked
        with pytest.raises(LoginRefused):
            logins.login(runtime, f"probe{n // 4}x", "Wrong-pass-123", IP)
    with pytest.raises(TooManyAttempts):
        logins.login(runtime, "li.wei", PASSWORD, IP)  # refused before the password is looked at
    assert logins.login(runtime, "li.wei", PASSWORD, "10.0.0.8").principal.username == "li.wei"
    clock.advance(timedelta(minutes=15))
    assert logins.login(runtime, "li.wei", PASSWORD, IP).principal.username == "li.wei"


def test_sessions_slide_with_use_expire_when_idle_and_at_the_maximum(runtime: Runtime,
                                                                     clock: FixedClock) -> None:
    _user(runtime)
    session = logins.login(runtime, "li.wei", PASSWORD, IP)
    for _ in range(6):  # used every 110 minutes: never idle for 2 hours
        clock.advance(timedelta(minutes=110))
        assert logins.authenticate(runtime, cookie=session.token) is not None
    clock.advance(timedelta(minutes=110))  # 12 h 50 min after login: past the maximum
    assert logins.authenticate(runtime, cookie=session.token) is None
    idle = logins.login(runtime, "li.wei", PASSWORD, IP)
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    assert logins.authenticate(runtime, cookie=idle.token) is None
    assert SESSION_MAX == timedelta(hours=12)


def test_logout_ends_the_session(runtime: Runtime) -> None:
    _user(runtime)
    session = logins.login(runtime, "li.wei", PASSWORD, IP)
    assert logins.logout(runtime, session.token) is True
    assert logins.authenticate(runtime, cookie=session.token) is None
    assert logins.logout(runtime, session.token) is False


def test_token_login_issue_use_and_revoke(runtime: Runtime, clock: FixedClock) -> None:
    _user(runtime, "dialer.bot", Role.MANAGER)
    issued = logins.token_login(runtime, "dialer.bot", PASSWORD, IP, label="dialer")
    assert issued.expires_at == clock.now() + timedelta(days=30)
    found = logins.authenticate(runtime, bearer=issued.token)
    assert found is not None and found.via == "token" and found.csrf_token is None
    with runtime.engine.connect() as conn:
        row = conn.execute(select(api_tokens)).one()
    assert row.token_hash != issued.token and row.label == "dialer" and row.last_used_at == clock.now()
    assert logins.revoke_presented_token(runtime, issued.token) is True
    assert logins.authenticate(runtime, bearer=issued.token) is None
    with pytest.raises(LoginRefused):
        logins.token_login(runtime, "dialer.bot", "Wrong-pass-123", IP)
    expiring = logins.token_login(runtime, "dialer.bot", PASSWORD, IP)
    clock.advance(timedelta(days=30))
    assert logins.authenticate(runtime, bearer=expiring.token) is None
    with runtime.engine.connect() as conn:
        actions = list(conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars())
    assert actions == ["token.issue", "token.revoke", "token.issue"]
    assert _outcomes(runtime, "dialer.bot") == ["success", "bad_password", "success"]


def test_deactivation_ends_sessions_and_revokes_tokens(runtime: Runtime) -> None:
    user_id = _user(runtime, "lead.one", Role.TEAM_LEAD)
    admin = make_user(runtime, Role.ADMINISTRATOR)
    session = logins.login(runtime, "lead.one", PASSWORD, IP)
    token = logins.token_login(runtime, "lead.one", PASSWORD, IP)
    service.deactivate(runtime, admin, user_id)
    assert logins.authenticate(runtime, cookie=session.token) is None
    assert logins.authenticate(runtime, bearer=token.token) is None
    service.activate(runtime, admin, user_id)
    assert logins.authenticate(runtime, cookie=session.token) is None  # ended, not just hidden
