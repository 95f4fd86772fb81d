"""Permissions and scope checked in the services themselves (not only the views), and their audit records."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import select, update

from arrears.compliance import service as compliance
from arrears.compliance.language import service as language
from arrears.compliance.model import ContactChannel, HoldKind, Outcome
from arrears.core.access import SYSTEM, Permission, Role
from arrears.core.errors import Forbidden, NotFound
from arrears.portfolio import service as portfolio
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.users.store import audit_log
from tests.authkit import make_agency, make_team, make_user
from tests.integration.test_compliance_service import at, seed

CLEAN_SMS = "【XX银行】尊敬的客户，您的信用卡账单已出，应还金额1,500.00元，请通过官方渠道还款。回复TD退订"


def _trail(rt: Runtime) -> list[tuple[str, str, str, dict[str, object]]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
    return [(r.actor, r.action, r.entity_id, json.loads(r.details)) for r in rows]


def test_services_refuse_roles_without_the_permission(runtime: Runtime) -> None:
    ids = seed(runtime)
    analyst = make_user(runtime, Role.STRATEGY_ANALYST)
    collector = make_user(runtime, Role.COLLECTOR, team_id=make_team(runtime))
    with pytest.raises(Forbidden, match="compliance.hold.set"):
        compliance.set_hold(runtime, analyst, ids["debtor"], HoldKind.DISPUTE, None, "fee")
    with pytest.raises(Forbidden, match="notes.write"):
        language.save_note(runtime, analyst, ids["debtor"], "hello")
    with pytest.raises(Forbidden, match="compliance.decisions.read"):
        compliance.decisions(runtime, collector, ids["debtor"])
    with pytest.raises(Forbidden, match="templates.manage"):
        language.create_template(runtime, collector, "T1", "sms", "zh-CN", CLEAN_SMS)
    agent = make_user(runtime, Role.AGENCY_USER, agency_id=make_agency(runtime))
    with pytest.raises(Forbidden, match="compliance.decisions.read"):
        compliance.decisions(runtime, agent, ids["debtor"])
    assert _trail(runtime) == []


def test_out_of_scope_debtors_are_not_found_in_every_service(runtime: Runtime) -> None:
    ids = seed(runtime, case_status="open")
    mine, theirs = make_team(runtime, "A"), make_team(runtime, "B")
    with runtime.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.debtor_id == ids["debtor"]).values(team_id=theirs))
    collector = make_user(runtime, Role.COLLECTOR, team_id=mine)
    lead = make_user(runtime, Role.TEAM_LEAD, team_id=mine)
    agent = make_user(runtime, Role.AGENCY_USER, agency_id=make_agency(runtime))
    for who in (collector, lead, agent):
        calls = [
            lambda p=who: portfolio.debtor_view(runtime, p, ids["debtor"]),
            lambda p=who: compliance.check_contact(runtime, p, ids["debtor"], ContactChannel.CALL),
            lambda p=who: compliance.set_hold(runtime, p, ids["debtor"], HoldKind.DISPUTE, None, "fee"),
            lambda p=who: compliance.holds(runtime, p, ids["debtor"]),
            lambda p=who: compliance.record_attempt(runtime, p, ids["debtor"], ContactChannel.CALL,
                                                    Outcome.NO_ANSWER, at(3, 10)),
            lambda p=who: language.save_note(runtime, p, ids["debtor"], "hello"),
            lambda p=who: language.list_notes(runtime, p, ids["debtor"]),
        ]
        for call in calls:
            with pytest.raises(NotFound):
                call()
        assert portfolio.list_debtors(runtime, who).total == 0
        assert portfolio.portfolio_summary(runtime, who).accounts == 0
    other_team_lead = make_user(runtime, Role.TEAM_LEAD, team_id=theirs)
    assert portfolio.debtor_view(runtime, other_team_lead, ids["debtor"]).id == ids["debtor"]
    hold = compliance.set_hold(runtime, SYSTEM, ids["debtor"], HoldKind.DISPUTE, "ops", "fee")
    officer_elsewhere = make_user(runtime, Role.COMPLIANCE_OFFICER)  # sees every team
    # no scoped role may lift holds today; were one allowed to, the hold of another team is still not found
    lifter = replace(lead, permissions=lead.permissions | {Permission.HOLD_LIFT})
    with pytest.raises(NotFound, match=f"hold {hold['id']} not found"):
        compliance.lift_hold(runtime, lifter, hold["id"], None, "x")
    lifted = compliance.lift_hold(runtime, officer_elsewhere, hold["id"], None, "fee explained")
    assert lifted["lifted_by"] == officer_elsewhere.username


def test_an_agency_user_works_only_placed_accounts_and_by_the_agency_rules(runtime: Runtime) -> None:
    ids = seed(runtime)
    agency = make_agency(runtime)
    with runtime.engine.begin() as conn:
        conn.execute(update(accounts).where(accounts.c.debtor_id == ids["debtor"]).values(agency_id=agency))
    agent = make_user(runtime, Role.AGENCY_USER, agency_id=agency)
    decision = compliance.check_contact(runtime, agent, ids["debtor"], ContactChannel.CALL, ids["mobile"],
                                        at=at(3, 10), collector_type="in_house")
    assert decision.collector_type == "agency"  # whatever the caller claims
    attempt = compliance.record_attempt(runtime, agent, ids["debtor"], ContactChannel.CALL, Outcome.NO_ANSWER,
                                        at(3, 10), ids["mobile"], collector="someone-else")
    from arrears.compliance.store import contact_attempts

    with runtime.engine.connect() as conn:
        row = conn.execute(select(contact_attempts).where(contact_attempts.c.id == attempt)).one()
    assert row.by_agency and row.collector == agent.username


def test_holds_and_template_activation_are_audited_in_the_users_name(runtime: Runtime) -> None:
    ids = seed(runtime)
    lead = make_user(runtime, Role.MANAGER, username="lead.wang")
    officer = make_user(runtime, Role.COMPLIANCE_OFFICER, username="officer.chen")
    hold = compliance.set_hold(runtime, lead, ids["debtor"], HoldKind.DISPUTE, "someone-else",
                               "disputes the fee", at=at(2, 9))
    assert hold["set_by"] == "lead.wang"
    compliance.lift_hold(runtime, officer, hold["id"], "someone-else", "fee waived", at=at(3, 9))
    draft = language.create_template(runtime, officer, "T1", "sms", "zh-CN", CLEAN_SMS, "someone-else")
    assert draft.created_by == "officer.chen"
    active = language.activate_template(runtime, officer, draft.id)
    assert active.activated_by == "officer.chen"
    note = language.save_note(runtime, lead, ids["debtor"], "客户承诺月底还款", author="someone-else")
    assert note.author == "lead.wang"
    trail = _trail(runtime)
    assert [(actor, action) for actor, action, _, _ in trail] == [
        ("lead.wang", "hold.set"), ("officer.chen", "hold.lift"), ("officer.chen", "template.activate")]
    assert trail[0][2] == str(ids["debtor"]) and trail[0][3]["kind"] == "dispute"
    assert trail[1][3]["hold_id"] == hold["id"] and trail[2][3]["code"] == "T1"
