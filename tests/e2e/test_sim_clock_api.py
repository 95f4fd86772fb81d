"""Simulation mode over HTTP: an administrator sets the server's clock, and a harness drives the REST API as a
payment channel would on that clock; refused outside simulation mode and for everyone but administrators."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from arrears import migrate
from arrears.core.access import Role
from arrears.db import make_engine
from arrears.settings import Settings
from tests.authkit import auth_headers
from tests.e2e.conftest import build_app, seed_portfolio


@pytest.fixture(scope="module")
def manual_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The full app in simulation mode (ARREARS_CLOCK=manual) on the seeded database; no clock injected."""
    from arrears.web.app import create_app

    settings = Settings(
        var_dir=tmp_path_factory.mktemp("manual"), database_url="", environment="test", clock="manual"
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    seed_portfolio(engine)
    engine.dispose()
    return create_app(settings)


@pytest.fixture
def client(manual_app: FastAPI) -> Iterator[TestClient]:
    """A client on the simulation-mode app."""
    with TestClient(manual_app) as c:
        yield c


def _pay(client: TestClient, headers: dict[str, str], ref: str, paid_on: str) -> object:
    return client.post(
        "/api/v1/payments",
        headers=headers,
        json={
            "account": "CC-0001",
            "reference": ref,
            "amount": "100.00",
            "paid_on": paid_on,
            "channel": "bank_transfer",
        },
    )


def test_administrator_sets_the_clock_and_the_api_runs_on_it(manual_app: FastAPI, client: TestClient) -> None:
    rt = manual_app.state.runtime
    admin = auth_headers(rt, Role.ADMINISTRATOR)
    manager = auth_headers(rt, Role.MANAGER)
    got = client.get("/api/v1/system/clock", headers=admin)
    assert got.status_code == 200 and got.json()["mode"] == "manual" and got.json()["settable"] is True
    put = client.put(
        "/api/v1/system/clock",
        headers=admin,
        json={"at": "2026-04-10T10:00:00+08:00", "reason": "harness day 10"},
    )
    assert put.status_code == 200, put.text
    assert put.json()["now"] == "2026-04-10T02:00:00+00:00"
    assert client.get("/api/v1/system/clock", headers=admin).json()["now"] == "2026-04-10T02:00:00+00:00"
    # a payment channel reporting a payment of today (on the simulated clock) is accepted ...
    ok = _pay(client, manager, "SIM-API-1", "2026-04-10")
    assert ok.status_code == 200, ok.text  # type: ignore[attr-defined]
    # ... and one of a day after the simulated today is refused as in the future
    future = _pay(client, manager, "SIM-API-2", "2026-04-11")
    assert future.status_code == 422  # type: ignore[attr-defined]
    assert "today is 2026-04-10" in future.text  # type: ignore[attr-defined]
    client.put("/api/v1/system/clock", headers=admin, json={"at": "2026-04-11T09:00:00+08:00"})
    assert _pay(client, manager, "SIM-API-2", "2026-04-11").status_code == 200  # type: ignore[attr-defined]
    audit = client.get("/api/v1/audit", headers=admin, params={"action": "clock.set"})
    assert audit.status_code == 200
    assert "clock.set" in audit.text


@pytest.mark.parametrize("role", [Role.MANAGER, Role.TEAM_LEAD, Role.COLLECTOR, Role.COMPLIANCE_OFFICER])
def test_only_administrators(manual_app: FastAPI, client: TestClient, role: Role) -> None:
    headers = auth_headers(manual_app.state.runtime, role)
    assert client.get("/api/v1/system/clock", headers=headers).status_code == 403
    assert (
        client.put(
            "/api/v1/system/clock", headers=headers, json={"at": "2026-04-10T10:00:00+08:00"}
        ).status_code
        == 403
    )


def test_anonymous_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/system/clock").status_code == 401


def test_bad_moments_are_422(manual_app: FastAPI, client: TestClient) -> None:
    admin = auth_headers(manual_app.state.runtime, Role.ADMINISTRATOR)
    naive = client.put("/api/v1/system/clock", headers=admin, json={"at": "2026-04-10T10:00:00"})
    assert naive.status_code == 422 and "offset" in naive.text
    assert client.put("/api/v1/system/clock", headers=admin, json={"at": "soon"}).status_code == 422


def test_system_clock_refuses_to_be_set(tmp_path: Path) -> None:
    app, _, _ = build_app(tmp_path, seed=False)
    admin = auth_headers(app.state.runtime, Role.ADMINISTRATOR)
    with TestClient(app) as c:
        got = c.get("/api/v1/system/clock", headers=admin)
        assert got.status_code == 200 and got.json()["mode"] == "system" and got.json()["settable"] is False
        put = c.put("/api/v1/system/clock", headers=admin, json={"at": "2026-04-10T10:00:00+08:00"})
        assert put.status_code == 409
        assert "ARREARS_CLOCK=manual" in put.json()["detail"]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient]]:
    """An empty simulation-mode app with a team, a collector and one debtor to call."""
    from arrears.web.app import create_app

    settings = Settings(var_dir=tmp_path, database_url="", environment="test", clock="manual")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as c:
        yield app, c


def test_a_harness_drives_the_queue_on_the_simulated_clock(harness: tuple[FastAPI, TestClient]) -> None:
    from tests.authkit import bearer, make_team, make_user
    from tests.integration.worklist_seed import debtor, work

    app, client = harness
    rt = app.state.runtime
    admin = auth_headers(rt, Role.ADMINISTRATOR)
    night = client.put("/api/v1/system/clock", headers=admin, json={"at": "2026-04-07T23:30:00+08:00"})
    assert night.status_code == 200
    team = make_team(rt)
    collector = make_user(rt, Role.COLLECTOR, team_id=team)
    assert collector.user_id is not None
    d = debtor(rt, 1, team, collector.user_id)
    work(rt, d, collector=collector.user_id, team=team)
    me = bearer(rt, collector)
    # at 23:30 in Shanghai the contact policy allows no call: the queue says when it will
    first = client.post("/api/v1/queue/next", headers=me)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "nothing_allowed"
    earliest = first.json()["earliest_allowed"]
    assert earliest is not None and earliest.startswith("2026-04-08")
    # the harness moves the clock to the next morning: the same collector now gets the debtor
    client.put("/api/v1/system/clock", headers=admin, json={"at": "2026-04-08T09:30:00+08:00"})
    leased = client.post("/api/v1/queue/next", headers=me)
    assert leased.json()["status"] == "leased", leased.text
    assert leased.json()["lease"]["leased_at"] == "2026-04-08T01:30:00+00:00"
    point = leased.json()["contact_point"]["id"]
    client.put("/api/v1/system/clock", headers=admin, json={"at": "2026-04-08T09:32:00+08:00"})
    attempt = client.post(
        "/api/v1/attempts",
        headers=me,
        json={
            "debtor_id": d.id,
            "contact_point_id": point,
            "outcome": "no_answer",
            "started_at": "2026-04-08T09:30:30+08:00",
            "ended_at": "2026-04-08T09:31:10+08:00",
        },
    )
    assert attempt.status_code == 201, attempt.text
    assert attempt.json()["violation"] is False
    # an attempt reported as made at night (on the simulated clock) is refused by the policy
    late = client.post(
        "/api/v1/attempts",
        headers=me,
        json={
            "debtor_id": d.id,
            "contact_point_id": point,
            "outcome": "no_answer",
            "started_at": "2026-04-07T23:40:00+08:00",
        },
    )
    assert late.status_code == 409
