"""Strategy rules: stable arms, which actions fall due, promise reminders, good hours, priority."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from arrears.strategy.model import Action, Arm, Channel, PromiseCadence, Step, Window
from arrears.strategy.rules import (
    actions_for,
    arm_bucket,
    assign_arm,
    best_hours,
    choose_arm,
    expected_recovery,
    next_and_last,
    prior_rates,
    priority,
    promise_work,
    step_work,
    window_hours,
)
from arrears.strategy.treatments import DEFAULT_FILE, parse
from arrears.worklist.model import WorkKind

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO")
ARMS = (Arm("champion", 80, "early"), Arm("challenger", 20, "early-sms"))


def test_arm_bucket_is_stable_and_depends_on_the_experiment() -> None:
    assert arm_bucket(12345, "exp-a") == arm_bucket(12345, "exp-a")
    assert 0 <= arm_bucket(12345, "exp-a") < 10_000
    differs = sum(arm_bucket(i, "exp-a") != arm_bucket(i, "exp-b") for i in range(1, 200))
    assert differs > 190


def test_arm_shares_follow_the_percentages() -> None:
    counts = Counter(assign_arm(i, "early-sms-first", ARMS) for i in range(1, 20_001))
    assert abs(counts["champion"] / 20_000 - 0.80) < 0.015
    assert abs(counts["challenger"] / 20_000 - 0.20) < 0.015


def test_choose_arm_edges() -> None:
    assert choose_arm(0, ARMS) == "champion"
    assert choose_arm(7_999, ARMS) == "champion"
    assert choose_arm(8_000, ARMS) == "challenger"
    assert choose_arm(9_999, ARMS) == "challenger"
    thirds = (Arm("a", 33.33, "p"), Arm("b", 33.33, "p"), Arm("c", 33.34, "p"))
    assert choose_arm(9_999, thirds) == "c"
    with pytest.raises(ValueError):
        choose_arm(1, ())


@pytest.mark.parametrize(
    ("every", "offset", "due_days"),
    [(1, 0, [0, 1, 2, 3, 4, 5, 6]), (2, 1, [1, 3, 5]), (3, 0, [0, 3, 6]), (None, 0, [0]), (None, 2, [2])],
)
def test_action_due_days(every: int | None, offset: int, due_days: list[int]) -> None:
    action = Action(Channel.CALL, every, offset)
    assert [d for d in range(7) if action.due_on_day(d)] == due_days


def test_next_and_last_action() -> None:
    call = Action(Channel.CALL, 2, 1)
    sms = Action(Channel.SMS, None, 0)
    assert next_and_last([sms, call], 0) == (0, Channel.SMS, 0)
    assert next_and_last([sms, call], 1) == (1, Channel.CALL, 1)
    assert next_and_last([sms, call], 2) == (3, Channel.CALL, 1)
    assert next_and_last([sms], 5) == (None, None, 0)
    assert next_and_last([], 5) == (None, None, None)


def test_step_work_gives_kinds_per_channel() -> None:
    dues = step_work([Action(Channel.SMS, None), Action(Channel.CALL, 2, 1, per_day=2)], 1)
    assert [(d.kind, d.per_day) for d in dues] == [(WorkKind.CALL, 2)]
    dues = step_work([Action(Channel.SKIP_TRACE, 7), Action(Channel.REVIEW, None)], 0)
    assert [d.kind for d in dues] == [WorkKind.SKIP_TRACE, WorkKind.REVIEW]


def test_promise_reminder_the_day_before_and_daily_follow_up() -> None:
    cadence = PromiseCadence(reminder_days_before=1, reminder_channel=Channel.SMS, followup_every_days=1)
    work_date = date(2026, 4, 1)
    reminder = promise_work(cadence, 3, date(2026, 4, 2), work_date)
    assert [(d.kind, d.channel) for d in reminder] == [(WorkKind.PROMISE_REMINDER, Channel.SMS)]
    assert "2026-04-02" in reminder[0].note
    follow = promise_work(cadence, 3, date(2026, 4, 10), work_date)
    assert [d.kind for d in follow] == [WorkKind.PROMISE_FOLLOWUP]
    assert promise_work(cadence, 0, date(2026, 4, 10), work_date) == []  # the day it was taken
    never = PromiseCadence(followup_every_days=None)
    assert promise_work(never, 3, date(2026, 4, 10), work_date) == []


def test_window_hours_and_best_hours() -> None:
    window = Window(9 * 60, 20 * 60)
    assert window_hours(window, range(8, 21)) == list(range(9, 20))
    assert window_hours(Window(9 * 60 + 30, 11 * 60), range(24)) == [10]
    rates = prior_rates(2)
    assert best_hours(rates, window_hours(window, range(8, 21))) == [9]
    two = best_hours(rates, list(range(9, 20)), 2)
    assert two == [9, 10]
    assert 12 not in best_hours(rates, list(range(9, 20)), 5)  # never at lunch
    assert best_hours(rates, []) == []


def test_priority_is_expected_recovery_times_contact_chance() -> None:
    assert expected_recovery(1_000_000, 0.25) == 250_000
    assert expected_recovery(1_000_000, None) == 100_000
    assert expected_recovery(-5, 0.5) == 0
    assert priority(250_000, 0.2, "contactable") == 50_000.0
    assert priority(250_000, 0.2, "semi_lost") == 25_000.0
    assert priority(250_000, 0.2, "lost") < priority(250_000, 0.2, "semi_lost")


def test_actions_for_steps_and_escalation() -> None:
    strategy = parse(DEFAULT_FILE.read_text(encoding="utf-8"), "default.yaml", BUCKETS, check_policy=False)
    contact = actions_for(strategy, "standard", Step.CONTACT)
    assert [a.channel for a in contact] == [Channel.CALL, Channel.SMS]
    assert [a.channel for a in actions_for(strategy, "standard", Step.LOST)] == [Channel.SKIP_TRACE]
    assert actions_for(strategy, "standard", Step.UNREACHABLE)[0].every_days == 3
    assert actions_for(strategy, None, Step.WRITE_OFF)[0].channel is Channel.REVIEW
    assert actions_for(strategy, None, Step.PLACEMENT)[0].every_days == 7
    assert actions_for(strategy, "standard", Step.PLACED) == ()
    assert actions_for(strategy, "standard", Step.HOLD) == ()
    assert actions_for(strategy, "nope", Step.CONTACT) == ()
    follow = actions_for(strategy, "standard", Step.PROMISE)
    assert follow[0].channel is Channel.CALL and follow[0].offset_days == 1
