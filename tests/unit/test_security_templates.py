"""The audit and unmask templates escape everything they show and offer unmasking only with the permission."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from arrears.core.access import Role
from arrears.core.i18n import translations
from arrears.users.audit_pages import _details_json
from arrears.users.audit_service import AuditEntry, AuditPage, ChainBreakView, ChainReport
from arrears.users.unmask import Unmasked
from arrears.web.templating import environment
from tests.security_kit import XSS_IMG, XSS_SCRIPT

AT = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
HOSTILE = XSS_SCRIPT + XSS_IMG


def _render(template: str, language: str = "en", **context: Any) -> str:
    t = translations(language)
    request = context.pop("request", SimpleNamespace(state=SimpleNamespace()))
    return environment().get_template(template).render(
        request=request, lang=language, display_tz="Asia/Shanghai", gettext=t.gettext, ngettext=t.ngettext,
        _=t.gettext, **context)


def _raw(html: str) -> bool:
    return "<script>" in html or "<img src=x" in html


def _entry(**over: Any) -> AuditEntry:
    values: dict[str, Any] = dict(seq=7, at=AT, actor=HOSTILE, actor_role="manager", action="note.create",
                                  entity_type="debtor", entity_id="12", details={"text": HOSTILE},
                                  prev_hash="0" * 64, hash="1" * 64)
    values.update(over)
    return AuditEntry(**values)


def test_audit_rows_escape_actor_details_and_entity() -> None:
    items = (_entry(), _entry(seq=6, entity_type=HOSTILE, entity_id=HOSTILE))
    page = AuditPage(items=items, total=2, limit=50, next_before_seq=None)
    html = _render("users_audit_rows.html", page=page, problem=HOSTILE, next_url=None,
                   details_json=_details_json)
    assert not _raw(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="/debtors/12"' in html  # a debtor record links to the debtor
    assert "2 records match" in html


def test_audit_rows_in_chinese() -> None:
    page = AuditPage(items=(_entry(),), total=1, limit=50, next_before_seq=6)
    html = _render("users_audit_rows.html", "zh-CN", page=page, problem=None, next_url="/audit?before=6",
                   details_json=_details_json)
    assert "共 1 条记录符合条件" in html and "更早的记录" in html and "操作人" in html


def test_the_chain_status_shows_the_first_break() -> None:
    broken = ChainReport(checked=9, head_seq=9, head_hash="f" * 64, guard_installed=False, verified_at=AT,
                         breaks=(ChainBreakView(4, "content does not match its hash (record altered)"),))
    html = _render("users_audit_chain.html", report=broken)
    assert "Chain broken" in html and "First broken record: 4." in html and "record altered" in html
    assert "append-only triggers missing" in html
    intact = ChainReport(checked=9, head_seq=9, head_hash="f" * 64, guard_installed=True, verified_at=AT,
                         breaks=())
    html = _render("users_audit_chain.html", "zh-CN", report=intact)
    assert "哈希链完整" in html and "9:" + "f" * 64 in html and "已校验 9 条记录" in html


def test_unmasked_values_are_escaped() -> None:
    result = Unmasked(debtor_id=3, contact_point_id=None, values={"name": HOSTILE, "phone": None},
                      audit_seq=11)
    html = _render("users_unmask_result.html", result=result, problems=[])
    assert not _raw(html) and "&lt;script&gt;" in html and "record 11" in html


def _principal(role: Role) -> Any:
    from arrears.core.access import Principal

    return Principal(user_id=1, username="u", role=role)


def _debtor() -> Any:
    contact = SimpleNamespace(id=5, channel="phone", relationship="spouse", value="+86 139****4321")
    return SimpleNamespace(id=3, contacts=[contact])


@pytest.mark.parametrize(("role", "shown"), [(Role.COLLECTOR, False), (Role.AGENCY_USER, False),
                                             (Role.TEAM_LEAD, True), (Role.COMPLIANCE_OFFICER, True)])
def test_the_unmask_form_needs_the_permission(role: Role, shown: bool) -> None:
    request = SimpleNamespace(state=SimpleNamespace(principal=_principal(role), csrf_token="tok" + XSS_IMG))
    html = _render("users_unmask_form.html", request=request, debtor=_debtor())
    assert ('id="unmask-reason"' in html) is shown
    if shown:
        assert 'minlength="10"' in html and 'value="5"' in html and not _raw(html)


def test_no_principal_no_form() -> None:
    assert "unmask" not in _render("users_unmask_form.html", debtor=_debtor())
