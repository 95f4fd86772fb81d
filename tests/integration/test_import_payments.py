"""Importing payments: recorded once by reference, allocated in the account's order, due items oldest
first."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from arrears.core.errors import InputRejected
from arrears.portfolio.importing import kinds
from arrears.portfolio.importing.service import import_file
from arrears.portfolio.store import accounts, due_items, payments
from arrears.runtime import Runtime
from tests.integration.test_import_accounts import EXAMPLES, account, count, snapshot

HEADER = "reference,account_id,paid_on,amount,currency,channel\n"


@pytest.fixture
def loaded(runtime: Runtime) -> Runtime:
    """The example accounts, imported."""
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    return runtime


def _file(tmp_path: Path, body: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _due(rt: Runtime, external_id: str) -> list[tuple[Any, ...]]:
    with rt.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(due_items.c.due_date, due_items.c.amount_minor, due_items.c.paid_minor)
                .join(accounts)
                .where(accounts.c.external_id == external_id)
                .order_by(due_items.c.due_date)
            )
        ]


def _balances(rt: Runtime, external_id: str) -> tuple[int, ...]:
    a = account(rt, external_id)
    return a.fees_minor, a.penalty_minor, a.interest_minor, a.principal_minor, a.credit_minor


def test_example_payments_are_posted_and_allocated(loaded: Runtime) -> None:
    result = import_file(loaded, "payments", EXAMPLES / "payments.csv")
    assert (result.rows_new, result.rows_rejected) == (9, 0)
    # fees 150.00, penalty 85.40, interest 562.30 first, the rest of 1,200.00 to principal
    assert _balances(loaded, "CC-1001") == (0, 0, 0, 1_824_770, 0)
    assert _due(loaded, "CC-1001") == [(date(2026, 1, 5), 320_000, 120_000)]
    cc = account(loaded, "CC-1001")
    assert (cc.last_payment_date, cc.last_payment_minor) == (date(2026, 3, 1), 120_000)
    # interest, principal, penalty, fees: this loan's own order
    assert _balances(loaded, "LN-2001") == (0, 0, 0, 4_617_000, 0)
    assert _due(loaded, "LN-2001") == [(date(2026, 2, 15), 215_000, 215_000)]
    # an overpayment is kept as credit
    assert _balances(loaded, "CC-1006") == (0, 0, 0, 0, 30_000)
    assert _balances(loaded, "AR-3005")[3] == 18_000_000 and account(loaded, "AR-3005").currency == "HKD"
    with loaded.engine.connect() as conn:
        rows = {r.reference: r for r in conn.execute(select(payments))}
    assert (rows["WX20260301000001"].channel, rows["WX20260301000001"].amount_minor) == (
        "wechat_pay",
        120_000,
    )
    assert rows["CHQ-00451"].channel == "cheque" and rows["BT20260316000005"].currency == "HKD"
    assert rows["BT20260310000004"].currency == "CNY" and all(r.status == "posted" for r in rows.values())


def test_reimporting_the_same_payments_changes_nothing(loaded: Runtime) -> None:
    import_file(loaded, "payments", EXAMPLES / "payments.csv")
    before = snapshot(loaded)
    again = import_file(loaded, "payments", EXAMPLES / "payments.csv")
    assert (again.rows_new, again.rows_unchanged) == (0, 9)
    after = snapshot(loaded)
    assert {t: v for t, v in after.items() if t != "import_batches"} == {
        t: v for t, v in before.items() if t != "import_batches"
    }


def test_a_recorded_payment_cannot_change(loaded: Runtime, tmp_path: Path) -> None:
    import_file(loaded, "payments", _file(tmp_path, "T1,CC-1001,2026-03-01,100.00,CNY,wechat\n"))
    before = snapshot(loaded)
    with pytest.raises(InputRejected) as caught:
        import_file(
            loaded, "payments", _file(tmp_path, "T1,CC-1001,2026-03-01,150.00,CNY,wechat\n", "p2.csv")
        )
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (2, "reference") and "cannot be changed" in problem.reason
    assert snapshot(loaded) == before


def test_currency_must_match_the_account(loaded: Runtime, tmp_path: Path) -> None:
    before = snapshot(loaded)
    with pytest.raises(InputRejected) as caught:
        import_file(
            loaded,
            "payments",
            _file(
                tmp_path, "T1,CC-1001,2026-03-01,100.00,USD,alipay\nT2,NOPE,2026-03-01,100.00,CNY,alipay\n"
            ),
        )
    reasons = [(p.row, p.field, p.reason) for p in caught.value.problems]
    assert reasons == [
        (2, "currency", "amount in USD but account CC-1001 is in CNY"),
        (3, "account_id", "unknown account: import it first"),
    ]
    assert snapshot(loaded) == before


def test_amount_is_read_in_the_accounts_currency(loaded: Runtime, tmp_path: Path) -> None:
    import_file(loaded, "payments", _file(tmp_path, 'T1,AR-3006,2026-03-20,"1,000.50",,bank\n'))
    assert _balances(loaded, "AR-3006")[3] == 9_800_000 - 100_050


def test_several_payments_of_one_account_across_batches(
    loaded: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(kinds.BATCH_SIZES, "payments", 2)
    with loaded.engine.begin() as conn:
        a = conn.execute(select(accounts.c.id).where(accounts.c.external_id == "CC-1002")).scalar_one()
        conn.execute(
            insert(due_items).values(
                account_id=a,
                due_date=date(2026, 3, 1),
                amount_minor=50_000,
                principal_minor=50_000,
                paid_minor=0,
            )
        )
    body = "".join(f"T{i},CC-1002,2026-03-{10 + i:02d},500.00,CNY,cash\n" for i in range(5))
    result = import_file(loaded, "payments", _file(tmp_path, body))
    assert result.rows_new == 5 and count(loaded, payments) == 5
    # 2,500.00 paid: the older due item (1,500.00) first, then the newer one (500.00)
    assert _due(loaded, "CC-1002") == [
        (date(2026, 2, 1), 150_000, 150_000),
        (date(2026, 3, 1), 50_000, 50_000),
    ]
    # fees 100.00, interest 245.00, then principal
    assert _balances(loaded, "CC-1002") == (0, 0, 0, 980_000 - (250_000 - 10_000 - 24_500), 0)
    cc = account(loaded, "CC-1002")
    assert (cc.last_payment_date, cc.last_payment_minor) == (date(2026, 3, 14), 50_000)


def test_quarantine_keeps_the_good_payments(loaded: Runtime, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "T1,CC-1001,2026-03-01,100.00,CNY,wechat\nT2,CC-1001,2026-03-02,-5,CNY,wechat\n"
        "T3,NOPE,2026-03-02,5,CNY,wechat\n",
    )
    result = import_file(loaded, "payments", path, quarantine=True)
    assert (result.rows_new, result.rows_rejected, result.status) == (1, 2, "quarantined")
    assert {p.row for p in result.problems} == {3, 4}
