"""What every rule type shares: parameter models, the finding a check returns, and the registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from arrears.compliance.context import Context
from arrears.compliance.model import ContactChannel, Effect, Party, ProposedContact
from arrears.compliance.zones import local


class Params(BaseModel):
    """Base of every rule type's parameters: unknown keys are errors; immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True, slots=True)
class Finding:
    """What a check found: deny (with the earliest moment it would allow) or require a condition."""

    effect: Effect
    variant: str = "deny"
    facts: Mapping[str, object] = field(default_factory=dict)
    not_before: datetime | None = None
    requirement: str | None = None


CheckFn = Callable[[Any, Context, ProposedContact], Finding | None]


@dataclass(frozen=True, slots=True)
class RuleType:
    """A kind of rule: its parameters, its check, and the reason variants and facts its texts may use."""

    name: str
    params: type[Params]
    check: CheckFn
    variants: Mapping[str, tuple[str, ...]]  # variant -> fact names usable in its reason templates
    description: str


RULE_TYPES: dict[str, RuleType] = {}


def rule_type(
    name: str, params: type[Params], variants: Mapping[str, tuple[str, ...]], description: str
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function as a rule type."""

    def register(fn: CheckFn) -> CheckFn:
        """Add the check to RULE_TYPES."""
        RULE_TYPES[name] = RuleType(name, params, fn, dict(variants), description)
        return fn

    return register


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One configured rule of a rule set."""

    id: str
    type: RuleType
    params: Params
    source: str
    reasons: Mapping[str, tuple[str, str]]  # variant -> (zh-CN template, English template)
    channels: frozenset[ContactChannel] | None = None  # applies only to these channels (None: all)
    parties: frozenset[Party] | None = None  # applies only to these parties (None: all)

    def applies(self, proposed: ProposedContact) -> bool:
        """Whether the proposal is in the rule's scope."""
        return (self.channels is None or proposed.channel in self.channels) and (
            self.parties is None or proposed.party in self.parties
        )


def deny(variant: str = "deny", not_before: datetime | None = None, **facts: object) -> Finding:
    """A denying finding."""
    return Finding(Effect.DENY, variant, facts, not_before)


def require(requirement: str, variant: str = "require", **facts: object) -> Finding:
    """An allowing finding with a condition."""
    return Finding(Effect.REQUIRE, variant, facts, None, requirement)


def show(at: datetime | None, zone_name: str | None = None) -> str:
    """A moment for a reason text: local wall time with its zone, or UTC."""
    if at is None:
        return "-"
    if zone_name:
        return local(at, zone_name).strftime("%Y-%m-%d %H:%M ") + zone_name
    return at.strftime("%Y-%m-%d %H:%M UTC")
