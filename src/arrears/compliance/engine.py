"""The decision engine: run every rule of the layered rule sets, and find the earliest allowed moment.

A proposal is denied when any rule of any layer denies (so the stricter layer wins). The earliest
allowed moment starts from the latest "not before" of the denying rules and re-evaluates everything
there, moving forward until all rules allow (bounded in steps and horizon); None means it never will
without a change of facts (a hold with no end, a refusal, a missing consent...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from arrears.compliance.context import Context
from arrears.compliance.model import (
    Decision,
    Effect,
    Facts,
    ProposedContact,
    RuleHit,
)
from arrears.compliance.rulesets import RuleSet
from arrears.compliance.zones import local
from arrears.core.errors import FieldProblem, InputRejected

MAX_STEPS = 64
HORIZON = timedelta(days=400)
NUDGE = timedelta(minutes=1)


def _hits(rulesets: Sequence[RuleSet], ctx: Context, p: ProposedContact) -> list[RuleHit]:
    hits: list[RuleHit] = []
    for rs in rulesets:
        for rule in rs.rules:
            if not rule.applies(p):
                continue
            found = rule.type.check(rule.params, ctx, p)
            if found is None:
                continue
            zh, en = rule.reasons[found.variant]
            hits.append(
                RuleHit(
                    rule.id,
                    rs.name,
                    found.effect,
                    zh.format_map(found.facts),
                    en.format_map(found.facts),
                    rule.source,
                    found.not_before,
                    found.requirement,
                )
            )
    return hits


def _blocking(rulesets: Sequence[RuleSet], ctx: Context, p: ProposedContact) -> list[datetime | None]:
    """The not-before moments of the denying rules (empty when allowed); no texts are formatted."""
    out: list[datetime | None] = []
    for rs in rulesets:
        for rule in rs.rules:
            if rule.applies(p):
                found = rule.type.check(rule.params, ctx, p)
                if found is not None and found.effect is Effect.DENY:
                    out.append(found.not_before)
    return out


def earliest_allowed(
    rulesets: Sequence[RuleSet], ctx: Context, p: ProposedContact, not_befores: Sequence[datetime | None]
) -> datetime | None:
    """The first moment from the denials' not-befores at which every rule allows; None if never."""
    if not not_befores:
        return p.at
    if any(nb is None for nb in not_befores):
        return None
    t: datetime = max(not_befores)  # type: ignore[type-var,assignment]
    limit = p.at + HORIZON
    for _ in range(MAX_STEPS):
        if t > limit:
            return None
        blocking = _blocking(rulesets, ctx, p.moved_to(t))
        if not blocking:
            return t
        if any(nb is None for nb in blocking):
            return None
        nxt: datetime = max(blocking)  # type: ignore[type-var,assignment]
        t = nxt if nxt > t else t + NUDGE
    return None


def _check_contact_point(ctx: Context, p: ProposedContact) -> None:
    if p.contact_point_id is not None and p.contact_point_id not in ctx.points:
        raise InputRejected(
            f"proposed contact point {p.contact_point_id!r} is not one of the debtor's contact points",
            [FieldProblem(0, "proposed.contact_point", p.contact_point_id, "unknown contact point")],
        )


def evaluate(
    proposed: ProposedContact,
    facts: Facts | Context,
    rulesets: Sequence[RuleSet],
    evaluated_at: datetime | None = None,
) -> Decision:
    """Judge one proposed contact against the facts under the layered rule sets."""
    if not rulesets:
        raise InputRejected("no rule set given")
    ctx = facts if isinstance(facts, Context) else Context(facts)
    _check_contact_point(ctx, proposed)
    hits = _hits(rulesets, ctx, proposed)
    denials = [h.not_before for h in hits if h.effect is Effect.DENY]
    earliest = earliest_allowed(rulesets, ctx, proposed, denials) if denials else proposed.at
    requirements = tuple(
        dict.fromkeys(h.requirement for h in hits if h.effect is Effect.REQUIRE and h.requirement)
    )
    zones = ctx.zones(proposed)
    return Decision(
        allowed=not denials,
        proposed=proposed,
        fired=tuple(hits),
        checked=tuple(rule.id for rs in rulesets for rule in rs.rules),
        earliest_allowed=earliest,
        rulesets=tuple((rs.name, rs.version) for rs in rulesets),
        evaluated_at=evaluated_at or proposed.at,
        requirements=requirements if not denials else (),
        local_times=tuple((z, local(proposed.at, z).isoformat()) for z in zones),
    )
