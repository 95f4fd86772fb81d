"""The fast scoring read agrees with the general one, and snapshots see only their past."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from sqlalchemy import insert

from arrears.portfolio.store import accruals
from arrears.runtime import Runtime
from arrears.strategy.scoring.current import read_current
from arrears.strategy.scoring.features import INDEX, build_matrix
from arrears.strategy.scoring.reads import read_range
from tests.integration import scoring_seed as seed

AS_OF = date(2026, 3, 31)


def test_fast_and_general_reads_agree(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        seed.planted_history(conn, AS_OF, n_accounts=40)
        d = seed.debtor(conn, kind="company")
        p = seed.point(conn, d, "payables")
        acc = seed.account(conn, d, dpd=45, product="business_receivable",
                           last_payment_date=AS_OF - timedelta(days=70),
                           open_date=AS_OF - timedelta(days=400))
        seed.bucket_row(conn, acc, "M1", AS_OF - timedelta(days=200), 1, AS_OF - timedelta(days=170))
        seed.bucket_row(conn, acc, "M0", AS_OF - timedelta(days=170), 0, AS_OF - timedelta(days=44))
        seed.bucket_row(conn, acc, "M1", AS_OF - timedelta(days=44), 1)
        seed.payment(conn, acc, AS_OF - timedelta(days=10), 30_000)
        seed.payment(conn, acc, AS_OF - timedelta(days=5), 30_000, status="reversed")
        for k in range(3):
            seed.attempt(conn, d, p, now - timedelta(days=k * 12), "connected_rpc" if k == 0 else "no_answer")
        seed.account(conn, d, status="closed")
        fast = read_current(conn, 1, 10_000, AS_OF)
        slow = read_range(conn, 1, 10_000, AS_OF, current=True, active_only=False)
    keep = np.isin(slow.account_id, fast.account_id)
    assert (slow.account_id[keep] == fast.account_id).all() and keep.sum() == 41  # the closed one left out
    assert np.allclose(build_matrix(fast), build_matrix(slow)[keep])
    row = build_matrix(fast)[list(fast.account_id).index(acc)]
    assert row[INDEX["delinquency_episodes"]] == 2 and row[INDEX["payments_90d"]] == 1
    assert row[INDEX["attempts_30d"]] == 3 and row[INDEX["rpcs_30d"]] == 1
    assert row[INDEX["months_since_payment"]] == 0 and row[INDEX["is_company"]] == 1


def test_a_snapshot_sees_only_its_past(runtime: Runtime) -> None:
    t = AS_OF - timedelta(days=60)
    with runtime.engine.begin() as conn:
        d = seed.debtor(conn)
        acc = seed.account(conn, d, dpd=0, principal_minor=100_000, open_date=AS_OF - timedelta(days=300))
        seed.bucket_row(conn, acc, "M1", AS_OF - timedelta(days=100), 1, AS_OF - timedelta(days=20))
        seed.bucket_row(conn, acc, "M0", AS_OF - timedelta(days=20), 0)
        seed.payment(conn, acc, t - timedelta(days=5), 10_000)  # before: a feature
        seed.payment(conn, acc, t + timedelta(days=10), 20_000)  # inside the label window
        seed.payment(conn, acc, AS_OF - timedelta(days=20), 50_000)  # later
        conn.execute(insert(accruals).values(account_id=acc, kind="late_fee", period_date=t, days=0,
                                             amount_minor=5_000, as_of=t + timedelta(days=1)))
        raw = read_range(conn, acc, acc, t, current=False, contactability={}, active_only=False)
        later = read_range(conn, acc, acc, AS_OF - timedelta(days=19), current=False, contactability={},
                           active_only=False)
    assert raw.label is not None and raw.label.tolist() == [1]
    assert raw.dpd.tolist() == [41]  # in M1 since day -100 at 1 DPD: 40 days later
    assert raw.payments_total.tolist() == [1] and raw.payments_90d.tolist() == [1]
    assert raw.balance_minor.tolist() == [100_000 + 20_000 + 50_000 - 5_000]  # paid later, less charged later
    assert later.dpd.tolist() == [0] and later.label is not None and later.label.tolist() == [0]


def test_broken_promises_count_for_the_account_and_its_debtor(runtime: Runtime) -> None:
    from arrears.payments.store import promises

    now = runtime.clock.now()

    def promise(conn, debtor: int, account: int | None, status: str, due: date) -> None:  # type: ignore[no-untyped-def]
        conn.execute(insert(promises).values(
            debtor_id=debtor, account_id=account, amount_minor=10_000, currency="CNY", due_on=due,
            channel="bank_transfer", status=status, created_by="test", created_at=now, updated_at=now))

    with runtime.engine.begin() as conn:
        d = seed.debtor(conn)
        one, two = seed.account(conn, d), seed.account(conn, d)
        promise(conn, d, one, "broken", AS_OF - timedelta(days=20))
        promise(conn, d, one, "kept", AS_OF - timedelta(days=10))
        promise(conn, d, None, "broken", AS_OF - timedelta(days=5))  # the debtor's, no account named
        promise(conn, d, two, "broken", AS_OF + timedelta(days=5))  # not due yet on the day
        raw = read_current(conn, one, two, AS_OF)
        fast = read_range(conn, one, two, AS_OF, current=True)
        past = read_range(conn, one, two, AS_OF - timedelta(days=15), current=False, contactability={},
                          active_only=False)
    assert raw.broken_promises.tolist() == [0, 0]  # the fast read alone does not count them
    assert fast.broken_promises.tolist() == [2, 1]
    assert past.broken_promises.tolist() == [1, 0]
