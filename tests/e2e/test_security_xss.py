"""Script injection in names, employers, addresses, notes and audit details is escaped on every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.users.principals import SESSION_COOKIE
from tests.e2e.security_app import HOSTILE, RAW_MARKERS, HostileApp, build_hostile_app, page_paths
from tests.security_kit import XSS_IMG, XSS_SCRIPT


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileApp:
    """The app with hostile texts (shared by this module's tests)."""
    return build_hostile_app(Path(tmp_path_factory.mktemp("xss")))


@pytest.fixture
def admin(hostile: HostileApp) -> Iterator[TestClient]:
    """A client logged in as an administrator through a session cookie, like a browser."""
    with TestClient(hostile.app) as c:
        c.cookies.set(SESSION_COOKIE, hostile.admin_cookie)
        yield c


def _assert_escaped(body: str, where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in body, f"{where}: raw {marker!r} in the page"


def test_every_page_escapes_hostile_texts(hostile: HostileApp, admin: TestClient) -> None:
    ids = {"debtor_id": hostile.person, "id": hostile.person}
    paths = page_paths(hostile.app, ids)
    paths += [f"/debtors/{hostile.company}", f"/debtors/{hostile.seeded.xss}"]
    assert f"/debtors/{hostile.person}" in paths and "/audit" in paths
    checked = 0
    for path in paths:
        response = admin.get(path)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        if "html" in response.headers.get("content-type", ""):
            _assert_escaped(response.text, path)
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("field", ["name", "occupation", "employer", "address", "name_latin"])
def test_the_debtor_page_shows_the_hostile_value_as_text(hostile: HostileApp, admin: TestClient,
                                                          field: str) -> None:
    target = hostile.company if field == "name" else hostile.person
    body = admin.get(f"/debtors/{target}").text
    _assert_escaped(body, f"/debtors/{target}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body or "&lt;img src=x onerror" in body


@pytest.mark.parametrize("query", [XSS_SCRIPT, XSS_IMG, HOSTILE])
def test_search_terms_are_escaped_when_reflected(admin: TestClient, query: str) -> None:
    for headers in ({}, {"HX-Request": "true"}):
        response = admin.get("/debtors", params={"q": query}, headers=headers)
        assert response.status_code == 200
        _assert_escaped(response.text, "/debtors?q=")


def test_the_debtor_list_escapes_company_names(hostile: HostileApp, admin: TestClient) -> None:
    response = admin.get("/debtors", params={"q": "img src"})
    _assert_escaped(response.text, "/debtors")
    assert "&lt;img src=x onerror=alert(2)&gt;" in response.text


def test_the_audit_page_escapes_actor_and_details(admin: TestClient) -> None:
    for params in ({}, {"action": "note.create"}, {"actor": XSS_IMG}, {"entity_type": XSS_SCRIPT}):
        response = admin.get("/audit", params=params)
        assert response.status_code == 200
        _assert_escaped(response.text, f"/audit {params}")
    page = admin.get("/audit", params={"lang": "zh-CN"}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="muted">经理</span>' in page  # the actor's role, translated


def test_unmasked_hostile_values_are_escaped(hostile: HostileApp, admin: TestClient) -> None:
    form = {"fields": ["name"], "reason": "checking the company name", "csrf_token": hostile.admin_csrf}
    for headers in ({"X-CSRF-Token": hostile.admin_csrf}, {"X-CSRF-Token": hostile.admin_csrf,
                                                           "HX-Request": "true"}):
        response = admin.post(f"/debtors/{hostile.company}/unmask", data=form, headers=headers)
        assert response.status_code == 200, response.text
        _assert_escaped(response.text, "unmask result")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_api_returns_hostile_values_as_json_data(hostile: HostileApp, admin: TestClient) -> None:
    from tests.authkit import auth_headers

    response = admin.get(f"/api/v1/debtors/{hostile.company}", headers=auth_headers(hostile.rt))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert response.json()["name"] == HOSTILE
