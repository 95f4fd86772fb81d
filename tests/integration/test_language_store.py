"""Notes saved with their findings; templates that fail cannot be activated (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from arrears.compliance.language import service
from arrears.compliance.language.api import router
from arrears.compliance.language.store import collection_notes, message_templates
from arrears.core.access import SYSTEM, Role
from arrears.core.clock import FixedClock
from arrears.core.errors import ArrearsError, Conflict, InputRejected, NotFound
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from tests.authkit import auth_headers

CLEAN_SMS = "【XX银行】尊敬的客户，您的信用卡账单已出，应还金额1,500.00元，请通过官方渠道还款。回复TD退订"


def add_debtor(rt: Runtime, external_id: str = "D-1") -> int:
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        return int(conn.execute(insert(debtors).values(
            external_id=external_id, kind="person", name="张伟", timezone="Asia/Shanghai",
            timezone_source="default", row_hash="x", created_at=now, updated_at=now,
        ).returning(debtors.c.id)).scalar_one())


def test_a_note_is_saved_with_its_findings(runtime: Runtime) -> None:
    debtor = add_debtor(runtime)
    text = "客户称已委托律师。我告诉他再不还就抓他去坐牢。"
    note = service.save_note(runtime, SYSTEM, debtor, text, author="collector-7")
    assert {f.category for f in note.findings} == {"attorney", "false_legal"}
    assert note.flags == ["legal_representation"] and note.worst_severity == "high"
    with runtime.engine.connect() as conn:
        row = conn.execute(select(collection_notes)).one()
    assert (row.worst_severity, row.author) == ("high", "collector-7")
    assert row.created_at == runtime.clock.now()
    assert {f["category"] for f in row.findings} == {"attorney", "false_legal"}
    [stored] = service.list_notes(runtime, SYSTEM, debtor)
    assert stored == note


def test_a_clean_note_and_the_order_of_notes(runtime: Runtime, clock: FixedClock) -> None:
    debtor = add_debtor(runtime)
    first = service.save_note(runtime, SYSTEM, debtor, "客户承诺3月15日前还款1,000元。", author="a")
    clock.advance(timedelta(minutes=5))
    second = service.save_note(runtime, SYSTEM, debtor, "Customer: stop calling me.", author="a",
                               kind="transcript")
    assert first.findings == () and first.worst_severity is None
    assert second.flags == ["cease_request"]
    assert [n.id for n in service.list_notes(runtime, SYSTEM, debtor)] == [second.id, first.id]


def test_a_third_party_call_note_is_checked_in_that_context(runtime: Runtime) -> None:
    debtor = add_debtor(runtime)
    text = "已告知其妹妹：他的欠款已经逾期。"
    note = service.save_note(runtime, SYSTEM, debtor, text, author="a", third_party=True)
    assert {f.category for f in note.findings} == {"third_party_disclosure"}


def test_bad_notes_are_refused_and_nothing_is_written(runtime: Runtime) -> None:
    debtor = add_debtor(runtime)
    with pytest.raises(InputRejected) as info:
        service.save_note(runtime, SYSTEM, debtor, "  ", author="", kind="letter")
    assert {p.field for p in info.value.problems} == {"text", "author", "kind"}
    with pytest.raises(NotFound):
        service.save_note(runtime, SYSTEM, debtor + 999, "你好", author="a")
    with pytest.raises(NotFound):
        service.list_notes(runtime, SYSTEM, debtor + 999)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(collection_notes)).all() == []


def test_a_failing_template_cannot_be_activated(runtime: Runtime) -> None:
    draft = service.create_template(runtime, SYSTEM, "REMIND-1", "sms", "zh-CN",
                                    "再不还钱我们明天就上门找你，让你全家不得安宁。回复TD退订", "officer")
    assert draft.status == "draft" and draft.version == 1
    assert {f.category for f in draft.findings} == {"unannounced_visit", "threat"}
    with pytest.raises(service.TemplateRejected) as info:
        service.activate_template(runtime, SYSTEM, draft.id, by="officer")
    assert info.value.status_code == 422
    assert [p.code for p in info.value.problems] == ["language_findings"]
    assert {f.category for f in info.value.findings} == {"unannounced_visit", "threat"}
    assert service.get_template(runtime, SYSTEM, draft.id).status == "draft"


def test_activation_retires_the_previous_version(runtime: Runtime, clock: FixedClock) -> None:
    v1 = service.create_template(runtime, SYSTEM, "REMIND-1", "sms", "zh", CLEAN_SMS, "officer")
    active = service.activate_template(runtime, SYSTEM, v1.id, by="lead")
    assert (active.status, active.activated_by, active.activated_at) == ("active", "lead", clock.now())
    assert active.language == "zh-CN" and active.findings == ()
    clock.advance(timedelta(days=1))
    v2 = service.create_template(runtime, SYSTEM, "REMIND-1", "sms", "zh-CN", CLEAN_SMS + "。", "officer")
    assert v2.version == 2
    service.activate_template(runtime, SYSTEM, v2.id, by="lead")
    by_id = {t.id: t for t in service.list_templates(runtime, SYSTEM, code="REMIND-1")}
    assert (by_id[v1.id].status, by_id[v1.id].retired_at) == ("retired", clock.now())
    assert by_id[v2.id].status == "active"
    assert [t.id for t in service.list_templates(runtime, SYSTEM, status="active")] == [v2.id]
    with pytest.raises(Conflict):
        service.activate_template(runtime, SYSTEM, v1.id, by="lead")


def test_channel_rules_opt_out_and_voicemail(runtime: Runtime) -> None:
    body = "ABC Bank: $120 is due on 04/10."
    no_opt_out = service.create_template(runtime, SYSTEM, "R2", "sms", "en", body, "o")
    with pytest.raises(service.TemplateRejected) as info:
        service.activate_template(runtime, SYSTEM, no_opt_out.id, by="o")
    assert [p.code for p in info.value.problems] == ["opt_out_missing"] and info.value.findings == []
    body = "您好，您的信用卡已逾期，请尽快还款。"
    vm = service.create_template(runtime, SYSTEM, "VM1", "voicemail", "zh-CN", body, "o")
    with pytest.raises(service.TemplateRejected) as info:
        service.activate_template(runtime, SYSTEM, vm.id, by="o")
    assert {f.category for f in info.value.findings} == {"third_party_disclosure"}
    body = "您好，这里是XX公司的李明，请回电400-800-1234。"
    ok = service.create_template(runtime, SYSTEM, "VM2", "voicemail", "zh-CN", body, "o")
    assert service.activate_template(runtime, SYSTEM, ok.id, by="o").status == "active"


def test_bad_templates_are_refused(runtime: Runtime) -> None:
    with pytest.raises(InputRejected) as info:
        service.create_template(runtime, SYSTEM, "bad code!", "fax", "fr", "", "")
    assert {p.field for p in info.value.problems} == {"code", "channel", "language", "body", "created_by"}
    with pytest.raises(NotFound):
        service.activate_template(runtime, SYSTEM, 12345, by="o")
    with runtime.engine.connect() as conn:
        assert conn.execute(select(message_templates)).all() == []


@pytest.fixture
def api(runtime: Runtime) -> TestClient:
    app = FastAPI()
    app.state.runtime = runtime

    @app.exception_handler(ArrearsError)
    async def _error(_request: Request, exc: ArrearsError) -> JSONResponse:
        content = {"error": type(exc).__name__, "detail": str(exc)}
        return JSONResponse(status_code=exc.status_code, content=content)

    app.include_router(router, prefix="/api/v1")
    return TestClient(app, headers=auth_headers(runtime, Role.ADMINISTRATOR))


def test_api_lint_notes_and_templates(api: TestClient, runtime: Runtime) -> None:
    text = "你好，请转告他欠款已逾期。"
    lint = api.post("/api/v1/compliance/lint", json={"text": text, "third_party": True})
    body: dict[str, Any] = lint.json()
    assert lint.status_code == 200 and body["blocking"] is True
    assert {f["category"] for f in body["findings"]} == {"third_party_disclosure"}
    assert api.post("/api/v1/compliance/lint", json={"text": "x", "kind": "letter"}).status_code == 422
    assert api.post("/api/v1/compliance/lint", json={"text": "x", "language": "fr"}).status_code == 422

    debtor = add_debtor(runtime)
    created = api.post("/api/v1/notes", json={"debtor_id": debtor, "text": "客户说：别再给我打电话了！",
                                               "author": "c1"})
    assert created.status_code == 201 and created.json()["flags"] == ["cease_request"]
    listed = api.get(f"/api/v1/debtors/{debtor}/notes").json()
    assert [n["id"] for n in listed] == [created.json()["id"]]
    assert api.get(f"/api/v1/debtors/{debtor + 99}/notes").status_code == 404

    abusive = "你这个老赖，快还钱。回复TD退订"
    bad = api.post("/api/v1/templates", json={"code": "T1", "channel": "sms", "language": "zh-CN",
                                              "body": abusive, "created_by": "o"}).json()
    refused = api.post(f"/api/v1/templates/{bad['id']}/activate", json={"by": "o"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["code"] == "language_findings"
    assert refused.json()["findings"][0]["category"] == "insult"
    good = api.post("/api/v1/templates", json={"code": "T1", "channel": "sms", "language": "zh-CN",
                                               "body": CLEAN_SMS, "created_by": "o"}).json()
    activated = api.post(f"/api/v1/templates/{good['id']}/activate", json={"by": "o"})
    assert activated.status_code == 200 and activated.json()["status"] == "active"
    assert api.post(f"/api/v1/templates/{good['id']}/activate", json={"by": "o"}).status_code == 409
    assert [t["version"] for t in api.get("/api/v1/templates", params={"code": "T1"}).json()] == [2, 1]
    assert api.get(f"/api/v1/templates/{good['id']}").json()["status"] == "active"
