"""The work queue's rules in plain Python: ordering, leases, what an outcome does, the nine call elements,
and which outcome/field combinations make sense. No web or database imports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from arrears.compliance.model import HoldKind, Outcome, Party
from arrears.worklist.model import CallElement, CallOutcome, RaisedFlag, WorkKind

# --- ordering ----------------------------------------------------------------------------------------------

#: lower is served first; ordinary calls after every urgent kind; NOT_A_CALL never leaves through `next`
URGENCY: dict[WorkKind, int] = {
    WorkKind.CALLBACK: 0,
    WorkKind.PROMISE_REMINDER: 1,
    WorkKind.BROKEN_PROMISE: 2,
    WorkKind.PROMISE_FOLLOWUP: 3,
    WorkKind.CLAIMED_PAYMENT: 4,
    WorkKind.CALL: 5,
}
ORDINARY = URGENCY[WorkKind.CALL]
NOT_A_CALL = 9
CALL_CHANNEL = "call"


def urgency(kind: WorkKind | str, channel: str = CALL_CHANNEL) -> int:
    """The serving rank of a work item: call-backs and promise work first, non-call work never."""
    if channel != CALL_CHANNEL:
        return NOT_A_CALL
    return URGENCY.get(WorkKind(kind), NOT_A_CALL)


def serve_class(kind: WorkKind | str, channel: str = CALL_CHANNEL) -> int:
    """The stored, index-friendly form of urgency: higher is served first, 0 is never served by `next`."""
    return NOT_A_CALL - urgency(kind, channel)


def urgency_of_class(stored: int) -> int:
    """Urgency back from a stored serve class."""
    return NOT_A_CALL - stored


@dataclass(frozen=True, slots=True)
class Candidate:
    """An open work item the queue may hand out."""

    id: int
    debtor_id: int
    kind: WorkKind
    urgency: int
    priority: float
    expected_recovery_minor: int
    due_at: datetime
    reason: str = ""
    contact_point_id: int | None = None


def score(candidate: Candidate, rpc_chance: float | None) -> float:
    """Expected recovery x chance of a right-party contact at this hour (the stored priority without one)."""
    if rpc_chance is None or candidate.expected_recovery_minor <= 0:
        return candidate.priority
    return candidate.expected_recovery_minor * rpc_chance


def order(candidates: Iterable[Candidate], chances: dict[int, float]) -> list[Candidate]:
    """Urgent kinds first (in URGENT_KINDS order, the earliest due first); then the highest score."""

    def key(c: Candidate) -> tuple[int, float, float, int]:
        if c.urgency < ORDINARY:
            return (c.urgency, c.due_at.timestamp(), 0.0, c.id)
        return (c.urgency, 0.0, -score(c, chances.get(c.debtor_id)), c.id)

    return sorted(candidates, key=key)


# --- leases ------------------------------------------------------------------------------------------------


def lease_expiry(now: datetime, minutes: int) -> datetime:
    """When a lease taken now runs out."""
    if minutes < 1:
        raise ValueError("a lease lasts at least one minute")
    return now + timedelta(minutes=minutes)


def lease_live(expires_at: datetime | None, now: datetime) -> bool:
    """A lease holds its debtor until it expires (an expired lease returns the debtor to the queue)."""
    return expires_at is not None and expires_at > now


def may_take(holder: int | None, expires_at: datetime | None, me: int, now: datetime) -> bool:
    """A debtor can be leased when nobody holds it, its lease expired, or the asker already holds it."""
    return holder is None or holder == me or not lease_live(expires_at, now)


# --- parties and contact points ----------------------------------------------------------------------------

DEBTOR_RELATIONSHIPS = frozenset({"self", "payables", "finance", "owner", "other_role"})
FAMILY_RELATIONSHIPS = frozenset({"spouse", "parent", "relative"})
UNUSABLE_STATUSES = frozenset({"invalid", "wrong_party", "do_not_contact"})
STATUS_RANK = {"valid": 0, "unverified": 1}


def party_for(relationship: str) -> Party:
    """Who answers a point: the debtor (or someone with authority to pay), an attorney, or a third party."""
    if relationship in DEBTOR_RELATIONSHIPS:
        return Party.DEBTOR
    if relationship == "attorney":
        return Party.ATTORNEY
    return Party.THIRD_PARTY


@dataclass(frozen=True, slots=True)
class PointChoice:
    """A phone the queue may offer."""

    id: int
    relationship: str
    status: str
    channel: str = "phone"


def dial_order(points: Iterable[PointChoice], preferred: int | None = None) -> list[PointChoice]:
    """Usable phones in the order to try: the preferred one, the debtor's own, valid before unverified.

    Invalid, wrong-party and do-not-contact points are never offered.
    """
    usable = [p for p in points if p.channel == "phone" and p.status not in UNUSABLE_STATUSES]
    return sorted(
        usable,
        key=lambda p: (
            p.id != preferred,
            party_for(p.relationship) is not Party.DEBTOR,
            STATUS_RANK.get(p.status, 2),
            p.id,
        ),
    )


# --- outcomes ----------------------------------------------------------------------------------------------

RPC_OUTCOMES = frozenset(
    {
        CallOutcome.RIGHT_PARTY_REACHED,
        CallOutcome.PROMISE_TO_PAY,
        CallOutcome.REFUSED_TO_PAY,
        CallOutcome.CLAIMED_PAID,
        CallOutcome.DISPUTED,
        CallOutcome.HUNG_UP,
    }
)
SOFT_FAILURES = frozenset(
    {CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.VOICEMAIL, CallOutcome.NETWORK_ERROR}
)
POINT_FAILURES = frozenset({CallOutcome.INVALID_NUMBER, CallOutcome.WRONG_PARTY, CallOutcome.REFUSED_CONTACT})
#: a person who knows the debtor is on the line (the debtor, or a third party); a call-back can be booked
PERSON_REACHED = RPC_OUTCOMES | {CallOutcome.THIRD_PARTY_REACHED, CallOutcome.CALLBACK_REQUESTED}

RETRY_AFTER: dict[CallOutcome, timedelta] = {
    CallOutcome.NETWORK_ERROR: timedelta(minutes=15),
    CallOutcome.BUSY: timedelta(minutes=30),
    CallOutcome.NO_ANSWER: timedelta(hours=2),
    CallOutcome.VOICEMAIL: timedelta(hours=3),
}
MAX_ITEM_ATTEMPTS = 3  # dials one work item gets before it is done for the day


class NextWork(StrEnum):
    """What happens to the work item the attempt was made on."""

    DONE = "done"
    RETRY = "retry"  # same item later (soft failure), per RETRY_AFTER
    OTHER_POINT = "other_point"  # same item now, on another number (this one is dead)


@dataclass(frozen=True, slots=True)
class Effect:
    """What an outcome does beyond being recorded."""

    history: Outcome  # the contact-history outcome the compliance rules count
    point_status: str | None = None  # new status of the dialled point (never offered again)
    next_work: NextWork = NextWork.DONE
    retry_after: timedelta | None = None
    implied_flags: frozenset[RaisedFlag] = field(default_factory=frozenset)
    verifies_point: bool = False  # a right-party contact proves the number


EFFECTS: dict[CallOutcome, Effect] = {
    CallOutcome.NO_ANSWER: Effect(
        Outcome.NO_ANSWER, next_work=NextWork.RETRY, retry_after=RETRY_AFTER[CallOutcome.NO_ANSWER]
    ),
    CallOutcome.BUSY: Effect(
        Outcome.BUSY, next_work=NextWork.RETRY, retry_after=RETRY_AFTER[CallOutcome.BUSY]
    ),
    CallOutcome.VOICEMAIL: Effect(
        Outcome.VOICEMAIL, next_work=NextWork.RETRY, retry_after=RETRY_AFTER[CallOutcome.VOICEMAIL]
    ),
    CallOutcome.NETWORK_ERROR: Effect(
        Outcome.NETWORK_ERROR, next_work=NextWork.RETRY, retry_after=RETRY_AFTER[CallOutcome.NETWORK_ERROR]
    ),
    CallOutcome.INVALID_NUMBER: Effect(
        Outcome.INVALID_NUMBER, point_status="invalid", next_work=NextWork.OTHER_POINT
    ),
    CallOutcome.WRONG_PARTY: Effect(
        Outcome.WRONG_NUMBER,
        point_status="wrong_party",
        next_work=NextWork.OTHER_POINT,
        implied_flags=frozenset({RaisedFlag.WRONG_NUMBER}),
    ),
    CallOutcome.REFUSED_CONTACT: Effect(
        Outcome.REFUSED, point_status="do_not_contact", next_work=NextWork.OTHER_POINT
    ),
    CallOutcome.THIRD_PARTY_REACHED: Effect(Outcome.CONNECTED_THIRD_PARTY),
    CallOutcome.CALLBACK_REQUESTED: Effect(Outcome.CONNECTED_RPC, verifies_point=True),
    CallOutcome.RIGHT_PARTY_REACHED: Effect(Outcome.CONNECTED_RPC, verifies_point=True),
    CallOutcome.PROMISE_TO_PAY: Effect(Outcome.CONNECTED_RPC, verifies_point=True),
    CallOutcome.REFUSED_TO_PAY: Effect(Outcome.CONNECTED_RPC, verifies_point=True),
    CallOutcome.CLAIMED_PAID: Effect(Outcome.CONNECTED_RPC, verifies_point=True),
    CallOutcome.DISPUTED: Effect(
        Outcome.CONNECTED_RPC, verifies_point=True, implied_flags=frozenset({RaisedFlag.DISPUTE})
    ),
    CallOutcome.HUNG_UP: Effect(Outcome.CONNECTED_RPC, verifies_point=True),
}


def effect_of(outcome: CallOutcome, party: Party) -> Effect:
    """The effect of an outcome; a call-back asked for by a third party is a third-party contact."""
    effect = EFFECTS[outcome]
    if outcome is CallOutcome.CALLBACK_REQUESTED and party is not Party.DEBTOR:
        return Effect(Outcome.CONNECTED_THIRD_PARTY)
    return effect


def attempt_party(outcome: CallOutcome, intended: Party) -> Party:
    """Who was on the line: the debtor for right-party outcomes, a third party when one answered."""
    if outcome in RPC_OUTCOMES:
        return Party.DEBTOR
    if outcome in (CallOutcome.THIRD_PARTY_REACHED, CallOutcome.WRONG_PARTY):
        return Party.THIRD_PARTY
    return intended


def next_work(
    outcome: CallOutcome, attempts_on_item: int, ended_at: datetime
) -> tuple[NextWork, datetime | None]:
    """The work item's fate after an attempt: done, or open again at the returned moment."""
    effect = EFFECTS[outcome]
    if effect.next_work == NextWork.DONE or attempts_on_item >= MAX_ITEM_ATTEMPTS:
        return NextWork.DONE, None
    if effect.next_work == NextWork.RETRY:
        return NextWork.RETRY, ended_at + (effect.retry_after or timedelta(hours=2))
    return NextWork.OTHER_POINT, ended_at


# --- flags -------------------------------------------------------------------------------------------------

#: the hold or declaration a raised flag becomes (None: it changes the contact point instead)
FLAG_HOLDS: dict[RaisedFlag, HoldKind | None] = {
    RaisedFlag.DISPUTE: HoldKind.DISPUTE,
    RaisedFlag.FRAUD_CLAIM: HoldKind.FRAUD_CLAIM,
    RaisedFlag.CEASE: HoldKind.CEASE_REQUEST,
    RaisedFlag.ATTORNEY: HoldKind.LEGAL_REPRESENTATION,
    RaisedFlag.INCONVENIENT_TIME: HoldKind.INCONVENIENT_TIME,
    RaisedFlag.INCONVENIENT_PLACE: HoldKind.INCONVENIENT_PLACE,
    RaisedFlag.NO_FAMILY_CONTACT: HoldKind.CHANNEL_RESTRICTION,  # one per family contact point
    RaisedFlag.WRONG_NUMBER: None,
}
#: flags only the debtor can raise (a third party cannot dispute the debtor's debt)
DEBTOR_FLAGS = frozenset(set(RaisedFlag) - {RaisedFlag.WRONG_NUMBER})
#: flags that stop collection: the debtor's open call work is cancelled
STOPPING_FLAGS = frozenset(
    {RaisedFlag.DISPUTE, RaisedFlag.FRAUD_CLAIM, RaisedFlag.CEASE, RaisedFlag.ATTORNEY}
)
FLAG_DETAIL_REQUIRED = {RaisedFlag.INCONVENIENT_TIME: "windows", RaisedFlag.INCONVENIENT_PLACE: "places"}
NO_FAMILY_CHANNELS = ("call", "sms", "voicemail", "visit", "email")

# --- the nine elements -------------------------------------------------------------------------------------

ELEMENT_LABELS: dict[CallElement, tuple[str, str]] = {
    CallElement.VERIFY_IDENTITY: ("核实身份", "Verify identity"),
    CallElement.OPENING: (
        "有力开场：表明身份、来意和金额",
        "Strong opening: who you are, why you call, the amount",
    ),
    CallElement.LISTEN: ("停顿倾听", "Pause and listen"),
    CallElement.FIND_REASON: ("了解未还款原因", "Find the reason for non-payment"),
    CallElement.BENEFIT: ("说明立即还款的好处", "Show the benefit of paying now"),
    CallElement.OBJECTIONS: ("化解异议", "Overcome objections"),
    CallElement.ARRANGEMENT: (
        "约定还款安排（金额、日期、渠道）",
        "Agree a payment arrangement (amount, date, channel)",
    ),
    CallElement.CLOSE: ("坚定收尾并复述约定", "A firm close that restates the arrangement"),
    CallElement.RECORD: ("清晰记录", "A clear record"),
}
#: what may be covered with a third party: nothing that discloses the debt
THIRD_PARTY_ELEMENTS = frozenset({CallElement.VERIFY_IDENTITY, CallElement.LISTEN, CallElement.RECORD})


def elements_catalogue() -> list[dict[str, object]]:
    """The nine elements in call order, with zh-CN and English labels."""
    return [
        {"id": e.value, "order": i + 1, "label_zh": zh, "label_en": en}
        for i, (e, (zh, en)) in enumerate(ELEMENT_LABELS.items())
    ]


# --- validation --------------------------------------------------------------------------------------------

Problem = tuple[str, str, str]  # (field, value, reason)


@dataclass(frozen=True, slots=True)
class AttemptShape:
    """What validation needs to know about a reported attempt (no database)."""

    outcome: CallOutcome
    started_at: datetime
    ended_at: datetime
    now: datetime
    intended: Party = Party.DEBTOR
    elements: Sequence[CallElement] = ()
    flags: Sequence[RaisedFlag] = ()
    flag_details: dict[str, dict[str, object]] = field(default_factory=dict)
    has_promise: bool = False
    has_claim: bool = False
    callback_at: datetime | None = None


CLOCK_SKEW = timedelta(minutes=2)
MAX_CALL = timedelta(hours=4)
MAX_CALLBACK_AHEAD = timedelta(days=30)


def _times(a: AttemptShape) -> list[Problem]:
    out: list[Problem] = []
    if a.ended_at < a.started_at:
        out.append(("ended_at", a.ended_at.isoformat(), "ends before it starts"))
    elif a.ended_at - a.started_at > MAX_CALL:
        out.append(("ended_at", a.ended_at.isoformat(), "a call longer than 4 hours"))
    if a.started_at > a.now + CLOCK_SKEW:
        out.append(("started_at", a.started_at.isoformat(), "in the future"))
    if a.ended_at > a.now + CLOCK_SKEW:
        out.append(("ended_at", a.ended_at.isoformat(), "in the future"))
    return out


def _combinations(a: AttemptShape) -> list[Problem]:
    out: list[Problem] = []
    o = a.outcome.value
    if a.has_promise and a.outcome is not CallOutcome.PROMISE_TO_PAY:
        out.append(("promise", o, "a promise needs outcome promise_to_pay (the right party reached)"))
    if a.outcome is CallOutcome.PROMISE_TO_PAY and not a.has_promise:
        out.append(("promise", "", "outcome promise_to_pay needs the promise: amount, date, channel"))
    if a.has_claim and a.outcome is not CallOutcome.CLAIMED_PAID:
        out.append(("claimed_payment", o, "a claimed payment needs outcome claimed_paid"))
    if a.outcome is CallOutcome.CLAIMED_PAID and not a.has_claim:
        out.append(
            ("claimed_payment", "", "outcome claimed_paid needs the claim: date, amount, channel, reference")
        )
    if a.outcome is CallOutcome.CALLBACK_REQUESTED and a.callback_at is None:
        out.append(("callback_at", "", "outcome callback_requested needs the time to call back"))
    if a.callback_at is not None:
        if a.outcome not in PERSON_REACHED:
            out.append(("callback_at", o, "a call-back is booked only when a person was reached"))
        elif a.callback_at <= a.now:
            out.append(("callback_at", a.callback_at.isoformat(), "in the past"))
        elif a.callback_at > a.now + MAX_CALLBACK_AHEAD:
            out.append(("callback_at", a.callback_at.isoformat(), "more than 30 days ahead"))
    return out


WRONG_NUMBER_OUTCOMES = (CallOutcome.WRONG_PARTY, CallOutcome.THIRD_PARTY_REACHED)


def _debtor_on_line(a: AttemptShape) -> bool:
    return a.outcome in RPC_OUTCOMES or (
        a.outcome is CallOutcome.CALLBACK_REQUESTED and a.intended is Party.DEBTOR
    )


def _elements(a: AttemptShape) -> list[Problem]:
    if not a.elements:
        return []
    if a.outcome not in PERSON_REACHED:
        return [
            ("elements", ",".join(e.value for e in a.elements), f"nobody was reached ({a.outcome.value})")
        ]
    if _debtor_on_line(a):
        return []
    bad = [e.value for e in a.elements if e not in THIRD_PARTY_ELEMENTS]
    if bad:
        return [
            (
                "elements",
                ",".join(bad),
                "with a third party only identity, listening and the record: "
                "nothing about the debt is disclosed",
            )
        ]
    return []


def _flags(a: AttemptShape) -> list[Problem]:
    out: list[Problem] = []
    debtor_on_line = _debtor_on_line(a)
    for f in a.flags:
        if f in DEBTOR_FLAGS and not debtor_on_line:
            out.append(
                (f"flags.{f.value}", a.outcome.value, "only the debtor can raise this (right party reached)")
            )
        if f is RaisedFlag.WRONG_NUMBER and a.outcome not in WRONG_NUMBER_OUTCOMES:
            out.append(
                ("flags.wrong_number", a.outcome.value, "needs outcome wrong_party or third_party_reached")
            )
        key = FLAG_DETAIL_REQUIRED.get(f)
        if key and not (a.flag_details.get(f.value) or {}).get(key):
            out.append((f"flag_details.{f.value}.{key}", "", f"{f.value} needs {key}"))
    return out


def problems(a: AttemptShape) -> list[Problem]:
    """Every reason the reported attempt makes no sense; empty when it does."""
    return _times(a) + _combinations(a) + _elements(a) + _flags(a)


def all_flags(outcome: CallOutcome, flags: Iterable[RaisedFlag]) -> list[RaisedFlag]:
    """The flags raised plus the ones the outcome implies, once each, in a stable order."""
    chosen = set(flags) | EFFECTS[outcome].implied_flags
    return [f for f in RaisedFlag if f in chosen]


# --- explanations ------------------------------------------------------------------------------------------

KIND_LABELS: dict[WorkKind, tuple[str, str]] = {
    WorkKind.CALLBACK: ("约定回电已到时间", "A booked call-back is due"),
    WorkKind.PROMISE_REMINDER: ("承诺还款即将到期，提醒", "A promise to pay falls due soon: remind"),
    WorkKind.BROKEN_PROMISE: ("承诺还款未兑现", "A promise to pay was broken"),
    WorkKind.PROMISE_FOLLOWUP: ("承诺还款跟进", "Follow up a pending promise"),
    WorkKind.CLAIMED_PAYMENT: ("核实债务人所称已还款", "Verify a payment the debtor says was made"),
    WorkKind.CALL: (
        "按预期回收金额与此时接通本人概率排序",
        "Ranked by expected recovery x chance of reaching the debtor now",
    ),
}


def why(candidate: Candidate, chance: float | None) -> dict[str, object]:
    """Why this contact was chosen, in zh-CN and English, with the figures behind it."""
    zh, en = KIND_LABELS.get(candidate.kind, ("排队中的工作", "Queued work"))
    return {
        "kind": candidate.kind.value,
        "urgent": candidate.urgency < ORDINARY,
        "reason": candidate.reason,
        "explain_zh": zh,
        "explain_en": en,
        "rpc_chance": None if chance is None else round(chance, 4),
        "expected_recovery_minor": candidate.expected_recovery_minor,
        "score": round(score(candidate, chance), 4),
        "due_at": candidate.due_at.isoformat(),
    }
