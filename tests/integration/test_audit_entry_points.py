"""`arrears audit verify|list` and GET /api/v1/audit[/verify] on both backends, intact and tampered."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from arrears.core.access import Role
from arrears.runtime import Runtime
from arrears.web.app import create_app
from tests.authkit import auth_headers
from tests.security_kit import append, row, run_cli, tamper


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    """The app on the runtime's database."""
    return TestClient(create_app(runtime.settings, runtime.clock))  # type: ignore[arg-type]


def test_cli_verify_exits_0_when_intact_and_prints_the_head(runtime: Runtime) -> None:
    append(runtime, 3)
    result = run_cli(runtime, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "intact" in result.output and f"3:{row(runtime, 3).hash}" in result.output


@pytest.mark.parametrize(("sql", "seq", "why"), [
    ("update audit_log set details = '{\"i\": 9}' where seq = 2", 2, "altered"),
    ("delete from audit_log where seq = 2", 3, "gap"),
    ("insert into audit_log (seq, at, actor, actor_role, action, entity_type, entity_id, details, prev_hash, "
     "hash) select 5, at, 'mallory', actor_role, action, entity_type, entity_id, details, hash, hash "
     "from audit_log where seq = 4", 5, "altered"),
])
def test_cli_verify_exits_1_naming_the_first_broken_record(runtime: Runtime, sql: str, seq: int,
                                                           why: str) -> None:
    append(runtime, 4)
    tamper(runtime, sql)
    result = run_cli(runtime, "audit", "verify")
    assert result.exit_code == 1, result.output
    assert f"BROKEN at seq {seq}:" in result.output and why in result.output


def test_cli_verify_json_and_anchor(runtime: Runtime) -> None:
    append(runtime, 3)
    anchor = f"3:{row(runtime, 3).hash}"
    tamper(runtime, "delete from audit_log where seq = 3")
    plain = run_cli(runtime, "audit", "verify", "--json")
    assert plain.exit_code == 0 and json.loads(plain.stdout)["head_seq"] == 2
    anchored = run_cli(runtime, "audit", "verify", "--anchor", anchor)
    assert anchored.exit_code == 1 and "seq 3" in anchored.output and "missing" in anchored.output
    bad = run_cli(runtime, "audit", "verify", "--anchor", "nonsense")
    assert bad.exit_code == 2 and "SEQ:HASH" in bad.output


def test_cli_list_filters(runtime: Runtime) -> None:
    append(runtime, 2, entity_id=7)
    append(runtime, 1, action="payment.post", entity_type="payment", entity_id=42)
    result = run_cli(runtime, "audit", "list", "--entity", "payment:42", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["seq"], r["action"]) for r in lines] == [(3, "payment.post")]
    table = run_cli(runtime, "audit", "list", "--actor", "system", "--since", "2026-03-31",
                    "--action", "hold.*")
    assert table.exit_code == 0 and "hold.set" in table.output and "payment.post" not in table.output
    none = run_cli(runtime, "audit", "list", "--since", "2026-04-01T00:00:00+00:00")
    assert none.exit_code == 0 and "no audit records match" in none.output
    bad = run_cli(runtime, "audit", "list", "--since", "yesterday")
    assert bad.exit_code == 2 and "not a date" in bad.output


def test_api_lists_and_verifies(runtime: Runtime, client: TestClient) -> None:
    append(runtime, 3)
    headers = auth_headers(runtime, Role.COMPLIANCE_OFFICER)
    listed = client.get("/api/v1/audit", params={"limit": 2}, headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [i["seq"] for i in body["items"]] == [3, 2] and body["next_before_seq"] == 2 and body["total"] == 3
    verified = client.get("/api/v1/audit/verify", headers=headers).json()
    assert verified["intact"] is True and verified["checked"] == 3 and verified["guard_installed"] is True


def test_api_verify_reports_tampering(runtime: Runtime, client: TestClient) -> None:
    append(runtime, 3)
    tamper(runtime, "update audit_log set entity_id = '8' where seq = 1")
    body = client.get("/api/v1/audit/verify", headers=auth_headers(runtime, Role.MANAGER)).json()
    assert body["intact"] is False
    assert body["first_break"]["seq"] == 1 and "altered" in body["first_break"]["reason"]


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.AGENCY_USER, Role.STRATEGY_ANALYST])
def test_api_needs_audit_read(runtime: Runtime, client: TestClient, role: Role) -> None:
    headers = auth_headers(runtime, role)
    assert client.get("/api/v1/audit", headers=headers).status_code == 403
    assert client.get("/api/v1/audit/verify", headers=headers).status_code == 403


def test_api_without_credentials_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/audit").status_code == 401
    assert client.get("/api/v1/audit/verify").status_code == 401


@pytest.mark.parametrize("params", [
    {"actor": "' OR 1=1 --"}, {"entity_id": "1; drop table audit_log"}, {"action": "x' union select *"},
    {"since": "2026-03-31T00:00:00"}, {"since": "not a date"}, {"limit": "0"}, {"limit": "100000"},
    {"before_seq": "99999999999999999999999"}, {"actor": "a\x00b"}, {"entity_type": "x" * 200},
])
def test_api_filters_with_junk_are_422_or_empty_never_500(runtime: Runtime, client: TestClient,
                                                          params: dict[str, str]) -> None:
    append(runtime, 2)
    response = client.get("/api/v1/audit", params=params, headers=auth_headers(runtime, Role.ADMINISTRATOR))
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        assert response.json()["items"] == []
