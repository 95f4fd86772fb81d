"""KPI arithmetic on measure sums, time steps, the funnel, roll classification and recovery curves."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.reporting import rules
from arrears.reporting.model import Grain, Period

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO")


def _measures(**values: int) -> dict[str, int]:
    return {**rules.empty_measures(), **values}


def test_every_kpi_of_a_small_team_worked_by_hand() -> None:
    m = _measures(
        planned=40,
        planned_attempted=30,  # penetration 30/40 = 75%
        attempts=200,
        answered=80,
        rpc=50,  # connect 80/200 = 40%; RPC 50/200 = 25%
        promises_made=20,  # PTP 20/50 = 40%
        promises_due=16,
        promises_kept=10,  # kept 10/16 = 62.5%
        payments=8,
        collected_minor=5_600_000,  # 56,000.00 CNY / 8 = 7,000.00 average
        collector_ms=16 * 3_600_000,  # 16 hours: 56,000 / 16 = 3,500.00 per hour
        paying_accounts=5,  # 200 attempts / 5 accounts = 40 calls per recovery
    )
    kpis = rules.kpi_values(m, "CNY")
    assert kpis["penetration"].value == Decimal("0.750000")
    assert kpis["connect_rate"].value == Decimal("0.400000")
    assert kpis["rpc_rate"].value == Decimal("0.250000")
    assert kpis["ptp_rate"].value == Decimal("0.400000")
    assert kpis["kept_rate"].value == Decimal("0.625000")
    assert kpis["average_payment"].value == Decimal("7000.00")
    assert kpis["average_payment"].currency == "CNY"
    assert kpis["collected_per_hour"].value == Decimal("3500.00")
    assert kpis["kept_per_hour"].value == Decimal("0.63")  # 10 / 16 = 0.625 -> 0.63 (half up)
    assert kpis["calls_per_recovery"].value == Decimal("40.00")
    assert kpis["collected_per_hour"].denominator == Decimal("16.0000")


def test_zero_denominators_give_no_value() -> None:
    kpis = rules.kpi_values(rules.empty_measures(), "CNY")
    assert all(v.value is None for v in kpis.values())


def test_money_follows_the_currency_exponent() -> None:
    # 3 payments of 1,000 yen (no minor unit) = 1,000 yen average
    kpis = rules.kpi_values(_measures(payments=3, collected_minor=3000), "JPY")
    assert kpis["average_payment"].value == Decimal("1000")


def test_hours_from_milliseconds() -> None:
    assert rules.hours_of({"collector_ms": 5_400_000}) == Decimal("1.5000")
    assert rules.hours_of({}) == Decimal("0.0000")


def test_steps_start_on_monday_and_the_first() -> None:
    assert rules.step_start(date(2026, 3, 29), Grain.WEEK) == date(2026, 3, 23)  # Sunday -> Monday before
    assert rules.step_start(date(2026, 3, 30), Grain.WEEK) == date(2026, 3, 30)
    assert rules.step_start(date(2026, 3, 30), Grain.MONTH) == date(2026, 3, 1)
    assert rules.step_start(date(2026, 3, 30), Grain.DAY) == date(2026, 3, 30)


def test_rollup_keeps_empty_steps_and_sums_days() -> None:
    per_day = {
        date(2026, 3, 2): {"attempts": 5},
        date(2026, 3, 3): {"attempts": 7},
        date(2026, 3, 17): {"attempts": 1},
        date(2026, 4, 1): {"attempts": 99},
    }  # outside
    weeks = rules.rollup_days(per_day, date(2026, 3, 1), date(2026, 3, 22), Grain.WEEK)
    # weeks starting 23 Feb (holds 1 March), 2, 9 and 16 March
    assert [(d, m["attempts"]) for d, m in weeks] == [
        (date(2026, 2, 23), 0),
        (date(2026, 3, 2), 12),
        (date(2026, 3, 9), 0),
        (date(2026, 3, 16), 1),
    ]


def test_month_arithmetic() -> None:
    assert rules.add_months(date(2026, 11, 15), 3) == date(2027, 2, 1)
    assert rules.add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert rules.months_between(date(2025, 12, 5), date(2026, 2, 1)) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]


def test_funnel_shares() -> None:
    stages = rules.funnel(_measures(attempts=200, answered=80, rpc=50, promises_made=20, promises_kept=10))
    assert [s.count for s in stages] == [200, 80, 50, 20, 10]
    assert stages[0].share_of_previous is None
    assert stages[2].share_of_previous == Decimal("0.625000")  # 50 / 80
    assert stages[4].share_of_first == Decimal("0.050000")  # 10 / 200


def test_roll_rows_classify_every_move() -> None:
    march = date(2026, 3, 1)
    cells = [
        (march, "M2", "M3", 3),  # rolled forward
        (march, "M2", "M4", 1),  # rolled forward two buckets (impossible in a month, still counted)
        (march, "M2", "M2", 4),  # stayed
        (march, "M2", "M1", 1),  # improved
        (march, "M2", "M0", 1),  # cured
        (march, "M0", "M1", 2),
        (march, "M0", "M0", 8),
        (march, "XX", "M0", 9),  # unknown bucket: ignored
    ]
    rows = {r.from_bucket: r for r in rules.roll_rows(cells, BUCKETS)}
    m2 = rows["M2"]
    assert (m2.accounts, m2.rolled_forward, m2.stayed, m2.improved, m2.cured) == (10, 4, 4, 1, 1)
    assert m2.roll_rate == Decimal("0.400000") and m2.cure_rate == Decimal("0.100000")
    assert rows["M0"].roll_rate == Decimal("0.200000") and rows["M0"].cure_rate is None
    assert list(rows) == ["M0", "M2"]  # bucket order


def test_cohort_curves_accumulate_and_stop_at_today() -> None:
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    entries = {jan: 10, feb: 4}
    increments = [
        (jan, 0, 2, 30_000),  # January: 2 first payers, 300.00
        (jan, 1, 1, 10_000),  # February: 1 more first payer, 100.00
        (jan, 1, 0, 5_000),  # a repeat payment in February by an earlier payer
        (jan, 3, 2, 20_000),  # April: beyond the last month shown
        (feb, 0, 1, 8_000),
    ]
    points = rules.cohort_curves(entries, increments, date(2026, 3, 15), horizon=12)
    jan_curve = [(p.months_since, p.paid_accounts, p.collected_minor) for p in points if p.cohort == jan]
    # cumulative: k0 2 / 300.00; k1 3 / 450.00; k2 (March) 3 / 450.00; April not shown (future)
    assert jan_curve == [(0, 2, 30_000), (1, 3, 45_000), (2, 3, 45_000)]
    assert [p.paid_share for p in points if p.cohort == jan] == [
        Decimal("0.200000"),
        Decimal("0.300000"),
        Decimal("0.300000"),
    ]
    feb_curve = [p for p in points if p.cohort == feb]
    assert [p.months_since for p in feb_curve] == [0, 1]
    assert feb_curve[0].collected_per_account_minor == Decimal("2000.00")  # 8,000 / 4


def test_period_rules() -> None:
    p = Period(date(2026, 3, 1), date(2026, 3, 31))
    assert p.days == 31 and p.each_day()[-1] == date(2026, 3, 31)
    assert p.previous() == Period(date(2026, 1, 29), date(2026, 2, 28))
    with pytest.raises(ValueError, match="before it starts"):
        Period(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(ValueError, match="longer than"):
        Period(date(2024, 1, 1), date(2026, 1, 1))
