"""Test helpers: teams, agencies and users with a role; bearer headers, page sessions and logins for them."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from arrears.core.access import Principal, Role
from arrears.runtime import Runtime
from arrears.users.passwords import use_parameters
from arrears.users.principals import SESSION_COOKIE, issue_api_token, principal_from_row, token_digest
from arrears.users.rules import session_deadline
from arrears.users.store import agencies, teams, users, web_sessions

PASSWORD = "Test-password-2026"  # passes the policy

# Tests hash with cheap Argon2 parameters: the production ones (64 MiB, t=3) take about a second per hash
# on a loaded two-core CI machine, and the lockout tests hash dozens of times.
use_parameters(time_cost=1, memory_cost=8192, parallelism=1)


def make_team(rt: Runtime, name: str | None = None) -> int:
    """Create a team; returns its id."""
    with rt.engine.begin() as conn:
        result = conn.execute(teams.insert().values(name=name or f"team-{uuid.uuid4().hex[:6]}",
                                                    created_at=rt.clock.now()))
        return int(result.inserted_primary_key[0])


def make_agency(rt: Runtime, code: str | None = None) -> int:
    """Create an agency; returns its id."""
    code = code or f"AG{uuid.uuid4().hex[:6]}"
    with rt.engine.begin() as conn:
        result = conn.execute(agencies.insert().values(code=code, name=f"Agency {code}",
                                                       created_at=rt.clock.now()))
        return int(result.inserted_primary_key[0])


def make_user(rt: Runtime, role: Role | str, *, username: str | None = None, team_id: int | None = None,
              agency_id: int | None = None, password: str | None = None, **columns: object) -> Principal:
    """Create an active user with the role (no password unless given); returns its Principal."""
    role = Role(role)
    name = username or f"{role.value}-{uuid.uuid4().hex[:6]}"
    now = rt.clock.now()
    if password is not None:
        from arrears.users.passwords import hash_password

        columns = {**columns, "password_hash": hash_password(password), "password_changed_at": now}
    display = columns.pop("display_name", name.title())
    with rt.engine.begin() as conn:
        result = conn.execute(users.insert().values(
            username=name, display_name=display, role=role.value, team_id=team_id, agency_id=agency_id,
            created_at=now, updated_at=now, **columns,
        ))
        row = conn.execute(select(users).where(users.c.id == result.inserted_primary_key[0])).one()
    return principal_from_row(row)


def bearer(rt: Runtime, principal: Principal) -> dict[str, str]:
    """Authorization headers carrying a fresh token for the principal."""
    assert principal.user_id is not None
    with rt.engine.begin() as conn:
        token = issue_api_token(conn, principal.user_id, rt.clock.now(), label="test")
    return {"Authorization": f"Bearer {token}"}


def auth_headers(rt: Runtime, role: Role | str = Role.ADMINISTRATOR, **kwargs: object) -> dict[str, str]:
    """Create a user with the role and return bearer headers for it."""
    return bearer(rt, make_user(rt, role, **kwargs))  # type: ignore[arg-type]


def session(rt: Runtime, client: Any, principal: Principal) -> str:
    """Open a page session for the principal directly (as a login would) and put its cookie on the client;
    returns the session's CSRF token."""
    assert principal.user_id is not None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        conn.execute(web_sessions.insert().values(
            user_id=principal.user_id, token_hash=token_digest(token), csrf_token=csrf, created_at=now,
            expires_at=session_deadline(now, now)))
    client.cookies.set(SESSION_COOKIE, token)
    return csrf


_LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
_PAGE_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def login(client: Any, username: str, password: str = PASSWORD, next_url: str = "/") -> Any:
    """Log in through the /login form (GET for its token, then POST); returns the POST's response."""
    form = client.get("/login")
    token = _LOGIN_CSRF.search(form.text)
    assert token, form.text[:500]
    return client.post("/login", data={"username": username, "password": password, "next": next_url,
                                       "login_csrf": token.group(1)}, follow_redirects=False)


def page_csrf(html: str) -> str:
    """The session's CSRF token a page carries (meta tag, htmx header, hidden fields)."""
    found = _PAGE_CSRF.search(html)
    assert found, "no csrf-token meta tag on the page"
    return found.group(1)


def iter_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every APIRoute of an app with its full path (FastAPI may keep included routers lazily)."""
    from fastapi.routing import APIRoute

    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):
            yield from iter_routes(route.original_router.routes, prefix + route.include_context.prefix)


def dependency_calls(dependant: Any) -> list[Any]:
    """Every dependency callable of a route, depth first."""
    found: list[Any] = []
    for dep in dependant.dependencies:
        found.append(dep.call)
        found.extend(dependency_calls(dep))
    return found
