"""Strategy rules in plain Python: stable arm assignment, which actions fall due, good hours, priority.

No web or database imports: the nightly jobs feed these functions the facts they read in bulk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from arrears.strategy.model import QUIET_STEPS, Action, Arm, Channel, PromiseCadence, Step, Strategy, Window
from arrears.worklist.model import WorkKind

BASIS = 10_000  # arm shares are resolved in hundredths of a percent


def arm_bucket(account_id: int, experiment: str) -> int:
    """A stable number 0..9999 from the account and the experiment (BLAKE2b, not Python's salted hash)."""
    digest = hashlib.blake2b(f"{experiment}\x1f{account_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BASIS


def choose_arm(bucket: int, arms: Sequence[Arm]) -> str:
    """The arm whose cumulative share covers the bucket (shares in percent, adding to 100)."""
    if not arms:
        raise ValueError("an experiment needs at least one arm")
    edge = 0.0
    for arm in arms:
        edge += arm.percent * BASIS / 100
        if bucket < round(edge):
            return arm.name
    return arms[-1].name


def assign_arm(account_id: int, experiment: str, arms: Sequence[Arm]) -> str:
    """The arm an account gets in an experiment: the same answer every time it is asked."""
    return choose_arm(arm_bucket(account_id, experiment), arms)


def days_between(later: date, earlier: date) -> int:
    """Whole days from earlier to later."""
    return (later - earlier).days


def due_actions(actions: Iterable[Action], days_in_step: int) -> list[Action]:
    """The actions that fall on a given day of the step (0 = the day it began)."""
    return [a for a in actions if a.due_on_day(days_in_step)]


KIND_OF_CHANNEL: dict[Channel, WorkKind] = {
    Channel.CALL: WorkKind.CALL,
    Channel.SMS: WorkKind.SMS,
    Channel.EMAIL: WorkKind.EMAIL,
    Channel.LETTER: WorkKind.LETTER,
    Channel.SKIP_TRACE: WorkKind.SKIP_TRACE,
    Channel.REVIEW: WorkKind.REVIEW,
}


@dataclass(frozen=True, slots=True)
class Due:
    """One piece of work a step asks for on a day."""

    kind: WorkKind
    channel: Channel
    per_day: int
    window: Window
    note: str = ""


def step_work(actions: Iterable[Action], days_in_step: int) -> list[Due]:
    """The work an ordinary step asks for on a day of the step."""
    return [
        Due(KIND_OF_CHANNEL[a.channel], a.channel, a.per_day, a.window)
        for a in due_actions(actions, days_in_step)
    ]


def followup_action(cadence: PromiseCadence) -> Action | None:
    """The follow-up of a pending promise as an action: from the step's second day, every N days."""
    if cadence.followup_every_days is None:
        return None
    return Action(cadence.followup_channel, cadence.followup_every_days, 1, 1, cadence.window)


def promise_work(
    cadence: PromiseCadence, days_in_step: int, promise_due: date | None, work_date: date
) -> list[Due]:
    """A pending promise: the reminder `reminder_days_before` its due date, else the follow-up cadence.

    The follow-up starts on the step's second day (the promise was just taken) and never falls on the
    reminder day; a promise already past due is followed up, not reminded.
    """
    if promise_due is not None and days_between(promise_due, work_date) == cadence.reminder_days_before:
        return [
            Due(
                WorkKind.PROMISE_REMINDER,
                cadence.reminder_channel,
                1,
                cadence.window,
                f"promise due {promise_due.isoformat()}",
            )
        ]
    action = followup_action(cadence)
    if action is None or not action.due_on_day(days_in_step):
        return []
    note = f"promise due {promise_due.isoformat()}" if promise_due else ""
    return [Due(WorkKind.PROMISE_FOLLOWUP, action.channel, 1, action.window, note)]


def next_and_last(
    actions: Iterable[Action], days_in_step: int
) -> tuple[int | None, Channel | None, int | None]:
    """(next day >= days_in_step an action falls due, its channel, latest day <= days_in_step one fell due).

    Days count from the step's first day (0). Among actions due the same next day the first listed wins.
    """
    best: tuple[int, Channel] | None = None
    last: int | None = None
    for a in actions:
        n = days_in_step - a.offset_days
        if a.every_days is None:
            nxt = a.offset_days if n <= 0 else None
            prev = a.offset_days if n >= 0 else None
        else:
            nxt = a.offset_days if n <= 0 else a.offset_days + -(-n // a.every_days) * a.every_days
            prev = a.offset_days + (n // a.every_days) * a.every_days if n >= 0 else None
        if nxt is not None and (best is None or nxt < best[0]):
            best = (nxt, a.channel)
        if prev is not None and (last is None or prev > last):
            last = prev
    return (best[0], best[1], last) if best else (None, None, last)


# --- good hours -------------------------------------------------------------------------------------------

#: the domain priors when the best-time module is not installed: early in the working day, not at lunch
DEFAULT_HOUR_FACTORS: Mapping[int, float] = {
    8: 1.20,
    9: 1.35,
    10: 1.25,
    11: 1.05,
    12: 0.55,
    13: 0.70,
    14: 0.95,
    15: 1.00,
    16: 1.00,
    17: 1.05,
    18: 1.10,
    19: 1.10,
    20: 0.95,
}
DEFAULT_WEEKDAY_FACTORS = (0.90, 1.05, 1.10, 1.05, 0.95, 0.85, 0.80)
DEFAULT_BASE_RATE = 0.15


def window_hours(window: Window, allowed: Iterable[int]) -> list[int]:
    """Start hours h (from `allowed`) whose whole hour [h:00, h+1:00) lies inside the window."""
    return [h for h in allowed if window.start <= h * 60 and (h + 1) * 60 <= window.end]


def best_hours(rates: Mapping[int, float], hours: Sequence[int], count: int = 1) -> list[int]:
    """The `count` hours with the highest rate (ties: the earlier hour), returned in time order."""
    if not hours:
        return []
    ranked = sorted(hours, key=lambda h: (-rates.get(h, 0.0), h))
    return sorted(ranked[: max(1, count)])


def prior_rates(weekday: int, base: float = DEFAULT_BASE_RATE) -> dict[int, float]:
    """The domain priors' RPC chance per local hour on a weekday (other hours: a low default)."""
    factor = DEFAULT_WEEKDAY_FACTORS[weekday]
    return {h: min(0.95, base * DEFAULT_HOUR_FACTORS.get(h, 0.30) * factor) for h in range(24)}


CONTACTABILITY_FACTOR: Mapping[str, float] = {"contactable": 1.0, "semi_lost": 0.5, "lost": 0.05}
DEFAULT_PROBABILITY = 0.10  # an account without a score yet


def expected_recovery(balance_minor: int, probability: float | None) -> int:
    """Balance x chance of payment, in minor units (an integer: the chance is a probability, not money)."""
    p = DEFAULT_PROBABILITY if probability is None else min(1.0, max(0.0, probability))
    return int(max(0, balance_minor) * p)


def priority(expected_minor: int, rpc_rate: float, contactability: str) -> float:
    """Expected recovery x chance of contact (the queue's ordering key; higher first)."""
    return round(expected_minor * rpc_rate * CONTACTABILITY_FACTOR.get(contactability, 1.0), 4)


DEFAULT_WINDOW = Window(9 * 60, 20 * 60)


def actions_for(strategy: Strategy, path_id: str | None, step: Step) -> tuple[Action, ...]:
    """The actions a (path, step) asks for; escalation steps have their own review cadence."""
    esc = strategy.escalation
    if step is Step.WRITE_OFF:
        return (Action(Channel.REVIEW, esc.write_off_review_every_days, 0, 1, DEFAULT_WINDOW),)
    if step is Step.PLACEMENT:
        return (Action(Channel.REVIEW, esc.placement_review_every_days, 0, 1, DEFAULT_WINDOW),)
    if step in QUIET_STEPS or path_id is None:
        return ()
    try:
        path = strategy.path(path_id)
    except KeyError:
        return ()
    if step is Step.PROMISE:
        follow = followup_action(path.promise)
        return (follow,) if follow else ()
    return path.actions(step)
