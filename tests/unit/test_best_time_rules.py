"""Best-time math worked by hand: beta smoothing at three levels, the domain priors, pay-day uplift."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.core.errors import ConfigError
from arrears.strategy.best_time.rules import (
    Priors,
    cell_prior,
    cell_rate,
    clip_rate,
    days_before_pay_day,
    debtor_rate,
    load_priors,
    parse_priors,
    pay_day_factor,
    segment_base,
    segment_name,
    smooth,
)

FLAT = Priors(hour_factors=(1.0,) * 24, weekday_factors=(1.0,) * 7, base_rate=0.2, base_strength=100,
              cell_strength=20, debtor_strength=10)


def test_smooth_is_the_beta_posterior_mean() -> None:
    # prior mean 0.2 with strength 20 is Beta(4, 16); 3 RPCs in 10 calls -> Beta(7, 23): mean 7/30
    assert smooth(3, 10, 0.2, 20) == pytest.approx(7 / 30)
    assert smooth(0, 0, 0.2, 20) == pytest.approx(0.2)  # no data: the prior
    assert smooth(500, 1000, 0.2, 20) == pytest.approx(504 / 1020)  # much data: close to 0.5


def test_three_levels_by_hand() -> None:
    # segment: 30 RPCs in 100 calls overall, base strength 100, base rate 0.2 -> (30 + 20) / 200 = 0.25
    base = segment_base(30, 100, FLAT)
    assert base == pytest.approx(0.25)
    # flat factors: the cell prior is the base; 2 of 10 in the cell -> (2 + 20*0.25) / 30 = 7/30
    prior = cell_prior(base, 2, 9, FLAT)
    assert prior == pytest.approx(0.25)
    segment_cell = cell_rate(2, 10, prior, FLAT)
    assert segment_cell == pytest.approx(7 / 30)
    # debtor: 4 of 5 in that cell, strength 10 -> (4 + 10 * 7/30) / 15
    assert debtor_rate(4, 5, segment_cell, FLAT) == pytest.approx((4 + 70 / 30) / 15)


def test_domain_priors_shape() -> None:
    p = load_priors()
    base = 0.2
    wed, mon = 2, 0
    assert cell_prior(base, wed, 9, p) > cell_prior(base, wed, 12, p)  # early working day beats lunch
    assert cell_prior(base, wed, 9, p) > cell_prior(base, wed, 15, p)
    assert cell_prior(base, wed, 10, p) > cell_prior(base, mon, 10, p)  # mid-week beats Monday
    assert cell_prior(base, wed, 3, p) < cell_prior(base, wed, 12, p)  # night lowest
    assert cell_prior(base, wed, 9, p) == pytest.approx(0.2 * 1.35 * 1.10)
    assert list(p.advisory_hours()) == list(range(8, 21))


def test_clip_keeps_chances_inside_bounds() -> None:
    assert clip_rate(-1) == 0.001 and clip_rate(3) == 0.95 and clip_rate(0.3) == 0.3
    assert cell_prior(0.9, 2, 9, load_priors()) == 0.95


@pytest.mark.parametrize(("day", "pay_day", "ahead"), [
    (date(2026, 3, 12), 15, 3), (date(2026, 3, 15), 15, 0), (date(2026, 3, 16), 15, 30),
    (date(2026, 2, 26), 31, 2),  # February has no 31st: paid on the 28th
    (date(2026, 2, 28), 30, 0), (date(2026, 4, 29), 31, 1),  # April's last day is the 30th
    (date(2026, 12, 30), 2, 3),  # across the year end
])
def test_days_before_pay_day(day: date, pay_day: int, ahead: int) -> None:
    assert days_before_pay_day(day, pay_day) == ahead


def test_pay_day_factor() -> None:
    p = load_priors()
    assert pay_day_factor(date(2026, 3, 12), 15, p) == p.pay_day_factor  # 3 days before
    assert pay_day_factor(date(2026, 3, 14), 15, p) == p.pay_day_factor  # the day before
    assert pay_day_factor(date(2026, 3, 15), 15, p) == 1.0  # on the day
    assert pay_day_factor(date(2026, 3, 11), 15, p) == 1.0  # 4 days before
    assert pay_day_factor(None, 15, p) == 1.0 and pay_day_factor(date(2026, 3, 12), None, p) == 1.0
    assert pay_day_factor(date(2026, 3, 12), 0, p) == 1.0  # not a day of the month


def test_segment_name() -> None:
    assert segment_name("credit_card", "person") == "credit_card/person"
    assert segment_name(None, None) == "none/person"


def _priors(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"hour_factors": {9: 1.3}, "weekday_factors": [1] * 7}
    data.update(overrides)
    return data


@pytest.mark.parametrize(("overrides", "message"), [
    ({"weekday_factors": [1] * 6}, "7 entries"),
    ({"hour_factors": {24: 1.0}}, "hour 24"),
    ({"base_rate": 1.5}, "base_rate"),
    ({"cell_strength": 0}, "strengths"),
    ({"advisory_hours": [20, 8]}, "advisory_hours"),
    ({"weekday_factors": None}, "best-time priors"),
])
def test_bad_priors_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_priors(_priors(**overrides))


def test_parse_priors_fills_other_hours() -> None:
    p = parse_priors(_priors(other_hours=0.5))
    assert p.hour_factors[9] == 1.3 and p.hour_factors[3] == 0.5 and len(p.hour_factors) == 24
