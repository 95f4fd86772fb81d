"""Reports over HTTP: the REST API (JSON, CSV, XLSX), permissions and scope, and the dashboard pages."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from arrears.core.access import SYSTEM, Role
from arrears.reporting import service
from arrears.runtime import Runtime
from tests.authkit import auth_headers, bearer, make_user
from tests.e2e.conftest import build_app
from tests.integration.reporting_seed import Seed, seed_day

DAY = {"from": "2026-03-30", "to": "2026-03-30", "lang": "en"}  # the client keeps a lang cookie


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Runtime, Seed]]:
    app, _, _ = build_app(tmp_path_factory.mktemp("reporting"), seed=False)
    rt: Runtime = app.state.runtime
    seed = seed_day(rt)
    service.refresh(rt, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 3, 28))
    with TestClient(app) as client:
        yield client, rt, seed


@pytest.fixture(scope="module")
def manager(world: tuple[TestClient, Runtime, Seed]) -> dict[str, str]:
    return auth_headers(world[1], Role.MANAGER)


def _kpi(row: dict[str, Any], key: str) -> dict[str, Any]:
    return next(k for k in row["kpis"] if k["key"] == key)


def test_kpis_by_team_as_json(world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]) -> None:
    client, _, seed = world
    r = client.get("/api/v1/reports/kpis", params={**DAY, "by": "team"}, headers=manager)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["by"], body["currency"]) == (
        "2026-03-30",
        "2026-03-30",
        "team",
        "CNY",
    )
    assert [row["label"] for row in body["rows"]] == ["North", "South"]
    total = body["total"]
    assert _kpi(total, "connect_rate")["value"] == "0.571429"  # 4 answered / 7 attempts
    assert _kpi(total, "connect_rate")["display"] == "57.1%"
    assert _kpi(total, "average_payment")["value"] == "1000.00"
    assert total["hours"] == "6.5000"
    assert body["refreshed_at"] is not None


def test_kpis_in_chinese_and_filtered(
    world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]
) -> None:
    client, _, seed = world
    r = client.get(
        "/api/v1/reports/kpis", params={**DAY, "team": seed.south, "lang": "zh-CN"}, headers=manager
    )
    assert r.status_code == 200
    total = r.json()["total"]
    assert total["measures"]["attempts"] == 2
    assert _kpi(total, "rpc_rate")["label"] == "本人接通率"


def test_csv_and_xlsx_exports(world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]) -> None:
    client, _, _ = world
    r = client.get(
        "/api/v1/reports/kpis", params={**DAY, "by": "collector", "format": "csv"}, headers=manager
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="kpis-2026-03-30-2026-03-30.csv"' in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Collector" and [row[0] for row in rows[1:]] == ["C1", "C2", "C3", "Total"]
    x = client.get(
        "/api/v1/reports/trend",
        params={"from": "2026-03-29", "to": "2026-03-31", "format": "xlsx", "lang": "en"},
        headers=manager,
    )
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(x.content)).active
    assert [ws.cell(row, 1).value for row in (2, 3, 4)] == ["2026-03-29", "2026-03-30", "2026-03-31"]
    attempts_col = [c.value for c in ws[1]].index("Attempts") + 1
    assert [ws.cell(row, attempts_col).value for row in (2, 3, 4)] == [1, 7, 1]


def test_funnel_rolls_cohorts_league_options(
    world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]
) -> None:
    client, _, _ = world
    funnel = client.get("/api/v1/reports/funnel", params=DAY, headers=manager).json()
    assert [s["count"] for s in funnel][:3] == [7, 4, 3]
    assert client.get("/api/v1/reports/rolls", headers=manager).status_code == 200
    assert client.get("/api/v1/reports/rolls", params={"format": "csv"}, headers=manager).status_code == 200
    assert client.get("/api/v1/reports/cohorts", headers=manager).status_code == 200
    league = client.get("/api/v1/reports/league", params=DAY, headers=manager).json()
    assert [row["label"] for row in league["rows"]] == ["C2", "C1", "C3"]
    options = client.get("/api/v1/reports/options", headers=manager).json()
    assert [t["name"] for t in options["teams"]] == ["North", "South"]
    assert "M1" in options["buckets"] and "CNY" in options["currencies"]
    assert len(options["kpis"]) == 9


def test_bad_requests_are_clear(world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]) -> None:
    client, _, _ = world
    r = client.get("/api/v1/reports/kpis", params={"from": "2026-03-31", "to": "2026-03-01"}, headers=manager)
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "from"
    assert client.get("/api/v1/reports/kpis", params={"by": "planet"}, headers=manager).status_code == 422
    assert client.get("/api/v1/reports/kpis", params={"by": "arm"}, headers=manager).status_code == 422
    assert client.get("/api/v1/reports/kpis", params={"bucket": "M99"}, headers=manager).status_code == 422
    assert (
        client.get("/api/v1/reports/kpis", params={"from": "0001-01-01"}, headers=manager).status_code == 422
    )
    assert client.get("/api/v1/reports/arms", headers=manager).status_code == 422  # experiment required
    assert (
        client.get("/api/v1/reports/kpis", params={"experiment": "a\x00b"}, headers=manager).status_code
        == 422
    )
    assert client.get("/api/v1/reports/kpis", params={"currency": "yuan"}, headers=manager).status_code == 422
    empty = client.get("/api/v1/reports/arms", params={"experiment": "nothing"}, headers=manager)
    assert empty.status_code == 200 and empty.json()["arms"] == []


def test_permissions_and_team_scope(world: tuple[TestClient, Runtime, Seed]) -> None:
    client, rt, seed = world
    assert client.get("/api/v1/reports/kpis").status_code == 401
    assert client.get("/api/v1/reports/kpis", headers=bearer(rt, seed.c1)).status_code == 403
    lead = bearer(rt, make_user(rt, Role.TEAM_LEAD, team_id=seed.north))
    own = client.get("/api/v1/reports/kpis", params=DAY, headers=lead).json()
    assert own["total"]["measures"]["attempts"] == 5 and own["filters"] == {"team": seed.north}
    assert client.get("/api/v1/reports/kpis", params={"team": seed.south}, headers=lead).status_code == 403
    assert client.post("/api/v1/reports/refresh", json={}, headers=lead).status_code == 403
    analyst = auth_headers(rt, Role.STRATEGY_ANALYST)
    assert client.get("/api/v1/reports/kpis", params=DAY, headers=analyst).status_code == 200


def test_team_lead_dashboard_is_their_team_by_collector(world: tuple[TestClient, Runtime, Seed]) -> None:
    client, rt, seed = world
    lead = bearer(rt, make_user(rt, Role.TEAM_LEAD, team_id=seed.south))
    r = client.get("/reports", params={**DAY, "team": seed.north}, headers=lead)
    assert r.status_code == 200
    assert "KPIs by collector" in r.text and 'id="f-team"' not in r.text
    groups = r.text.split('id="table-groups"')[1].split("</table>")[0]
    assert "C3" in groups and "C1" not in groups  # South's collector only, whatever the query asked


def test_chart_json_cannot_close_its_script_block() -> None:
    from arrears.reporting.pages import _chart

    text = _chart({"name": "</script><script>alert(1)</script>", "and": "&"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>", "and": "&"}


def test_refresh_over_rest(world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]) -> None:
    client, _, _ = world
    r = client.post(
        "/api/v1/reports/refresh", json={"as_of": "2026-03-31", "from": "2026-03-30"}, headers=manager
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["from"], body["to"], body["days"]) == ("2026-03-30", "2026-03-31", 2)
    bad = client.post(
        "/api/v1/reports/refresh", json={"as_of": "2026-03-01", "from": "2026-03-30"}, headers=manager
    )
    assert bad.status_code == 422


def _charts(html: str) -> dict[str, Any]:
    blocks = re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>', html, flags=re.S)
    return {name: json.loads(body) for name, body in blocks}


def test_dashboard_page_renders_with_data(
    world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]
) -> None:
    client, _, _ = world
    r = client.get("/reports", params=DAY, headers=manager)
    assert r.status_code == 200, r.text
    html = r.text
    assert 'data-kpi="connect_rate"' in html and "57.1%" in html
    assert "Hours = per collector and day" in html
    charts = _charts(html)
    assert set(charts) >= {"chart-trend", "chart-funnel", "chart-flows", "chart-league"}
    assert charts["chart-funnel"]["series"][0]["data"][0] == {"name": "Attempts", "value": 7}
    assert "/static/echarts/echarts.min.js" in html and "<script>" not in html  # no inline script
    assert 'id="table-groups"' in html and "North" in html
    zh = client.get("/reports", params={**DAY, "lang": "zh-CN"}, headers=manager)
    assert "接通率" in zh.text and "仪表盘" in zh.text


def test_sub_pages_render(world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]) -> None:
    client, _, _ = world
    league = client.get("/reports/collectors", params={**DAY, "order_by": "rpc_rate"}, headers=manager)
    assert league.status_code == 200 and 'id="league-table"' in league.text and "C1" in league.text
    rolls = client.get("/reports/rolls", headers=manager)
    assert rolls.status_code == 200 and 'id="roll-table"' in rolls.text
    arms = client.get("/reports/arms", headers=manager)
    assert arms.status_code == 200
    forgiving = client.get(
        "/reports", params={"from": "yesterday", "bucket": "M99", "lang": "en"}, headers=manager
    )
    assert forgiving.status_code == 200 and "were not valid" in forgiving.text


def test_static_echarts_is_vendored(world: tuple[TestClient, Runtime, Seed]) -> None:
    client, _, _ = world
    r = client.get("/static/echarts/echarts.min.js")
    assert r.status_code == 200 and b"echarts" in r.content[:2000]
    assert (Path(__file__).resolve().parents[2] / "src/arrears/web/static/echarts/LICENSE").exists()


def test_refresh_button_posts_back(world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]) -> None:
    client, _, _ = world
    r = client.post("/reports/refresh?from=2026-03-30&to=2026-03-30", headers=manager, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/reports?from=2026-03-30&to=2026-03-30"


def test_export_file_names_survive_any_experiment_name(
    world: tuple[TestClient, Runtime, Seed], manager: dict[str, str]
) -> None:
    client, _, _ = world
    r = client.get("/api/v1/reports/arms", params={"experiment": "实验 A", "format": "csv"}, headers=manager)
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert 'filename="arms-___A-' in disposition
    assert "filename*=UTF-8''arms-%E5%AE%9E%E9%AA%8C%20A-" in disposition


def test_pages_and_api_on_an_empty_database(empty_client: TestClient) -> None:
    rt: Runtime = empty_client.app.state.runtime  # type: ignore[attr-defined]
    headers = auth_headers(rt, Role.MANAGER)
    page = empty_client.get("/reports", params={"lang": "en"}, headers=headers)
    assert page.status_code == 200 and "The report summaries have not been built yet." in page.text
    assert 'data-chart="chart-trend"' in page.text  # charts still draw, empty
    for path in ("/reports/collectors", "/reports/rolls", "/reports/arms"):
        assert empty_client.get(path, headers=headers).status_code == 200, path
    body = empty_client.get("/api/v1/reports/kpis", headers=headers).json()
    assert body["rows"] == [] and body["refreshed_at"] is None
    assert all(k["value"] is None for k in body["total"]["kpis"])
