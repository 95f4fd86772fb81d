"""Champion vs challenger: every KPI per arm (from arm_assignments) and the test of each difference."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert

from arrears.core.access import SYSTEM
from arrears.reporting import service
from arrears.reporting.model import Dimension, Filters, Period
from arrears.runtime import Runtime
from tests.integration.reporting_seed import DAY, Seed, attempt, debtor_with_account, local, seed_day

arm_store = pytest.importorskip("arrears.strategy.store")


def _assign(conn: Any, account_id: int, arm: str, on: date, experiment: str = "exp1") -> None:
    conn.execute(
        insert(arm_store.arm_assignments).values(
            account_id=account_id, experiment=experiment, arm=arm, assigned_on=on
        )
    )


@pytest.fixture
def seeded(runtime: Runtime) -> Seed:
    seed = seed_day(runtime)
    a = seed.accounts
    with runtime.engine.begin() as conn:
        _assign(conn, a["A1"], "champion", date(2026, 3, 1))
        _assign(conn, a["A4"], "champion", date(2026, 3, 1))
        _assign(conn, a["A2"], "challenger", date(2026, 3, 1))
        _assign(conn, a["A3"], "challenger", date(2026, 3, 31))  # assigned after the day: not counted then
        _assign(conn, a["A1"], "x", date(2026, 3, 1), experiment="other")
    service.refresh(runtime, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 3, 29))
    return seed


def test_kpis_by_arm(runtime: Runtime, seeded: Seed) -> None:
    day = Period(DAY, DAY)
    rows = {
        r.group: r.measures
        for r in service.kpi_table(runtime, SYSTEM, day, Dimension.ARM, Filters(experiment="exp1")).rows
    }
    assert list(rows) == ["challenger", "champion"]
    # champion = A1 (c1: no answer, right party; 2 of c1's hours; paid 500.00) + A4 (planned, not attempted)
    champion = rows["champion"]
    assert (champion["attempts"], champion["answered"], champion["rpc"]) == (2, 1, 1)
    assert (champion["collector_ms"], champion["collected_minor"]) == (2 * 3_600_000, 50_000)
    assert (champion["planned"], champion["planned_attempted"], champion["paying_accounts"]) == (2, 1, 2)
    # challenger = A2 only on the 30th (A3 joined on the 31st): c1 third party + voicemail, c2 right party
    challenger = rows["challenger"]
    assert (challenger["attempts"], challenger["answered"], challenger["rpc"]) == (3, 2, 1)
    assert (challenger["collector_ms"], challenger["collected_minor"]) == (int(2.5 * 3_600_000), 150_000)
    # the experiment slices never leak into the everyone total
    assert service.kpi_table(runtime, SYSTEM, day).total.measures["attempts"] == 7
    one_arm = service.kpi_table(runtime, SYSTEM, day, None, Filters(experiment="exp1", arm="champion")).total
    assert one_arm.measures["attempts"] == 2


def test_arm_report_with_too_little_data(runtime: Runtime, seeded: Seed) -> None:
    report = service.arm_report(runtime, SYSTEM, "exp1", Period(DAY, DAY))
    assert report.champion == "champion" and [r.group for r in report.arms] == ["challenger", "champion"]
    by_kpi = {c.kpi: c for c in report.comparisons}
    assert len(report.comparisons) == 9  # one challenger, every KPI
    # connect rate 2/3 against 1/2: Newcombe's interval is wide and includes zero
    connect = by_kpi["connect_rate"]
    assert connect.verdict == "no_difference" and connect.interval is not None
    assert connect.interval.difference == Decimal("0.166667")
    # one day is one cluster: the per-hour KPIs cannot be tested; one payment each: no Welch test
    assert by_kpi["collected_per_hour"].verdict == "not_enough_data"
    assert by_kpi["average_payment"].verdict == "not_enough_data"
    assert "Not enough data to compare challenger with champion" in by_kpi["average_payment"].statement


def test_a_clear_difference_is_called_significant(runtime: Runtime) -> None:
    first = date(2026, 3, 1)
    with runtime.engine.begin() as conn:
        arms: dict[str, list[int]] = {"champion": [], "challenger": []}
        for i in range(4):
            arm = "champion" if i % 2 else "challenger"
            debtor, account = debtor_with_account(
                conn, f"X{i}", "credit_card", "CNY", "M1", first, None, None
            )
            _assign(conn, account, arm, first)
            arms[arm].append(debtor)
        # ten days, ten attempts a day per arm: the challenger reaches the debtor 6 times in 10, champion 2
        for d in range(10):
            day = first + timedelta(days=d)
            for n in range(10):
                for arm, debtors in arms.items():
                    reached = n < (6 if arm == "challenger" else 2)
                    attempt(
                        conn,
                        debtors[n % 2],
                        None,
                        local(day, 9 + n // 2, 30 * (n % 2)),
                        2,
                        "connected_rpc" if reached else "no_answer",
                    )
    service.refresh(runtime, SYSTEM, as_of=date(2026, 3, 31), start=first)
    report = service.arm_report(
        runtime, SYSTEM, "exp1", Period(first, first + timedelta(days=9)), language="zh-CN"
    )
    rpc = next(c for c in report.comparisons if c.kpi == "rpc_rate")
    # 60/100 against 20/100: difference 0.40, Newcombe interval about 0.27 to 0.52
    assert rpc.interval is not None and rpc.interval.difference == Decimal("0.400000")
    assert Decimal("0.26") < rpc.interval.low < Decimal("0.28") and Decimal(
        "0.51"
    ) < rpc.interval.high < Decimal("0.53")
    assert rpc.verdict == "better"
    assert rpc.statement.startswith("challenger 的本人接通率显著优于 champion：60.0% 对 20.0%")
