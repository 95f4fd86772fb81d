"""Property test through the services and the database: random sequences of payments, reversals, waivers
and accruals (as aging books them) never create or lose money and never make a balance negative."""

from __future__ import annotations

import itertools
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from arrears.core.access import SYSTEM
from arrears.core.errors import Conflict, InputRejected
from arrears.core.money import Money
from arrears.payments import ledger, posting, service, settlements
from arrears.payments.rules import allocate
from arrears.payments.store import account_ledger
from arrears.portfolio.model import DEFAULT_ALLOCATION_ORDER
from arrears.portfolio.store import accounts, accruals, payments
from tests.integration.payments_seed import account

_N = itertools.count(1000)
steps = st.lists(st.one_of(
    st.tuples(st.just("pay"), st.integers(1, 300_000)),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("waive"), st.integers(1, 20_000)),
    st.tuples(st.just("accrue"), st.integers(1, 50_000)),
    st.tuples(st.just("import"), st.integers(1, 100_000)),
), min_size=1, max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=steps)
def test_random_histories_conserve_money(runtime, ops):
    rt = runtime
    n = next(_N)
    a = account(rt, n, None, principal=200_000, interest=10_000, fees=5_000, penalty=3_000,
                due=((date(2026, 2, 14), 218_000),))
    posted: list[str] = []
    flows = {"paid": 0, "reversed": 0, "waived": 0, "accrued": 0}
    for i, (kind, amount) in enumerate(ops):
        if kind == "pay":
            ref = f"P{n}-{i}"
            service.post_payment(rt, SYSTEM, account_external_id=a.external_id, reference=ref,
                                 amount=Money.from_minor(amount, "CNY"), paid_on=date(2026, 3, 30),
                                 channel="cash")
            posted.append(ref)
            flows["paid"] += amount
        elif kind == "reverse" and posted:
            ref = posted.pop(amount % len(posted))
            out = service.reverse_payment(rt, SYSTEM, reference=ref, reason="bounced")
            flows["reversed"] += sum(out["reopened"].values()) + out["credit_removed_minor"]
        elif kind == "waive":
            try:
                with rt.engine.begin() as conn:
                    done = settlements.waiver_in(conn, SYSTEM, account_id=a.account, reason="goodwill",
                                                 amount=Money.from_minor(amount, "CNY"), now=rt.clock.now())
                flows["waived"] += done["amount_minor"] if done["status"] == "applied" else 0
            except (InputRejected, Conflict):
                pass  # more than is owed: refused, nothing written
        elif kind == "accrue":  # what aging does: an accrual row and the penalty balance
            with rt.engine.begin() as conn:
                conn.execute(insert(accruals).values(account_id=a.account, kind="penalty",
                                                     period_date=date(2026, 1, 1 + i), days=1,
                                                     amount_minor=amount, as_of=date(2026, 3, 30)))
                conn.execute(accounts.update().where(accounts.c.id == a.account)
                             .values(penalty_minor=accounts.c.penalty_minor + amount))
            flows["accrued"] += amount
        elif kind == "import":  # what the portfolio import does: a payment row, allocated in the order
            with rt.engine.begin() as conn:
                row = conn.execute(select(accounts).where(accounts.c.id == a.account)).one()
                split = allocate(amount, ledger.book_of(row).parts, DEFAULT_ALLOCATION_ORDER)
                pid = conn.execute(insert(payments).values(
                    reference=f"I{n}-{i}", account_id=a.account, paid_on=date(2026, 3, 30),
                    amount_minor=amount,
                    currency="CNY", channel="bank_transfer", status="posted", row_hash="h",
                    created_at=rt.clock.now()).returning(payments.c.id)).scalar_one()
                left = split.remaining(ledger.book_of(row).parts)
                conn.execute(accounts.update().where(accounts.c.id == a.account).values(
                    credit_minor=row.credit_minor + split.credit,
                    **{f"{c.value}_minor": v for c, v in left.items()}))
                posting.after_external_payments(conn, [pid], rt.clock.now())
            take = amount
            flows["paid"] += take
    with rt.engine.begin() as conn:
        acct = conn.execute(select(accounts).where(accounts.c.id == a.account)).one()
        ledger.sync(conn, acct, date(2026, 3, 31), rt.clock.now())
        assert ledger.check(conn, acct).is_zero()
        book = ledger.book_of(acct)
        assert all(v >= 0 for v in book.parts.values()) and book.credit >= 0
        sync_rows = conn.execute(select(func.count()).select_from(account_ledger).where(
            account_ledger.c.account_id == a.account, account_ledger.c.kind == "sync")).scalar_one()
    # owed - credit moved exactly by accruals - payments + reversals - waivers
    start = 200_000 + 10_000 + 5_000 + 3_000
    moved = flows["accrued"] - flows["paid"] + flows["reversed"] - flows["waived"]
    assert book.owed - book.credit == start + moved
    assert sync_rows == 0  # everything done elsewhere was explained by its own row
