"""The authorization matrix over EVERY route of create_app() (routes added later are covered automatically).

- every /api route demands a user (`requires(...)` or `get_principal`) unless marked `public`;
- without credentials: the API answers 401, pages send the browser to /login;
- for every role, a route whose dependency carries `.permission` answers 403 exactly when the role lacks it;
- another team's or agency's debtor fetched by id is 404 (existence is not revealed);
- a state-changing request authenticated by the session cookie needs the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from arrears.core.access import ROLE_PERMISSIONS, Permission, Role
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE
from arrears.users.store import audit_log, web_sessions
from tests.authkit import bearer, dependency_calls, iter_routes, make_agency, make_team, make_user, session
from tests.e2e.conftest import Seeded, build_app

PUBLIC_PATHS = {"/docs", "/healthz", "/openapi.json", "/login"}
MISSING_ID = "987654321"


@dataclass
class World:
    """The seeded app, two teams, two agencies and who is where."""

    app: FastAPI
    rt: Runtime
    seeded: Seeded
    team_a: int
    team_b: int
    agency_x: int
    agency_y: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Zhang's case in team A, the company's in team B; Wang's account placed with agency X, Xss's with Y."""
    app, seeded, _ = build_app(Path(tmp_path_factory.mktemp("matrix")))
    assert seeded is not None
    rt: Runtime = app.state.runtime
    team_a, team_b = make_team(rt, "Team A"), make_team(rt, "Team B")
    agency_x, agency_y = make_agency(rt, "AGX"), make_agency(rt, "AGY")
    with rt.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.debtor_id == seeded.zhang).values(team_id=team_a))
        conn.execute(update(cases).where(cases.c.debtor_id == seeded.company).values(team_id=team_b))
        conn.execute(update(accounts).where(accounts.c.debtor_id == seeded.wang).values(agency_id=agency_x))
        conn.execute(update(accounts).where(accounts.c.debtor_id == seeded.xss).values(agency_id=agency_y))
    return World(app, rt, seeded, team_a, team_b, agency_x, agency_y)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    """A client without credentials that reports server errors as responses."""
    with TestClient(world.app, raise_server_exceptions=False) as c:
        yield c


def _scope(world: World, role: Role) -> dict[str, int]:
    if role in (Role.COLLECTOR, Role.TEAM_LEAD):
        return {"team_id": world.team_a}
    return {"agency_id": world.agency_x} if role is Role.AGENCY_USER else {}


def _routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    """(method, path, route) for every route; HEAD is implied by GET."""
    found = []
    for path, route in iter_routes(list(app.routes)):
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, path, route))
    return found


def _url(path: str, route: Any) -> str:
    """The path with its parameters filled by values that exist nowhere (ints) or mean nothing (text)."""
    for param in route.dependant.path_params:
        value = MISSING_ID if param.field_info.annotation is int else "nope"
        path = path.replace("{" + param.name + "}", value).replace("{" + param.name + ":path}", value)
    return path


def _marks(route: Any) -> tuple[set[Permission], bool, bool]:
    """The permissions a route demands, whether any user will do, whether it is public."""
    calls = dependency_calls(route.dependant)
    perms = {c.permission for c in calls if getattr(c, "permission", None) is not None}
    any_user = any(getattr(c, "__name__", "") == "get_principal" for c in calls)
    return perms, any_user, any(getattr(c, "public", False) for c in calls)


def _call(client: TestClient, method: str, url: str, headers: dict[str, str] | None = None) -> Any:
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, url, json=body, headers=headers or {}, follow_redirects=False)


def test_the_app_has_routes_to_check(world: World) -> None:
    routes = _routes(world.app)
    assert len(routes) > 50
    assert {("GET", "/api/v1/debtors"), ("POST", "/api/v1/auth/token"), ("GET", "/admin/users")} <= {
        (m, p) for m, p, _ in routes}


def test_every_api_route_demands_a_user_unless_marked_public(world: World) -> None:
    unguarded = []
    for method, path, route in _routes(world.app):
        perms, any_user, public = _marks(route)
        if path.startswith("/api/") and not (perms or any_user or public):
            unguarded.append(f"{method} {path}")
    assert unguarded == [], "API routes without requires(...)/get_principal/public: " + ", ".join(unguarded)


def test_without_credentials_the_api_is_401_and_pages_go_to_login(world: World, client: TestClient) -> None:
    wrong = []
    for method, path, route in _routes(world.app):
        _, _, public = _marks(route)
        if public or path in PUBLIC_PATHS:
            continue
        response = _call(client, method, _url(path, route))
        if path.startswith("/api/"):
            challenge = response.headers.get("www-authenticate", "")
            ok = response.status_code == 401 and challenge.startswith("Bearer")
        else:
            target = response.headers.get("location", "")
            if response.status_code in (302, 303, 307) and not target.startswith("/login"):
                target = client.get(target, follow_redirects=True).url.path  # e.g. a plain redirect first
            ok = response.status_code in (302, 303, 307) and urlsplit(target).path == "/login"
        if not ok:
            wrong.append(f"{method} {path} -> {response.status_code} {response.headers.get('location', '')}")
    assert wrong == [], "\n".join(wrong)


def test_a_bad_or_foreign_authorization_header_is_401(world: World, client: TestClient) -> None:
    for headers in ({"Authorization": "Bearer nonsense"}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        assert client.get("/api/v1/debtors", headers=headers).status_code == 401
    client.cookies.set(SESSION_COOKIE, "forged")
    assert client.get("/api/v1/debtors").status_code == 401
    assert client.get("/debtors", follow_redirects=False).headers["location"] == "/login?next=/debtors"


@pytest.mark.parametrize("role", list(Role))
def test_403_exactly_when_the_role_lacks_the_permission(world: World, client: TestClient, role: Role) -> None:
    user = make_user(world.rt, role, **_scope(world, role))
    granted = ROLE_PERMISSIONS[role]
    wrong, tally = [], {True: 0, False: 0}
    for method, path, route in _routes(world.app):
        perms, any_user, public = _marks(route)
        if public or path in PUBLIC_PATHS or not (perms or any_user):
            continue
        response = _call(client, method, _url(path, route), bearer(world.rt, user))
        refused = response.status_code == 403
        should_refuse = not perms <= granted
        tally[should_refuse] += 1
        if refused != should_refuse or response.status_code == 401:
            needed = ", ".join(sorted(p.value for p in perms)) or "any user"
            wrong.append(f"{method} {path} needs {needed}: {response.status_code} {response.text[:120]}")
    assert wrong == [], f"{role.value}:\n" + "\n".join(wrong)
    assert tally[False] >= 10 and (tally[True] >= 5 or role is Role.ADMINISTRATOR), tally


@pytest.mark.parametrize(("role", "visible", "hidden"), [
    (Role.COLLECTOR, "zhang", ("company", "wang", "li")),
    (Role.TEAM_LEAD, "zhang", ("company", "xss")),
    (Role.AGENCY_USER, "wang", ("zhang", "xss", "company")),
])
def test_another_teams_or_agencys_debtor_by_id_is_404(world: World, client: TestClient, role: Role,
                                                      visible: str, hidden: tuple[str, ...]) -> None:
    headers = bearer(world.rt, make_user(world.rt, role, **_scope(world, role)))
    ids = {name: getattr(world.seeded, name) for name in (visible, *hidden)}
    own = ids[visible]
    assert client.get(f"/api/v1/debtors/{own}", headers=headers).status_code == 200
    assert client.get(f"/debtors/{own}", headers=headers).status_code == 200
    listed = client.get("/api/v1/debtors", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [own]
    for name in hidden:
        other = ids[name]
        for url in (f"/api/v1/debtors/{other}", f"/debtors/{other}", f"/api/v1/debtors/{other}/holds",
                    f"/api/v1/debtors/{other}/notes"):
            assert client.get(url, headers=headers).status_code == 404, (name, url)
        note = client.post("/api/v1/notes", json={"debtor_id": other, "text": "hello"}, headers=headers)
        assert note.status_code == 404, (name, note.text)
        hold = client.post(f"/api/v1/debtors/{other}/holds", headers=headers,
                           json={"kind": "dispute", "reason": "says the fee is wrong"})
        assert hold.status_code == 404, (name, hold.text)
        check = client.post("/api/v1/compliance/check", json={"debtor_id": other, "channel": "call"},
                            headers=headers)
        assert check.status_code == 404, (name, check.text)


def test_an_agency_sees_only_its_placed_accounts_even_of_a_shared_debtor(world: World,
                                                                        client: TestClient) -> None:
    headers = bearer(world.rt, make_user(world.rt, Role.AGENCY_USER, agency_id=world.agency_x))
    summary = client.get("/api/v1/portfolio/summary", headers=headers).json()
    assert (summary["debtors"], summary["accounts"]) == (1, 1) and summary["recent_imports"] == []
    assert client.get("/api/v1/accounts/CL-0005", headers=headers).status_code == 200
    for other in ("CC-0001", "CC-0004", "BR-0003"):
        assert client.get(f"/api/v1/accounts/{other}", headers=headers).status_code == 404
    lead = bearer(world.rt, make_user(world.rt, Role.TEAM_LEAD, team_id=world.team_a))
    assert client.get("/api/v1/accounts/CC-0001", headers=lead).status_code == 200
    assert client.get("/api/v1/accounts/BR-0003", headers=lead).status_code == 404
    manager = bearer(world.rt, make_user(world.rt, Role.MANAGER))
    assert client.get("/api/v1/portfolio/summary", headers=manager).json()["debtors"] == 5


def _hold(client: TestClient, world: World, headers: dict[str, str] | None = None, **extra: Any) -> Any:
    return client.post(f"/api/v1/debtors/{world.seeded.zhang}/holds", headers=headers or {},
                       json={"kind": "dispute", "reason": "disputes the late fee"}, **extra)


def test_csrf_for_cookie_sessions(world: World, client: TestClient) -> None:
    lead = make_user(world.rt, Role.TEAM_LEAD, team_id=world.team_a)
    csrf = session(world.rt, client, lead)
    assert client.get(f"/api/v1/debtors/{world.seeded.zhang}").status_code == 200  # reading needs no token
    missing = _hold(client, world)
    assert missing.status_code == 403 and missing.json()["error"] == "CsrfRejected"
    assert _hold(client, world, {"X-CSRF-Token": csrf + "x"}).status_code == 403
    assert _hold(client, world, {"X-CSRF-Token": csrf}).status_code == 201
    page = client.get("/")
    assert f'<meta name="csrf-token" content="{csrf}">' in page.text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page.text
    with world.rt.engine.connect() as conn:
        holds = conn.execute(select(audit_log.c.action, audit_log.c.actor)
                             .where(audit_log.c.action == "hold.set")).all()
    assert holds == [("hold.set", lead.username)]  # only the request with the token did anything


def test_csrf_on_page_forms_and_logout(world: World, client: TestClient) -> None:
    admin = make_user(world.rt, Role.ADMINISTRATOR)
    csrf = session(world.rt, client, admin)
    form = {"username": "csrf.victim", "role": "manager", "password": "Sturdy-pass-42"}
    refused = client.post("/admin/users", data=form)
    assert refused.status_code == 403 and "<html" in refused.text
    created = client.post("/admin/users", data={**form, "csrf_token": csrf})
    assert created.status_code == 201 and "csrf.victim" in created.text
    assert client.post("/logout").status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    with world.rt.engine.connect() as conn:
        ended = conn.execute(select(web_sessions.c.ended_at).where(web_sessions.c.user_id == admin.user_id))
        assert ended.scalar() is not None
    assert client.get("/admin/users", follow_redirects=False).status_code == 303


def test_bearer_requests_need_no_csrf_token(world: World, client: TestClient) -> None:
    headers = bearer(world.rt, make_user(world.rt, Role.COMPLIANCE_OFFICER))
    response = _hold(client, world, headers)
    assert response.status_code == 201
    lifted = client.post(f"/api/v1/holds/{response.json()['id']}/lift", headers=headers,
                         json={"reason": "fee explained"})
    assert lifted.status_code == 200 and lifted.json()["lifted_by"].startswith("compliance_officer-")
