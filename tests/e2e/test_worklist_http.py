"""The work-queue REST API end to end (full app, HTTP, bearer tokens): the desk flow and its 4xx answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.runtime import Runtime
from tests.authkit import bearer
from tests.e2e.conftest import NOW, build_app
from tests.integration.worklist_seed import Debtor, Desk, debtor, desk, work

LATER = (NOW - timedelta(minutes=4)).isoformat()  # 17:56 in Shanghai
END = (NOW - timedelta(minutes=2)).isoformat()


@dataclass
class World:
    """The app, its runtime, a desk, two debtors and bearer headers."""

    http: TestClient
    rt: Runtime
    desk: Desk
    a: Debtor
    b: Debtor
    alice: dict[str, str]
    bob: dict[str, str]
    lead: dict[str, str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app, _, _ = build_app(tmp_path, seed=False)
    rt: Runtime = app.state.runtime
    d = desk(rt)
    a = debtor(rt, 1, d.team, d.alice.user_id)
    b = debtor(rt, 2, d.team, None)
    work(rt, a, collector=d.alice.user_id, team=d.team)
    work(rt, b, collector=None, team=d.team)
    with TestClient(app) as http:
        yield World(http, rt, d, a, b, bearer(rt, d.alice), bearer(rt, d.bob), bearer(rt, d.lead))


def attempt(w: World, **body: object) -> dict[str, object]:
    base: dict[str, object] = {
        "debtor_id": w.a.id,
        "contact_point_id": w.a.mobile,
        "started_at": LATER,
        "ended_at": END,
        "outcome": "no_answer",
    }
    base.update(body)
    return base


def test_the_desk_flow_next_attempt_callback_timeline(world: World) -> None:
    http = world.http
    nxt = http.post("/api/v1/queue/next", headers=world.alice)
    assert nxt.status_code == 200, nxt.text
    body = nxt.json()
    assert body["status"] == "leased" and body["debtor"]["id"] == world.a.id
    assert body["contact_point"]["masked"] == "+86 139****0000" and "+8613900010000" not in nxt.text
    assert body["dial"]["token"] and body["script_mode"] == "standard" and body["lease"]["expires_at"]
    rec = http.post(
        "/api/v1/attempts",
        headers=world.alice,
        json=attempt(
            world,
            outcome="callback_requested",
            callback_at=(NOW + timedelta(hours=1)).isoformat(),
            elements=["verify_identity", "opening", "listen"],
            note="客户要求一小时后回电",
        ),
    )
    assert rec.status_code == 201, rec.text
    out = rec.json()
    assert out["lease_released"] == body["lease"]["id"] and out["callback"]["work_item_id"]
    assert out["work_item"]["status"] == "done" and out["history_outcome"] == "connected_rpc"
    line = http.get(f"/api/v1/debtors/{world.a.id}/attempts", headers=world.alice).json()["attempts"][0]
    assert line["id"] == out["attempt_id"] and line["elements_covered"] == "3/9"
    assert line["note"]["text"] == "客户要求一小时后回电" and "+8613900010000" not in json.dumps(line)
    nxt2 = http.post("/api/v1/queue/next", headers=world.alice).json()
    assert nxt2["debtor"]["id"] == world.b.id  # the team's unassigned work once her own is done
    team = http.get("/api/v1/queue", params={"scope": "team"}, headers=world.lead)
    assert team.status_code == 200 and team.json()["open"] == 2
    elements = http.get("/api/v1/queue/elements", headers=world.alice).json()
    assert len(elements) == 9 and elements[0]["label_zh"] == "核实身份"


def test_nothing_allowed_says_why_and_when(world: World) -> None:
    world.rt.clock.set(NOW + timedelta(hours=5))  # type: ignore[attr-defined]  # 23:00 in Shanghai
    body = world.http.post("/api/v1/queue/next", headers=world.alice).json()
    assert body["status"] == "nothing_allowed"
    assert body["earliest_allowed"] == "2026-04-01T01:00:00Z"
    assert {r["rule_id"] for r in body["reasons"]} >= {"cn.night", "house.hours"}
    assert all(r["source"] for r in body["reasons"])


def test_clear_4xx_answers(world: World) -> None:
    http = world.http
    assert http.post("/api/v1/queue/next").status_code == 401
    assert http.get("/api/v1/queue", params={"scope": "team"}, headers=world.alice).status_code == 403
    unknown = http.post("/api/v1/attempts", headers=world.alice, json=attempt(world, debtor_id=999_999))
    assert unknown.status_code == 404
    foreign = http.post(
        "/api/v1/attempts", headers=world.alice, json=attempt(world, contact_point_id=world.b.mobile)
    )
    assert foreign.status_code == 422 and foreign.json()["problems"][0]["field"] == "contact_point_id"
    assert (
        http.post(
            "/api/v1/attempts", headers=world.alice, json=attempt(world, contact_point_id=999_999)
        ).status_code
        == 404
    )
    backwards = http.post(
        "/api/v1/attempts", headers=world.alice, json=attempt(world, ended_at=LATER, started_at=END)
    )
    assert backwards.status_code == 422 and backwards.json()["problems"][0]["field"] == "ended_at"
    naive = http.post(
        "/api/v1/attempts", headers=world.alice, json=attempt(world, started_at="2026-03-31T17:56:00")
    )
    assert naive.status_code == 422
    nonsense = http.post(
        "/api/v1/attempts", headers=world.alice, json=attempt(world, elements=["opening"], flags=["dispute"])
    )
    assert nonsense.status_code == 422
    assert {p["field"] for p in nonsense.json()["problems"]} == {"elements", "flags.dispute"}
    past = {"amount": "500.00", "due_on": "2026-03-01", "channel": "wechat_pay"}
    promise = http.post(
        "/api/v1/attempts", headers=world.alice, json=attempt(world, outcome="promise_to_pay", promise=past)
    )
    assert promise.status_code == 422 and promise.json()["problems"][0]["field"] == "promise.due_on"
    fen = {"amount": "500.001", "due_on": "2026-04-02", "channel": "wechat_pay"}
    assert (
        http.post(
            "/api/v1/attempts",
            headers=world.alice,
            json=attempt(world, outcome="promise_to_pay", promise=fen),
        ).status_code
        == 422
    )
    spouse = http.post(
        "/api/v1/attempts", headers=world.alice, json=attempt(world, contact_point_id=world.a.spouse)
    )
    assert spouse.status_code == 409
    assert spouse.json()["problems"][0]["field"] == "cn.third_party" and spouse.json()["problems"][0]["value"]
    assert (
        http.post(
            "/api/v1/callbacks",
            headers=world.alice,
            json={"debtor_id": world.a.id, "at": (NOW - timedelta(hours=1)).isoformat()},
        ).status_code
        == 422
    )
    assert (
        http.post("/api/v1/attempts", headers=world.alice, json={**attempt(world), "extra": 1}).status_code
        == 422
    )


def test_leases_hand_off_and_release_over_http(world: World) -> None:
    http = world.http
    lease = http.post("/api/v1/queue/next", headers=world.alice).json()
    assert (
        http.post(f"/api/v1/queue/leases/{lease['lease']['id']}/release", headers=world.bob).status_code
        == 403
    )
    assert (
        http.post(
            "/api/v1/queue/dial", headers=world.alice, json={"token": lease["dial"]["token"]}
        ).status_code
        == 403
    )
    dial = http.post("/api/v1/queue/dial", headers=world.lead, json={"token": lease["dial"]["token"]})
    assert dial.status_code == 200 and dial.json()["uri"] == "tel:+8613900010000"
    busy = http.post("/api/v1/attempts", headers=world.bob, json=attempt(world))
    assert busy.status_code == 409  # Alice holds this debtor
    ok = http.post(f"/api/v1/queue/leases/{lease['lease']['id']}/release", headers=world.alice)
    assert ok.status_code == 200
    again = http.post(f"/api/v1/queue/leases/{lease['lease']['id']}/release", headers=world.alice)
    assert again.status_code == 409
    assert http.post("/api/v1/queue/leases/999999/release", headers=world.alice).status_code == 404


def test_dialer_reports_and_the_violation_list(world: World) -> None:
    http = world.http
    night = (NOW - timedelta(hours=20, minutes=30)).isoformat()  # 21:30 in Shanghai the day before
    report = {
        "debtor_id": world.a.id,
        "phone": "+8613900010000",
        "started_at": night,
        "outcome": "busy",
        "call_id": "DIAL-77",
        "agent": world.desk.bob.username,
    }
    assert http.post("/api/v1/attempts/external", headers=world.alice, json=report).status_code == 403
    made = http.post("/api/v1/attempts/external", headers=world.lead, json=report)
    assert made.status_code == 201, made.text
    assert made.json()["violation"] is True and made.json()["violated_rules"][0]["rule_id"] == "house.hours"
    listed = http.get("/api/v1/attempts/violations", headers=world.lead).json()
    assert listed["count"] == 1 and listed["violations"][0]["external_ref"] == "DIAL-77"
    assert http.get("/api/v1/attempts/violations", headers=world.alice).status_code == 403


def test_the_openapi_schema_documents_the_worklist(world: World) -> None:
    schema = world.http.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/queue/next",
        "/api/v1/queue/leases/{lease_id}/release",
        "/api/v1/queue",
        "/api/v1/attempts",
        "/api/v1/attempts/external",
        "/api/v1/attempts/violations",
        "/api/v1/debtors/{debtor_id}/attempts",
        "/api/v1/callbacks",
    ):
        assert path in paths, path
    assert paths["/api/v1/queue/next"]["post"]["tags"] == ["worklist"]
    assert "409" in paths["/api/v1/attempts"]["post"]["responses"]
    assert "worklist" in {t["name"] for t in schema["tags"]}
