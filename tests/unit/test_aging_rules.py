"""The pure aging rules at their edges: DPD, buckets, cycles, grace, penalty rounding and day counts."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.portfolio.aging.rules import (
    NOT_LATE,
    Aging,
    DueLine,
    add_months,
    age_account,
    bucket_bounds,
    bucket_for,
    bucket_labels,
    cycle_dates,
    days_past_due,
    div_half_up,
    last_day_of_month,
    missed_cycles,
    penalty_accrual,
    penalty_base,
    penalty_interest,
)
from arrears.portfolio.model import ContractTerms, PenaltyBasis

DEFAULT = (30, 60, 90, 120, 150, 180)
AS_OF = date(2026, 3, 31)


@pytest.mark.parametrize(
    ("dpd", "bucket"),
    [(0, "M0"), (1, "M1"), (30, "M1"), (31, "M2"), (60, "M2"), (61, "M3"), (90, "M3"), (91, "M4"),
     (150, "M5"), (151, "M6"), (180, "M6"), (181, "WO"), (5000, "WO"), (-3, "M0")],
)
def test_bucket_edges_with_default_thresholds(dpd: int, bucket: str) -> None:
    assert bucket_for(dpd, DEFAULT) == bucket


def test_custom_thresholds() -> None:
    assert [bucket_for(d, (10, 20)) for d in (0, 1, 10, 11, 20, 21)] == ["M0", "M1", "M1", "M2", "M2", "WO"]
    assert bucket_labels((10, 20)) == ("M0", "M1", "M2", "WO")
    assert bucket_labels(DEFAULT) == ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO")


def test_bucket_bounds() -> None:
    assert bucket_bounds("M0", DEFAULT) == (0, 0)
    assert bucket_bounds("M1", DEFAULT) == (1, 30)
    assert bucket_bounds("M2", DEFAULT) == (31, 60)
    assert bucket_bounds("M6", DEFAULT) == (151, 180)
    assert bucket_bounds("WO", DEFAULT) == (181, None)
    for bad in ("M7", "M", "X1", "M-1", ""):
        with pytest.raises(ValueError):
            bucket_bounds(bad, DEFAULT)


@given(st.integers(min_value=0, max_value=2000),
       st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=8, unique=True))
def test_every_dpd_lies_within_its_buckets_bounds(dpd: int, raw: list[int]) -> None:
    thresholds = tuple(sorted(raw))
    lo, hi = bucket_bounds(bucket_for(dpd, thresholds), thresholds)
    assert lo <= dpd and (hi is None or dpd <= hi)


def test_dpd_counts_from_the_oldest_unpaid_due_date() -> None:
    items = [DueLine(date(2026, 1, 31), 100, 100), DueLine(date(2026, 2, 28), 100, 40),
             DueLine(date(2026, 3, 31), 100)]
    assert days_past_due(items, AS_OF) == 31  # Jan is paid; Feb 28 is part-paid; Mar 31 is due today


@pytest.mark.parametrize(
    ("items", "dpd"),
    [
        ([], 0),
        ([DueLine(date(2026, 3, 1), 500, 500)], 0),  # paid
        ([DueLine(date(2026, 4, 30), 500)], 0),  # not yet due
        ([DueLine(date(2026, 3, 31), 500)], 0),  # due today: not late yet
        ([DueLine(date(2026, 3, 30), 500)], 1),
        ([DueLine(date(2026, 3, 1), 500)], 30),
        ([DueLine(date(2026, 2, 28), 500)], 31),
        ([DueLine(date(2025, 10, 2), 500)], 180),
        ([DueLine(date(2025, 10, 1), 500)], 181),
        ([DueLine(date(2026, 4, 30), 500), DueLine(date(2026, 3, 21), 500, 499)], 10),
    ],
)
def test_dpd_edges(items: list[DueLine], dpd: int) -> None:
    assert days_past_due(items, AS_OF) == dpd


def test_month_end_clamping() -> None:
    assert last_day_of_month(2026, 2) == 28 and last_day_of_month(2028, 2) == 29
    assert last_day_of_month(2100, 2) == 28 and last_day_of_month(2000, 2) == 29
    jan31 = date(2026, 1, 31)
    assert [add_months(jan31, k, 31) for k in range(1, 5)] == [
        date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]
    assert add_months(date(2028, 1, 31), 1, 31) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 2, 30) == date(2027, 1, 30)
    assert add_months(date(2026, 1, 31), -2, 31) == date(2025, 11, 30)


def test_cycles_follow_the_oldest_due_day_clamped_not_chained() -> None:
    cycles = cycle_dates(date(2026, 1, 31), [], date(2026, 4, 30))
    assert cycles == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    leap = cycle_dates(date(2028, 1, 31), [], date(2028, 3, 31))
    assert leap == [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]


def test_cycles_on_the_due_day_plus_other_unpaid_due_dates() -> None:
    cycles = cycle_dates(date(2026, 1, 10), [date(2026, 1, 10), date(2026, 2, 3), date(2026, 5, 1)],
                         date(2026, 3, 20), due_day=15)
    assert cycles == [date(2026, 1, 10), date(2026, 2, 3), date(2026, 2, 15), date(2026, 3, 15)]
    assert cycle_dates(date(2026, 1, 10), [], date(2026, 3, 20), due_day=15, after=date(2026, 2, 15)) == [
        date(2026, 3, 15)]
    assert cycle_dates(date(2026, 3, 25), [], date(2026, 3, 20)) == []


def test_grace_days_delay_the_missed_cycle() -> None:
    items = [DueLine(date(2026, 3, 1), 1000)]
    assert missed_cycles(items, date(2026, 3, 6), grace_days=5) == []  # Mar 1 + 5 = Mar 6: not before
    assert missed_cycles(items, date(2026, 3, 7), grace_days=5) == [date(2026, 3, 1)]
    assert missed_cycles(items, date(2026, 3, 2)) == [date(2026, 3, 1)]
    assert missed_cycles(items, date(2026, 3, 1)) == []


def test_the_watermark_stops_a_second_fee_for_a_cycle() -> None:
    items = [DueLine(date(2025, 12, 31), 1000)]
    three = [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]
    assert missed_cycles(items, AS_OF, grace_days=3) == three
    assert missed_cycles(items, AS_OF, grace_days=3, charged_through=date(2026, 1, 31)) == [date(2026, 2, 28)]
    assert missed_cycles(items, AS_OF, grace_days=3, charged_through=date(2026, 2, 28)) == []
    assert missed_cycles([DueLine(date(2025, 12, 31), 1000, 1000)], AS_OF) == []  # paid: not delinquent


def test_half_up_division() -> None:
    assert [div_half_up(n, 2) for n in (0, 1, 2, 3, 5, 7)] == [0, 1, 1, 2, 3, 4]
    assert div_half_up(1, 3) == 0 and div_half_up(2, 3) == 1 and div_half_up(149, 100) == 1


def test_penalty_rounds_half_up_to_minor_units() -> None:
    # 1,000 fen at 18% over 360 days for 1 day = 0.5 fen -> 1; 999 fen = 0.4995 -> 0
    assert penalty_interest(1000, 180_000, 360) == 1
    assert penalty_interest(999, 180_000, 360) == 0
    assert penalty_interest(0, 180_000, 360) == 0 and penalty_interest(1000, 0, 360) == 0


def test_day_count_360_against_365() -> None:
    # 100,000 fen at 36.5% for 1 day: /360 = 101.388.. -> 101; /365 = 100 exactly
    assert penalty_interest(100_000, 365_000, 360) == 101
    assert penalty_interest(100_000, 365_000, 365) == 100


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=2_000_000),
       st.sampled_from([360, 365]))
def test_penalty_matches_decimal_half_up(base_days: int, rate: int, day_count: int) -> None:
    exact = Decimal(base_days) * Decimal(rate) / Decimal(day_count * 1_000_000)
    assert penalty_interest(base_days, rate, day_count) == int(exact.quantize(Decimal(1), ROUND_HALF_UP))


def test_penalty_runs_per_item_from_the_day_after_its_due_date() -> None:
    items = [DueLine(date(2026, 3, 1), 120_000), DueLine(date(2026, 3, 15), 60_000, 20_000),
             DueLine(date(2026, 3, 31), 90_000), DueLine(date(2026, 2, 1), 50_000, 50_000)]
    # 120,000 x 30 days + 40,000 x 16 days = 4,240,000 fen-days at 18%/360 = 2,120 fen
    assert penalty_accrual(items, AS_OF, 180_000, 360) == (2120, 30)
    # since Mar 30: 2 x 1 day -> 160,000 fen-days = 80 fen
    assert penalty_accrual(items, AS_OF, 180_000, 360, penalty_through=date(2026, 3, 30)) == (80, 1)
    assert penalty_accrual(items, AS_OF, 180_000, 360, penalty_through=AS_OF) == (0, 0)
    assert penalty_accrual(items, AS_OF, 0, 360) == (0, 0)


def test_penalty_rounding_to_zero_charges_nothing_so_days_carry() -> None:
    items = [DueLine(date(2026, 3, 1), 999)]
    assert penalty_accrual(items, AS_OF, 180_000, 360, penalty_through=date(2026, 3, 30)) == (0, 0)
    assert penalty_accrual(items, AS_OF, 180_000, 360, penalty_through=date(2026, 3, 29)) == (1, 2)


def test_overdue_principal_basis_takes_payments_off_the_non_principal_part_first() -> None:
    item = DueLine(date(2026, 3, 1), 1000, 300, principal_minor=800)
    assert penalty_base(item, PenaltyBasis.OVERDUE_AMOUNT) == 700
    assert penalty_base(item, PenaltyBasis.OVERDUE_PRINCIPAL) == 700  # min(800, 1000 - 300)
    early = DueLine(date(2026, 3, 1), 1000, 100, principal_minor=800)
    assert penalty_base(early, PenaltyBasis.OVERDUE_PRINCIPAL) == 800
    assert penalty_base(DueLine(date(2026, 3, 1), 1000, 1000, 800), PenaltyBasis.OVERDUE_PRINCIPAL) == 0
    items = [early]
    assert penalty_accrual(items, AS_OF, 180_000, 360, PenaltyBasis.OVERDUE_PRINCIPAL) == (12, 30)
    assert penalty_accrual(items, AS_OF, 180_000, 360, PenaltyBasis.OVERDUE_AMOUNT) == (14, 30)  # 13.5 -> 14


def test_age_account_puts_it_together() -> None:
    terms = ContractTerms("CNY", grace_days=3, late_fee_minor=5_000, penalty_rate_ppm=180_000, day_count=360)
    items = [DueLine(date(2026, 1, 31), 100_000), DueLine(date(2026, 2, 28), 100_000),
             DueLine(date(2026, 4, 30), 100_000)]
    aged = age_account(items, AS_OF, terms, DEFAULT)
    assert (aged.dpd, aged.bucket, aged.delinquent) == (59, "M2", True)
    assert aged.late_fee_cycles == (date(2026, 1, 31), date(2026, 2, 28))  # Mar 31 + 3 is not before
    assert aged.late_fees_minor == 10_000
    # 100,000 x 59 + 100,000 x 31 = 9,000,000 fen-days x 18% / 360 = 4,500
    assert (aged.penalty_minor, aged.penalty_days) == (4_500, 59)
    again = age_account(items, AS_OF, terms, DEFAULT, penalty_through=AS_OF,
                        late_fee_through=date(2026, 2, 28))
    assert again == Aging(59, "M2", (), 5_000, 0, 0)


def test_age_account_without_fee_or_rate_and_when_current() -> None:
    bare = ContractTerms("CNY")
    aged = age_account([DueLine(date(2026, 3, 1), 1000)], AS_OF, bare, DEFAULT)
    assert (aged.dpd, aged.bucket, aged.late_fee_cycles, aged.penalty_minor) == (30, "M1", (), 0)
    assert age_account([DueLine(date(2026, 3, 1), 1000, 1000)], AS_OF, bare, DEFAULT) is NOT_LATE
    assert age_account([], AS_OF, bare, (10, 20)) == Aging(0, "M0")
