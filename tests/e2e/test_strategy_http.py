"""Strategy over HTTP: REST (treatments, experiments, cases, batch runs) and the pages, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from arrears.core.access import Role
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.strategy.treatments import DEFAULT_FILE
from tests.authkit import auth_headers, make_team, make_user, session
from tests.e2e.conftest import PHONES, Seeded, build_app

TEXT = DEFAULT_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, Seeded]]:
    """The seeded app with the default strategy's two teams, two collectors, and Zhang's case in team A."""
    app, seeded, _ = build_app(Path(tmp_path_factory.mktemp("strategy_http")))
    assert seeded is not None
    rt: Runtime = app.state.runtime
    zh = make_team(rt, "催收一组 Team A (zh-CN)")
    make_team(rt, "Team B (English)")
    make_user(rt, Role.COLLECTOR, username="li.collector", team_id=zh, capacity=10)
    make_user(rt, Role.COLLECTOR, username="wu.collector", team_id=zh, capacity=10)
    with rt.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.debtor_id == seeded.zhang).values(team_id=zh))
    yield app, seeded


def test_validate_upload_activate_over_rest(world: tuple[FastAPI, Seeded]) -> None:
    app, _ = world
    rt = app.state.runtime
    analyst = auth_headers(rt, Role.STRATEGY_ANALYST)
    with TestClient(app) as c:
        ok = c.post("/api/v1/strategy/treatments/validate", json={"yaml": TEXT}, headers=analyst)
        assert ok.status_code == 200 and ok.json()["valid"] and ok.json()["summary"]["name"] == "default"
        bad = c.post(
            "/api/v1/strategy/treatments/validate",
            headers=analyst,
            json={"yaml": TEXT.replace("percent: 20,", "percent: 30,"), "file_name": "mine.yaml"},
        )
        body = bad.json()
        assert bad.status_code == 200 and not body["valid"]
        assert body["problems"][0]["path"] == "experiments[0].arms" and body["problems"][0]["line"] > 0
        assert body["problems"][0]["file"] == "mine.yaml"
        refused = c.post(
            "/api/v1/strategy/treatments",
            headers=analyst,
            json={
                "yaml": TEXT.replace("buckets: [M1]}", "buckets: [M8]}", 1),
                "reason": "fix",
                "activate": True,
            },
        )
        assert refused.status_code == 422 and "M8" in refused.text
        up = c.post(
            "/api/v1/strategy/treatments",
            headers=analyst,
            json={"yaml": TEXT, "file_name": "default.yaml", "reason": "first"},
        )
        assert up.status_code == 201 and up.json()["in_force"] is False
        vid = up.json()["id"]
        assert (
            c.post(
                f"/api/v1/strategy/treatments/{vid}/activate", json={"reason": ""}, headers=analyst
            ).status_code
            == 422
        )
        act = c.post(
            f"/api/v1/strategy/treatments/{vid}/activate", json={"reason": "go live"}, headers=analyst
        )
        assert act.status_code == 200 and act.json()["in_force"]
        active = c.get("/api/v1/strategy/treatments/active", headers=analyst).json()
        assert active["label"] == "default@2026.1" and active["yaml_text"] == TEXT
        listing = c.get("/api/v1/strategy/treatments", headers=analyst).json()
        assert listing["in_force"]["reason"] == "go live"
        exps = c.get("/api/v1/strategy/experiments", headers=analyst).json()
        assert exps[0]["name"] == "early-sms-first" and {a["arm"] for a in exps[0]["arms"]} == {
            "champion",
            "challenger",
        }
        collector = auth_headers(rt, Role.COLLECTOR)
        assert (
            c.post("/api/v1/strategy/treatments", json={"yaml": TEXT}, headers=collector).status_code == 403
        )
        assert c.get("/api/v1/strategy/treatments").status_code == 401


def test_batch_runs_over_rest_and_the_work_they_plan(world: tuple[FastAPI, Seeded]) -> None:
    app, seeded = world
    rt = app.state.runtime
    manager = auth_headers(rt, Role.MANAGER)
    with TestClient(app) as c:
        started = c.post(
            "/api/v1/batch/runs", json={"steps": ["treatments", "allocation", "work_items"]}, headers=manager
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        run = c.get(f"/api/v1/batch/runs/{run_id}", headers=manager).json()
        assert run["status"] == "completed", run
        assert {s["step"] for s in run["date_steps"]} >= {"treatments", "allocation", "work_items"}
        runs = c.get("/api/v1/batch/runs", headers=manager).json()
        assert runs[0]["id"] == run_id
        assert c.post("/api/v1/batch/runs", json={"steps": ["lunch"]}, headers=manager).status_code == 422
        assert c.post("/api/v1/batch/runs", json={"as_of": "2030-01-01"}, headers=manager).status_code == 422
        assert (
            c.post("/api/v1/batch/runs", json={}, headers=auth_headers(rt, Role.COLLECTOR)).status_code == 403
        )
        with rt.engine.connect() as conn:  # the placed and held cases were left alone
            statuses = dict(conn.execute(select(cases.c.debtor_id, cases.c.status)).all())
        assert statuses[seeded.wang] == "placed" and statuses[seeded.company] == "on_hold"
        with rt.engine.connect() as conn:
            zhang_account = conn.execute(
                select(accounts.c.id).where(accounts.c.debtor_id == seeded.zhang)
            ).scalar()
        shown = c.get(f"/api/v1/strategy/accounts/{zhang_account}/treatment", headers=manager)
        assert shown.status_code == 200 and shown.json()["step"] == "contact"
        assert (
            shown.json()["treatment"] == "standard@2026.1" and shown.json()["next_action_on"] == "2026-04-01"
        )
        elsewhere = auth_headers(rt, Role.COLLECTOR, team_id=make_team(rt))
        hidden = c.get(f"/api/v1/strategy/accounts/{zhang_account}/treatment", headers=elsewhere)
        assert hidden.status_code == 404


def test_team_lead_cases_and_reassignment_over_rest(world: tuple[FastAPI, Seeded]) -> None:
    app, seeded = world
    rt = app.state.runtime
    with rt.engine.connect() as conn:
        case_id, team = conn.execute(
            select(cases.c.id, cases.c.team_id).where(cases.c.debtor_id == seeded.zhang)
        ).one()
    lead = auth_headers(rt, Role.TEAM_LEAD, team_id=team)
    with TestClient(app) as c:
        listing = c.get("/api/v1/strategy/cases", headers=lead).json()
        assert case_id in [x["id"] for x in listing["cases"]] and listing["team_id"] == team
        assert all(x["team_id"] == team for x in listing["cases"])
        assert PHONES["zhang_self"] not in str(listing) and "张伟" not in str(listing)
        holder = next(x["collector_id"] for x in listing["cases"] if x["id"] == case_id)
        names = {m["id"]: m["username"] for m in listing["collectors"]}
        target = "li.collector" if names.get(holder) != "li.collector" else "wu.collector"
        moved = c.post(
            f"/api/v1/strategy/cases/{case_id}/reassign",
            headers=lead,
            json={"to": target, "reason": "workload"},
        )
        assert moved.status_code == 200 and moved.json()["moved"]
        moves = c.get(f"/api/v1/strategy/cases/{case_id}/moves", headers=lead).json()
        assert moves[0]["reason"] == "manual" and moves[0]["note"] == "workload"
        other = auth_headers(rt, Role.TEAM_LEAD, team_id=make_team(rt))
        assert (
            c.post(
                f"/api/v1/strategy/cases/{case_id}/reassign",
                headers=other,
                json={"to": "li.collector", "reason": "not mine"},
            ).status_code
            == 404
        )
        assert c.get("/api/v1/strategy/cases/987654321/moves", headers=lead).status_code == 404


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_pages_render_in_both_languages(world: tuple[FastAPI, Seeded], lang: str) -> None:
    app, _ = world
    rt = app.state.runtime
    with TestClient(app) as c:
        session(rt, c, make_user(rt, Role.ADMINISTRATOR))
        page = c.get(f"/strategy?lang={lang}")
        assert page.status_code == 200
        assert ("Treatments and experiments" if lang == "en" else "催收路径与试验") in page.text
        runs = c.get("/strategy/runs")
        assert runs.status_code == 200 and ("Nightly runs" if lang == "en" else "夜间批处理") in runs.text
        cases_page = c.get("/strategy/cases")
        assert (
            cases_page.status_code == 200
            and ("Case allocation" if lang == "en" else "分案") in cases_page.text
        )
        assert PHONES["zhang_self"] not in cases_page.text


def test_the_upload_form_checks_stores_and_refuses(world: tuple[FastAPI, Seeded]) -> None:
    app, _ = world
    rt = app.state.runtime
    with TestClient(app) as c:
        csrf = session(rt, c, make_user(rt, Role.STRATEGY_ANALYST))
        check = c.post(
            "/strategy/validate",
            data={"yaml_text": TEXT.replace("percent: 20,", "percent: 5,"), "csrf_token": csrf},
        )
        assert check.status_code == 200 and "85%, not 100%" in check.text
        bad = c.post("/strategy/upload", data={"yaml_text": "name: [", "reason": "r", "csrf_token": csrf})
        assert bad.status_code == 422 and "not valid YAML" in bad.text
        v2 = TEXT.replace('version: "2026.1"', 'version: "2026.7"')
        good = c.post(
            "/strategy/upload",
            data={"yaml_text": v2, "reason": "from the page", "activate": "1", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert good.status_code == 303 and "activated" in good.headers["location"]
        assert "default@2026.7" in c.get(good.headers["location"]).text
        no_csrf = c.post("/strategy/upload", data={"yaml_text": v2, "reason": "x"})
        assert no_csrf.status_code in (400, 403)
        collector = TestClient(app)
        session(rt, collector, make_user(rt, Role.COLLECTOR))
        assert collector.get("/strategy", follow_redirects=False).status_code == 403
