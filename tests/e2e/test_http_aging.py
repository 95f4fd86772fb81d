"""POST and GET /api/v1/aging/runs on the full app (create_app) over a migrated SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from arrears import migrate
from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.portfolio.aging.api import router
from arrears.portfolio.store import accounts, debtors, due_items
from arrears.runtime import Runtime
from arrears.settings import Settings
from tests.authkit import auth_headers

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _prepare(var_dir: Path) -> Settings:
    settings = Settings(var_dir=var_dir, database_url="", environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        debtor_id = conn.execute(insert(debtors).values(
            external_id="D1", kind="person", name="Debtor", timezone="Asia/Shanghai",
            timezone_source="default", row_hash="h", created_at=STAMP, updated_at=STAMP,
        )).inserted_primary_key[0]
        for ref, due in (("A1", date(2026, 3, 16)), ("A2", date(2025, 12, 1))):
            account_id = conn.execute(insert(accounts).values(
                external_id=ref, debtor_id=debtor_id, product="consumer_loan", currency="CNY",
                principal_minor=50_000, late_fee_minor=1_000, penalty_rate_ppm=360_000, row_hash="h",
                created_at=STAMP, updated_at=STAMP)).inserted_primary_key[0]
            conn.execute(insert(due_items).values(account_id=account_id, due_date=due, amount_minor=10_000))
    engine.dispose()
    return settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The full app with a fixed clock at 2026-03-31 10:00 UTC, over two seeded accounts."""
    from arrears.web.app import create_app

    app = create_app(_prepare(tmp_path), FixedClock(NOW))
    with TestClient(app, headers=auth_headers(app.state.runtime, Role.MANAGER)) as c:
        yield c


def test_post_runs_then_list_them(client: TestClient) -> None:
    first = client.post("/api/v1/aging/runs", json={"as_of": "2026-03-31"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["as_of"] == "2026-03-31" and body["accounts_aged"] == 2 and body["first_aged"] == 2
    assert body["buckets"]["M1"] == 1 and body["buckets"]["M4"] == 1  # 15 and 120 DPD
    # A1: Mar 16; A2: Dec 1, Jan 1, Feb 1, Mar 1 -> 5 fees of 1,000
    assert (body["late_fees"], body["late_fees_minor"], body["cases_opened"]) == (5, 5_000, 1)
    # 10,000 x 15 x 0.36 / 360 = 150 and 10,000 x 120 x 0.36 / 360 = 1,200
    assert body["penalty_minor"] == 1_350 and body["by_currency"]["CNY"]["penalty_minor"] == 1_350

    again = client.post("/api/v1/aging/runs", json={"as_of": "2026-03-31"}).json()
    assert (again["late_fees"], again["penalty_minor"], again["bucket_moves"]) == (0, 0, 0)

    runs = client.get("/api/v1/aging/runs")
    assert runs.status_code == 200
    listed = runs.json()
    assert [r["id"] for r in listed] == [again["run_id"], body["run_id"]]
    assert (listed[1]["late_fees"], listed[1]["penalty_minor"], listed[1]["cases_opened"]) == (5, 1_350, 1)
    assert len(client.get("/api/v1/aging/runs", params={"limit": 1}).json()) == 1


def test_refusals(client: TestClient) -> None:
    assert client.post("/api/v1/aging/runs", json={"as_of": "2026-03-31"}).status_code == 200
    earlier = client.post("/api/v1/aging/runs", json={"as_of": "2026-03-30"})
    assert earlier.status_code == 409 and "before the latest aging run" in earlier.json()["detail"]
    future = client.post("/api/v1/aging/runs", json={"as_of": "2026-04-01"})
    assert future.status_code == 422 and "after today" in future.json()["detail"]
    assert client.post("/api/v1/aging/runs", json={"as_of": "31/03/2026"}).status_code == 422
    assert client.post("/api/v1/aging/runs", json={}).status_code == 422
    assert client.get("/api/v1/aging/runs", params={"limit": 0}).status_code == 422


def test_only_roles_with_aging_run_may_start_a_run(client: TestClient) -> None:
    rt = client.app.state.runtime  # type: ignore[attr-defined]
    collector = auth_headers(rt, Role.COLLECTOR, team_id=None)
    refused = client.post("/api/v1/aging/runs", json={"as_of": "2026-03-31"}, headers=collector)
    assert refused.status_code == 403 and "aging.run" in refused.json()["detail"]
    anonymous = TestClient(client.app)
    assert anonymous.post("/api/v1/aging/runs", json={"as_of": "2026-03-31"}).status_code == 401
    assert client.get("/api/v1/aging/runs").json() == []  # nothing ran


def test_the_router_alone(tmp_path: Path) -> None:
    settings = _prepare(tmp_path)
    app = FastAPI()
    app.state.runtime = Runtime.build(settings, FixedClock(NOW))
    app.include_router(router, prefix="/api/v1")
    with TestClient(app, headers=auth_headers(app.state.runtime, Role.MANAGER)) as c:
        assert c.post("/api/v1/aging/runs", json={"as_of": "2026-03-30"}).json()["accounts_aged"] == 2
        assert [r["as_of"] for r in c.get("/api/v1/aging/runs").json()] == ["2026-03-30"]
    app.state.runtime.engine.dispose()
