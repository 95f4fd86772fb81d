"""Confidence intervals for champion/challenger differences, and the verdict they support.

- Rates (a count out of a count): Newcombe's hybrid score interval for p1 - p2, built from the two Wilson
  score intervals (Newcombe 1998, method 10). It assumes the units (attempts, promises) are independent.
- Average payment: Welch's t interval for the difference of two means (unequal variances), from each
  arm's count, sum and sum of squares of payment amounts.
- Ratios of sums (per collector hour, calls per recovered account, and a rate whose numerator can exceed
  its denominator): the delta method for a ratio estimator with days as clusters, normal critical value:
  Var(R) = n/(n-1) * sum((y_i - R x_i)^2) / (sum x_i)^2.
Differences are always challenger minus champion. Pure Python (the t quantile included: no scipy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

from arrears.reporting.model import Interval, KpiDef, Method, PaymentStats

DEFAULT_LEVEL = 0.95
_PLACES = Decimal("0.000001")


def z_value(level: float = DEFAULT_LEVEL) -> float:
    """The two-sided standard normal critical value (1.959964 for 95 %)."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    return NormalDist().inv_cdf(1 - (1 - level) / 2)


def t_value(df: float, level: float = DEFAULT_LEVEL) -> float:
    """The two-sided Student t critical value for df (> 0, not necessarily whole) degrees of freedom."""
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    target = 1 - (1 - level) / 2
    low, high = 0.0, 1.0
    while t_cdf(high, df) < target:
        low, high = high, high * 2
    for _ in range(200):  # bisection to machine precision
        mid = (low + high) / 2
        if t_cdf(mid, df) < target:
            low = mid
        else:
            high = mid
        if high - low < 1e-13 * max(1.0, high):
            break
    return (low + high) / 2


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with df degrees of freedom (via the regularized incomplete beta)."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t > 0 else tail


def _betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) (continued fraction, Lentz's method)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1 - math.exp(log_front) * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return result


def wilson(successes: int, trials: int, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Wilson score interval for a proportion (0..1); (0, 1) when there are no trials."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials is not a proportion")
    z = z_value(level)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def newcombe(x1: int, n1: int, x2: int, n2: int, level: float = DEFAULT_LEVEL) -> tuple[float, float, float]:
    """Difference p1 - p2 of two independent proportions with Newcombe's hybrid score interval."""
    if n1 <= 0 or n2 <= 0:
        raise ValueError("both groups need at least one trial")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, level)
    l2, u2 = wilson(x2, n2, level)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def welch(
    a: PaymentStats, b: PaymentStats, level: float = DEFAULT_LEVEL
) -> tuple[float, float, float] | None:
    """Difference of means mean(a) - mean(b) with Welch's t interval; None below two values per group."""
    if a.count < 2 or b.count < 2:
        return None
    mean_a, mean_b = a.total / a.count, b.total / b.count
    var_a = max(0.0, (a.total_squares - a.count * mean_a * mean_a) / (a.count - 1))
    var_b = max(0.0, (b.total_squares - b.count * mean_b * mean_b) / (b.count - 1))
    se_a, se_b = var_a / a.count, var_b / b.count
    se2 = se_a + se_b
    d = mean_a - mean_b
    if se2 == 0:
        return d, d, d
    df = se2 * se2 / ((se_a * se_a) / (a.count - 1) + (se_b * se_b) / (b.count - 1))
    half = t_value(df, level) * math.sqrt(se2)
    return d, d - half, d + half


def ratio_variance(units: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """R = sum(y)/sum(x) over clusters (y, x) and its delta-method variance; None if unusable."""
    n = len(units)
    total_x = sum(x for _, x in units)
    if n < 2 or total_x <= 0:
        return None
    r = sum(y for y, _ in units) / total_x
    spread = sum((y - r * x) ** 2 for y, x in units)
    return r, n / (n - 1) * spread / (total_x * total_x)


def delta(
    a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]], level: float = DEFAULT_LEVEL
) -> tuple[float, float, float] | None:
    """Difference R_a - R_b of two ratios of sums with a delta-method normal interval."""
    ra, rb = ratio_variance(a), ratio_variance(b)
    if ra is None or rb is None:
        return None
    d = ra[0] - rb[0]
    half = z_value(level) * math.sqrt(ra[1] + rb[1])
    return d, d - half, d + half


@dataclass(frozen=True, slots=True)
class ArmData:
    """What the comparison of one KPI needs from one arm."""

    numerator: int  # totals for rates (Newcombe)
    denominator: int
    payments: PaymentStats  # payment amounts in minor units (Welch)
    units: Sequence[tuple[float, float]]  # per-day (numerator, denominator) in natural units (delta)


def compare(
    kpi: KpiDef,
    challenger: ArmData,
    champion: ArmData,
    *,
    scale: Decimal = Decimal(1),
    level: float = DEFAULT_LEVEL,
) -> Interval | None:
    """The interval of challenger minus champion for one KPI; None when there is not enough data.

    `scale` converts Welch's minor units into the KPI's natural unit (e.g. 0.01 for CNY).
    """
    method = kpi.method
    result: tuple[float, float, float] | None
    if method is Method.NEWCOMBE:
        fits = (
            0 <= challenger.numerator <= challenger.denominator
            and 0 <= champion.numerator <= champion.denominator
        )
        if challenger.denominator <= 0 or champion.denominator <= 0:
            return None
        if fits:
            result = newcombe(
                challenger.numerator, challenger.denominator, champion.numerator, champion.denominator, level
            )
        else:  # e.g. more promises than right-party contacts: not a proportion; treat as a ratio
            method = Method.DELTA
            result = delta(challenger.units, champion.units, level)
    elif method is Method.WELCH:
        result = welch(challenger.payments, champion.payments, level)
        if result is not None:
            result = (result[0] * float(scale), result[1] * float(scale), result[2] * float(scale))
    else:
        result = delta(challenger.units, champion.units, level)
    if result is None:
        return None
    d, low, high = (Decimal(repr(v)).quantize(_PLACES) for v in result)
    return Interval(difference=d, low=low, high=high, level=Decimal(str(level)), method=method)


def verdict(kpi: KpiDef, interval: Interval | None) -> str:
    """better | worse | no_difference | not_enough_data, from the challenger's point of view."""
    if interval is None:
        return "not_enough_data"
    if not interval.significant:
        return "no_difference"
    higher = interval.low > 0
    return "better" if higher == kpi.higher_is_better else "worse"
