"""SQL fragments in filters, search terms, sort keys and ids: 422 or ignored; never 500 or out of scope."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from arrears.core.access import Role
from arrears.portfolio.store import accounts, cases, debtors
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE
from tests.authkit import auth_headers, bearer, make_agency, make_team, make_user
from tests.e2e.conftest import build_app
from tests.security_kit import session_cookie

FRAGMENTS = [
    "' OR '1'='1", "' OR 1=1 --", "1; DROP TABLE debtors; --", "\" OR \"\"=\"", "%", "_", "%' --",
    "' UNION SELECT id, name, id_number FROM debtors --", "name; select pg_sleep(5)", "1 OR 1=1",
    "-dpd, (select 1)", "(CASE WHEN 1=1 THEN name ELSE dpd END)", "name DESC NULLS LAST", "\\", "'\x00'",
]


class World:
    """The seeded app with two teams and an agency, and the ids in each scope."""

    def __init__(self, var_dir: Path) -> None:
        app, seeded, _ = build_app(var_dir)
        assert seeded is not None
        self.app, self.seeded = app, seeded
        rt: Runtime = app.state.runtime
        self.rt = rt
        self.team_a, self.team_b, self.agency = make_team(rt), make_team(rt), make_agency(rt)
        with rt.engine.begin() as conn:
            conn.execute(update(cases).where(cases.c.debtor_id == seeded.zhang).values(team_id=self.team_a))
            conn.execute(update(cases).where(cases.c.debtor_id.in_([seeded.company, seeded.xss]))
                         .values(team_id=self.team_b))
            conn.execute(update(accounts).where(accounts.c.debtor_id == seeded.wang)
                         .values(agency_id=self.agency))
            self.total = int(conn.execute(select(func.count()).select_from(debtors)).scalar_one())
        self.collector_a = make_user(rt, Role.COLLECTOR, team_id=self.team_a)
        self.agent = make_user(rt, Role.AGENCY_USER, agency_id=self.agency)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The scoped world (shared by this module; the tests only read)."""
    return World(Path(tmp_path_factory.mktemp("injection")))


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    """A client without credentials."""
    with TestClient(world.app) as c:
        yield c


def _ids(response: Any) -> set[int]:
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_sort_keys_with_sql_are_refused(world: World, client: TestClient, fragment: str) -> None:
    response = client.get("/api/v1/debtors", params={"sort": fragment}, headers=auth_headers(world.rt))
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("param", ["bucket", "product", "status"])
@pytest.mark.parametrize("fragment", FRAGMENTS[:8])
def test_filters_with_sql_are_refused(world: World, client: TestClient, param: str, fragment: str) -> None:
    response = client.get("/api/v1/debtors", params={param: fragment}, headers=auth_headers(world.rt))
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_search_terms_with_sql_are_plain_text(world: World, client: TestClient, fragment: str) -> None:
    response = client.get("/api/v1/debtors", params={"q": fragment}, headers=auth_headers(world.rt))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        # a term matches names and ids literally: none of the seeded debtors contains these fragments
        assert response.json()["total"] == 0, fragment


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_a_collector_never_sees_another_teams_debtors(world: World, client: TestClient,
                                                      fragment: str) -> None:
    headers = bearer(world.rt, world.collector_a)
    for params in ({"q": fragment}, {"sort": fragment}, {"q": fragment, "sort": "name"}, {}):
        response = client.get("/api/v1/debtors", params=params, headers=headers)
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            assert _ids(response) <= {world.seeded.zhang}, params


@pytest.mark.parametrize("fragment", FRAGMENTS[:6])
def test_an_agency_user_never_sees_other_accounts(world: World, client: TestClient, fragment: str) -> None:
    headers = bearer(world.rt, world.agent)
    for params in ({"q": fragment}, {}):
        response = client.get("/api/v1/debtors", params=params, headers=headers)
        assert response.status_code in (200, 422), response.text
        if response.status_code == 200:
            assert _ids(response) <= {world.seeded.wang}, params


def test_out_of_scope_ids_are_not_found(world: World, client: TestClient) -> None:
    collector = bearer(world.rt, world.collector_a)
    for debtor_id in (world.seeded.company, world.seeded.wang, world.seeded.li):
        assert client.get(f"/api/v1/debtors/{debtor_id}", headers=collector).status_code == 404
    assert client.get(f"/api/v1/debtors/{world.seeded.zhang}", headers=collector).status_code == 200
    agent = bearer(world.rt, world.agent)
    assert client.get(f"/api/v1/debtors/{world.seeded.zhang}", headers=agent).status_code == 404
    assert client.get("/api/v1/accounts/BR-0003", headers=agent).status_code == 404


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_ids_with_sql_are_422_or_404(world: World, client: TestClient, fragment: str) -> None:
    headers = auth_headers(world.rt)
    quoted = quote(fragment, safe="")
    for path in (f"/api/v1/debtors/{quoted}", f"/api/v1/accounts/{quoted}",
                 f"/api/v1/debtors/{quoted}/holds"):
        response = client.get(path, headers=headers)
        assert response.status_code in (404, 422, 405), f"{path}: {response.status_code} {response.text}"
    response = client.get("/api/v1/compliance/decisions", params={"debtor_id": fragment}, headers=headers)
    assert response.status_code == 422


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_pages_forgive_sql_in_filters_but_never_fail(world: World, client: TestClient, fragment: str) -> None:
    cookie, _ = session_cookie(world.rt, make_user(world.rt, Role.MANAGER))
    client.cookies.set(SESSION_COOKIE, cookie)
    for params in ({"q": fragment}, {"sort": fragment}, {"bucket": fragment, "status": fragment},
                   {"page": fragment}, {"product": fragment}):
        response = client.get("/debtors", params=params)
        assert response.status_code == 200, (params, response.status_code)
    response = client.get("/audit", params={"actor": fragment, "action": fragment, "since": fragment,
                                            "before": fragment})
    assert response.status_code == 200
    assert client.get(f"/debtors/{quote(fragment, safe='')}").status_code in (404, 422)
