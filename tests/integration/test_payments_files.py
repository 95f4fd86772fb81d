"""Channel files posted on the example portfolio: every layout lands once; a bad file posts nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.core.access import SYSTEM
from arrears.core.errors import InputRejected
from arrears.payments import ledger, service
from arrears.payments.store import payment_files
from arrears.portfolio.importing.service import import_file
from arrears.portfolio.store import accounts, payments
from tests.integration.payments_seed import count, rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def loaded(runtime):
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    return runtime


@pytest.mark.parametrize(("name", "posted", "skipped"), [
    ("bank_statement.csv", 3, 1), ("bank_statement.xlsx", 2, 1), ("wechat_bill.csv", 2, 1),
    ("alipay_bill.csv", 2, 1), ("b2b_remittance.csv", 3, 0),
])
def test_each_layout_posts_once(loaded, name, posted, skipped):
    first = service.post_file(loaded, SYSTEM, EXAMPLES / "payments" / name)
    assert (first["posted"], len(first["skipped"]), first["duplicates"]) == (posted, skipped, 0)
    again = service.post_file(loaded, SYSTEM, EXAMPLES / "payments" / name)
    assert (again["posted"], again["duplicates"]) == (0, posted)
    assert count(loaded, payments) == posted and count(loaded, payment_files) == 2
    with loaded.engine.connect() as conn:
        for p in conn.execute(select(payments)):
            assert p.source == "file"
            acct = conn.execute(select(accounts).where(accounts.c.id == p.account_id)).one()
            assert ledger.check(conn, acct).is_zero()


def test_wechat_amounts_land_on_the_named_accounts(loaded):
    service.post_file(loaded, SYSTEM, EXAMPLES / "payments" / "wechat_bill.csv")
    got = {(r.reference, r.amount_minor, r.channel) for r in rows(loaded, payments)}
    assert got == {("RP20260325000001", 120_000, "wechat_pay"), ("RP20260326000002", 100_000, "wechat_pay")}


def test_a_bad_file_is_refused_whole_with_every_problem_and_nothing_posted(loaded):
    with pytest.raises(InputRejected) as exc:
        service.post_file(loaded, SYSTEM, EXAMPLES / "payments" / "bank_statement_bad.csv")
    found = {(p.row, p.field) for p in exc.value.problems}
    assert found == {(2, "account"), (3, "currency"), (5, "reference"), (6, "paid_on"), (7, "amount")}
    reasons = " ".join(p.reason for p in exc.value.problems)
    assert "unknown account" in reasons and "is in CNY" in reasons and "earlier in the file" in reasons
    assert count(loaded, payments) == 0 and count(loaded, payment_files) == 0


def test_a_reference_already_recorded_with_other_details_refuses_the_file(loaded, tmp_path):
    service.post_file(loaded, SYSTEM, EXAMPLES / "payments" / "bank_statement.csv")
    changed = tmp_path / "changed.csv"
    text = (EXAMPLES / "payments" / "bank_statement.csv").read_text(encoding="utf-8")
    changed.write_text(text.replace("1500.00", "1600.00"), encoding="utf-8")
    before = count(loaded, payments)
    with pytest.raises(InputRejected) as exc:
        service.post_file(loaded, SYSTEM, changed)
    assert exc.value.problems[0].field == "reference" and "different details" in exc.value.problems[0].reason
    assert count(loaded, payments) == before


def test_a_file_payment_keeps_the_promise_it_meets_and_others_are_not_judged_needlessly(loaded):
    from datetime import date

    from arrears.core.money import Money
    from arrears.payments import promises as pr
    from arrears.payments.store import promises as promises_t

    with loaded.engine.begin() as conn:
        acct = conn.execute(select(accounts).where(accounts.c.external_id == "CC-1002")).one()
        made = pr.make_promise(conn, SYSTEM, debtor_id=acct.debtor_id, account_id=acct.id,
                               amount=Money.of("1200", "CNY"), due_on=date(2026, 4, 2), due_time=None,
                               channel="wechat_pay", now=loaded.clock.now() - timedelta(days=7))
    service.post_file(loaded, SYSTEM, EXAMPLES / "payments" / "wechat_bill.csv")
    assert rows(loaded, promises_t, promises_t.c.id == made.promise_id)[0].status == "kept"
