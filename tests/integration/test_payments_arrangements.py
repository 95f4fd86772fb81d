"""Plans, settlements, waivers and approvals: within policy at once, else the approval matrix; the requester
never approves; a committee is two managers; a settlement paid in full closes the case; nothing vanishes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from arrears.core.access import SYSTEM
from arrears.core.errors import Conflict, Forbidden, InputRejected
from arrears.core.money import Money
from arrears.payments import arrangements, ledger, service
from arrears.payments.store import (
    approval_decisions,
    approvals,
    arrangement_documents,
    payment_plans,
    plan_instalments,
    reagings,
    settlements,
    waivers,
)
from arrears.portfolio.store import accounts, cases, due_items
from arrears.users.store import audit_log
from arrears.worklist.store import work_items
from tests.integration.payments_seed import account, balances, count, desk, rows


def _pay(rt, a, amount, ref, paid_on=None):
    return service.post_payment(rt, SYSTEM, account_external_id=a.external_id, reference=ref,
                                amount=Money.of(amount, "CNY"), paid_on=paid_on or rt.clock.now().date(),
                                channel="bank_transfer")


def _conserved(rt, account_id):
    with rt.engine.connect() as conn:
        return ledger.check(conn,
                            conn.execute(select(accounts).where(accounts.c.id == account_id)).one()).is_zero()


# --- plans --------------------------------------------------------------------------------------------------


def test_a_small_plan_is_active_at_once_and_its_instalments_are_judged(runtime):
    d = desk(runtime)
    a = account(runtime, 1, d.team, d.collector.user_id)
    out = arrangements.create_plan(runtime, d.collector, account_external_id=a.external_id,
                                   total=Money.of("3000", "CNY"), instalments=3, frequency="weekly",
                                   start_on=date(2026, 4, 1), channel="bank_transfer")
    assert out["status"] == "active" and out["approval_id"] is None
    assert [i["amount_minor"] for i in out["instalments"]] == [100_000] * 3
    reminders = rows(runtime, work_items, work_items.c.source == "plan",
                     work_items.c.kind == "promise_reminder")
    assert len(reminders) == 3
    doc = rows(runtime, arrangement_documents, arrangement_documents.c.id == out["confirmation_id"])[0]
    assert "第3期" in doc.text_zh and "2026-04-15" in doc.text_en
    runtime.clock.advance(timedelta(days=1))
    _pay(runtime, a, "1000", "I1")  # the first instalment, paid early: kept at once
    inst = {i.seq: i.status for i in rows(runtime, plan_instalments)}
    assert inst == {1: "kept", 2: "pending", 3: "pending"}
    # nothing more comes: after the second and third fall due + grace the plan breaks (2 missed)
    with runtime.engine.begin() as conn:
        from arrears.payments.jobs import judge_due_promises

        summary = judge_due_promises(conn, date(2026, 4, 18), runtime.clock.now())
    assert summary.plans_broken == 1 and summary.instalments_judged == 2
    assert rows(runtime, payment_plans)[0].status == "broken"
    assert count(runtime, work_items, work_items.c.kind == "broken_promise",
                 work_items.c.source == "plan") == 2


def test_a_plan_above_the_collectors_limit_waits_for_the_team_lead(runtime):
    d = desk(runtime)
    a = account(runtime, 2, d.team, principal=2_000_000)
    out = arrangements.create_plan(runtime, d.collector, account_external_id=a.external_id,
                                   total=Money.of("5000.01", "CNY"), instalments=2, frequency="monthly",
                                   start_on=date(2026, 4, 10), channel="wechat_pay")
    assert out["status"] == "awaiting_approval" and out["level"] == "team_lead"
    assert count(runtime, work_items, work_items.c.source == "plan") == 0
    with pytest.raises(Forbidden, match="lacks permission"):
        arrangements.decide(runtime, d.collector, out["approval_id"], approve=True, reason="mine")
    done = arrangements.decide(runtime, d.lead, out["approval_id"], approve=True, reason="income verified")
    assert done["status"] == "approved"
    assert rows(runtime, payment_plans)[0].status == "active"
    assert count(runtime, work_items, work_items.c.source == "plan") == 2
    assert rows(runtime, approval_decisions)[0].reason == "income verified"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"instalments": 1}, "instalments"), ({"frequency": "daily"}, "frequency"),
    ({"start_on": date(2026, 3, 1)}, "start_on"), ({"total": Money.of("9999999", "CNY")}, "total"),
    ({"reage": True, "product": "credit_card"}, "reage"),
])
def test_bad_plans_are_refused(runtime, kwargs, field):
    kwargs = dict(kwargs)  # parametrized values are shared by both backends' runs
    d = desk(runtime)
    a = account(runtime, 3, d.team, product=kwargs.pop("product", "consumer_loan"))
    terms = dict(total=Money.of("1000", "CNY"), instalments=2, frequency="monthly", start_on=date(2026, 4,
                                                                                                  10),
                 channel="bank_transfer")
    terms.update(kwargs)
    with pytest.raises(InputRejected) as exc:
        arrangements.create_plan(runtime, d.collector, account_external_id=a.external_id, **terms)
    assert exc.value.problems[0].field == field
    assert count(runtime, payment_plans) == 0 and count(runtime, audit_log) == 0


def test_reaging_where_the_policy_allows_moves_overdue_amounts_and_resets_dpd(runtime):
    from dataclasses import replace

    from arrears.payments import policy

    base = policy.default()
    at_once = replace(base, plans=replace(base.plans, reage_after_kept=0))
    d = desk(runtime)
    a = account(runtime, 4, d.team)
    owed_before = sum(i.amount_minor - i.paid_minor for i in rows(runtime, due_items,
                                                                  due_items.c.account_id == a.account))
    arrangements.create_plan(runtime, d.collector, account_external_id=a.external_id,
                             total=Money.of("1000", "CNY"), instalments=2, frequency="monthly",
                             start_on=date(2026, 4, 10), channel="bank_transfer", reage=True, policy=at_once)
    acct = rows(runtime, accounts, accounts.c.id == a.account)[0]
    assert (acct.dpd, acct.bucket) == (0, "M0")
    items = rows(runtime, due_items, due_items.c.account_id == a.account)
    assert sum(i.amount_minor - i.paid_minor for i in items) == owed_before
    assert all(i.amount_minor == i.paid_minor for i in items if i.due_date < date(2026, 3, 31))
    assert count(runtime, reagings) == 1 and _conserved(runtime, a.account)


# --- settlements --------------------------------------------------------------------------------------------


def test_settlement_offer_and_a_settlement_within_policy_paid_in_full_closes_the_case(runtime):
    d = desk(runtime)
    a = account(runtime, 5, d.team, principal=9_000, interest=500, fees=300, penalty=200, bucket="M3")
    offer = arrangements.settlement_offer(runtime, d.collector, a.external_id)
    assert (offer["balance_minor"], offer["floor_minor"]) == (10_000, 8_000)
    out = arrangements.request_settlement(runtime, d.collector, account_external_id=a.external_id,
                                          amount=Money.of("90", "CNY"), due_on=date(2026, 4, 10),
                                          reason="hardship", channel="alipay")
    assert out["status"] == "approved" and out["level"] == "collector" and not out["below_floor"]
    _pay(runtime, a, "50", "S1")
    assert rows(runtime, settlements)[0].status == "approved"
    _pay(runtime, a, "40", "S2")
    assert rows(runtime, settlements)[0].status == "paid"
    assert balances(runtime, a.account) == {"principal": 0, "interest": 0, "fees": 0, "penalty": 0,
                                            "credit": 0}
    case = rows(runtime, cases, cases.c.id == a.case)[0]
    assert (case.status, case.close_reason) == ("closed", "settled")
    assert rows(runtime, accounts, accounts.c.id == a.account)[0].status == "settled"
    assert _conserved(runtime, a.account)
    # the last payment bounces: the forgiveness is undone, the case re-opens
    service.reverse_payment(runtime, SYSTEM, reference="S2", reason="bounced")
    assert rows(runtime, settlements)[0].status == "approved"
    assert rows(runtime, cases, cases.c.id == a.case)[0].status == "open"
    assert balances(runtime, a.account)["principal"] > 0 and _conserved(runtime, a.account)


def test_a_settlement_below_the_floor_needs_a_committee_of_two_managers(runtime):
    d = desk(runtime)
    a = account(runtime, 6, d.team, principal=90_000, interest=5_000, fees=3_000, penalty=2_000, bucket="M1")
    with pytest.raises(InputRejected) as exc:
        arrangements.request_settlement(runtime, d.collector, account_external_id=a.external_id,
                                        amount=Money.of("500", "CNY"), due_on=date(2026, 4, 10), reason=" ",
                                        channel="alipay")
    assert exc.value.problems[0].field == "reason" and count(runtime, settlements) == 0
    out = arrangements.request_settlement(runtime, d.collector, account_external_id=a.external_id,
                                          amount=Money.of("500", "CNY"), due_on=date(2026, 4, 10),
                                          reason="terminal illness", channel="alipay")
    assert out["below_floor"] and out["level"] == "committee" and out["status"] == "awaiting_approval"
    with pytest.raises(Forbidden):
        arrangements.decide(runtime, d.lead, out["approval_id"], approve=True, reason="ok")
    first = arrangements.decide(runtime, d.manager, out["approval_id"], approve=True, reason="documented")
    assert first["status"] == "pending"
    with pytest.raises(Forbidden, match="already decided"):
        arrangements.decide(runtime, d.manager, out["approval_id"], approve=True, reason="again")
    _pay(runtime, a, "500", "SET-1")  # paid before the committee finished: the settlement is not in force
    assert rows(runtime, settlements)[0].status == "awaiting_approval"
    assert rows(runtime, cases, cases.c.id == a.case)[0].status == "open"
    second = arrangements.decide(runtime, d.manager2, out["approval_id"], approve=True, reason="agreed")
    assert second["status"] == "approved"
    assert rows(runtime, settlements)[0].status == "paid"  # already paid: settled at approval
    assert rows(runtime, cases, cases.c.id == a.case)[0].close_reason == "settled"
    with pytest.raises(Conflict):
        arrangements.decide(runtime, d.manager, out["approval_id"], approve=False, reason="late")


def test_a_second_settlement_while_one_is_in_progress_is_a_conflict(runtime):
    d = desk(runtime)
    a = account(runtime, 7, d.team)
    terms = dict(account_external_id=a.external_id, amount=Money.of("4000", "CNY"), due_on=date(2026, 4, 10),
                 reason="lump sum", channel="alipay")
    arrangements.request_settlement(runtime, d.collector, **terms)
    with pytest.raises(Conflict):
        arrangements.request_settlement(runtime, d.collector, **terms)


# --- waivers ------------------------------------------------------------------------------------------------


def test_a_small_waiver_is_booked_at_once_penalty_first(runtime):
    d = desk(runtime)
    a = account(runtime, 8, d.team)
    out = arrangements.request_waiver(runtime, d.collector, account_external_id=a.external_id,
                                      amount=Money.of("150", "CNY"), reason="goodwill")
    assert out["status"] == "applied" and out["parts"]["penalty"] == 15_000
    assert balances(runtime, a.account)["penalty"] == 15_000 and _conserved(runtime, a.account)
    assert count(runtime, audit_log, audit_log.c.action == "waiver.apply") == 1
    w = rows(runtime, waivers)[0]
    assert w.confirmation_id is not None


def test_a_large_waiver_waits_and_a_rejection_changes_nothing(runtime):
    d = desk(runtime)
    a = account(runtime, 9, d.team)
    before = balances(runtime, a.account)
    out = arrangements.request_waiver(runtime, d.collector, account_external_id=a.external_id,
                                      parts={"fees": Money.of("200", "CNY"), "penalty": Money.of("300",
                                                                                                 "CNY")},
                                      reason="complaint upheld")
    assert out["status"] == "awaiting_approval" and out["level"] == "team_lead"
    assert balances(runtime, a.account) == before
    inbox = arrangements.inbox(runtime, d.lead)
    assert [r["id"] for r in inbox] == [out["approval_id"]]
    arrangements.decide(runtime, d.lead, out["approval_id"], approve=False, reason="not upheld")
    assert rows(runtime, waivers)[0].status == "rejected" and balances(runtime, a.account) == before
    assert rows(runtime, approvals)[0].status == "rejected"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount": Money.of("99999", "CNY")}, "amount"),
    ({"parts": {"fees": Money.of("201", "CNY")}}, "parts.fees"),
    ({"parts": {"tips": Money.of("1", "CNY")}}, "parts.tips"),
    ({"amount": Money.of("1", "USD")}, "currency"),
    ({"amount": Money.of("1", "CNY"), "reason": ""}, "reason"),
])
def test_bad_waivers_are_refused(runtime, kwargs, field):
    d = desk(runtime)
    a = account(runtime, 10, d.team)
    terms = {"reason": "x", **kwargs}
    with pytest.raises(InputRejected) as exc:
        arrangements.request_waiver(runtime, d.collector, account_external_id=a.external_id, **terms)
    assert exc.value.problems[0].field == field and count(runtime, waivers) == 0


def test_a_promise_above_authority_is_decided_from_the_inbox(runtime):
    from arrears.payments import promises as pr
    from arrears.payments.store import promises as promises_t

    d = desk(runtime)
    a = account(runtime, 11, d.team)
    with runtime.engine.begin() as conn:
        made = pr.make_promise(conn, d.collector, debtor_id=a.debtor, account_id=a.account,
                               amount=Money.of("4000", "CNY"), due_on=date(2026, 4, 5), due_time=None,
                               channel="alipay", now=runtime.clock.now())
    arrangements.decide(runtime, d.lead, made.approval_id, approve=False, reason="too large for this debtor")
    assert rows(runtime, promises_t)[0].status == "rejected"
    live = rows(runtime, work_items, work_items.c.source == "promise", work_items.c.status == "open")
    assert live == []


def test_the_requester_never_decides_their_own_request(runtime):
    d = desk(runtime)
    a = account(runtime, 12, d.team)
    out = arrangements.request_waiver(runtime, d.lead, account_external_id=a.external_id,
                                      amount=Money.of("300", "CNY"), reason="service failure")
    assert out["status"] == "awaiting_approval"
    assert arrangements.inbox(runtime, d.lead) == []  # not offered to the requester
    with pytest.raises(Forbidden, match="own request"):
        arrangements.decide(runtime, d.lead, out["approval_id"], approve=True, reason="fine by me")
    assert arrangements.decide(runtime, d.manager, out["approval_id"], approve=True,
                               reason="ok")["status"] == \
        "approved"
    assert rows(runtime, waivers)[0].status == "applied"
