"""Posting and reversing payments: allocation, due items, idempotency, refusals with nothing half-posted,
exact reversals, credit, the ledger (synced with imports and aging) and balances as of a date."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Conflict, Forbidden, InputRejected, NotFound
from arrears.core.money import Money
from arrears.payments import ledger, service
from arrears.payments import promises as pr
from arrears.payments.store import account_ledger, payment_due_items, promise_claims
from arrears.payments.store import promises as promises_t
from arrears.portfolio.store import accounts, accruals, due_items, payments
from arrears.users.store import audit_log
from arrears.worklist.store import work_items
from tests.authkit import make_user
from tests.integration.payments_seed import Acct, account, balances, count, desk, rows


def _post(rt, a: Acct, amount: str, ref: str, paid_on=date(2026, 3, 30), who=SYSTEM, currency="CNY"):
    return service.post_payment(rt, who, account_external_id=a.external_id, reference=ref,
                                amount=Money.of(amount, currency), paid_on=paid_on, channel="bank_transfer")


def _conserved(rt, account_id: int) -> bool:
    with rt.engine.connect() as conn:
        row = conn.execute(select(accounts).where(accounts.c.id == account_id)).one()
        return ledger.check(conn, row).is_zero()


def _counts(rt) -> tuple[int, ...]:
    return tuple(count(rt, t) for t in (payments, account_ledger, payment_due_items, audit_log))


def test_a_payment_is_allocated_in_order_pays_due_items_and_is_booked(runtime):
    a = account(runtime, 1, None)
    done = _post(runtime, a, "600.00", "TX-1")
    # fees 200 + penalty 300 + interest 100 of 500
    assert done.parts == {"fees": 20_000, "penalty": 30_000, "interest": 10_000, "principal": 0}
    assert balances(runtime, a.account) == {"principal": 400_000, "interest": 40_000, "fees": 0, "penalty": 0,
                                            "credit": 0}
    items = {r.due_date: r.paid_minor for r in rows(runtime, due_items, due_items.c.account_id == a.account)}
    assert items == {date(2026, 2, 14): 60_000, date(2026, 3, 14): 0}
    assert _conserved(runtime, a.account)
    assert count(runtime, audit_log, audit_log.c.action == "payment.post") == 1
    acct = rows(runtime, accounts, accounts.c.id == a.account)[0]
    assert (acct.last_payment_date, acct.last_payment_minor) == (date(2026, 3, 30), 60_000)


def test_the_same_reference_again_is_a_no_op_and_other_details_are_a_conflict(runtime):
    a = account(runtime, 2, None)
    first = _post(runtime, a, "100", "TX-2")
    before = (_counts(runtime), balances(runtime, a.account))
    again = _post(runtime, a, "100", "TX-2")
    assert again.duplicate and again.payment_id == first.payment_id
    with pytest.raises(Conflict, match="different details"):
        _post(runtime, a, "101", "TX-2")
    assert (_counts(runtime), balances(runtime, a.account)) == before


def test_bad_payments_are_refused_and_nothing_is_half_posted(runtime):
    a = account(runtime, 3, None)
    before = (_counts(runtime), balances(runtime, a.account))
    with pytest.raises(InputRejected) as exc:
        _post(runtime, a, "100", "TX-3", currency="USD")
    assert exc.value.problems[0].field == "currency"
    with pytest.raises(InputRejected) as exc:
        _post(runtime, a, "100", "TX-3", paid_on=date(2026, 4, 2))
    assert exc.value.problems[0].field == "paid_on"
    with pytest.raises(NotFound):
        service.post_payment(runtime, SYSTEM, account_external_id="NOPE", reference="TX-3",
                             amount=Money.of("1", "CNY"), paid_on=date(2026, 3, 30), channel="cash")
    with pytest.raises(NotFound, match="nothing to reverse"):
        service.reverse_payment(runtime, SYSTEM, reference="NEVER-POSTED", reason="bounced")
    collector = make_user(runtime, Role.COLLECTOR)
    with pytest.raises(Forbidden):
        _post(runtime, a, "100", "TX-3", who=collector)
    assert (_counts(runtime), balances(runtime, a.account)) == before


def test_overpayment_is_credit_and_a_reversal_reopens_exactly_what_it_paid(runtime):
    a = account(runtime, 4, None, principal=10_000, interest=0, fees=500, penalty=0,
                due=((date(2026, 3, 1), 10_500),))
    start = balances(runtime, a.account)
    _post(runtime, a, "50", "SMALL")
    done = _post(runtime, a, "200", "BIG")
    assert done.credit_minor == 20_000 - 5_500 and balances(runtime, a.account)["credit"] == 14_500
    out = service.reverse_payment(runtime, SYSTEM, reference="BIG", reason="bounced cheque")
    assert out["credit_removed_minor"] == 14_500 and out["reopened"]["principal"] == 5_500
    # SMALL paid the fees (5.00) and 45.00 of principal; BIG's 55.00 of principal re-opens, its credit goes
    assert balances(runtime, a.account) == {**start, "fees": 0, "principal": 5_500, "credit": 0}
    assert rows(runtime, due_items, due_items.c.account_id == a.account)[0].paid_minor == 5_000
    assert rows(runtime, payments, payments.c.reference == "BIG")[0].status == "reversed"
    with pytest.raises(Conflict, match="already reversed"):
        service.reverse_payment(runtime, SYSTEM, reference="BIG", reason="again")
    service.reverse_payment(runtime, SYSTEM, reference="SMALL", reason="recalled")
    assert balances(runtime, a.account) == start
    assert rows(runtime, due_items, due_items.c.account_id == a.account)[0].paid_minor == 0
    assert _conserved(runtime, a.account)


def test_a_payment_keeps_the_promise_it_meets_at_once_and_a_bounce_reopens_it(runtime):
    d = desk(runtime)
    a = account(runtime, 5, d.team, d.collector.user_id)
    with runtime.engine.begin() as conn:
        made = pr.make_promise(conn, d.collector, debtor_id=a.debtor, account_id=a.account,
                               amount=Money.of("500", "CNY"), due_on=date(2026, 4, 3), due_time=None,
                               channel="alipay", now=runtime.clock.now())
    done = _post(runtime, a, "500", "PAY-P", paid_on=date(2026, 3, 31))
    assert done.promises_kept == 1
    assert rows(runtime, promises_t, promises_t.c.id == made.promise_id)[0].status == "kept"
    live = rows(runtime, work_items, work_items.c.source_ref == str(made.promise_id),
                work_items.c.status == "open")
    assert live == []
    service.reverse_payment(runtime, SYSTEM, reference="PAY-P", reason="bounced")
    p = rows(runtime, promises_t, promises_t.c.id == made.promise_id)[0]
    assert (p.status, p.paid_minor) == ("pending", 0)


def test_an_unmatched_claim_is_matched_when_the_payment_lands(runtime):
    d = desk(runtime)
    a = account(runtime, 6, d.team)
    with runtime.engine.begin() as conn:
        claim = pr.record_claimed_payment(conn, d.collector, debtor_id=a.debtor, account_id=a.account,
                                          paid_on=date(2026, 3, 30), amount=Money.of("88", "CNY"),
                                          channel="wechat_pay", reference="WX-88", now=runtime.clock.now())
    assert claim.matched_payment_id is None and claim.work_item_id is not None
    done = _post(runtime, a, "88", "WX-88")
    c = rows(runtime, promise_claims, promise_claims.c.id == claim.claim_id)[0]
    assert (c.status, c.matched_payment_id) == ("matched", done.payment_id)
    assert rows(runtime, work_items, work_items.c.id == claim.work_item_id)[0].status == "cancelled"


def test_the_ledger_books_what_aging_and_the_import_did_and_answers_as_of_any_date(runtime):
    a = account(runtime, 7, None, principal=100_000, interest=0, fees=0, penalty=0)
    with runtime.engine.begin() as conn:  # aging charged a late fee; the portfolio import posted a payment
        conn.execute(insert(accruals).values(account_id=a.account, kind="late_fee", period_date=date(2026, 2,
                                                                                                     14),
                                             days=0, amount_minor=5_000, as_of=date(2026, 3, 1)))
        conn.execute(accounts.update().where(accounts.c.id == a.account).values(fees_minor=0,
                                                                               principal_minor=95_000))
        conn.execute(insert(payments).values(reference="IMP-1", account_id=a.account, paid_on=date(2026, 3,
                                                                                                   10),
                                             amount_minor=10_000, currency="CNY", channel="bank_transfer",
                                             status="posted", row_hash="h", created_at=runtime.clock.now()))
    march = service.balance(runtime, SYSTEM, a.external_id, date(2026, 3, 5))
    assert march["components_minor"] == {"fees": 5_000, "penalty": 0, "interest": 0, "principal": 100_000}
    today = service.balance(runtime, SYSTEM, a.external_id)
    assert today["owed_minor"] == 95_000 and today["as_of"] == "2026-03-31"
    kinds = [r["kind"] for r in today["ledger"]]
    assert kinds == ["opening", "accrual", "payment"]
    assert service.balance(runtime, SYSTEM, a.external_id, date(2025, 1, 1))["owed_minor"] == 0
    # the imported payment can be reversed like any other: it re-opens what it paid
    service.reverse_payment(runtime, SYSTEM, reference="IMP-1", reason="bounced")
    assert balances(runtime, a.account)["fees"] == 5_000 and balances(runtime,
                                                                      a.account)["principal"] == 100_000
    assert _conserved(runtime, a.account)


def test_scope_an_agency_user_cannot_see_another_agencys_balance(runtime):
    d = desk(runtime)
    a = account(runtime, 8, d.team)
    with pytest.raises(NotFound):
        service.balance(runtime, d.agent, a.external_id)
    with runtime.engine.begin() as conn:
        conn.execute(accounts.update().where(accounts.c.id == a.account).values(agency_id=d.agency))
    assert service.balance(runtime, d.agent, a.external_id)["owed_minor"] == 500_000
