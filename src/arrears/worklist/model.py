"""Work items as the other domains hand them to the queue (plain dataclasses, no storage)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from arrears.core.money import Money


class WorkKind(StrEnum):
    """Why a piece of work exists; call-backs and promise work are served before ordinary calls."""

    CALL = "call"  # a treatment's outbound call
    CALLBACK = "callback"  # booked at the debtor's request
    PROMISE_REMINDER = "promise_reminder"  # shortly before a promise falls due
    PROMISE_FOLLOWUP = "promise_followup"  # daily follow-up while a promise is pending
    BROKEN_PROMISE = "broken_promise"  # a promise or plan instalment was missed
    CLAIMED_PAYMENT = "claimed_payment"  # "I already paid" that no payment matches yet
    SKIP_TRACE = "skip_trace"  # lost debtor: lawful tracing, not a call
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    REVIEW = "review"  # e.g. write-off candidate, placement review


#: served before ordinary calls, in this order
URGENT_KINDS = (
    WorkKind.CALLBACK,
    WorkKind.PROMISE_REMINDER,
    WorkKind.BROKEN_PROMISE,
    WorkKind.PROMISE_FOLLOWUP,
    WorkKind.CLAIMED_PAYMENT,
)


class WorkStatus(StrEnum):
    """open -> leased -> done; cancelled when it no longer applies; expired past not_after."""

    OPEN = "open"
    LEASED = "leased"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PlannedWork:
    """One piece of work to put on the queue."""

    debtor_id: int
    kind: WorkKind
    due_at: datetime  # aware UTC; not served before this moment
    reason: str  # shown to the collector ("promise of 500.00 due 2026-04-02")
    source: str  # batch | promise | plan | callback | payments | manual | ...
    source_ref: str | None = None  # e.g. the promise id: with source, makes add_work idempotent
    case_id: int | None = None
    account_id: int | None = None
    channel: str = "call"
    collector_id: int | None = None
    team_id: int | None = None
    priority: float = 0.0  # expected recovery x chance of RPC; higher first
    expected_recovery_minor: int = 0
    not_after: datetime | None = None
    plan_date: date | None = None  # the nightly run's as-of date for batch work
    treatment: str | None = None  # treatment path id@version that produced it
    arm: str | None = None  # champion/challenger arm
    contact_point_id: int | None = None  # a call-back: the number the debtor asked to be called on


class CallOutcome(StrEnum):
    """What a collector (or a dialer) reports a call ended with; each maps onto a contact-history outcome."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    NETWORK_ERROR = "network_error"
    INVALID_NUMBER = "invalid_number"  # not in service: the point becomes invalid
    WRONG_PARTY = "wrong_party"  # the person does not know the debtor: never offered again
    THIRD_PARTY_REACHED = "third_party_reached"  # someone who knows the debtor answered
    RIGHT_PARTY_REACHED = "right_party_reached"  # the debtor (or a person with authority to pay)
    PROMISE_TO_PAY = "promise_to_pay"  # right party, and a promise was taken
    REFUSED_TO_PAY = "refused_to_pay"  # right party, will not pay
    CALLBACK_REQUESTED = "callback_requested"  # asked to be called back at a given time
    CLAIMED_PAID = "claimed_paid"  # "I already paid"
    DISPUTED = "disputed"  # right party disputes the debt
    HUNG_UP = "hung_up"  # right party hung up
    REFUSED_CONTACT = "refused_contact"  # asked never to be called at this point again


class CallElement(StrEnum):
    """The nine elements of a good call (domain brief: 'How a good call goes')."""

    VERIFY_IDENTITY = "verify_identity"
    OPENING = "opening"
    LISTEN = "listen"
    FIND_REASON = "find_reason"
    BENEFIT = "benefit"
    OBJECTIONS = "objections"
    ARRANGEMENT = "arrangement"
    CLOSE = "close"
    RECORD = "record"


class RaisedFlag(StrEnum):
    """What the person said on the call that must be honoured from now on."""

    DISPUTE = "dispute"
    FRAUD_CLAIM = "fraud_claim"
    CEASE = "cease"
    ATTORNEY = "attorney"
    INCONVENIENT_TIME = "inconvenient_time"
    INCONVENIENT_PLACE = "inconvenient_place"
    WRONG_NUMBER = "wrong_number"
    NO_FAMILY_CONTACT = "no_family_contact"


class AttemptSource(StrEnum):
    """Where an attempt was recorded: the Arrears desk (policy enforced) or a dialer's report (audited)."""

    ARREARS = "arrears"
    DIALER = "dialer"


@dataclass(frozen=True, slots=True)
class PromiseTerms:
    """A promise to pay taken on the call: amount, date (and time), channel."""

    amount: Money
    due_on: date
    channel: str
    due_time: time | None = None
    account_id: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ClaimTerms:
    """'I already paid': when, how much, through which channel, with what reference."""

    paid_on: date
    amount: Money
    channel: str
    reference: str
    account_id: int | None = None


@dataclass(frozen=True, slots=True)
class AttemptReport:
    """One call as the desk or a dialer reports it."""

    debtor_id: int
    outcome: CallOutcome
    started_at: datetime
    ended_at: datetime | None = None  # default: started_at (a call that never connected)
    contact_point_id: int | None = None
    elements: tuple[CallElement, ...] = ()
    note: str = ""
    flags: tuple[RaisedFlag, ...] = ()
    flag_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    promise: PromiseTerms | None = None
    claim: ClaimTerms | None = None
    callback_at: datetime | None = None
    work_item_id: int | None = None
    inbound: bool = False  # the debtor called in: no outbound policy applies
    external_ref: str | None = None  # the dialer's call id
    agent: str | None = None  # the dialer's agent (username), when not the reporter
    phone: str | None = None  # the dialled number (dialers), matched to a contact point
