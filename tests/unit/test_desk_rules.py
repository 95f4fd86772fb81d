"""The desk without a database: the objection library rules, labels, the form parsing, the note check and
the call workspace fragments in zh-CN and English."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from arrears.core.access import Principal, Role
from arrears.core.errors import Forbidden, InputRejected
from arrears.core.i18n import gettext, translations
from arrears.desk import pages, service
from arrears.desk.labels import DESK_LABELS
from arrears.desk.objections import SEED, Objection, check, ordered
from arrears.web.templating import environment
from arrears.worklist.model import CallOutcome, RaisedFlag

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
COLLECTOR = Principal(user_id=7, username="c", role=Role.COLLECTOR, team_id=1)
ANALYST = Principal(user_id=8, username="a", role=Role.STRATEGY_ANALYST)


def test_the_seed_covers_the_briefs_objections_in_both_languages() -> None:
    keys = [o.key for o in SEED]
    assert len(SEED) == 10 and len(set(keys)) == 10
    assert {"already_paid", "pay_soon", "busy", "not_mine", "cannot_pay", "late_fee"} <= set(keys)
    for o in SEED:
        assert not check(o.title_zh, o.title_en, o.answer_zh, o.answer_en, key=o.key), o.key
    paid = SEED[0]
    assert paid.title("en") == "I already paid" and paid.title("zh-CN") == "我已经还过了"
    assert "reference" in paid.answer("en-US") and "流水号" in paid.answer("zh")


@pytest.mark.parametrize(("key", "fields", "bad"), [
    ("ok_key", ("a", "b", "c", "d"), set()),
    ("Bad-Key", ("a", "b", "c", "d"), {"key"}),
    ("x", ("a", "b", "c", "d"), {"key"}),
    ("ok_key", ("", "b", " ", "d"), {"title_zh", "answer_zh"}),
    ("ok_key", ("a" * 121, "b", "c", "d" * 2001), {"title_zh", "answer_en"}),
])
def test_objection_fields_are_checked(key: str, fields: tuple[str, str, str, str], bad: set[str]) -> None:
    assert {p.field for p in check(*fields, key=key)} == bad


def test_the_library_order_and_retired_objections() -> None:
    items = [Objection("b", "b", "b", "b", "b", 2), Objection("a", "a", "a", "a", "a", 2),
             Objection("z", "z", "z", "z", "z", 1), Objection("r", "r", "r", "r", "r", 0, active=False)]
    assert [o.key for o in ordered(items)] == ["z", "a", "b"]
    assert [o.key for o in ordered(items, include_inactive=True)] == ["r", "z", "a", "b"]


def test_every_outcome_and_desk_flag_has_a_label_translated_into_chinese() -> None:
    for code in [o.value for o in CallOutcome] + [f.value for f in pages.DESK_FLAGS]:
        assert code in DESK_LABELS or code in ("dispute", "cease"), code  # those two: web.labels
    for text in DESK_LABELS.values():
        assert gettext("zh-CN", text) != text, text


def test_the_note_check_flags_a_threat_and_a_debtor_statement() -> None:
    threat = service.check_note(COLLECTOR, "再不还钱就去你单位找你")
    assert threat.blocking and threat.findings and threat.findings[0].rule_id.startswith("LC-VISIT")
    clean = service.check_note(COLLECTOR, "客户承诺周五还款")
    assert clean.findings == [] and not clean.blocking
    with pytest.raises(Forbidden):
        service.check_note(ANALYST, "text")
    with pytest.raises(InputRejected):
        service.check_note(COLLECTOR, "x" * 20_001)


def _form(**values: Any) -> FormData:
    items: list[Any] = []
    for k, v in values.items():
        items += [(k, x) for x in v] if isinstance(v, list) else [(k, str(v))]
    return FormData(items)


def test_the_desk_form_becomes_the_attempt_api_body() -> None:
    body = pages._attempt_body(_form(
        debtor_id=3, contact_point_id=5, work_item_id=9, started_at="2026-03-31T09:55:00+00:00",
        outcome="promise_to_pay", elements=["verify_identity", "opening", "bogus"], note=" ok ",
        flags=["dispute", "nonsense"], promise_amount="1,200.50", promise_due_on="2026-04-03",
        promise_channel="alipay", currency="CNY", debtor_tz="Asia/Shanghai", callback_at="2026-04-01T10:30"),
        NOW)
    report = body.report("CNY")
    assert report.debtor_id == 3 and report.contact_point_id == 5 and report.work_item_id == 9
    assert report.outcome is CallOutcome.PROMISE_TO_PAY and report.ended_at == NOW
    assert [e.value for e in report.elements] == ["verify_identity", "opening"]
    assert report.flags == (RaisedFlag.DISPUTE,) and report.note == "ok"
    assert report.promise is not None and report.promise.amount.format() == "CNY 1,200.50"
    assert report.callback_at == datetime(2026, 4, 1, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai


def test_bad_desk_forms_are_refused() -> None:
    with pytest.raises(ValidationError):
        pages._attempt_body(_form(debtor_id=3, outcome="shouted"), NOW)
    with pytest.raises(InputRejected):
        pages._attempt_body(_form(debtor_id=3, promise_amount="lots"), NOW)
    with pytest.raises(InputRejected):
        pages._attempt_body(_form(debtor_id=3, callback_at="tomorrow"), NOW)
    with pytest.raises(InputRejected):  # more decimals than the currency has
        pages._attempt_body(_form(debtor_id=3, promise_amount="1.005", promise_due_on="2026-04-03",
                                  promise_channel="alipay"), NOW).report("CNY")


def _render(template: str, language: str = "en", **context: Any) -> str:
    t = translations(language)
    request = SimpleNamespace(state=SimpleNamespace())
    return environment().get_template(template).render(
        request=request, lang=language, display_tz="Asia/Shanghai", gettext=t.gettext, ngettext=t.ngettext,
        _=t.gettext, csrf="tok", dl=lambda code: t.gettext(DESK_LABELS.get(code) or str(code)), **context)


BLOCKED = {
    "status": "nothing_allowed", "message_zh": "当前没有允许的联系",
    "message_en": "No contact is allowed right now",
    "reasons": [{"rule_id": "house.hours", "source": "<b>House</b>", "example_en": "Outside 09:00-21:00",
                 "example_zh": "不在 09:00-21:00 之内", "debtors": 1}],
    "held_by_others": 0, "without_usable_phone": 0,
}


def test_the_blocked_answer_says_why_and_when_in_both_languages() -> None:
    earliest = datetime(2026, 3, 31, 13, 0, tzinfo=UTC)
    html = _render("desk_work.html", nxt=BLOCKED, earliest=earliest)
    assert "No contact is allowed right now" in html and "2026-03-31 21:00 (Asia/Shanghai)" in html
    assert "house.hours" in html and "Outside 09:00-21:00" in html and "&lt;b&gt;House" in html
    zh = _render("desk_work.html", "zh-CN", nxt=BLOCKED, earliest=earliest)
    assert "当前没有允许的联系" in zh and "下一个联系将在" in zh and "不在 09:00-21:00 之内" in zh


def test_the_note_findings_fragment_escapes_the_note() -> None:
    checked = service.check_note(COLLECTOR, "<script>x</script> 再不还钱就去你单位找你")
    html = _render("desk_note_check.html", check=checked, live=False)
    assert "<script>" not in html and 'id="note-reviewed"' in html
    assert "note-flagged" in _render("desk_note_check.html", "zh-CN", check=checked, live=True)
