"""Unmasking over HTTP: POST /api/v1/debtors/{id}/unmask and the debtor page's form; masked by default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from arrears.core.access import Role
from arrears.portfolio.store import cases
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE
from tests.authkit import auth_headers, bearer, make_team, make_user
from tests.e2e.conftest import ID_NUMBERS, PHONES, Seeded, build_app
from tests.security_kit import session_cookie

REASON = {"reason": "debtor asked to confirm the number on file"}


class World:
    """The seeded app; 张伟 is worked by team A, the company by team B."""

    def __init__(self, var_dir: Path) -> None:
        app, seeded, _ = build_app(var_dir)
        assert seeded is not None
        self.app, self.seeded, self.rt = app, seeded, app.state.runtime
        rt: Runtime = self.rt
        self.team_a, self.team_b = make_team(rt), make_team(rt)
        with rt.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.debtor_id == seeded.zhang).values(team_id=self.team_a))
            conn.execute(update(cases).where(cases.c.debtor_id == seeded.company).values(team_id=self.team_b))


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A fresh world per test (unmasking writes audit records)."""
    return World(tmp_path)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    """A client without credentials."""
    with TestClient(world.app) as c:
        yield c


def _audit(client: TestClient, world: World) -> list[dict[str, object]]:
    response = client.get("/api/v1/audit", params={"action": "pii.unmask"},
                          headers=auth_headers(world.rt, Role.ADMINISTRATOR))
    return response.json()["items"]  # type: ignore[no-any-return]


def test_unmask_returns_clear_values_and_is_audited(world: World, client: TestClient) -> None:
    officer = make_user(world.rt, Role.COMPLIANCE_OFFICER, username="chen")
    response = client.post(f"/api/v1/debtors/{world.seeded.zhang}/unmask",
                           json={"fields": ["phone", "identity"], **REASON},
                           headers=bearer(world.rt, officer))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["values"] == {"phone": PHONES["zhang_self"], "identity": ID_NUMBERS["zhang"]}
    [entry] = _audit(client, world)
    assert entry["actor"] == "chen" and entry["seq"] == body["audit_seq"]
    assert entry["details"] == {"fields": ["phone", "identity"], "contact_point_id": None,
                                "reason": REASON["reason"]}
    assert PHONES["zhang_self"][3:] not in str(entry) and ID_NUMBERS["zhang"] not in str(entry)


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.AGENCY_USER, Role.STRATEGY_ANALYST])
def test_roles_without_the_permission_get_403(world: World, client: TestClient, role: Role) -> None:
    headers = auth_headers(world.rt, role, team_id=world.team_a)
    response = client.post(f"/api/v1/debtors/{world.seeded.zhang}/unmask",
                           json={"fields": ["phone"], **REASON}, headers=headers)
    assert response.status_code == 403
    assert _audit(client, world) == []


def test_without_credentials_401(world: World, client: TestClient) -> None:
    response = client.post(f"/api/v1/debtors/{world.seeded.zhang}/unmask",
                           json={"fields": ["phone"], **REASON})
    assert response.status_code == 401


@pytest.mark.parametrize("body", [
    {"fields": ["phone"]}, {"fields": ["phone"], "reason": ""}, {"fields": ["phone"], "reason": "because"},
    {"fields": ["phone"], "reason": "          x"}, {"fields": [], **REASON},
    {"fields": ["salary"], **REASON},
    {"fields": ["phone"], "contact_point_id": 0, **REASON}, {"fields": ["phone"], "extra": 1, **REASON},
])
def test_a_reason_and_known_fields_are_required(world: World, client: TestClient,
                                                body: dict[str, object]) -> None:
    headers = auth_headers(world.rt, Role.TEAM_LEAD, team_id=world.team_a)
    response = client.post(f"/api/v1/debtors/{world.seeded.zhang}/unmask", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert _audit(client, world) == []


def test_outside_the_team_is_404_and_not_recorded(world: World, client: TestClient) -> None:
    headers = auth_headers(world.rt, Role.TEAM_LEAD, team_id=world.team_a)
    for debtor_id in (world.seeded.company, world.seeded.li, 999_999):
        response = client.post(f"/api/v1/debtors/{debtor_id}/unmask", json={"fields": ["phone"], **REASON},
                               headers=headers)
        assert response.status_code == 404, (debtor_id, response.text)
    ok = client.post(f"/api/v1/debtors/{world.seeded.zhang}/unmask", json={"fields": ["phone"], **REASON},
                     headers=headers)
    assert ok.status_code == 200 and len(_audit(client, world)) == 1


def test_the_debtor_page_is_masked_by_default(world: World, client: TestClient) -> None:
    cookie, _ = session_cookie(world.rt, make_user(world.rt, Role.MANAGER))
    client.cookies.set(SESSION_COOKIE, cookie)
    page = client.get(f"/debtors/{world.seeded.zhang}")
    assert page.status_code == 200
    for clear in (PHONES["zhang_self"], PHONES["zhang_self"][3:], PHONES["zhang_spouse"][3:],
                  ID_NUMBERS["zhang"], "zhangwei@example.com", "张伟"):
        assert clear not in page.text, clear
    assert "+86 138****5678" in page.text and 'id="unmask-reason"' in page.text


def test_the_unmask_form_is_hidden_from_collectors(world: World, client: TestClient) -> None:
    cookie, _ = session_cookie(world.rt, make_user(world.rt, Role.COLLECTOR, team_id=world.team_a))
    client.cookies.set(SESSION_COOKIE, cookie)
    page = client.get(f"/debtors/{world.seeded.zhang}")
    assert page.status_code == 200 and "unmask-reason" not in page.text


def test_the_page_form_unmasks_with_a_reason_and_csrf(world: World, client: TestClient) -> None:
    cookie, csrf = session_cookie(world.rt, make_user(world.rt, Role.TEAM_LEAD, team_id=world.team_a))
    client.cookies.set(SESSION_COOKIE, cookie)
    url = f"/debtors/{world.seeded.zhang}/unmask"
    form = {"fields": ["phone", "identity"], "reason": REASON["reason"], "csrf_token": csrf}
    shown = client.post(url, data=form, headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert shown.status_code == 200
    assert PHONES["zhang_self"] in shown.text and ID_NUMBERS["zhang"] in shown.text
    full = client.post(url, data=form, headers={"X-CSRF-Token": csrf})
    assert full.status_code == 200 and "<html" in full.text and PHONES["zhang_self"] in full.text
    short = client.post(url, data={**form, "reason": "why"},
                        headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert short.status_code == 200 and 'role="alert"' in short.text
    assert PHONES["zhang_self"] not in short.text
    other = client.post(f"/debtors/{world.seeded.company}/unmask", data=form, headers={"X-CSRF-Token": csrf})
    assert other.status_code == 404
    assert len(_audit(client, world)) == 2


def test_the_page_form_refuses_a_post_without_the_csrf_token(world: World, client: TestClient) -> None:
    cookie, _ = session_cookie(world.rt, make_user(world.rt, Role.MANAGER))
    client.cookies.set(SESSION_COOKIE, cookie)
    response = client.post(f"/debtors/{world.seeded.zhang}/unmask",
                           data={"fields": ["phone"], "reason": REASON["reason"]})
    assert response.status_code == 403
    assert PHONES["zhang_self"] not in response.text
    assert _audit(client, world) == []


def test_seeded_fixture_ids(world: World) -> None:
    assert isinstance(world.seeded, Seeded) and world.team_a != world.team_b
