"""Confidence intervals for champion/challenger differences, against published and hand-worked values."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from arrears.reporting import stats
from arrears.reporting.model import Method, PaymentStats
from arrears.reporting.rules import KPI_BY_KEY


def test_z_value_for_95_and_99_percent() -> None:
    assert stats.z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert stats.z_value(0.99) == pytest.approx(2.575829, abs=1e-6)
    with pytest.raises(ValueError):
        stats.z_value(1.0)


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.2775),  # Wilson 1927 / Newcombe 1998 Table I: 0/10 -> 0.0000 to 0.2775
        (81, 263, 0.2553, 0.3662),  # Newcombe 1998 Table I: 81/263 -> 0.2553 to 0.3662
        (15, 148, 0.0624, 0.1605),  # Newcombe 1998 Table I: 15/148 -> 0.0624 to 0.1605
        (10, 10, 0.7225, 1.0),  # mirror of 0/10
    ],
)
def test_wilson_matches_published_intervals(x: int, n: int, low: float, high: float) -> None:
    lo, hi = stats.wilson(x, n)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def test_wilson_refuses_more_successes_than_trials() -> None:
    with pytest.raises(ValueError):
        stats.wilson(11, 10)
    assert stats.wilson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    [
        (56, 70, 48, 80, 0.0524, 0.3339),  # Newcombe 1998 Table II, example (a), method 10
        (9, 10, 3, 10, 0.1705, 0.8090),  # example (b)
        (6, 7, 2, 7, 0.0582, 0.8062),  # example (c)
        (5, 56, 0, 29, -0.0381, 0.1926),  # example (d)
    ],
)
def test_newcombe_hybrid_score_matches_the_paper(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    d, lo, hi = stats.newcombe(x1, n1, x2, n2)
    assert d == pytest.approx(x1 / n1 - x2 / n2)
    assert lo == pytest.approx(low, abs=5e-5)
    assert hi == pytest.approx(high, abs=5e-5)


def _payments(values: list[float]) -> PaymentStats:
    return PaymentStats(len(values), sum(values), sum(v * v for v in values))


def test_welch_interval_worked_by_hand() -> None:
    # a = 10, 12, 9, 14, 15: mean 12, variance (4 + 0 + 9 + 4 + 9) / 4 = 6.5
    # b = 8, 7, 9, 6: mean 7.5, variance (0.25 + 0.25 + 2.25 + 2.25) / 3 = 5/3
    # se^2 = 6.5/5 + (5/3)/4 = 1.3 + 0.416667 = 1.716667
    # df = se^4 / ((1.3^2)/4 + (0.416667^2)/3) = 2.946944 / (0.4225 + 0.057870) = 6.1347
    # t(0.975, 6.1347) = 2.4339 -> half width 2.4339 * sqrt(1.716667) = 3.1890
    d, lo, hi = stats.welch(_payments([10, 12, 9, 14, 15]), _payments([8, 7, 9, 6])) or (0, 0, 0)
    assert d == pytest.approx(4.5)
    assert lo == pytest.approx(4.5 - 3.1890, abs=1e-3)
    assert hi == pytest.approx(4.5 + 3.1890, abs=1e-3)
    # the same interval as scipy's own Welch test (an independent implementation)
    from scipy.stats import ttest_ind

    ci = ttest_ind([10, 12, 9, 14, 15], [8, 7, 9, 6], equal_var=False).confidence_interval()
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_welch_needs_two_values_per_group_and_handles_zero_variance() -> None:
    assert stats.welch(_payments([5]), _payments([1, 2])) is None
    assert stats.welch(_payments([5, 5]), _payments([3, 3])) == (2.0, 2.0, 2.0)


def test_delta_method_worked_by_hand() -> None:
    # arm a: days (2 of 10), (4 of 10): R = 6/20 = 0.3; residuals -1, +1; var = 2/1 * 2 / 20^2 = 0.01
    # arm b: days (1 of 10), (1 of 10): R = 0.1; residuals 0; var = 0
    # difference 0.2 +- 1.959964 * 0.1
    d, lo, hi = stats.delta([(2, 10), (4, 10)], [(1, 10), (1, 10)]) or (0, 0, 0)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.2 - 0.1959964, abs=1e-6)
    assert hi == pytest.approx(0.2 + 0.1959964, abs=1e-6)
    assert stats.delta([(1, 1)], [(1, 1), (2, 2)]) is None  # one day is not enough


def _arm(
    num: int, den: int, units: list[tuple[float, float]] | None = None, pays: list[float] | None = None
) -> stats.ArmData:
    return stats.ArmData(num, den, _payments(pays or []), units or [])


def test_compare_rates_with_newcombe_and_say_better() -> None:
    interval = stats.compare(KPI_BY_KEY["rpc_rate"], _arm(56, 70), _arm(48, 80))
    assert interval is not None and interval.method is Method.NEWCOMBE
    assert (interval.low, interval.high) == (Decimal("0.052431"), Decimal("0.333873"))
    assert interval.significant
    assert stats.verdict(KPI_BY_KEY["rpc_rate"], interval) == "better"


def test_compare_falls_back_to_delta_when_a_rate_exceeds_one() -> None:
    # more promises than right-party contacts (promises taken at the desk): not a proportion
    kpi = KPI_BY_KEY["ptp_rate"]
    interval = stats.compare(kpi, _arm(12, 10, [(6, 5), (6, 5)]), _arm(5, 10, [(2, 5), (3, 5)]))
    assert interval is not None and interval.method is Method.DELTA


def test_lower_is_better_for_calls_per_recovery() -> None:
    kpi = KPI_BY_KEY["calls_per_recovery"]
    # challenger needs 50 calls per payer, champion 100: clearly lower, so better
    challenger = [(50.0, 1.0), (52.0, 1.0), (48.0, 1.0)]
    champion = [(100.0, 1.0), (98.0, 1.0), (102.0, 1.0)]
    interval = stats.compare(kpi, _arm(0, 0, challenger), _arm(0, 0, champion))
    assert interval is not None and interval.high < 0
    assert stats.verdict(kpi, interval) == "better"


def test_no_difference_and_not_enough_data() -> None:
    kpi = KPI_BY_KEY["connect_rate"]
    interval = stats.compare(kpi, _arm(50, 100), _arm(49, 100))
    assert interval is not None and not interval.significant
    assert stats.verdict(kpi, interval) == "no_difference"
    assert stats.compare(kpi, _arm(0, 0), _arm(5, 10)) is None
    assert stats.verdict(kpi, None) == "not_enough_data"


def test_welch_difference_is_scaled_to_major_units() -> None:
    kpi = KPI_BY_KEY["average_payment"]
    a = _arm(0, 0, pays=[10000, 12000, 9000, 14000, 15000])  # minor units (fen)
    b = _arm(0, 0, pays=[8000, 7000, 9000, 6000])
    interval = stats.compare(kpi, a, b, scale=Decimal("0.01"))
    assert interval is not None and interval.method is Method.WELCH
    assert interval.difference == Decimal("45.000000")  # 4,500 fen = 45.00 yuan
    assert math.isclose(float(interval.low), 13.110071, abs_tol=1e-5)


@pytest.mark.parametrize(
    ("df", "level", "expected"),
    [
        (1, 0.95, 12.7062), (2, 0.95, 4.3027), (10, 0.95, 2.2281), (30, 0.95, 2.0423),  # printed t tables
        (5, 0.99, 4.0321), (120, 0.90, 1.6577), (10**7, 0.95, 1.9600),
    ],
)
def test_t_quantiles_match_the_tables(df: float, level: float, expected: float) -> None:
    assert stats.t_value(df, level) == pytest.approx(expected, abs=5e-5)


def test_t_quantile_for_fractional_degrees_of_freedom() -> None:
    from scipy.stats import t  # an independent implementation

    for df in (0.7, 2.5, 6.1347, 47.3):
        assert stats.t_value(df) == pytest.approx(float(t.ppf(0.975, df)), rel=1e-8)
    with pytest.raises(ValueError):
        stats.t_value(0)
