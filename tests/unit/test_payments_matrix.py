"""The approval matrix, who may decide, settlement floors by bucket, and the policy file's validation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml

from arrears.core.access import Role
from arrears.core.errors import ConfigError
from arrears.payments import policy as pol
from arrears.payments.matrix import (
    approvals_needed,
    floor_share,
    level_for,
    may_decide,
    needs_approval,
    settled,
    settlement_floor,
)
from arrears.payments.model import ApprovalLevel as L

LIMITS = {L.COLLECTOR: 100, L.TEAM_LEAD: 1_000, L.MANAGER: 10_000}


@pytest.mark.parametrize(("amount", "level"), [(0, L.COLLECTOR), (100, L.COLLECTOR), (101, L.TEAM_LEAD),
                                               (10_000, L.MANAGER), (10_001, L.COMMITTEE)])
def test_level_for_amount(amount: int, level: L) -> None:
    assert level_for(amount, LIMITS) is level


def test_only_above_the_collector_limit_needs_approval_and_a_committee_needs_two() -> None:
    assert not needs_approval(L.COLLECTOR) and needs_approval(L.TEAM_LEAD)
    assert approvals_needed(L.COMMITTEE) == 2 and approvals_needed(L.MANAGER) == 1


def test_may_decide() -> None:
    assert not may_decide(L.TEAM_LEAD, Role.MANAGER, "ann", "ann").allowed  # own request
    assert "own request" in may_decide(L.TEAM_LEAD, Role.MANAGER, "ann", "ann").reason
    assert not may_decide(L.MANAGER, Role.TEAM_LEAD, "tl", "c1").allowed    # level too low
    assert may_decide(L.TEAM_LEAD, Role.TEAM_LEAD, "tl", "c1").allowed
    assert may_decide(L.COMMITTEE, Role.MANAGER, "m1", "c1").allowed
    assert not may_decide(L.COMMITTEE, Role.MANAGER, "m1", "c1", ["m1"]).allowed  # one vote each
    assert not may_decide(L.TEAM_LEAD, Role.COMPLIANCE_OFFICER, "co", "c1").allowed
    assert may_decide(L.COMMITTEE, Role.ADMINISTRATOR, "root", "c1").allowed


def test_settled_by_votes() -> None:
    assert settled(1, 0, L.COMMITTEE) is None
    assert settled(2, 0, L.COMMITTEE) == "approved"
    assert settled(1, 1, L.COMMITTEE) == "rejected"
    assert settled(1, 0, L.TEAM_LEAD) == "approved"


def test_settlement_floor_by_bucket_rounds_up() -> None:
    p = pol.default().settlements
    assert floor_share("M3", p) == Decimal("0.80")
    assert settlement_floor(100_001, "M3", p) == 80_001
    assert floor_share("M99", p) == min(p.floor_share.values())


def _doc() -> dict[str, Any]:
    return yaml.safe_load(pol.DEFAULT_POLICY.read_text(encoding="utf-8"))


def test_the_packaged_policy_loads() -> None:
    p = pol.default()
    assert p.promises.grace_days == 2 and p.plans.max_missed == 2
    assert p.limits("CNY")[L.COLLECTOR] == 20_000 and p.limits("JPY")[L.COLLECTOR] == 2_000
    assert "consumer_loan" in p.plans.reage_products


@pytest.mark.parametrize(("path", "value", "message"), [
    (("promises", "grace_days"), -1, "grace_days"),
    (("promises", "reminder_local_time"), "25:99", "HH:MM"),
    (("promises", "approval_level"), "king", "approval_level"),
    (("settlements", "floor_share", "M1"), "1.5", "at most 1"),
    (("approval_limits", "default", "team_lead"), 1, "rise"),
    (("plans", "frequencies"), ["daily"], "frequencies"),
])
def test_bad_policies_are_config_errors(path: tuple[str, ...], value: Any, message: str) -> None:
    doc = _doc()
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ConfigError, match=message):
        pol.parse(doc)


def test_limits_need_a_default() -> None:
    doc = _doc()
    del doc["approval_limits"]["default"]
    with pytest.raises(ConfigError, match="default"):
        pol.parse(doc)
