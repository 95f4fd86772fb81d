"""Scores, models and best time over HTTP on the full app: permissions, training, activation, labels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears import migrate
from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.web.app import create_app
from tests.authkit import auth_headers, make_agency
from tests.integration import scoring_seed as seed

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
AS_OF = NOW.date()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[tuple[TestClient, Runtime, dict[str, int]]]:
    settings = Settings(var_dir=tmp_path, database_url="", environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    rt = Runtime(settings=settings, engine=engine, clock=FixedClock(NOW))
    with engine.begin() as conn:
        groups = seed.planted_history(conn, AS_OF, n_accounts=200)
        d = seed.debtor(conn, timezone="Asia/Shanghai", pay_day=3)
        p = seed.point(conn, d)
        seed.account(conn, d, dpd=40, external_id="ACC-X")
        seed.attempt(conn, d, p, datetime(2026, 3, 30, 1, 15, tzinfo=UTC), "connected_rpc")  # Mon 09:15
    with TestClient(create_app(settings, FixedClock(NOW))) as client:
        yield client, rt, {"debtor": d, "payer": groups["payers"][0]}
    engine.dispose()


def test_permissions(env: tuple[TestClient, Runtime, dict[str, int]]) -> None:
    client, rt, ids = env
    assert client.get("/api/v1/models").status_code == 401
    collector = auth_headers(rt, Role.COLLECTOR)
    assert client.get("/api/v1/models", headers=collector).status_code == 200
    assert client.post("/api/v1/models/train", json={}, headers=collector).status_code == 403
    assert client.post("/api/v1/models/1/activate", headers=collector).status_code == 403
    agency = auth_headers(rt, Role.AGENCY_USER, agency_id=make_agency(rt))
    assert client.get("/api/v1/accounts/ACC-X/score", headers=agency).status_code == 404  # not placed there
    assert client.get(f"/api/v1/debtors/{ids['debtor']}/best-time", headers=agency).status_code == 404


def test_train_activate_rollback_and_score(env: tuple[TestClient, Runtime, dict[str, int]]) -> None:
    client, rt, _ = env
    analyst = auth_headers(rt, Role.STRATEGY_ANALYST)
    listed = client.get("/api/v1/models", headers=analyst).json()
    assert listed == {"in_force": "scorecard-default-1", "models": []}
    trained = client.post("/api/v1/models/train", json={"as_of": "2026-03-31", "activate": True},
                          headers=analyst)
    assert trained.status_code == 201, trained.text
    body = trained.json()
    assert body["version"] == 1 and body["activated"] and body["metrics"]["auc"] > 0.8
    assert len(body["metrics"]["reliability"]) == 10
    second = client.post("/api/v1/models/train", json={"kind": "logistic"}, headers=analyst).json()
    assert second["version"] == 2 and not second["activated"]
    moved = client.post("/api/v1/models/2/activate", headers=analyst).json()
    assert moved["in_force"] == "model-2"
    assert [(m["version"], m["status"]) for m in moved["models"]] == [(2, "active"), (1, "retired")]
    assert client.post("/api/v1/models/1/activate", headers=analyst).json()["in_force"] == "model-1"
    assert client.post("/api/v1/models/1/activate", headers=analyst).status_code == 409
    assert client.post("/api/v1/models/99/activate", headers=analyst).status_code == 404
    bad = client.post("/api/v1/models/latest/activate", headers=analyst)
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] == "version"
    assert "payload" not in str(client.get("/api/v1/models", headers=analyst).json())
    # the score of an account nobody has scored yet is computed on the spot with the model in force
    score = client.get("/api/v1/accounts/ACC-X/score?lang=en", headers=analyst).json()
    assert score["model_version"] == "model-1" and not score["stored"] and 0 <= score["probability"] <= 1
    assert score["band"] in "ABCDE"
    assert client.get("/api/v1/accounts/NOPE/score", headers=analyst).status_code == 404
    assert client.post("/api/v1/models/scorecard/activate", headers=analyst).json()["in_force"] == (
        "scorecard-default-1")


def test_too_little_history_is_refused(env: tuple[TestClient, Runtime, dict[str, int]]) -> None:
    client, rt, _ = env
    analyst = auth_headers(rt, Role.STRATEGY_ANALYST)
    refused = client.post("/api/v1/models/train", json={"as_of": "2024-01-01"}, headers=analyst)
    assert refused.status_code == 422
    assert "too little history" in refused.json()["detail"]
    assert client.get("/api/v1/models", headers=analyst).json()["models"] == []


def test_reason_labels_in_both_languages(env: tuple[TestClient, Runtime, dict[str, int]]) -> None:
    client, rt, _ = env
    manager = auth_headers(rt, Role.MANAGER)
    zh = client.get("/api/v1/accounts/ACC-X/score?lang=zh-CN", headers=manager).json()
    en = client.get("/api/v1/accounts/ACC-X/score", headers=manager | {"Accept-Language": "en"}).json()
    assert zh["model_version"] == "scorecard-default-1" and zh["reasons"]
    assert [r["code"] for r in zh["reasons"]] == [r["code"] for r in en["reasons"]]
    assert zh["reasons"][0]["code"] == "LAST_PAYMENT" and zh["reasons"][0]["label"] == "距上次还款的时间"
    assert en["reasons"][0]["label"] == "Time since the last payment" == en["reasons"][0]["label_en"]


def test_best_time(env: tuple[TestClient, Runtime, dict[str, int]]) -> None:
    client, rt, ids = env
    manager = auth_headers(rt, Role.MANAGER)
    got = client.get(f"/api/v1/debtors/{ids['debtor']}/best-time?date=2026-03-30&top=2", headers=manager)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["timezone"] == "Asia/Shanghai" and body["weekday"] == 0 and body["pay_day"] == 3
    assert [h["hour"] for h in body["hours"]] == list(range(8, 21)) and len(body["best"]) == 2
    assert body["best"][0]["hour"] == 9  # the prior's early-morning peak (no refresh yet)
    default = client.get(f"/api/v1/debtors/{ids['debtor']}/best-time", headers=manager).json()
    assert default["local_date"] == date(2026, 3, 31).isoformat()
    assert client.get("/api/v1/debtors/999999/best-time", headers=manager).status_code == 404
    zero = client.get(f"/api/v1/debtors/{ids['debtor']}/best-time?top=0", headers=manager)
    assert zero.status_code == 422


def test_openapi_tags(env: tuple[TestClient, Runtime, dict[str, int]]) -> None:
    client, _, _ = env
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/api/v1/models", "get"), ("/api/v1/models/train", "post"),
                         ("/api/v1/models/{version}/activate", "post"),
                         ("/api/v1/accounts/{external_id}/score", "get"),
                         ("/api/v1/debtors/{debtor_id}/best-time", "get")):
        assert paths[path][method]["tags"] == ["strategy"], path
