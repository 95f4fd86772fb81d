"""The simulation file (sim.yaml): a pydantic model; every error names the field it is about."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from arrears.core.errors import FieldProblem, InputRejected
from arrears.sim.calibration import Behaviour

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class Ordering(StrEnum):
    """How an arm orders its collectors' ordinary calls."""

    DEFAULT = "default"  # the strategy's own: expected recovery x chance of reaching the debtor now
    OLDEST_FIRST = "oldest_first"  # baseline: highest days past due first
    LARGEST_BALANCE_FIRST = "largest_balance_first"  # baseline: largest balance first


class Arm(BaseModel):
    """One strategy arm: a share of the portfolio and its own collectors."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    ordering: Ordering = Ordering.DEFAULT


class Shift(BaseModel):
    """A collector's working day in the collectors' local time."""

    model_config = ConfigDict(extra="forbid")

    start: str = "09:00"
    end: str = "18:00"
    weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="Monday = 0")
    attempts_per_day: int = Field(default=250, ge=1, le=2000)

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time of day HH:MM")
        return value

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if not value or any(d < 0 or d > 6 for d in value):
            raise ValueError("weekdays are 0 (Monday) .. 6 (Sunday), at least one")
        return sorted(set(value))

    @model_validator(mode="after")
    def _order(self) -> Shift:
        if self.end <= self.start:
            raise ValueError(f"shift ends ({self.end}) before it starts ({self.start})")
        return self


class SimConfig(BaseModel):
    """A whole simulation: portfolio, collectors, arms, behaviour."""

    model_config = ConfigDict(extra="forbid")

    name: str = "sim"
    seed: int = 20261129
    debtors: int = Field(default=1000, ge=10, le=200_000)
    days: int = Field(default=30, ge=1, le=366)
    start: date = date(2026, 3, 2)
    timezone: str = "Asia/Shanghai"
    collectors_per_arm: int = Field(default=1, ge=1, le=200)
    shift: Shift = Field(default_factory=Shift)
    arms: list[Arm] = Field(default_factory=lambda: [Arm(name="default")])
    behaviour: Behaviour = Field(default_factory=Behaviour)

    @field_validator("arms")
    @classmethod
    def _arms(cls, value: list[Arm]) -> list[Arm]:
        if not value:
            raise ValueError("name at least one arm")
        names = [a.name for a in value]
        if len(set(names)) != len(names):
            raise ValueError(f"arm names must be unique: {names}")
        return value


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(file)"


def parse(data: Any, source: str = "sim.yaml") -> SimConfig:
    """Validate a loaded mapping; InputRejected naming every bad field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputRejected(
            f"{source}: the file must be a mapping of settings",
            [FieldProblem(0, "(file)", type(data).__name__, "expected a mapping", source)],
        )
    try:
        return SimConfig.model_validate(data)
    except ValidationError as exc:
        problems = [
            FieldProblem(0, _where(e["loc"]), str(e.get("input", ""))[:80], e["msg"], source)
            for e in exc.errors()
        ]
        raise InputRejected(
            f"{source}: " + "; ".join(f"{p.field}: {p.reason}" for p in problems), problems
        ) from None


def load(path: Path) -> SimConfig:
    """Read and validate a sim.yaml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputRejected(
            f"{path}: cannot read: {exc.strerror}",
            [FieldProblem(0, "(file)", str(path), "cannot read", str(path))],
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputRejected(
            f"{path}: not valid YAML: {exc}",
            [FieldProblem(0, "(file)", "", f"not valid YAML: {exc}", str(path))],
        ) from None
    return parse(data, str(path))
