"""Logging in and out: page sessions with their CSRF token, API bearer tokens, and resolving a request.

Every login attempt is written to `login_attempts` (also the refused ones: that row commits even
though the login fails), and the lockout and the per-address rate limit are computed from those rows
(users.rules), so every worker and host of the app agrees. The same refusal message is given for an
unknown username, a wrong password and a deactivated account.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.engine import Connection, Row

from arrears.core.access import Principal
from arrears.core.errors import ArrearsError
from arrears.runtime import Runtime
from arrears.users import audit
from arrears.users.model import (
    AccountLocked,
    Attempt,
    Authenticated,
    IssuedToken,
    LoginRefused,
    Outcome,
    Session,
    TooManyAttempts,
)
from arrears.users.passwords import hash_password, needs_rehash, verify_password
from arrears.users.principals import (
    issue_api_token,
    principal_for_token,
    principal_from_row,
    token_digest,
    token_holder,
)
from arrears.users.rules import (
    API_TOKEN_LIFETIME,
    HISTORY,
    IP_WINDOW,
    MAX_PASSWORD,
    SESSION_TOUCH,
    address_blocked_until,
    failures_in_streak,
    locked_until,
    needs_touch,
    normalise_username,
    session_deadline,
)
from arrears.users.store import (
    add_attempt,
    address_failures,
    api_tokens,
    login_history,
    user_row,
    users,
    web_sessions,
)

REFUSED = "wrong username or password"


def _check(conn: Connection, rt: Runtime, username: str, password: str, client_ip: str,
           channel: str) -> tuple[Row | None, ArrearsError | None]:
    """Apply the rate limit and the lockout, verify the password, record the attempt."""
    now = rt.clock.now()
    blocked = address_blocked_until(address_failures(conn, client_ip, now - IP_WINDOW), now)
    if blocked is not None:
        add_attempt(conn, username, client_ip, now, Outcome.RATE_LIMITED, None, channel)
        return None, TooManyAttempts(blocked)
    history = login_history(conn, username, now - HISTORY)
    until = locked_until(history, now)
    row = user_row(conn, username=username) if username else None
    user_id = row.id if row is not None else None
    if until is not None:
        add_attempt(conn, username, client_ip, now, Outcome.LOCKED, user_id, channel)
        return None, AccountLocked(until)
    matches = verify_password(row.password_hash if row is not None else None, password[:MAX_PASSWORD])
    if row is None:
        outcome = Outcome.UNKNOWN_USER
    elif not row.active:
        outcome = Outcome.INACTIVE
    else:
        outcome = Outcome.SUCCESS if matches else Outcome.BAD_PASSWORD
    add_attempt(conn, username, client_ip, now, outcome, user_id, channel)
    history.append(Attempt(now, outcome))
    if outcome is Outcome.SUCCESS:
        assert row is not None
        changes: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if needs_rehash(row.password_hash):
            changes["password_hash"] = hash_password(password)
        conn.execute(users.update().where(users.c.id == row.id).values(**changes))
        return row, None
    until = locked_until(history, now)
    if row is not None:
        conn.execute(users.update().where(users.c.id == row.id).values(
            failed_logins=failures_in_streak(history, now), locked_until=until))
    return None, AccountLocked(until) if until is not None else LoginRefused(REFUSED)


def _verified(rt: Runtime, username: str, password: str, client_ip: str, channel: str,
              then: str, label: str = "") -> Session | IssuedToken:
    name = normalise_username(username)[:64]
    with rt.engine.begin() as conn:
        row, error = _check(conn, rt, name, password or "", client_ip, channel)
        if error is None:
            assert row is not None
            return _open_session(conn, rt, row) if then == "session" else _issue(
                conn, rt, principal_from_row(row), label or "api login", rt.clock.now() + API_TOKEN_LIFETIME)
    assert error is not None
    raise error  # after the commit: the refused attempt stays recorded


def login(rt: Runtime, username: str, password: str, client_ip: str) -> Session:
    """Check the password and open a page session (cookie token + CSRF token, shown once)."""
    result = _verified(rt, username, password, client_ip, "page", "session")
    assert isinstance(result, Session)
    return result


def token_login(rt: Runtime, username: str, password: str, client_ip: str, label: str = "") -> IssuedToken:
    """Check the password and issue an API bearer token valid for 30 days (shown once)."""
    result = _verified(rt, username, password, client_ip, "api", "token", label)
    assert isinstance(result, IssuedToken)
    return result


def _open_session(conn: Connection, rt: Runtime, row: Row) -> Session:
    now = rt.clock.now()
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = session_deadline(now, now)
    conn.execute(web_sessions.insert().values(
        user_id=row.id, token_hash=token_digest(token), csrf_token=csrf, created_at=now, expires_at=expires))
    return Session(token=token, csrf_token=csrf, expires_at=expires, principal=principal_from_row(row))


def _issue(conn: Connection, rt: Runtime, principal: Principal, label: str,
           expires_at: datetime | None) -> IssuedToken:
    assert principal.user_id is not None
    token = issue_api_token(conn, principal.user_id, rt.clock.now(), label[:64], expires_at)
    token_id = conn.execute(select(api_tokens.c.id).where(api_tokens.c.token_hash == token_digest(token))
                            ).scalar_one()
    audit.record(conn, principal, "token.issue", "user", principal.user_id,
                 {"token_id": int(token_id), "label": label[:64],
                  "expires_at": expires_at.isoformat() if expires_at else None}, rt.clock.now())
    return IssuedToken(id=int(token_id), token=token, expires_at=expires_at, principal=principal)


def issue_token(rt: Runtime, principal: Principal, label: str = "", days: int | None = None) -> IssuedToken:
    """Issue a bearer token for the principal's own user (CLI `arrears users token`); None days: no expiry."""
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        return _issue(conn, rt, principal, label or "issued", now + timedelta(days=days) if days else None)


def logout(rt: Runtime, cookie: str) -> bool:
    """End the page session behind a cookie; True when there was a live one."""
    with rt.engine.begin() as conn:
        ended = conn.execute(web_sessions.update().where(
            web_sessions.c.token_hash == token_digest(cookie), web_sessions.c.ended_at.is_(None),
        ).values(ended_at=rt.clock.now()))
    return bool(ended.rowcount)


def revoke_presented_token(rt: Runtime, token: str) -> bool:
    """Revoke the bearer token a request presented (the API's logout); True when it was live."""
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        principal = principal_for_token(conn, token, now)
        if principal is None:
            return False
        row = conn.execute(
            select(api_tokens.c.id).where(api_tokens.c.token_hash == token_digest(token))).one()
        conn.execute(api_tokens.update().where(api_tokens.c.id == row.id).values(revoked_at=now))
        audit.record(conn, principal, "token.revoke", "user", principal.user_id, {"token_id": int(row.id)},
                     now)
    return True


def authenticate(
    rt: Runtime, *, bearer: str | None = None, cookie: str | None = None
) -> Authenticated | None:
    """The user behind a bearer token or a session cookie (sliding the session's idle deadline)."""
    now = rt.clock.now()
    if bearer is not None:
        # one query per request, outside a transaction (no BEGIN/ROLLBACK round trips); no password hashing
        with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            held = token_holder(conn, bearer, now)
        if held is None:
            return None
        principal, token_id, last_used = held
        if last_used is None or last_used < now - SESSION_TOUCH:
            with rt.engine.begin() as conn:
                conn.execute(api_tokens.update().where(api_tokens.c.id == token_id).values(last_used_at=now))
        return Authenticated(principal, "token")
    if not cookie:
        return None
    with rt.engine.connect() as conn:
        row = conn.execute(
            select(users, web_sessions.c.id.label("session_id"), web_sessions.c.csrf_token,
                   web_sessions.c.created_at.label("session_created"),
                   web_sessions.c.expires_at.label("session_expires"))
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(and_(web_sessions.c.token_hash == token_digest(cookie), web_sessions.c.ended_at.is_(None),
                        web_sessions.c.expires_at > now, users.c.active.is_(True)))
        ).first()
    if row is None or session_deadline(row.session_created, now) <= now:
        return None
    if needs_touch(row.session_expires, row.session_created, now):
        with rt.engine.begin() as conn:
            conn.execute(web_sessions.update().where(web_sessions.c.id == row.session_id)
                         .values(expires_at=session_deadline(row.session_created, now)))
    return Authenticated(principal_from_row(row), "session", row.csrf_token)
