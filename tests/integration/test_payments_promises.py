"""Promises and claims in the caller's transaction: checks, approval above authority, work items,
confirmation documents, audit, history; claims matched or queued."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import insert

from arrears.core.access import Role
from arrears.core.errors import InputRejected, NotFound
from arrears.core.money import Money
from arrears.payments import promises as pr
from arrears.payments.model import ClaimStatus, PromiseStatus
from arrears.payments.store import approvals, arrangement_documents, promise_claims
from arrears.payments.store import promises as promises_t
from arrears.portfolio.store import payments
from arrears.users.store import audit_log
from arrears.worklist.store import work_items
from tests.authkit import make_user
from tests.integration.payments_seed import account, count, desk, rows


def _promise(rt, who, a, amount="500.00", due=date(2026, 4, 3), **kw):
    with rt.engine.begin() as conn:
        return pr.make_promise(conn, who, debtor_id=a.debtor, account_id=kw.pop("account_id", a.account),
                               amount=Money.of(amount, kw.pop("currency", "CNY")), due_on=due,
                               due_time=kw.pop("due_time", None), channel=kw.pop("channel", "wechat_pay"),
                               now=rt.clock.now(), **kw)


def test_promise_within_authority_is_pending_with_work_confirmation_and_audit(runtime):
    d = desk(runtime)
    a = account(runtime, 1, d.team, d.collector.user_id)
    out = _promise(runtime, d.collector, a, due_time=time(15, 0), attempt_id=77)
    assert out.status is PromiseStatus.PENDING and out.approval_id is None
    p = rows(runtime, promises_t, promises_t.c.id == out.promise_id)[0]
    assert (p.amount_minor, p.currency, p.attempt_id) == (50_000, "CNY", 77)
    assert p.collector_id == d.collector.user_id
    work = {w.kind: w for w in rows(runtime, work_items, work_items.c.source == "promise",
                                     work_items.c.source_ref == str(out.promise_id))}
    assert set(work) == {"promise_reminder", "promise_followup"}
    # the day before (2026-04-02) at 10:00 Shanghai = 02:00 UTC
    assert work["promise_reminder"].due_at.isoformat() == "2026-04-02T02:00:00+00:00"
    assert work["promise_followup"].due_at.isoformat() == "2026-04-04T02:00:00+00:00"
    assert work["promise_reminder"].collector_id == d.collector.user_id
    doc = rows(runtime, arrangement_documents, arrangement_documents.c.id == out.confirmation_id)[0]
    assert "CNY 500.00" in doc.text_zh and "微信" in doc.text_zh and "2026-04-03 15:00" in doc.text_en
    assert a.external_id not in doc.text_en and a.external_id[-4:] in doc.text_en
    assert count(runtime, audit_log, audit_log.c.action == "promise.create") == 1


def test_promise_above_authority_waits_for_approval(runtime):
    d = desk(runtime)
    a = account(runtime, 2, d.team, d.collector.user_id)
    out = _promise(runtime, d.collector, a, amount="3000.01")
    assert out.status is PromiseStatus.AWAITING_APPROVAL and out.approval_id is not None
    req = rows(runtime, approvals, approvals.c.id == out.approval_id)[0]
    assert (req.kind, req.level, req.team_id, req.requested_by) == ("promise", "team_lead", d.team,
                                                                     d.collector.username)


def test_promise_far_ahead_needs_approval_for_a_collector(runtime):
    d = desk(runtime)
    a = account(runtime, 3, d.team)
    far = _promise(runtime, d.other, a, amount="10", due=date(2026, 6, 1))
    assert far.status is PromiseStatus.AWAITING_APPROVAL
    assert _promise(runtime, d.lead, a, amount="10", due=date(2026, 6, 1)).status is PromiseStatus.PENDING


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"due": date(2026, 3, 30)}, "due_on"),
    ({"amount": "0"}, "amount"),
    ({"currency": "USD", "amount": "5"}, "currency"),
    ({"channel": " "}, "channel"),
])
def test_bad_promises_are_refused_and_nothing_is_written(runtime, kwargs, field):
    d = desk(runtime)
    a = account(runtime, 4, d.team)
    with pytest.raises(InputRejected) as exc:
        _promise(runtime, d.collector, a, **kwargs)
    assert exc.value.problems[0].field == field
    assert count(runtime, promises_t) == 0 and count(runtime, work_items) == 0
    assert count(runtime, arrangement_documents) == 0 and count(runtime, audit_log) == 0


def test_due_date_is_checked_in_the_debtors_local_today(runtime):
    # 2026-03-31 10:00 UTC is already 2026-04-01 in Kiritimati (UTC+14)
    d = desk(runtime)
    a = account(runtime, 5, d.team, tz="Pacific/Kiritimati")
    with pytest.raises(InputRejected):
        _promise(runtime, d.collector, a, due=date(2026, 3, 31))


def test_unknown_or_out_of_scope_account_is_not_found(runtime):
    d = desk(runtime)
    a = account(runtime, 6, d.team)
    with pytest.raises(NotFound):
        _promise(runtime, d.collector, a, account_id=a.account + 999)
    with pytest.raises(NotFound):
        _promise(runtime, d.agent, a)  # not placed with the agency
    stranger = make_user(runtime, Role.COLLECTOR, team_id=None)
    with pytest.raises(NotFound):
        _promise(runtime, stranger, a)


def _pay(rt, account_id, amount_minor, paid_on, ref):
    with rt.engine.begin() as conn:
        return conn.execute(insert(payments).values(
            reference=ref, account_id=account_id, paid_on=paid_on, amount_minor=amount_minor, currency="CNY",
            channel="bank_transfer", status="posted", row_hash="h", created_at=rt.clock.now(),
        ).returning(payments.c.id)).scalar_one()


def test_claims_match_a_payment_by_reference_or_amount_else_queue_work(runtime):
    d = desk(runtime)
    a = account(runtime, 7, d.team)
    pid = _pay(runtime, a.account, 12_345, date(2026, 3, 29), "TX-ABC")
    with runtime.engine.begin() as conn:
        hit = pr.record_claimed_payment(conn, d.collector, debtor_id=a.debtor, account_id=a.account,
                                        paid_on=date(2026, 3, 30), amount=Money.of("123.45", "CNY"),
                                        channel="bank_transfer", reference="tx-abc", now=runtime.clock.now())
        miss = pr.record_claimed_payment(conn, d.collector, debtor_id=a.debtor, account_id=a.account,
                                         paid_on=date(2026, 3, 30), amount=Money.of("99", "CNY"),
                                         channel="alipay", reference="2026033000001", now=runtime.clock.now(),
                                         attempt_id=5)
    assert hit.matched_payment_id == pid and miss.matched_payment_id is None
    work = rows(runtime, work_items, work_items.c.kind == "claimed_payment")
    assert len(work) == 1 and work[0].source_ref == str(miss.claim_id)
    claim = rows(runtime, promise_claims, promise_claims.c.id == miss.claim_id)[0]
    assert claim.status == ClaimStatus.UNMATCHED and claim.attempt_id == 5


def test_claim_in_the_future_is_refused(runtime):
    d = desk(runtime)
    a = account(runtime, 8, d.team)
    with pytest.raises(InputRejected) as exc, runtime.engine.begin() as conn:
        pr.record_claimed_payment(conn, d.collector, debtor_id=a.debtor, account_id=a.account,
                                  paid_on=date(2026, 4, 5), amount=Money.of("1", "CNY"), channel="cash",
                                  reference=None, now=runtime.clock.now())
    assert exc.value.problems[0].field == "paid_on" and count(runtime, promise_claims) == 0


def test_history_counts_and_judging_from_payments(runtime):
    d = desk(runtime)
    a = account(runtime, 9, d.team)
    kept = _promise(runtime, d.collector, a, amount="100", due=date(2026, 4, 1))
    broken = _promise(runtime, d.collector, a, amount="200", due=date(2026, 4, 2))
    _pay(runtime, a.account, 10_000, date(2026, 4, 1), "K1")
    with runtime.engine.begin() as conn:
        early = pr.judge_promises(conn, as_of=date(2026, 4, 1), now=runtime.clock.now(),
                                  account_ids=[a.account])
    assert early == {"judged": 1, "kept": 1}
    with runtime.engine.begin() as conn:
        late = pr.judge_promises(conn, as_of=date(2026, 4, 5), now=runtime.clock.now())
    assert late["broken"] == 1
    with runtime.engine.connect() as conn:
        hist = pr.promise_history(conn, a.debtor)
    assert (hist.made, hist.kept, hist.broken, hist.pending) == (2, 1, 1, 0)
    assert [i.id for i in hist.items] == [broken.promise_id, kept.promise_id] or len(hist.items) == 2
    broken_work = rows(runtime, work_items, work_items.c.kind == "broken_promise")
    assert len(broken_work) == 1 and broken_work[0].source_ref == str(broken.promise_id)
    live = rows(runtime, work_items, work_items.c.source_ref == str(broken.promise_id),
                work_items.c.kind.in_(["promise_reminder", "promise_followup"]),
                work_items.c.status == "open")
    assert live == []
