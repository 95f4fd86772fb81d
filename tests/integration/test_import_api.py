"""The import over REST (multipart upload) on the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.core.access import Role
from arrears.runtime import Runtime
from tests.authkit import auth_headers
from tests.integration.test_import_accounts import EXAMPLES, snapshot


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The whole web app on the test database, with the test clock."""
    from arrears.web.app import create_app

    app = create_app(runtime.settings, runtime.clock)
    with TestClient(app, headers=auth_headers(runtime, Role.MANAGER)) as c:
        yield c
    app.state.runtime.engine.dispose()


def _upload(client: TestClient, kind: str, name: str, **form: str) -> object:
    with (EXAMPLES / name).open("rb") as fh:
        return client.post(f"/api/v1/imports/{kind}", files={"file": (name, fh, "text/csv")}, data=form)


def test_upload_then_list_and_detail(client: TestClient) -> None:
    response = _upload(client, "accounts", "accounts.csv")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows_new"], body["rows_total"], body["status"], body["file"]) == (
        30,
        30,
        "committed",
        "accounts.csv",
    )
    again = _upload(client, "accounts", "accounts.csv").json()
    assert again["rows_unchanged"] == 30
    listed = client.get("/api/v1/imports").json()
    assert [b["reference"] for b in listed] == [again["reference"], body["reference"]]
    assert listed[0]["actor"].startswith("api:manager-") and listed[0]["file_name"] == "accounts.csv"
    detail = client.get(f"/api/v1/imports/{body['reference']}").json()
    assert detail["rejects"] == [] and detail["rows_new"] == 30


def test_rejected_upload_is_422_with_every_problem_and_nothing_written(
    client: TestClient, runtime: Runtime
) -> None:
    before = snapshot(runtime)
    response = _upload(client, "accounts", "accounts_bad_rows.csv")
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "ImportRejected" and "7 rows rejected" in body["detail"]
    assert {p["row"] for p in body["problems"]} == {3, 4, 5, 6, 7, 8, 9}
    assert {"file", "row", "field", "value", "reason"} <= set(body["problems"][0])
    assert snapshot(runtime) == before


def test_quarantine_and_dry_run_form_fields(client: TestClient, runtime: Runtime) -> None:
    before = snapshot(runtime)
    dry = _upload(client, "accounts", "accounts.csv", dry_run="true").json()
    assert dry["status"] == "dry_run" and dry["rows_new"] == 30 and snapshot(runtime) == before
    quarantined = _upload(client, "accounts", "accounts_bad_rows.csv", quarantine="true").json()
    assert (quarantined["status"], quarantined["rows_new"], quarantined["rows_rejected"]) == (
        "quarantined",
        2,
        7,
    )
    detail = client.get(f"/api/v1/imports/{quarantined['reference']}").json()
    assert sorted({r["row_number"] for r in detail["rejects"]}) == [3, 4, 5, 6, 7, 8, 9]
    assert '"account_id": "BAD-002"' in detail["rejects"][0]["raw"]


def test_encoding_and_mapping_uploads(client: TestClient) -> None:
    with (
        (EXAMPLES / "accounts_custom_layout.csv").open("rb") as fh,
        (EXAMPLES / "mapping_example.yaml").open("rb") as mapping,
    ):
        response = client.post(
            "/api/v1/imports/accounts",
            files={
                "file": ("layout.csv", fh, "text/csv"),
                "mapping": ("m.yaml", mapping, "application/yaml"),
            },
        )
    assert response.status_code == 200, response.text
    assert response.json()["rows_new"] == 3
    forced = _upload(client, "accounts", "accounts_gbk.csv", encoding="utf-8")
    assert forced.status_code == 422 and "not valid UTF-8" in forced.json()["detail"]
    gbk = _upload(client, "accounts", "accounts_gbk.csv", encoding="gbk").json()
    assert gbk["encoding"] == "gb18030" and gbk["rows_new"] == 6


def test_unknown_kind_and_reference(client: TestClient) -> None:
    response = _upload(client, "loans", "accounts.csv")
    assert response.status_code == 404 and "unknown import kind 'loans'" in response.json()["detail"]
    assert client.get("/api/v1/imports/IMP-NOPE").status_code == 404


def test_contacts_and_payments_over_rest(client: TestClient) -> None:
    assert _upload(client, "accounts", "accounts.csv").status_code == 200
    assert _upload(client, "contacts", "contacts.csv").json()["rows_new"] == 14
    assert _upload(client, "payments", "payments.csv").json()["rows_new"] == 9


def test_upload_with_a_path_in_its_name_is_kept_inside_the_temp_folder(client: TestClient) -> None:
    with (EXAMPLES / "accounts.csv").open("rb") as fh:
        response = client.post(
            "/api/v1/imports/accounts", files={"file": ("../../etc/evil.csv", fh, "text/csv")}
        )
    assert response.status_code == 200 and response.json()["file"] == "evil.csv"
    assert not Path("/etc/evil.csv").exists()
