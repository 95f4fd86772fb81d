"""The payments policy (policy.yaml): promise grace and tolerance, plan limits, settlement floors by bucket
and the approval matrix. Loaded and validated into plain dataclasses; a bad file is a ConfigError."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from arrears.core.errors import ConfigError
from arrears.payments.model import ApprovalLevel

DEFAULT_POLICY = Path(__file__).with_name("policy.yaml")
LIMIT_ROLES = (ApprovalLevel.COLLECTOR, ApprovalLevel.TEAM_LEAD, ApprovalLevel.MANAGER)


@dataclass(frozen=True, slots=True)
class PromisePolicy:
    """How promises are judged and reminded."""

    grace_days: int = 2
    tolerance_minor: int = 100
    tolerance_percent: Decimal = Decimal(1)
    max_days_ahead: int = 30
    approval_level: ApprovalLevel = ApprovalLevel.TEAM_LEAD
    reminder_local_time: time = time(10, 0)
    reminder_hours_before: int = 2
    followup_local_time: time = time(10, 0)


@dataclass(frozen=True, slots=True)
class PlanPolicy:
    """Limits of payment plans, when they break, and where re-aging is allowed."""

    max_missed: int = 2
    min_instalments: int = 2
    max_instalments: int = 36
    frequencies: tuple[str, ...] = ("weekly", "biweekly", "monthly")
    max_first_due_days: int = 30
    reage_products: tuple[str, ...] = ()
    reage_after_kept: int = 3


@dataclass(frozen=True, slots=True)
class SettlementPolicy:
    """Settlement floors by bucket (share of the balance owed) and the level that may go below them."""

    floor_share: dict[str, Decimal] = field(default_factory=dict)
    below_floor_level: ApprovalLevel = ApprovalLevel.COMMITTEE
    max_days_to_pay: int = 30


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole payments policy."""

    promises: PromisePolicy
    plans: PlanPolicy
    settlements: SettlementPolicy
    approval_limits: dict[str, dict[ApprovalLevel, int]]
    plan_approval_limits: dict[str, dict[ApprovalLevel, int]]

    def limits(self, currency: str, plan: bool = False) -> dict[ApprovalLevel, int]:
        """The approval limits (minor units) for a currency."""
        table = self.plan_approval_limits if plan else self.approval_limits
        return table.get(currency) or table["default"]


def _hhmm(value: Any, where: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError):
        raise ConfigError(f"{where}: {value!r} is not a time HH:MM") from None


def _int(section: dict[str, Any], key: str, default: int, where: str, low: int = 0) -> int:
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{where}.{key}: {value!r} must be a whole number >= {low}")
    return value


def _share(value: Any, where: str) -> Decimal:
    try:
        share = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if not Decimal(0) < share <= Decimal(1):
        raise ConfigError(f"{where}: {value!r} must be a share above 0 and at most 1")
    return share


def _level(value: Any, where: str) -> ApprovalLevel:
    try:
        return ApprovalLevel(str(value))
    except ValueError:
        raise ConfigError(f"{where}: {value!r} is not one of {[v.value for v in ApprovalLevel]}") from None


def _limits(raw: Any, where: str) -> dict[str, dict[ApprovalLevel, int]]:
    if not isinstance(raw, dict) or "default" not in raw:
        raise ConfigError(f"{where}: needs a 'default' entry")
    out: dict[str, dict[ApprovalLevel, int]] = {}
    for currency, table in raw.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}.{currency}: must map roles to amounts")
        limits = {role: _int(table, role.value, -1, f"{where}.{currency}", 0) for role in LIMIT_ROLES}
        values = [limits[r] for r in LIMIT_ROLES]
        if values != sorted(values):
            raise ConfigError(f"{where}.{currency}: limits must rise from collector to manager")
        out[str(currency)] = limits
    return out


def parse(data: Any) -> Policy:
    """Validate a policy document (the parsed YAML) into a Policy."""
    if not isinstance(data, dict):
        raise ConfigError("payments policy: the document must be a mapping")
    p = data.get("promises") or {}
    promises = PromisePolicy(
        grace_days=_int(p, "grace_days", 2, "promises"),
        tolerance_minor=_int(p, "tolerance_minor", 100, "promises"),
        tolerance_percent=Decimal(str(p.get("tolerance_percent", 1))),
        max_days_ahead=_int(p, "max_days_ahead", 30, "promises", 1),
        approval_level=_level(p.get("approval_level", "team_lead"), "promises.approval_level"),
        reminder_local_time=_hhmm(p.get("reminder_local_time", "10:00"), "promises.reminder_local_time"),
        reminder_hours_before=_int(p, "reminder_hours_before", 2, "promises"),
        followup_local_time=_hhmm(p.get("followup_local_time", "10:00"), "promises.followup_local_time"),
    )
    if not Decimal(0) <= promises.tolerance_percent < Decimal(100):
        raise ConfigError("promises.tolerance_percent must be between 0 and 100")
    q = data.get("plans") or {}
    plans = PlanPolicy(
        max_missed=_int(q, "max_missed", 2, "plans", 1),
        min_instalments=_int(q, "min_instalments", 2, "plans", 1),
        max_instalments=_int(q, "max_instalments", 36, "plans", 1),
        frequencies=tuple(str(f) for f in q.get("frequencies", ("weekly", "biweekly", "monthly"))),
        max_first_due_days=_int(q, "max_first_due_days", 30, "plans", 0),
        reage_products=tuple(str(x) for x in q.get("reage_products", ()) or ()),
        reage_after_kept=_int(q, "reage_after_kept", 3, "plans"),
    )
    unknown = set(plans.frequencies) - {"weekly", "biweekly", "monthly"}
    if unknown or plans.min_instalments > plans.max_instalments:
        raise ConfigError(f"plans: bad frequencies {sorted(unknown)} or instalment limits")
    s = data.get("settlements") or {}
    floors = s.get("floor_share") or {}
    if not isinstance(floors, dict) or not floors:
        raise ConfigError("settlements.floor_share: needs a share for each bucket")
    settlements = SettlementPolicy(
        floor_share={str(k): _share(v, f"settlements.floor_share.{k}") for k, v in floors.items()},
        below_floor_level=_level(s.get("below_floor_level", "committee"), "settlements.below_floor_level"),
        max_days_to_pay=_int(s, "max_days_to_pay", 30, "settlements", 1),
    )
    return Policy(promises, plans, settlements, _limits(data.get("approval_limits"), "approval_limits"),
                  _limits(data.get("plan_approval_limits") or data.get("approval_limits"),
                          "plan_approval_limits"))


def load(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file (the packaged policy.yaml when no path is given)."""
    target = Path(path) if path else DEFAULT_POLICY
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"payments policy {target}: {exc}") from None
    return parse(data)


@lru_cache(maxsize=1)
def default() -> Policy:
    """The packaged policy, read once."""
    return load()
