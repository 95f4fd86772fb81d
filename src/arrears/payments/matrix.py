"""Pure rules for arrangements: the approval matrix by amount and role, who may decide, settlement floors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from arrears.core.access import Role
from arrears.payments.model import LEVEL_RANK, ApprovalLevel
from arrears.payments.policy import LIMIT_ROLES, SettlementPolicy

#: what each role counts as when deciding (administrators decide like managers; others never)
ROLE_LEVEL: dict[Role, ApprovalLevel] = {
    Role.COLLECTOR: ApprovalLevel.COLLECTOR,
    Role.TEAM_LEAD: ApprovalLevel.TEAM_LEAD,
    Role.MANAGER: ApprovalLevel.MANAGER,
    Role.ADMINISTRATOR: ApprovalLevel.MANAGER,
}
COMMITTEE_SIZE = 2


def level_for(amount_minor: int, limits: dict[ApprovalLevel, int]) -> ApprovalLevel:
    """The lowest level whose limit covers the amount; above the manager's limit, the committee."""
    for level in LIMIT_ROLES:
        if amount_minor <= limits[level]:
            return level
    return ApprovalLevel.COMMITTEE


def higher(a: ApprovalLevel, b: ApprovalLevel) -> ApprovalLevel:
    """The stricter of two levels."""
    return a if LEVEL_RANK[a] >= LEVEL_RANK[b] else b


def needs_approval(level: ApprovalLevel) -> bool:
    """Within the collector's limit the arrangement is within policy and needs nobody's approval."""
    return level is not ApprovalLevel.COLLECTOR


def approvals_needed(level: ApprovalLevel) -> int:
    """A committee decision takes two distinct managers; any other level one decider."""
    return COMMITTEE_SIZE if level is ApprovalLevel.COMMITTEE else 1


@dataclass(frozen=True, slots=True)
class DecisionCheck:
    """Whether a user may decide a request, and why not."""

    allowed: bool
    reason: str = ""


def may_decide(level: ApprovalLevel, role: Role, decider: str, requester: str,
               earlier_deciders: Sequence[str] = ()) -> DecisionCheck:
    """The requester never decides their own request; the role must reach the level; one vote each."""
    if decider == requester:
        return DecisionCheck(False, "the requester cannot decide their own request")
    if decider in earlier_deciders:
        return DecisionCheck(False, "you have already decided this request")
    mine = ROLE_LEVEL.get(role)
    if mine is None:
        return DecisionCheck(False, f"the role {role.value} does not decide approvals")
    needed = ApprovalLevel.MANAGER if level is ApprovalLevel.COMMITTEE else level
    if LEVEL_RANK[mine] < LEVEL_RANK[needed]:
        return DecisionCheck(False, f"this request needs a {level.value.replace('_', ' ')} decision")
    return DecisionCheck(True)


def settled(approvals: int, rejections: int, level: ApprovalLevel) -> str | None:
    """The request's final status from its decisions: any rejection rejects; enough approvals approve."""
    if rejections > 0:
        return "rejected"
    if approvals >= approvals_needed(level):
        return "approved"
    return None


def floor_share(bucket: str, policy: SettlementPolicy) -> Decimal:
    """The minimum settlement share for a bucket (the last listed bucket covers any older one)."""
    if bucket in policy.floor_share:
        return policy.floor_share[bucket]
    return min(policy.floor_share.values())


def settlement_floor(balance_minor: int, bucket: str, policy: SettlementPolicy) -> int:
    """The lowest settlement amount within policy, rounded up to the minor unit."""
    share = floor_share(bucket, policy)
    return int((Decimal(balance_minor) * share).to_integral_value(rounding=ROUND_CEILING))
