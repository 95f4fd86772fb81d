"""Login, logout, cookies, tokens and the user administration page over HTTP on the full app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from arrears.core.access import Role
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE
from arrears.users.rules import IP_MAX_FAILURES
from arrears.users.store import audit_log, users
from tests.authkit import PASSWORD, bearer, login, make_team, make_user, page_csrf, session
from tests.e2e.conftest import build_app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The seeded app with a manager and an administrator who have passwords."""
    built, _, _ = build_app(Path(tmp_path_factory.mktemp("users-http")))
    rt = built.state.runtime
    make_user(rt, Role.MANAGER, username="wang", password=PASSWORD, display_name="王经理")
    make_user(rt, Role.ADMINISTRATOR, username="root", password=PASSWORD)
    return built


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A browser-like client without a session."""
    with TestClient(app) as c:
        yield c


def _rt(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


def test_a_page_without_a_session_goes_to_login_and_back_after_it(client: TestClient) -> None:
    first = client.get("/debtors?bucket=M2", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/login?next=/debtors%3Fbucket%3DM2"
    form = client.get(first.headers["location"])
    assert form.status_code == 200 and 'name="next" value="/debtors?bucket=M2"' in form.text
    assert form.headers["cache-control"] == "no-store"
    done = login(client, "wang", next_url="/debtors?bucket=M2")
    assert done.status_code == 303 and done.headers["location"] == "/debtors?bucket=M2"
    cookie = done.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain HTTP here
    page = client.get("/debtors?bucket=M2")
    assert page.status_code == 200 and "王经理" in page.text and 'action="/logout"' in page.text
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"  # already logged in


def test_the_cookie_is_secure_behind_an_https_proxy(client: TestClient) -> None:
    form = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token is not None
    form_data = {"username": "wang", "password": PASSWORD, "login_csrf": token.group(1)}
    proxy = {"X-Forwarded-Proto": "https"}
    done = client.post("/login", data=form_data, headers=proxy, follow_redirects=False)
    assert done.status_code == 303 and "Secure" in done.headers["set-cookie"]


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_next_never_leaves_the_site(client: TestClient, target: str) -> None:
    assert login(client, "wang", next_url=target).headers["location"] == "/"


def test_the_login_form_needs_its_own_token(client: TestClient) -> None:
    forged = client.post("/login", data={"username": "wang", "password": PASSWORD, "login_csrf": "forged"})
    assert forged.status_code == 403 and SESSION_COOKIE not in forged.headers.get("set-cookie", "")
    again = client.post("/login?lang=en", data={"username": "wang", "password": PASSWORD, "login_csrf": "x"})
    assert "The login form expired. Please try again." in again.text


def test_wrong_password_and_lockout_messages_in_both_languages(app: FastAPI, client: TestClient) -> None:
    make_user(_rt(app), Role.MANAGER, username="zhou", password=PASSWORD)
    client.cookies.set("lang", "en")
    wrong = login(client, "zhou", "Wrong-pass-123")
    assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
    assert 'value="zhou"' in wrong.text and "Wrong-pass-123" not in wrong.text
    for _ in range(3):
        login(client, "zhou", "Wrong-pass-123")
    locked = login(client, "zhou", "Wrong-pass-123")
    assert locked.status_code == 401 and "this account is locked until" in locked.text
    client.cookies.set("lang", "zh-CN")
    still = login(client, "zhou", PASSWORD)
    assert still.status_code == 401 and "登录失败次数过多" in still.text


def test_htmx_requests_without_a_session_get_hx_redirect(client: TestClient) -> None:
    response = client.get("/debtors?q=1", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://testserver/debtors?q=1"})
    assert response.status_code == 401 and response.headers["hx-redirect"] == "/login?next=/debtors%3Fq%3D1"


def test_a_role_without_the_permission_gets_a_403_page(app: FastAPI, client: TestClient) -> None:
    rt = _rt(app)
    session(rt, client, make_user(rt, Role.COLLECTOR, team_id=make_team(rt)))
    page = client.get("/admin/users?lang=en")
    assert page.status_code == 403 and "Your role does not allow this page" in page.text
    assert 'href="/admin/users"' not in page.text  # no nav link to it either


def test_token_login_me_and_revoke(client: TestClient) -> None:
    issued = client.post("/api/v1/auth/token",
                         json={"username": "WANG", "password": PASSWORD, "label": "cli"})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["token_type"] == "bearer" and body["role"] == "manager"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/v1/auth/me", headers=headers).json()
    assert me["username"] == "wang" and "portfolio.import" in me["permissions"]
    assert "users.manage" not in me["permissions"]
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    bad = client.post("/api/v1/auth/token", json={"username": "wang", "password": "Wrong-pass-123"})
    assert bad.status_code == 401 and bad.json()["error"] == "LoginRefused"
    assert client.post("/api/v1/auth/token", json={"username": "wang"}).status_code == 422


def test_too_many_failures_from_one_address_is_429_with_retry_after(app: FastAPI) -> None:
    with TestClient(app, client=("203.0.113.9", 5000)) as c:
        for n in range(IP_MAX_FAILURES):
            c.post("/api/v1/auth/token", json={"username": f"probe{n}", "password": "Wrong-pass-123"})
        refused = c.post("/api/v1/auth/token", json={"username": "wang", "password": PASSWORD})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        page = login(c, "wang")
        assert page.status_code == 429
    with TestClient(app, client=("203.0.113.10", 5000)) as other:
        fine = other.post("/api/v1/auth/token", json={"username": "wang", "password": PASSWORD})
        assert fine.status_code == 201


def test_administrators_add_deactivate_and_unlock_users_on_the_page(app: FastAPI, client: TestClient) -> None:
    rt = _rt(app)
    team = make_team(rt, "Page team")
    assert login(client, "root").status_code == 303
    page = client.get("/admin/users?lang=en")
    assert page.status_code == 200 and "Add a user" in page.text and "Page team" in page.text
    csrf = page_csrf(page.text)
    weak = client.post("/admin/users", data={"username": "new.one", "role": "collector", "team_id": str(team),
                                             "password": "password123", "csrf_token": csrf})
    assert weak.status_code == 422 and "is one of the most commonly used passwords" in weak.text
    no_team = client.post("/admin/users?lang=zh-CN", data={"username": "new.one", "role": "collector",
                                                "password": "Sturdy-pass-42", "csrf_token": csrf})
    assert no_team.status_code == 422 and "催收员必须属于一个团队" in no_team.text
    made = client.post("/admin/users", data={"username": "new.one", "role": "collector", "team_id": str(team),
                                             "password": "Sturdy-pass-42", "csrf_token": csrf})
    assert made.status_code == 201 and "已创建用户 new.one" in made.text
    with rt.engine.connect() as conn:
        new_id = conn.execute(select(users.c.id).where(users.c.username == "new.one")).scalar_one()
    gone = client.post(f"/admin/users/{new_id}/deactivate", data={"csrf_token": csrf})
    assert gone.status_code == 200 and "已停用用户 new.one" in gone.text
    with TestClient(app) as other:
        assert login(other, "new.one", "Sturdy-pass-42").status_code == 401
    back = client.post(f"/admin/users/{new_id}/activate", data={"csrf_token": csrf})
    assert back.status_code == 200
    with TestClient(app) as other:
        for _ in range(5):
            login(other, "new.one", "Wrong-pass-123")
        assert login(other, "new.one", "Sturdy-pass-42").status_code == 401
        listing = client.get("/admin/users").text
        assert f'action="/admin/users/{new_id}/unlock"' in listing
        assert client.post(f"/admin/users/{new_id}/unlock", data={"csrf_token": csrf}).status_code == 200
        assert login(other, "new.one", "Sturdy-pass-42").status_code == 303
    with rt.engine.connect() as conn:
        actions = list(conn.execute(select(audit_log.c.action).where(audit_log.c.entity_id == str(new_id))
                                    .order_by(audit_log.c.seq)).scalars())
    assert actions == ["user.create", "user.deactivate", "user.activate", "user.unlock"]


def test_users_change_their_own_password(app: FastAPI, client: TestClient) -> None:
    make_user(_rt(app), Role.COMPLIANCE_OFFICER, username="chen", password=PASSWORD)
    login(client, "chen")
    form = client.get("/account/password?lang=en")
    csrf = page_csrf(form.text)
    differ = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "Aa-111111111", "repeat_password": "Aa-222222222",
        "csrf_token": csrf})
    assert differ.status_code == 422 and "The two new passwords differ." in differ.text
    done = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "Kestrel-new-pass-8",
        "repeat_password": "Kestrel-new-pass-8", "csrf_token": csrf})
    assert done.status_code == 200 and "Your password was changed." in done.text
    with TestClient(app) as other:
        assert login(other, "chen", "Kestrel-new-pass-8").status_code == 303


def test_user_administration_api(app: FastAPI, client: TestClient) -> None:
    rt = _rt(app)
    admin = bearer(rt, make_user(rt, Role.ADMINISTRATOR))
    team = client.post("/api/v1/teams", json={"name": "API team"}, headers=admin).json()
    agency = client.post("/api/v1/agencies", json={"code": "api-ag", "name": "API Agency"},
                         headers=admin).json()
    created = client.post("/api/v1/users", headers=admin, json={
        "username": "api.agent", "role": "agency_user", "agency_id": agency["id"],
        "password": "Api-agent-pass-1"})
    assert created.status_code == 201, created.text
    user = created.json()
    assert user["agency"] == "API Agency" and "password" not in user and "password_hash" not in user
    moved = client.put(f"/api/v1/users/{user['id']}/role", headers=admin,
                       json={"role": "collector", "team_id": team["id"]})
    assert moved.status_code == 200 and moved.json()["team"] == "API team"
    assert client.post(f"/api/v1/users/{user['id']}/password", headers=admin,
                       json={"password": "short"}).status_code == 422
    assert client.post(f"/api/v1/users/{user['id']}/password", headers=admin,
                       json={"password": "Api-agent-pass-2"}).status_code == 204
    patched = client.patch(f"/api/v1/users/{user['id']}", headers=admin,
                           json={"capacity": 300, "languages": "zh-CN,en", "absent_until": "2026-04-03"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["capacity"], patched.json()["absent_until"]) == (300, "2026-04-03")
    for junk in ({}, {"capacity": -1}, {"password_hash": "x"}):
        assert client.patch(f"/api/v1/users/{user['id']}", headers=admin, json=junk).status_code == 422
    assert client.get("/api/v1/users/987654", headers=admin).status_code == 404
    listed = {u["username"] for u in client.get("/api/v1/users", headers=admin).json()}
    assert {"api.agent", "wang", "root"} <= listed
