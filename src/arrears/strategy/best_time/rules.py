"""Best-time math (plain Python): the domain priors, and beta/binomial smoothing toward them.

Three levels, each smoothed toward the one above with a beta prior of a fixed strength k
(a prior mean m with strength k is Beta(k*m, k*(1-m)); after r RPCs in n attempts the posterior mean
is (r + k*m) / (n + k)):

1. a segment's overall rate: base = (R + k0*base_rate) / (N + k0) over all its attempts;
2. a segment cell (weekday, hour): prior m = clip(base * hour_factor[h] * weekday_factor[w]),
   rate = (r + k*m) / (n + k);
3. a debtor cell: (r_d + kd*segment_rate) / (n_d + kd) where the debtor has history.

A known pay day multiplies the chance on the `days_before` days before it (clipped below 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from arrears.core.errors import ConfigError

PRIORS_FILE = Path(__file__).with_name("priors.yaml")
MIN_RATE, MAX_RATE = 0.001, 0.95


@dataclass(frozen=True, slots=True)
class Priors:
    """The domain priors and smoothing strengths (see priors.yaml)."""

    hour_factors: tuple[float, ...]  # 24 entries, local hour 0..23
    weekday_factors: tuple[float, ...]  # 7 entries, Monday..Sunday
    base_rate: float = 0.15
    base_strength: float = 200.0
    cell_strength: float = 20.0
    debtor_strength: float = 8.0
    pay_day_days_before: int = 3
    pay_day_factor: float = 1.25
    advisory_first_hour: int = 8
    advisory_last_hour: int = 20
    history_days: int = 180

    def advisory_hours(self) -> range:
        """The start hours best_hours may suggest."""
        return range(self.advisory_first_hour, self.advisory_last_hour + 1)


def parse_priors(data: dict[str, Any]) -> Priors:
    """Validate and build the priors from their YAML mapping."""
    try:
        other = float(data.get("other_hours", 0.3))
        hours = [other] * 24
        for hour, factor in (data.get("hour_factors") or {}).items():
            h = int(hour)
            if not 0 <= h <= 23:
                raise ValueError(f"hour {h} is not 0..23")
            hours[h] = float(factor)
        weekdays = [float(x) for x in data["weekday_factors"]]
        if len(weekdays) != 7:
            raise ValueError("weekday_factors needs 7 entries (Monday..Sunday)")
        pay = data.get("pay_day") or {}
        first, last = (int(x) for x in data.get("advisory_hours", [8, 20]))
        priors = Priors(
            tuple(hours), tuple(weekdays), float(data.get("base_rate", 0.15)),
            float(data.get("base_strength", 200)), float(data.get("cell_strength", 20)),
            float(data.get("debtor_strength", 8)), int(pay.get("days_before", 3)),
            float(pay.get("factor", 1.25)), first, last, int(data.get("history_days", 180)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"best-time priors: {exc}") from exc
    if not 0 < priors.base_rate < 1 or min(hours + weekdays) < 0:
        raise ConfigError("best-time priors: base_rate must be in (0, 1) and factors non-negative")
    if min(priors.base_strength, priors.cell_strength, priors.debtor_strength) <= 0:
        raise ConfigError("best-time priors: strengths must be positive")
    if not 0 <= first <= last <= 23:
        raise ConfigError("best-time priors: advisory_hours must be two hours 0..23, first <= last")
    return priors


@cache
def load_priors(path: Path = PRIORS_FILE) -> Priors:
    """The priors from priors.yaml (read once)."""
    with path.open(encoding="utf-8") as fh:
        return parse_priors(yaml.safe_load(fh))


def smooth(successes: float, trials: float, prior_mean: float, strength: float) -> float:
    """Posterior mean of a beta(strength*m, strength*(1-m)) prior after `successes` in `trials`."""
    return (successes + strength * prior_mean) / (trials + strength)


def clip_rate(value: float) -> float:
    """Keep a chance inside [MIN_RATE, MAX_RATE]."""
    return min(MAX_RATE, max(MIN_RATE, value))


def segment_base(rpcs: int, attempts: int, priors: Priors) -> float:
    """A segment's overall RPC rate, smoothed toward the default base rate."""
    return smooth(rpcs, attempts, priors.base_rate, priors.base_strength)


def cell_prior(base: float, weekday: int, hour: int, priors: Priors) -> float:
    """The domain prior of one weekday x hour cell around a segment's overall rate."""
    return clip_rate(base * priors.hour_factors[hour] * priors.weekday_factors[weekday])


def cell_rate(rpcs: int, attempts: int, prior: float, priors: Priors) -> float:
    """A segment cell's smoothed RPC chance."""
    return smooth(rpcs, attempts, prior, priors.cell_strength)


def debtor_rate(rpcs: int, attempts: int, segment_rate: float, priors: Priors) -> float:
    """A debtor cell's smoothed RPC chance, pulled toward its segment's cell."""
    return smooth(rpcs, attempts, segment_rate, priors.debtor_strength)


def days_before_pay_day(local_date: date, pay_day: int) -> int:
    """Days from local_date to the next pay day (0 on the day); a day past month end means its last day."""
    for offset in range(0, 32):
        day = local_date + timedelta(days=offset)
        last = ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        if day.day == min(pay_day, last):
            return offset
    return 99  # unreachable for pay days 1..31


def pay_day_factor(local_date: date | None, pay_day: int | None, priors: Priors) -> float:
    """The uplift on the days shortly before a known pay day (1.0 otherwise)."""
    if local_date is None or pay_day is None or not 1 <= pay_day <= 31:
        return 1.0
    ahead = days_before_pay_day(local_date, pay_day)
    return priors.pay_day_factor if 1 <= ahead <= priors.pay_day_days_before else 1.0


def segment_name(product: str | None, kind: str | None) -> str:
    """A segment's name: '<product>/<debtor kind>' (e.g. 'credit_card/person')."""
    return f"{product or 'none'}/{kind or 'person'}"


ALL_SEGMENT = "all"
