"""The payments REST API and pages end to end (full app over HTTP, bearer tokens and a page session)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from arrears.core.access import Role
from arrears.runtime import Runtime
from tests.authkit import bearer, make_user, session
from tests.e2e.conftest import build_app
from tests.integration.payments_seed import Acct, Desk, account, desk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "payments"


@dataclass
class World:
    """The app, a desk, an account and bearer headers per role."""

    http: TestClient
    rt: Runtime
    desk: Desk
    a: Acct
    collector: dict[str, str]
    lead: dict[str, str]
    manager: dict[str, str]
    manager2: dict[str, str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app, _, _ = build_app(tmp_path, seed=False)
    rt: Runtime = app.state.runtime
    d = desk(rt)
    a = account(rt, 1, d.team, d.collector.user_id)
    with TestClient(app) as http:
        yield World(http, rt, d, a, bearer(rt, d.collector), bearer(rt, d.lead), bearer(rt, d.manager),
                    bearer(rt, d.manager2))


def pay(w: World, ref: str, amount: str = "600.00", **extra: object) -> dict[str, object]:
    return {"account": w.a.external_id, "reference": ref, "amount": amount, "paid_on": "2026-03-30",
            "channel": "bank_transfer", **extra}


def test_post_reverse_and_balance(world: World) -> None:
    w = world
    r = w.http.post("/api/v1/payments", headers=w.manager, json=pay(w, "H-1"))
    assert r.status_code == 200 and r.json()["parts"]["penalty"] == 30_000 and not r.json()["duplicate"]
    assert w.http.post("/api/v1/payments", headers=w.manager, json=pay(w, "H-1")).json()["duplicate"]
    conflict = w.http.post("/api/v1/payments", headers=w.manager, json=pay(w, "H-1", amount="1"))
    assert conflict.status_code == 409
    bal = w.http.get(f"/api/v1/accounts/{w.a.external_id}/balance", headers=w.collector).json()
    assert bal["owed_minor"] == 440_000 and [e["kind"] for e in bal["ledger"]] == ["opening", "payment"]
    before = w.http.get(f"/api/v1/accounts/{w.a.external_id}/balance?as_of=2026-03-29", headers=w.lead).json()
    assert before["owed_minor"] == 500_000
    rev = w.http.post("/api/v1/payments/H-1/reversal", headers=w.manager, json={"reason": "bounced"})
    assert rev.status_code == 200 and rev.json()["reopened"]["fees"] == 20_000
    again = w.http.post("/api/v1/payments/H-1/reversal", headers=w.manager, json={"reason": "bounced"})
    assert again.status_code == 409
    missing = w.http.post("/api/v1/payments/NOPE/reversal", headers=w.manager, json={"reason": "x"})
    assert missing.status_code == 404


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"currency": "USD"}, 422, "currency"),
    ({"amount": "1.001"}, 422, "amount"),
    ({"paid_on": "2026-04-05"}, 422, "paid_on"),
    ({"account": "NO-SUCH"}, 404, None),
])
def test_bad_payments(world: World, body: dict[str, object], status: int, field: str | None) -> None:
    r = world.http.post("/api/v1/payments", headers=world.manager, json=pay(world, "BAD", **body))
    assert r.status_code == status, r.text
    if field:
        assert r.json()["problems"][0]["field"] == field
    assert world.http.get(f"/api/v1/accounts/{world.a.external_id}/balance",
                          headers=world.manager).json()["owed_minor"] == 500_000


def test_permissions_401_and_403(world: World) -> None:
    w = world
    assert w.http.post("/api/v1/payments", json=pay(w, "X")).status_code == 401
    assert w.http.post("/api/v1/payments", headers=w.collector, json=pay(w, "X")).status_code == 403
    assert w.http.get("/api/v1/approvals", headers=w.collector).status_code == 403
    agent = bearer(w.rt, w.desk.agent)
    assert w.http.get(f"/api/v1/accounts/{w.a.external_id}/balance", headers=agent).status_code == 404


def test_a_channel_file_over_rest(world: World, tmp_path: Path) -> None:
    w = world
    f = tmp_path / "bank.csv"
    lines = ["交易日期,交易流水号,贷方金额,币种,附言", f"2026-03-30,F-1,100.00,CNY,还款 {w.a.external_id}"]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with f.open("rb") as fh:
        r = w.http.post("/api/v1/payments/files", headers=w.manager, files={"file": ("bank.csv", fh,
                                                                                     "text/csv")})
    assert r.status_code == 200 and r.json()["posted"] == 1 and r.json()["layout"] == "bank"
    with (EXAMPLES / "bank_statement_bad.csv").open("rb") as fh:
        bad = w.http.post("/api/v1/payments/files", headers=w.manager,
                          files={"file": ("bad.csv", fh, "text/csv")})
    assert bad.status_code == 422 and len(bad.json()["problems"]) == 6


def test_promises_claims_history_and_the_approval_flow(world: World) -> None:
    w = world
    small = w.http.post("/api/v1/promises", headers=w.collector, json={
        "debtor_id": w.a.debtor, "account_id": w.a.account, "amount": "500.00", "due_on": "2026-04-03",
        "due_time": "15:00", "channel": "alipay"})
    assert small.status_code == 200 and small.json()["status"] == "pending"
    big = w.http.post("/api/v1/promises", headers=w.collector, json={
        "debtor_id": w.a.debtor, "amount": "3500", "due_on": "2026-04-03", "channel": "alipay"}).json()
    assert big["status"] == "awaiting_approval"
    past = w.http.post("/api/v1/promises", headers=w.collector, json={
        "debtor_id": w.a.debtor, "amount": "5", "due_on": "2026-03-01", "channel": "alipay"})
    assert past.status_code == 422 and past.json()["problems"][0]["field"] == "due_on"
    doc = w.http.get(f"/api/v1/documents/{small.json()['confirmation_id']}", headers=w.collector).json()
    assert "支付宝" in doc["text_zh"] and "Alipay" in doc["text_en"]
    claim = w.http.post("/api/v1/claims", headers=w.collector, json={
        "debtor_id": w.a.debtor, "paid_on": "2026-03-30", "amount": "10", "channel": "cash"}).json()
    assert claim["matched_payment_id"] is None
    inbox = w.http.get("/api/v1/approvals", headers=w.lead).json()
    assert [r["id"] for r in inbox] == [big["approval_id"]]
    no_reason = w.http.post(f"/api/v1/approvals/{big['approval_id']}/decision", headers=w.lead,
                            json={"approve": True, "reason": ""})
    assert no_reason.status_code == 422
    ok = w.http.post(f"/api/v1/approvals/{big['approval_id']}/decision", headers=w.lead,
                     json={"approve": True, "reason": "salary on the 1st"})
    assert ok.json()["status"] == "approved"
    hist = w.http.get(f"/api/v1/debtors/{w.a.debtor}/promises", headers=w.collector).json()
    assert (hist["made"], hist["pending"]) == (2, 2)
    listed = w.http.get("/api/v1/promises?status=pending", headers=w.collector).json()
    assert len(listed) == 2
    judged = w.http.post("/api/v1/promises/judge", headers=w.manager, json={"as_of": "2026-04-10"}).json()
    assert judged["broken"] == 2


def test_settlement_waiver_and_plan_over_rest(world: World) -> None:
    w = world
    offer = w.http.get(f"/api/v1/accounts/{w.a.external_id}/settlement-offer", headers=w.collector).json()
    assert offer["bucket"] == "M2" and offer["floor_minor"] == 450_000
    s = w.http.post("/api/v1/settlements", headers=w.collector, json={
        "account": w.a.external_id, "amount": "1000", "due_on": "2026-04-20", "reason": "hardship"}).json()
    assert s["below_floor"] and s["level"] == "committee"
    for h in (w.manager, w.manager2):
        out = w.http.post(f"/api/v1/approvals/{s['approval_id']}/decision", headers=h,
                          json={"approve": True, "reason": "documented hardship"})
        assert out.status_code == 200
    assert out.json()["status"] == "approved"
    waiver = w.http.post("/api/v1/waivers", headers=w.collector, json={
        "account": w.a.external_id, "parts": {"fees": "50"}, "reason": "goodwill"}).json()
    assert waiver["status"] == "applied"
    plan = w.http.post("/api/v1/plans", headers=w.collector, json={
        "account": w.a.external_id, "total": "900", "instalments": 3, "frequency": "monthly",
        "start_on": "2026-04-15"}).json()
    assert plan["status"] == "active" and len(plan["instalments"]) == 3
    st = w.http.get(f"/api/v1/accounts/{w.a.external_id}/statement", headers=w.collector).json()
    assert "账户对账单" in st["text_zh"] and "Account statement" in st["text_en"]


def test_money_page_approvals_page_and_document_page(world: World) -> None:
    w = world
    w.http.post("/api/v1/payments", headers=w.manager, json=pay(w, "PG-1"))
    waiver = w.http.post("/api/v1/waivers", headers=w.collector, json={
        "account": w.a.external_id, "amount": "1000", "reason": "complaint"}).json()
    lead = TestClient(w.http.app)
    csrf = session(w.rt, lead, w.desk.lead)
    page = lead.get(f"/accounts/{w.a.external_id}/money?as_of=2026-03-31&lang=en")
    assert page.status_code == 200 and "Ledger" in page.text and "PG-1" in page.text
    assert "CNY 4,400.00" in page.text
    zh = lead.get(f"/accounts/{w.a.external_id}/money?lang=zh-CN")
    assert "台账" in zh.text
    inbox = lead.get("/approvals?lang=en")
    assert inbox.status_code == 200 and f"approval-{waiver['approval_id']}" in inbox.text
    no_csrf = lead.post(f"/approvals/{waiver['approval_id']}/decide", data={"decision": "approve",
                                                                            "reason": "ok"})
    assert no_csrf.status_code == 403
    done = lead.post(f"/approvals/{waiver['approval_id']}/decide", follow_redirects=False,
                     data={"decision": "approve", "reason": "ok", "csrf_token": csrf})
    assert done.status_code == 303 and done.headers["location"] == "/approvals?done=approved"
    collector = TestClient(w.http.app)
    session(w.rt, collector, w.desk.collector)
    assert collector.get("/approvals").status_code == 403
    docs = lead.get("/documents/1?lang=en")
    assert docs.status_code == 200 and "doc-text-zh" in docs.text
    assert lead.get("/accounts/NOPE/money").status_code == 404
    other = make_user(w.rt, Role.COLLECTOR)
    outsider = TestClient(w.http.app)
    session(w.rt, outsider, other)
    assert outsider.get(f"/accounts/{w.a.external_id}/money").status_code == 404
