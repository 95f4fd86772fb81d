"""The compliance REST endpoints over HTTP on SQLite and PostgreSQL (router mounted under /api/v1)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from arrears.compliance.api import router
from arrears.core.access import Role
from arrears.core.errors import ArrearsError, InputRejected
from arrears.runtime import Runtime
from tests.authkit import auth_headers
from tests.integration.test_compliance_service import seed

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "compliance"


def client(rt: Runtime) -> TestClient:
    """The router on a bare app with the same error handling as arrears.web.app."""
    app = FastAPI()
    app.state.runtime = rt

    @app.exception_handler(ArrearsError)
    async def _handle(_request: Request, exc: ArrearsError) -> JSONResponse:
        body: dict[str, object] = {"error": type(exc).__name__, "detail": str(exc)}
        if isinstance(exc, InputRejected):
            body["problems"] = [{"field": p.field, "reason": p.reason} for p in exc.problems]
        return JSONResponse(status_code=exc.status_code, content=body)

    app.include_router(router, prefix="/api/v1")
    return TestClient(app, headers=auth_headers(rt, Role.ADMINISTRATOR))


def test_check_against_the_database_then_read_the_log(runtime: Runtime) -> None:
    ids = seed(runtime)
    http = client(runtime)
    r = http.post(
        "/api/v1/compliance/check",
        json={
            "debtor_id": ids["debtor"],
            "contact_point_id": ids["mobile"],
            "channel": "call",
            "at": "2026-03-03T22:00:00+08:00",
            "requested_by": "dialer-1",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["allowed"] is False and body["decision_id"] > 0
    assert body["earliest_allowed_local"]["Asia/Shanghai"] == "2026-03-04T09:00:00+08:00"
    log = http.get("/api/v1/compliance/decisions", params={"debtor_id": ids["debtor"]}).json()
    assert log[0]["id"] == body["decision_id"] and log[0]["requested_by"] == "dialer-1"
    assert {"cn.night", "house.hours"} <= {h["rule_id"] for h in log[0]["fired"]}


def test_check_a_whole_scenario_without_the_database(runtime: Runtime) -> None:
    scenario = json.loads((EXAMPLES / "dst_overlap.json").read_text())
    r = client(runtime).post("/api/v1/compliance/check", json=scenario)
    assert r.status_code == 200, r.text
    assert r.json()["earliest_allowed"] == "2026-03-09T15:00:00Z" and r.json()["decision_id"] is None


def test_bad_input_is_a_clear_422(runtime: Runtime) -> None:
    ids = seed(runtime)
    http = client(runtime)
    naive = http.post(
        "/api/v1/compliance/check",
        json={"debtor_id": ids["debtor"], "channel": "call", "at": "2026-03-03T10:00:00"},
    )
    assert naive.status_code == 422
    scenario = json.loads((EXAMPLES / "night_call.json").read_text())
    scenario["debtor"]["timezone"] = "Asia/Shangai"
    bad = http.post("/api/v1/compliance/check", json=scenario)
    assert bad.status_code == 422
    assert bad.json()["problems"][0]["field"] == "debtor.timezone"
    scenario["debtor"]["timezone"] = "Asia/Shanghai"
    scenario["rulesets"] = ["nope"]
    assert http.post("/api/v1/compliance/check", json=scenario).status_code == 404
    scenario["rulesets"] = [
        str(Path(__file__).resolve().parents[2] / "src/arrears/compliance/rulesets/us-regf.yaml")
    ]
    by_path = http.post("/api/v1/compliance/check", json=scenario)  # no server files named by a request
    assert by_path.status_code == 404 and "only names of installed rule sets" in by_path.json()["detail"]
    missing = http.post("/api/v1/compliance/check", json={"debtor_id": 999_999, "channel": "call"})
    assert missing.status_code == 404


def test_holds_over_http(runtime: Runtime) -> None:
    ids = seed(runtime)
    http = client(runtime)
    r = http.post(
        f"/api/v1/debtors/{ids['debtor']}/holds",
        json={
            "kind": "cease_request",
            "set_by": "agent-7",
            "reason": "asked us to stop",
            "set_at": "2026-03-02T09:00:00+08:00",
        },
    )
    assert r.status_code == 201, r.text
    hold = r.json()
    check = {
        "debtor_id": ids["debtor"],
        "contact_point_id": ids["mobile"],
        "channel": "call",
        "at": "2026-03-03T10:00:00+08:00",
    }
    assert http.post("/api/v1/compliance/check", json=check).json()["allowed"] is False
    lifted = http.post(
        f"/api/v1/holds/{hold['id']}/lift",
        json={
            "lifted_by": "lead-2",
            "reason": "withdrawn in writing",
            "lifted_at": "2026-03-03T09:30:00+08:00",
        },
    )
    assert lifted.status_code == 200 and lifted.json()["active"] is False
    assert http.post("/api/v1/compliance/check", json=check).json()["allowed"] is True
    assert (
        http.post(f"/api/v1/holds/{hold['id']}/lift", json={"lifted_by": "x", "reason": "y"}).status_code
        == 409
    )
    listed = http.get(f"/api/v1/debtors/{ids['debtor']}/holds").json()
    assert listed[0]["lift_reason"] == "withdrawn in writing"
    bad = http.post(
        f"/api/v1/debtors/{ids['debtor']}/holds", json={"kind": "nap", "set_by": "a", "reason": "b"}
    )
    assert bad.status_code == 422


def test_record_attempts_and_list_rule_sets(runtime: Runtime) -> None:
    ids = seed(runtime)
    http = client(runtime)
    r = http.post(
        "/api/v1/compliance/attempts",
        json={
            "debtor_id": ids["debtor"],
            "contact_point_id": ids["mobile"],
            "channel": "call",
            "outcome": "busy",
            "started_at": "2026-03-03T10:00:00+08:00",
        },
    )
    assert r.status_code == 201 and r.json()["id"] > 0
    listed = http.get("/api/v1/compliance/rulesets").json()
    assert {r["name"] for r in listed["rulesets"]} == {"cn-gbt45251", "house-default", "us-regf"}
    assert {"match": {"jurisdiction": "CN"}, "rulesets": ["cn-gbt45251", "house-default"]} in listed[
        "selection"
    ]
