"""Roll and cure rates from the bucket history, and recovery curves by month of entry, on both backends."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from arrears.core.access import SYSTEM
from arrears.portfolio.store import accounts, bucket_history, debtors
from arrears.reporting import service
from arrears.runtime import Runtime
from tests.integration.reporting_seed import NOW, pay

FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)


def _account(conn: Any, key: str, history: list[tuple[str, date, date | None]]) -> int:
    debtor = conn.execute(
        insert(debtors).values(
            external_id=f"RD-{key}",
            kind="person",
            name=key,
            timezone="Asia/Shanghai",
            timezone_source="default",
            row_hash="0" * 32,
            created_at=NOW,
            updated_at=NOW,
        )
    ).inserted_primary_key[0]
    account = conn.execute(
        insert(accounts).values(
            external_id=f"RA-{key}",
            debtor_id=debtor,
            product="credit_card",
            currency="CNY",
            bucket=history[-1][0],
            row_hash="0" * 32,
            created_at=NOW,
            updated_at=NOW,
        )
    ).inserted_primary_key[0]
    for bucket, entered, left in history:
        conn.execute(
            insert(bucket_history).values(
                account_id=account, bucket=bucket, entered_on=entered, left_on=left, dpd_at_entry=1
            )
        )
    return int(account)


@pytest.fixture
def history(runtime: Runtime) -> dict[str, int]:
    d = date
    with runtime.engine.begin() as conn:
        ids = {
            # on 1 Feb in M1, on 1 Mar in M2: rolled forward
            "R1": _account(conn, "R1", [("M1", d(2026, 1, 10), d(2026, 2, 9)), ("M2", d(2026, 2, 9), None)]),
            # on 1 Feb in M1, back to current on 15 Feb: cured
            "R2": _account(
                conn, "R2", [("M1", d(2026, 1, 20), d(2026, 2, 15)), ("M0", d(2026, 2, 15), None)]
            ),
            # M1 on both days: stayed
            "R3": _account(conn, "R3", [("M1", d(2026, 1, 25), None)]),
            # current on 1 Feb, M1 on 1 Mar: M0 rolled forward (entered delinquency in February)
            "R4": _account(conn, "R4", [("M0", d(2025, 6, 1), d(2026, 2, 10)), ("M1", d(2026, 2, 10), None)]),
            # M2 on 1 Feb; M3 left on 1 Mar (left_on is exclusive), so M4 on 1 Mar
            "R5": _account(
                conn,
                "R5",
                [
                    ("M2", d(2026, 1, 5), d(2026, 2, 4)),
                    ("M3", d(2026, 2, 4), d(2026, 3, 1)),
                    ("M4", d(2026, 3, 1), None),
                ],
            ),
        }
        pay(conn, ids["R1"], d(2026, 1, 15), 10_000)  # January cohort, month 0
        pay(conn, ids["R1"], d(2026, 3, 2), 5_000)  # month 2, a repeat payer
        pay(conn, ids["R2"], d(2026, 2, 15), 30_000)  # month 1
        pay(conn, ids["R3"], d(2026, 1, 1), 9_999)  # before R3 entered M1: not the episode's
        pay(conn, ids["R4"], d(2026, 2, 20), 7_000)  # February cohort, month 0
    service.refresh(runtime, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 3, 30))
    return ids


def test_roll_and_cure_rates(runtime: Runtime, history: dict[str, int]) -> None:
    rows = service.rolls(runtime, SYSTEM, FEB, MAR)
    feb = {r.from_bucket: r for r in rows if r.month == FEB}
    m1 = feb["M1"]
    # M1 on 1 Feb: R1 (-> M2), R2 (-> M0), R3 (-> M1): roll 1/3, cure 1/3
    assert m1.accounts == 3 and m1.to_buckets == {"M0": 1, "M1": 1, "M2": 1}
    assert (m1.roll_rate, m1.cure_rate) == (Decimal("0.333333"), Decimal("0.333333"))
    assert (feb["M0"].accounts, feb["M0"].rolled_forward) == (1, 1)  # R4
    assert feb["M2"].to_buckets == {"M4": 1} and feb["M2"].roll_rate == Decimal("1.000000")  # R5
    # the cycle from 1 March ends on 1 April, after the as-of date: not there yet
    assert not [r for r in rows if r.month == MAR]


def test_older_cycles_appear_once_a_refresh_covers_them(runtime: Runtime, history: dict[str, int]) -> None:
    january = date(2026, 1, 1)
    # the refresh from 30 March rebuilt the cycles ending in its window (from February), not January's
    assert service.rolls(runtime, SYSTEM, january, january) == []
    service.refresh(runtime, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 2, 1))
    jan = service.rolls(runtime, SYSTEM, january, january)
    # on 1 January only R4 had history (current), still current on 1 February
    assert [(r.from_bucket, r.accounts, r.to_buckets) for r in jan] == [("M0", 1, {"M0": 1})]


def test_recovery_curves(runtime: Runtime, history: dict[str, int]) -> None:
    points = service.cohorts(runtime, SYSTEM, date(2026, 1, 1), MAR)
    curve = {(p.cohort, p.months_since): p for p in points}
    jan = date(2026, 1, 1)
    # January cohort: R1, R2, R3 entered M1. Month 0: R1 paid 100.00. Month 1: R2 paid 300.00.
    # Month 2 (March): R1 paid again 50.00; R3's payment predates its entry and does not count.
    assert [(curve[(jan, k)].paid_accounts, curve[(jan, k)].collected_minor) for k in (0, 1, 2)] == [
        (1, 10_000),
        (2, 40_000),
        (2, 45_000),
    ]
    assert curve[(jan, 2)].accounts == 3 and curve[(jan, 2)].paid_share == Decimal("0.666667")
    assert (jan, 3) not in curve  # April is in the future
    # February cohort: R4 (entered 10 Feb) paid 70.00 in February
    assert [(curve[(FEB, k)].paid_accounts, curve[(FEB, k)].collected_minor) for k in (0, 1)] == [
        (1, 7_000),
        (1, 7_000),
    ]
    assert not [p for p in points if p.cohort == MAR]  # nobody entered M1 in March
