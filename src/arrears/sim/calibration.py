"""The default behaviour calibration and the field figures it is meant to reproduce (domain brief)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class Behaviour(BaseModel):
    """How synthetic debtors behave; every figure is a probability or a count unless named otherwise."""

    model_config = ConfigDict(extra="forbid")

    answer_rate: float = Field(default=0.37, ge=0, le=1, description="chance a debtor answers at a good hour")
    fatigue_per_attempt: float = Field(
        default=0.06, ge=0, le=1, description="answer chance lost per attempt in 3 days"
    )
    invalid_number_rate: float = Field(
        default=0.04, ge=0, le=1, description="share of numbers not in service"
    )
    wrong_number_rate: float = Field(
        default=0.03, ge=0, le=1, description="share of numbers answered by a stranger"
    )
    third_party_answer_rate: float = Field(default=0.4, ge=0, le=1)
    willingness_alpha: float = Field(default=1.6, gt=0, description="Beta(alpha, beta) of willingness to pay")
    willingness_beta: float = Field(default=3.0, gt=0)
    willingness_by_dpd: list[tuple[int, float]] = Field(
        default=[(30, 1.3), (60, 1.0), (90, 0.75), (180, 0.5), (100_000, 0.3)],
        description="(up to DPD, factor): willingness times the factor of the oldest arrears",
    )
    ptp_rate: float = Field(
        default=0.075, ge=0, le=1, description="promise chance per right-party contact at willingness 1"
    )
    keep_base: float = Field(default=0.27, ge=0, le=1, description="kept chance at willingness 0")
    keep_per_willingness: float = Field(
        default=0.45, ge=0, le=1, description="kept chance added at willingness 1"
    )
    broken_penalty: float = Field(
        default=0.3, ge=0, le=1, description="share of willingness lost per broken promise"
    )
    capacity_mean_minor: int = Field(
        default=900_000, gt=0, description="mean amount a paying debtor can pay (minor)"
    )
    spontaneous_pay_rate: float = Field(
        default=0.001, ge=0, le=1, description="daily chance of paying unprompted"
    )
    dispute_rate: float = Field(default=0.006, ge=0, le=1, description="per right-party contact")
    cease_rate: float = Field(default=0.004, ge=0, le=1, description="per right-party contact")
    callback_rate: float = Field(
        default=0.08, ge=0, le=1, description="per right-party contact without a promise"
    )
    refuse_rate: float = Field(default=0.3, ge=0, le=1)
    hang_up_rate: float = Field(default=0.2, ge=0, le=1)
    ring_seconds: int = Field(default=40, ge=1)
    talk_minutes_min: float = Field(default=2.0, gt=0)
    talk_minutes_max: float = Field(default=5.0, gt=0)
    wrap_seconds: int = Field(default=45, ge=0, description="after every attempt: notes, next dial")


#: the reachable-hours profile: multiplier of the answer chance by local hour (0..23); 0 outside waking hours
HOUR_PROFILE: tuple[float, ...] = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.3,
    0.8,
    1.15,
    1.2,
    1.0,
    0.55,
    0.7,
    0.95,
    1.0,
    1.0,
    0.95,
    1.1,
    1.15,
    1.0,
    0.6,
    0.2,
    0,
)
#: multiplier by local weekday (Monday = 0): mid-week beats Monday
WEEKDAY_PROFILE: tuple[float, ...] = (0.85, 1.05, 1.1, 1.05, 0.95, 0.9, 0.8)


@dataclass(frozen=True, slots=True)
class Target:
    """A field figure a calibrated run should land in."""

    kpi: str
    low: float
    high: float
    label: str


#: domain brief: ~125 calls per recovered account, ~7,000 RMB per recovered account, RPC 20-30 %, kept 50-60 %
FIELD_TARGETS: tuple[Target, ...] = (
    Target("calls_per_recovery", 90, 160, "calls per recovered account ~125"),
    Target("recovered_per_account", 5_000, 9_000, "RMB per recovered account ~7,000"),
    Target("rpc_rate", 0.20, 0.30, "right-party contact rate 20-30 %"),
    Target("kept_rate", 0.50, 0.60, "kept rate 50-60 %"),
)


def check_targets(figures: dict[str, float | None]) -> list[tuple[Target, float | None, bool]]:
    """Each field target with the run's figure and whether it falls in range."""
    out = []
    for t in FIELD_TARGETS:
        value = figures.get(t.kpi)
        out.append((t, value, value is not None and t.low <= value <= t.high))
    return out
