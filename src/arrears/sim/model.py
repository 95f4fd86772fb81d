"""How synthetic debtors behave on the phone and with money (plain Python, seeded; no storage, no web)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from arrears.sim.calibration import HOUR_PROFILE, WEEKDAY_PROFILE, Behaviour
from arrears.worklist.model import CallOutcome, RaisedFlag

NOT_ANSWERED = (
    (CallOutcome.NO_ANSWER, 0.70),
    (CallOutcome.BUSY, 0.15),
    (CallOutcome.VOICEMAIL, 0.10),
    (CallOutcome.NETWORK_ERROR, 0.05),
)


@dataclass
class DebtorTraits:
    """One debtor's hidden behaviour: what the collector cannot see but the outcome depends on."""

    debtor_id: int
    willingness: float  # 0..1: how ready to pay when reached
    capacity_minor: int  # what can be paid at once
    pay_day: int  # day of the month the salary comes
    reach: float  # personal multiplier of the answer chance
    early_bird: bool  # answers mornings better than evenings
    broken: int = 0  # promises broken so far
    stopped: bool = False  # disputed or asked to cease: will not pay while the hold lasts
    pending_until: date | None = None  # a promise is pending until this date


@dataclass(frozen=True, slots=True)
class Promise:
    """A promise the debtor gives on the call, and what the debtor will really do."""

    amount_minor: int
    due_on: date
    keep: bool
    pay_on: date | None


@dataclass(frozen=True, slots=True)
class CallResult:
    """What happened on one dial."""

    outcome: CallOutcome
    seconds: int
    flags: tuple[RaisedFlag, ...] = ()
    promise: Promise | None = None
    callback_after: timedelta | None = None


@dataclass
class PointTruth:
    """Whether a phone number really reaches the person it is filed for."""

    status: str  # ok | invalid | wrong


@dataclass
class Population:
    """Every debtor's traits and every number's truth, drawn lazily and reproducibly from one seed."""

    seed: int
    cal: Behaviour
    traits: dict[int, DebtorTraits] = field(default_factory=dict)
    points: dict[int, PointTruth] = field(default_factory=dict)

    def debtor(self, debtor_id: int, balance_minor: int, dpd: int = 45) -> DebtorTraits:
        """The debtor's traits (drawn on first use from the seed and the debtor id)."""
        found = self.traits.get(debtor_id)
        if found is None:
            found = draw_traits(
                random.Random(f"{self.seed}:d:{debtor_id}"), debtor_id, balance_minor, self.cal, dpd
            )
            self.traits[debtor_id] = found
        return found

    def point(self, point_id: int) -> PointTruth:
        """Whether the number works and reaches its person."""
        found = self.points.get(point_id)
        if found is None:
            found = draw_point(random.Random(f"{self.seed}:p:{point_id}"), self.cal)
            self.points[point_id] = found
        return found


def age_factor(dpd: int, cal: Behaviour) -> float:
    """How much more (or less) willing to pay a debtor is at this many days past due (older: less)."""
    for upto, factor in cal.willingness_by_dpd:
        if dpd <= upto:
            return factor
    return cal.willingness_by_dpd[-1][1] if cal.willingness_by_dpd else 1.0


def draw_traits(
    rng: random.Random, debtor_id: int, balance_minor: int, cal: Behaviour, dpd: int = 45
) -> DebtorTraits:
    """Draw one debtor's behaviour; willingness falls with the age of the delinquency."""
    capacity = int(rng.expovariate(1 / cal.capacity_mean_minor)) if cal.capacity_mean_minor else 0
    capacity = max(10_000, min(capacity, max(balance_minor, 0)))
    return DebtorTraits(
        debtor_id=debtor_id,
        willingness=min(
            1.0, rng.betavariate(cal.willingness_alpha, cal.willingness_beta) * age_factor(dpd, cal)
        ),
        capacity_minor=capacity,
        pay_day=rng.choice((1, 5, 10, 10, 15, 15, 20, 25, 28)),
        reach=min(2.0, rng.lognormvariate(0.0, 0.5)),
        early_bird=rng.random() < 0.5,
    )


def draw_point(rng: random.Random, cal: Behaviour) -> PointTruth:
    """Draw whether a number works."""
    r = rng.random()
    if r < cal.invalid_number_rate:
        return PointTruth("invalid")
    if r < cal.invalid_number_rate + cal.wrong_number_rate:
        return PointTruth("wrong")
    return PointTruth("ok")


def answer_chance(t: DebtorTraits, local: datetime, recent_attempts: int, cal: Behaviour) -> float:
    """Chance the debtor picks up at this local moment, after so many attempts in the last three days."""
    hour = HOUR_PROFILE[local.hour]
    if t.early_bird and local.hour < 12 or not t.early_bird and local.hour >= 17:
        hour *= 1.2
    fatigue = max(0.2, 1.0 - cal.fatigue_per_attempt * recent_attempts)
    broken = max(0.4, 1.0 - 0.15 * t.broken)
    return min(0.95, cal.answer_rate * t.reach * hour * WEEKDAY_PROFILE[local.weekday()] * fatigue * broken)


def _talk(rng: random.Random, cal: Behaviour) -> int:
    return cal.ring_seconds // 2 + int(60 * rng.uniform(cal.talk_minutes_min, cal.talk_minutes_max))


def days_to_pay_day(t: DebtorTraits, today: date) -> int:
    """Days from today to the debtor's next pay day (0 when today is one)."""
    for ahead in range(0, 32):
        if (today + timedelta(days=ahead)).day == t.pay_day:
            return ahead
    return 0


def promise_terms(
    rng: random.Random, t: DebtorTraits, balance_minor: int, today: date, cal: Behaviour
) -> Promise:
    """Amount, date, and whether the debtor will keep it (decided now, revealed on the due date)."""
    amount = max(100, min(balance_minor, t.capacity_minor))
    amount = amount // 100 * 100 or amount
    wait = days_to_pay_day(t, today)
    due = today + timedelta(days=wait if 1 <= wait <= 7 else rng.randint(1, 5))
    keep = rng.random() < cal.keep_base + cal.keep_per_willingness * t.willingness
    pay_on = due - timedelta(days=rng.randint(0, max(0, (due - today).days - 1))) if keep else None
    return Promise(amount, due, keep, pay_on)


def call(
    rng: random.Random,
    t: DebtorTraits,
    truth: PointTruth,
    to_debtor: bool,
    local: datetime,
    recent_attempts: int,
    balance_minor: int,
    cal: Behaviour,
) -> CallResult:
    """One dial: who answers and what they say."""
    ring = cal.ring_seconds
    if truth.status == "invalid":
        return CallResult(CallOutcome.INVALID_NUMBER, ring // 4)
    if truth.status == "wrong":
        if rng.random() < 0.5:
            return CallResult(CallOutcome.WRONG_PARTY, ring + 30)
        return CallResult(_not_answered(rng), ring)
    if not to_debtor:
        if rng.random() < cal.third_party_answer_rate * HOUR_PROFILE[local.hour]:
            return CallResult(CallOutcome.THIRD_PARTY_REACHED, ring + 60)
        return CallResult(_not_answered(rng), ring)
    if rng.random() >= answer_chance(t, local, recent_attempts, cal):
        return CallResult(_not_answered(rng), ring)
    return _conversation(rng, t, local, balance_minor, cal)


def _not_answered(rng: random.Random) -> CallOutcome:
    r = rng.random()
    for outcome, share in NOT_ANSWERED:
        if r < share:
            return outcome
        r -= share
    return CallOutcome.NO_ANSWER


def _conversation(
    rng: random.Random, t: DebtorTraits, local: datetime, balance_minor: int, cal: Behaviour
) -> CallResult:
    talk = _talk(rng, cal)
    today = local.date()
    if t.stopped:
        return CallResult(CallOutcome.HUNG_UP, cal.ring_seconds + 20)
    r = rng.random()
    if r < cal.dispute_rate:
        t.stopped = True
        return CallResult(CallOutcome.DISPUTED, talk, (RaisedFlag.DISPUTE,))
    if r < cal.dispute_rate + cal.cease_rate:
        t.stopped = True
        return CallResult(CallOutcome.REFUSED_TO_PAY, talk, (RaisedFlag.CEASE,))
    pending = t.pending_until is not None and t.pending_until >= today
    if pending:
        return CallResult(CallOutcome.RIGHT_PARTY_REACHED, talk)
    if balance_minor > 0:
        near_pay_day = 1.5 if days_to_pay_day(t, today) <= 3 else 1.0
        if rng.random() < cal.ptp_rate * t.willingness * near_pay_day * 2:
            p = promise_terms(rng, t, balance_minor, today, cal)
            t.pending_until = p.due_on
            return CallResult(CallOutcome.PROMISE_TO_PAY, talk, promise=p)
    r = rng.random()
    if r < cal.callback_rate:
        return CallResult(
            CallOutcome.CALLBACK_REQUESTED, talk // 2, callback_after=timedelta(hours=rng.choice((2, 4, 24)))
        )
    r -= cal.callback_rate
    if r < cal.refuse_rate:
        return CallResult(CallOutcome.REFUSED_TO_PAY, talk)
    r -= cal.refuse_rate
    if r < cal.hang_up_rate:
        return CallResult(CallOutcome.HUNG_UP, cal.ring_seconds + 15)
    return CallResult(CallOutcome.RIGHT_PARTY_REACHED, talk)


def broke_promise(t: DebtorTraits, cal: Behaviour) -> None:
    """A broken promise makes the debtor less willing and harder to reach."""
    t.broken += 1
    t.willingness *= 1 - cal.broken_penalty
    t.pending_until = None


def pays_unprompted(rng: random.Random, t: DebtorTraits, today: date, cal: Behaviour) -> bool:
    """Whether the debtor pays today without a promise (more likely on and just after pay day)."""
    if t.stopped or (t.pending_until is not None and t.pending_until >= today):
        return False
    boost = 4.0 if 0 <= (today.day - t.pay_day) % 31 <= 2 else 1.0
    return rng.random() < cal.spontaneous_pay_rate * boost * (0.5 + t.willingness)
