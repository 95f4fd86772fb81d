"""The contact policy's vocabulary: a proposed contact, the facts it is judged on, and the decision.

Plain dataclasses; no web or database imports. Every moment is timezone-aware (naive ones are refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from arrears.compliance.zones import zone
from arrears.core.clock import require_aware


class ContactChannel(StrEnum):
    """How a contact is made."""

    CALL = "call"
    SMS = "sms"
    EMAIL = "email"
    VOICEMAIL = "voicemail"
    VISIT = "visit"


TELEPHONE = frozenset({ContactChannel.CALL, ContactChannel.VOICEMAIL})
ELECTRONIC = frozenset({ContactChannel.SMS, ContactChannel.EMAIL})


class Party(StrEnum):
    """Who the contact is with."""

    DEBTOR = "debtor"
    THIRD_PARTY = "third_party"
    ATTORNEY = "attorney"


class Outcome(StrEnum):
    """What happened on a past attempt."""

    CONNECTED_RPC = "connected_rpc"  # the debtor in person
    CONNECTED_THIRD_PARTY = "connected_third_party"  # someone else answered
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"  # reached a mailbox (a message may have been left)
    BUSY = "busy"  # never connected to the dialed number
    NETWORK_ERROR = "network_error"  # never connected to the dialed number
    INVALID_NUMBER = "invalid_number"  # not in service: never connected
    WRONG_NUMBER = "wrong_number"  # answered by someone who does not know the debtor
    REFUSED = "refused"  # the person refused further contact: do-not-contact for good
    SENT = "sent"  # SMS / e-mail handed to the carrier
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    VISITED = "visited"  # field visit met the person
    NOT_HOME = "not_home"


CONNECTED = frozenset(
    {
        Outcome.CONNECTED_RPC,
        Outcome.CONNECTED_THIRD_PARTY,
        Outcome.WRONG_NUMBER,
        Outcome.REFUSED,
        Outcome.VISITED,
    }
)
NEVER_CONNECTED = frozenset({Outcome.BUSY, Outcome.NETWORK_ERROR, Outcome.INVALID_NUMBER})


class Direction(StrEnum):
    """Who placed the call."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


class HoldKind(StrEnum):
    """Flags on a debtor: holds that stop collection, and the debtor's declarations and consents."""

    DISPUTE = "dispute"
    FRAUD_CLAIM = "fraud_claim"
    COMPLAINT = "complaint"
    BANKRUPTCY = "bankruptcy"
    DECEASED = "deceased"
    LEGAL_REPRESENTATION = "legal_representation"  # an attorney on file
    CEASE_REQUEST = "cease_request"
    INCONVENIENT_TIME = "inconvenient_time"  # detail.windows: [{start, end, weekdays?}]
    INCONVENIENT_PLACE = "inconvenient_place"  # detail.places: [work, home, ...]
    CHANNEL_RESTRICTION = "channel_restriction"  # detail.channels (+ contact_point_id)
    OPT_OUT = "opt_out"  # e-mail / SMS opt-out: detail.channels (+ contact_point_id)
    EMPLOYER_FORBIDS = "employer_forbids"  # no calls at work
    CONSENT_TO_TIME = "consent_to_time"  # detail.windows or detail.from/until: the debtor agreed
    CALL_CONSENT = "call_consent"  # direct prior consent to further calls (Reg F, 7 days)


HOLD_KINDS = frozenset(
    {
        HoldKind.DISPUTE,
        HoldKind.FRAUD_CLAIM,
        HoldKind.COMPLAINT,
        HoldKind.BANKRUPTCY,
        HoldKind.DECEASED,
        HoldKind.LEGAL_REPRESENTATION,
        HoldKind.CEASE_REQUEST,
    }
)


class Place(StrEnum):
    """Where a contact point reaches the person."""

    HOME = "home"
    WORK = "work"
    MOBILE = "mobile"
    OTHER = "other"


class Purpose(StrEnum):
    """Why the contact is made; third parties only to locate the debtor or pass on a message."""

    COLLECT = "collect"
    LOCATE = "locate"
    MESSAGE = "message"
    VERIFICATION = "verification"  # answering a dispute
    NOTICE = "notice"  # a required notice (e.g. acknowledging a cease request)


class Content(StrEnum):
    """What a voicemail may say."""

    LIMITED = "limited"  # a limited-content message (no mention of the debt)
    FULL = "full"


class Effect(StrEnum):
    """What a fired rule does to the proposal."""

    DENY = "deny"
    REQUIRE = "require"  # allowed, on a condition the collector or dialer must meet


def _aware(value: datetime | None, what: str) -> None:
    if value is not None:
        require_aware(value, what)


@dataclass(frozen=True, slots=True)
class ContactPointInfo:
    """One phone, e-mail or address, and what the rules need to know about it."""

    id: str
    kind: str = "phone"  # phone | email | address
    relationship: str = "self"  # self, spouse, parent, relative, employer, colleague, friend, attorney, ...
    status: str = "valid"  # unverified | valid | invalid | wrong_party | do_not_contact
    source: str = "debtor_provided"
    consent: str = "debtor_gave"
    timezones: tuple[str, ...] = ()  # the zones possible for it (a phone's area code, an address)
    place: str | None = None  # home | work | mobile | other


@dataclass(frozen=True, slots=True)
class DebtorInfo:
    """The debtor's zones: the address zone when known, and the fallback when nothing is known."""

    id: str
    timezone: str  # fallback zone (the portfolio default when nothing better is known)
    address_timezone: str | None = None
    region: str | None = None


@dataclass(slots=True)
class HistoryEntry:
    """One past contact attempt (or inbound call) about the debt (not frozen, for speed: never mutate)."""

    at: datetime
    channel: ContactChannel
    outcome: Outcome
    contact_point_id: str | None = None
    party: Party = Party.DEBTOR
    direction: Direction = Direction.OUTBOUND
    by_agency: bool = False
    conversation: bool | None = None  # a telephone conversation about the debt; None: infer from outcome
    consent_at: datetime | None = None  # direct prior consent behind this call
    ts: float = field(init=False, repr=False, compare=False)  # POSIX seconds, for fast bisection

    def __post_init__(self) -> None:
        at = self.at
        if at.tzinfo is None or at.utcoffset() is None:
            require_aware(at, "history entry time")  # raises, naming the value
        if self.consent_at is not None:
            require_aware(self.consent_at, "history entry consent_at")
        self.ts = at.timestamp()

    @property
    def connected(self) -> bool:
        """True when the call reached a person at the dialed number."""
        return self.outcome in CONNECTED

    @property
    def is_conversation(self) -> bool:
        """A telephone conversation about the debt (stated, or a connected right-party call)."""
        if self.conversation is not None:
            return self.conversation
        return self.outcome is Outcome.CONNECTED_RPC and self.channel in TELEPHONE


@dataclass(frozen=True, slots=True)
class Flag:
    """A hold or a declaration on a debtor: who set it, when and why; active until lifted."""

    kind: HoldKind
    set_by: str
    set_at: datetime
    reason: str = ""
    id: str | None = None
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None
    contact_point_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        require_aware(self.set_at, "flag set_at")
        _aware(self.lifted_at, "flag lifted_at")

    def active_at(self, moment: datetime) -> bool:
        """True when the flag was set at or before the moment and not lifted by then."""
        return self.set_at <= moment and (self.lifted_at is None or moment < self.lifted_at)


@dataclass(frozen=True, slots=True)
class ProposedContact:
    """The contact being asked about."""

    channel: ContactChannel
    at: datetime
    contact_point_id: str | None = None
    party: Party = Party.DEBTOR
    purpose: Purpose | None = None
    content: Content | None = None  # voicemail: a limited-content message or not
    includes_opt_out: bool | None = None  # e-mail / SMS: carries an opt-out notice

    def __post_init__(self) -> None:
        require_aware(self.at, "proposed contact time")

    def moved_to(self, moment: datetime) -> ProposedContact:
        """The same contact at another moment."""
        return ProposedContact(
            self.channel,
            moment,
            self.contact_point_id,
            self.party,
            self.purpose,
            self.content,
            self.includes_opt_out,
        )


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a decision is judged on besides the proposal: debtor, contact points, history, flags."""

    debtor: DebtorInfo
    contact_points: tuple[ContactPointInfo, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    flags: tuple[Flag, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that fired: its id, why (zh-CN and English), its source, and when it stops blocking."""

    rule_id: str
    ruleset: str
    effect: Effect
    reason_zh: str
    reason_en: str
    source: str
    not_before: datetime | None = None  # deny only: the earliest moment this rule allows; None = never
    requirement: str | None = None  # require only: the condition code

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {
            "rule_id": self.rule_id,
            "ruleset": self.ruleset,
            "effect": self.effect.value,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
            "source": self.source,
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "requirement": self.requirement,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """Allow or deny, every rule that fired, every rule checked, and the earliest allowed moment."""

    allowed: bool
    proposed: ProposedContact
    fired: tuple[RuleHit, ...]
    checked: tuple[str, ...]
    earliest_allowed: datetime | None  # None: never, without a change of facts
    rulesets: tuple[tuple[str, str], ...]  # (name, version), in layering order
    evaluated_at: datetime
    requirements: tuple[str, ...] = ()
    local_times: tuple[tuple[str, str], ...] = ()  # (zone, local ISO time) considered

    @property
    def denials(self) -> tuple[RuleHit, ...]:
        """The hits that deny."""
        return tuple(h for h in self.fired if h.effect is Effect.DENY)

    @property
    def script_mode(self) -> str:
        """How to speak: a third party never hears of the debt; a voicemail is limited content."""
        if "third_party_no_disclosure" in self.requirements or self.proposed.party is Party.THIRD_PARTY:
            return "third_party_no_disclosure"
        if "limited_content_only" in self.requirements:
            return "limited_content"
        return "standard"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (the CLI's and the API's output)."""
        p = self.proposed
        return {
            "allowed": self.allowed,
            "earliest_allowed": self.earliest_allowed.isoformat() if self.earliest_allowed else None,
            "script_mode": self.script_mode,
            "requirements": list(self.requirements),
            "fired": [h.as_dict() for h in self.fired],
            "checked": list(self.checked),
            "rulesets": [{"name": n, "version": v} for n, v in self.rulesets],
            "evaluated_at": self.evaluated_at.isoformat(),
            "proposed": {
                "channel": p.channel.value,
                "contact_point": p.contact_point_id,
                "party": p.party.value,
                "at": p.at.isoformat(),
                "purpose": p.purpose.value if p.purpose else None,
                "content": p.content.value if p.content else None,
                "includes_opt_out": p.includes_opt_out,
            },
            "local_times": dict(self.local_times),
            "earliest_allowed_local": {
                z: self.earliest_allowed.astimezone(zone(z)).isoformat() for z, _ in self.local_times
            }
            if self.earliest_allowed
            else None,
        }
