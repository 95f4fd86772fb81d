"""The portfolio REST API over HTTP: health, schema, summary, debtor list, one debtor, one account."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import ID_NUMBERS, PHONES, XSS_NAME, Seeded


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "sqlite"


def test_openapi_lists_the_portfolio_endpoints_and_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/v1/portfolio/summary", "/api/v1/debtors", "/api/v1/debtors/{debtor_id}",
                 "/api/v1/accounts/{external_id}"):
        assert "get" in paths[path], path
        assert paths[path]["get"]["tags"] == ["portfolio"]
    models = schema["components"]["schemas"]
    assert {"PortfolioSummaryOut", "DebtorPageOut", "DebtorOut", "AccountOut", "MoneyOut"} <= set(models)
    sort = next(p for p in paths["/api/v1/debtors"]["get"]["parameters"] if p["name"] == "sort")
    ref = sort["schema"].get("$ref", "")
    sort_schema = models[ref.rsplit("/", 1)[-1]] if ref else sort["schema"]
    assert "-dpd" in sort_schema["enum"] and "name" in sort_schema["enum"]
    assert not any(p.startswith("/debtors") or p == "/" for p in paths)  # pages stay out of the API schema


def test_summary_figures(client: TestClient) -> None:
    s = client.get("/api/v1/portfolio/summary").json()
    assert (s["debtors"], s["accounts"], s["open_cases"]) == (5, 5, 4)
    buckets = {b["bucket"]: b for b in s["buckets"]}
    assert list(buckets) == ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO"]
    assert {k: b["accounts"] for k, b in buckets.items()} == {
        "M0": 1, "M1": 1, "M2": 1, "M3": 0, "M4": 1, "M5": 0, "M6": 0, "WO": 1}
    assert buckets["M2"]["outstanding"] == [{"currency": "CNY", "amount": "10734.56", "minor": 1073456}]
    assert buckets["M1"]["outstanding"] == [{"currency": "USD", "amount": "250.00", "minor": 25000}]
    assert (buckets["M1"]["dpd_from"], buckets["M1"]["dpd_to"]) == (1, 30)
    assert (buckets["WO"]["dpd_from"], buckets["WO"]["dpd_to"]) == (181, None)
    cny = next(b for b in s["balances"] if b["currency"] == "CNY")
    assert cny["accounts"] == 4
    assert cny["outstanding"]["minor"] == 1073456 + 500_000 + 12_345_678 + 812_000
    assert cny["penalty"]["amount"] == "34.56"
    products = {p["product"]: p["accounts"] for p in s["products"]}
    assert products == {"credit_card": 2, "consumer_loan": 2, "business_receivable": 1}
    assert s["last_aging_run"]["accounts_aged"] == 5
    assert [b["reference"] for b in s["recent_imports"]] == ["IMP-ABCD2345"]
    assert s["as_of"].startswith("2026-03-31T10:00")


def test_summary_of_an_empty_portfolio(empty_client: TestClient) -> None:
    s = empty_client.get("/api/v1/portfolio/summary").json()
    assert (s["debtors"], s["accounts"], s["open_cases"]) == (0, 0, 0)
    assert [b["accounts"] for b in s["buckets"]] == [0] * 8
    assert s["balances"] == [] and s["last_aging_run"] is None and s["recent_imports"] == []


def _ids(client: TestClient, **params: str | int) -> list[str]:
    response = client.get("/api/v1/debtors", params=params)
    assert response.status_code == 200, response.text
    return [d["external_id"] for d in response.json()["items"]]


def test_debtor_list_default_sort_is_worst_first(client: TestClient) -> None:
    body = client.get("/api/v1/debtors").json()
    assert (body["total"], body["page"], body["pages"], body["sort"]) == (5, 1, 1, "-dpd")
    assert [d["external_id"] for d in body["items"]] == ["D-0005", "D-0003", "D-0001", "D-0004", "D-0002"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"bucket": "M2"}, ["D-0001"]),
        ({"bucket": "M3"}, []),
        ({"product": "consumer_loan"}, ["D-0005", "D-0002"]),
        ({"status": "open"}, ["D-0001", "D-0004"]),
        ({"status": "closed"}, ["D-0002"]),
        ({"status": "on_hold", "product": "business_receivable"}, ["D-0003"]),
        ({"q": "张"}, ["D-0001"]),
        ({"q": "d-000"}, ["D-0005", "D-0003", "D-0001", "D-0004", "D-0002"]),
        ({"q": "CL-0002"}, ["D-0002"]),
        ({"q": "5678"}, ["D-0001"]),  # the debtor's phone digits
        ({"q": "138 1234"}, ["D-0001"]),
        ({"q": "4321"}, ["D-0003", "D-0001"]),  # the company's payables phone and Zhang's spouse's
        ({"q": "%"}, []),  # LIKE wildcards are literal
        ({"q": "_"}, []),
        ({"q": "' or 1=1 --"}, []),
    ],
)
def test_debtor_list_filters(client: TestClient, params: dict[str, str], expected: list[str]) -> None:
    assert _ids(client, **params) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("dpd", ["D-0002", "D-0004", "D-0001", "D-0003", "D-0005"]),
        ("-outstanding", ["D-0003", "D-0001", "D-0005", "D-0002", "D-0004"]),
        ("outstanding", ["D-0004", "D-0002", "D-0005", "D-0001", "D-0003"]),
        ("external_id", ["D-0001", "D-0002", "D-0003", "D-0004", "D-0005"]),
        ("-external_id", ["D-0005", "D-0004", "D-0003", "D-0002", "D-0001"]),
    ],
)
def test_debtor_list_sorts(client: TestClient, sort: str, expected: list[str]) -> None:
    assert _ids(client, sort=sort) == expected


def test_debtor_list_pagination(client: TestClient) -> None:
    first = client.get("/api/v1/debtors", params={"page_size": 2, "sort": "external_id"}).json()
    assert (first["total"], first["pages"]) == (5, 3)
    pages = [_ids(client, page_size=2, page=p, sort="external_id") for p in (1, 2, 3, 4)]
    assert pages == [["D-0001", "D-0002"], ["D-0003", "D-0004"], ["D-0005"], []]


def test_bad_sort_key_is_422_with_the_allowed_values(client: TestClient) -> None:
    response = client.get("/api/v1/debtors", params={"sort": "name; drop table debtors"})
    assert response.status_code == 422
    text = response.text
    for key in ("-dpd", "dpd", "-outstanding", "outstanding", "name", "-name", "external_id"):
        assert f"'{key}'" in text


@pytest.mark.parametrize(
    "params",
    [{"bucket": "M9"}, {"bucket": "X1"}, {"product": "mortgage"}, {"status": "lost"}, {"page": 0},
     {"page_size": 0}, {"page_size": 201}, {"q": "x" * 101}],
)
def test_bad_list_parameters_are_422(client: TestClient, params: dict[str, str | int]) -> None:
    response = client.get("/api/v1/debtors", params=params)
    assert response.status_code == 422, response.text


def test_an_unconfigured_bucket_is_refused_with_the_allowed_ones(client: TestClient) -> None:
    response = client.get("/api/v1/debtors", params={"bucket": "M7"})
    assert response.status_code == 422
    assert "M0, M1, M2, M3, M4, M5, M6, WO" in response.json()["detail"]


def test_list_items_are_masked(client: TestClient) -> None:
    items = {d["external_id"]: d for d in client.get("/api/v1/debtors").json()["items"]}
    assert items["D-0001"]["name"] == "张*"
    assert items["D-0001"]["phone"] == "+86 138****5678"
    assert items["D-0003"]["name"] == "深圳市前海某某贸易有限公司"  # a company's name is public
    assert items["D-0003"]["phone"] == "+86 208***4321"  # its payables line, never a third party's
    assert items["D-0001"]["outstanding"] == [{"currency": "CNY", "amount": "10734.56", "minor": 1073456}]
    assert items["D-0001"]["buckets"] == ["M2"] and items["D-0001"]["case_status"] == "open"
    assert items["D-0002"]["case_status"] == "closed"


def test_one_debtor(client: TestClient, seeded: Seeded) -> None:
    d = client.get(f"/api/v1/debtors/{seeded.zhang}").json()
    assert d["name"] == "张*" and d["id_number"] == "1101**********1234"
    assert d["address"] == "北京市朝阳区****"
    assert d["timezone"] == "Asia/Shanghai" and d["local_time"] == "2026-03-31T18:00:00+08:00"
    assert d["max_dpd"] == 45
    [account] = d["accounts"]
    assert account["external_id"] == "CC-0001" and account["bucket"] == "M2" and account["dpd"] == 45
    components = ("principal", "interest", "fees", "penalty", "outstanding")
    assert [account[k]["minor"] for k in components] == [1_000_000, 50_000, 20_000, 3_456, 1_073_456]
    assert [i["overdue"] for i in account["due_items"]] == [True, True, False]
    assert account["due_items"][0]["unpaid"]["minor"] == 30_000
    assert [p["reference"] for p in account["payments"]] == ["PAY-0001"]
    assert [s["bucket"] for s in account["bucket_history"]] == ["M0", "M1", "M2"]
    contacts = d["contacts"]
    assert [c["relationship"] for c in contacts] == ["self", "self", "spouse"]
    assert contacts[0]["value"] == "+86 138****5678" and contacts[1]["value"] == "z***@example.com"
    assert contacts[2]["contact_name"] == "王*" and contacts[2]["consent"] == "contract_names"
    assert [(c["status"], c["accounts"]) for c in d["cases"]] == [("open", ["CC-0001"])]


def test_local_time_follows_the_debtors_zone(client: TestClient, seeded: Seeded) -> None:
    d = client.get(f"/api/v1/debtors/{seeded.xss}").json()
    assert d["local_time"] == "2026-03-31T06:00:00-04:00"  # New York, daylight saving time


def test_unknown_debtor_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/debtors/999999")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"
    assert client.get("/api/v1/debtors/abc").status_code == 422


def test_one_account(client: TestClient, seeded: Seeded) -> None:
    a = client.get("/api/v1/accounts/CC-0001").json()
    assert a["debtor_id"] == seeded.zhang and a["debtor_name"] == "张*"
    assert a["outstanding"] == {"currency": "CNY", "amount": "10734.56", "minor": 1073456}
    assert a["late_fee"]["amount"] == "50.00" and a["penalty_rate_ppm"] == 180_000
    assert a["credit_limit"]["minor"] == 2_000_000 and a["last_payment"]["minor"] == 30_000
    assert client.get("/api/v1/accounts/NOPE").status_code == 404


def test_no_response_carries_a_full_phone_or_identity_number(client: TestClient, seeded: Seeded) -> None:
    bodies = [client.get("/api/v1/debtors").text, client.get("/api/v1/portfolio/summary").text]
    bodies += [client.get(f"/api/v1/debtors/{i}").text for i in vars(seeded).values()]
    bodies += [client.get(f"/api/v1/accounts/{a}").text for a in ("CC-0001", "BR-0003", "CL-0005")]
    everything = "\n".join(bodies)
    for secret in (*PHONES.values(), *ID_NUMBERS.values(), "13812345678", "zhangwei@", "建国路88号", "张伟"):
        assert secret not in everything, secret


def test_json_carries_names_as_data_not_markup(client: TestClient, seeded: Seeded) -> None:
    d = client.get(f"/api/v1/debtors/{seeded.xss}")
    assert d.headers["content-type"].startswith("application/json")
    assert json.loads(d.text)["name"] == XSS_NAME
