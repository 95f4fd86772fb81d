"""Asking the contact policy about a debtor's phones at one moment (plain Python over prepared facts)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from arrears.compliance.context import Context
from arrears.compliance.engine import evaluate
from arrears.compliance.model import ContactChannel, Decision, Party, ProposedContact, Purpose, RuleHit
from arrears.compliance.rulesets import RuleSet
from arrears.worklist.rules import PointChoice, dial_order, party_for


def proposal(
    point_id: int | None,
    relationship: str | None,
    at: datetime,
    channel: ContactChannel = ContactChannel.CALL,
) -> ProposedContact:
    """The contact the queue proposes: debtor (collect), attorney, or a third party (to locate the debtor)."""
    party = party_for(relationship) if relationship else Party.DEBTOR
    purpose = Purpose.LOCATE if party is Party.THIRD_PARTY else Purpose.COLLECT
    return ProposedContact(channel, at, str(point_id) if point_id is not None else None, party, purpose)


@dataclass
class Verdict:
    """The first allowed phone of a debtor, or why none is allowed and from when one would be."""

    point: PointChoice | None = None
    decision: Decision | None = None
    denials: list[RuleHit] = field(default_factory=list)
    earliest: datetime | None = None  # the earliest moment any of the phones becomes allowed
    never: bool = False  # no phone would become allowed without a change of facts
    no_usable_point: bool = False

    @property
    def allowed(self) -> bool:
        """True when a phone may be dialled now."""
        return self.point is not None


def judge(
    points: Sequence[PointChoice],
    ctx: Context,
    rulesets: Sequence[RuleSet],
    at: datetime,
    preferred: int | None = None,
) -> Verdict:
    """Try the debtor's usable phones in dialling order; the first the policy allows wins."""
    order = dial_order(points, preferred)
    verdict = Verdict(no_usable_point=not order)
    earliest: list[datetime] = []
    for point in order:
        decision = evaluate(proposal(point.id, point.relationship, at), ctx, rulesets, at)
        if decision.allowed:
            verdict.point, verdict.decision = point, decision
            return verdict
        verdict.denials.extend(decision.denials)
        if decision.earliest_allowed is not None:
            earliest.append(decision.earliest_allowed)
    verdict.earliest = min(earliest) if earliest else None
    verdict.never = bool(order) and not earliest
    return verdict
