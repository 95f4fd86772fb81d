"""The simulator's behaviour model: seeded statistics land where the calibration puts them."""

from __future__ import annotations

import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from arrears.sim import model
from arrears.sim.calibration import FIELD_TARGETS, HOUR_PROFILE, Behaviour, check_targets
from arrears.worklist.model import CallOutcome, RaisedFlag

CAL = Behaviour()
SH = ZoneInfo("Asia/Shanghai")
RPC = {
    CallOutcome.RIGHT_PARTY_REACHED,
    CallOutcome.PROMISE_TO_PAY,
    CallOutcome.REFUSED_TO_PAY,
    CallOutcome.CALLBACK_REQUESTED,
    CallOutcome.DISPUTED,
    CallOutcome.HUNG_UP,
}


def _traits(n: int, seed: int = 7) -> list[model.DebtorTraits]:
    return [model.draw_traits(random.Random(f"{seed}:{i}"), i, 2_000_000, CAL) for i in range(n)]


def test_traits_are_reproducible_from_the_seed() -> None:
    a = model.Population(5, CAL).debtor(42, 1_000_000)
    b = model.Population(5, CAL).debtor(42, 1_000_000)
    c = model.Population(6, CAL).debtor(42, 1_000_000)
    assert a == b
    assert a != c


def test_willingness_follows_the_beta_mean() -> None:
    traits = _traits(4000)
    mean = sum(t.willingness for t in traits) / len(traits)
    expected = CAL.willingness_alpha / (CAL.willingness_alpha + CAL.willingness_beta)
    assert abs(mean - expected) < 0.02
    assert all(0 <= t.willingness <= 1 for t in traits)


def test_capacity_never_exceeds_the_balance_and_has_the_calibrated_mean() -> None:
    rng = random.Random(1)
    small = [model.draw_traits(rng, i, 50_000, CAL).capacity_minor for i in range(500)]
    assert max(small) <= 50_000
    big = [model.draw_traits(rng, i, 10**10, CAL).capacity_minor for i in range(4000)]
    assert abs(sum(big) / len(big) - CAL.capacity_mean_minor) < 0.08 * CAL.capacity_mean_minor


def test_number_truth_shares() -> None:
    rng = random.Random(3)
    draws = [model.draw_point(rng, CAL).status for _ in range(20_000)]
    assert abs(draws.count("invalid") / len(draws) - CAL.invalid_number_rate) < 0.006
    assert abs(draws.count("wrong") / len(draws) - CAL.wrong_number_rate) < 0.006


def test_nobody_answers_at_night_and_mornings_beat_lunch() -> None:
    t = model.DebtorTraits(1, 0.5, 100_000, 15, 1.0, early_bird=False)
    night = datetime(2026, 3, 4, 3, 0, tzinfo=SH)
    assert model.answer_chance(t, night, 0, CAL) == 0
    morning = model.answer_chance(t, datetime(2026, 3, 4, 10, 0, tzinfo=SH), 0, CAL)
    lunch = model.answer_chance(t, datetime(2026, 3, 4, 12, 0, tzinfo=SH), 0, CAL)
    assert morning > lunch > 0
    assert HOUR_PROFILE[10] > HOUR_PROFILE[12]


def test_repeated_attempts_and_broken_promises_make_the_debtor_harder_to_reach() -> None:
    t = model.DebtorTraits(1, 0.5, 100_000, 15, 1.0, early_bird=False)
    at = datetime(2026, 3, 4, 10, 0, tzinfo=SH)
    fresh = model.answer_chance(t, at, 0, CAL)
    assert model.answer_chance(t, at, 5, CAL) < fresh
    model.broke_promise(t, CAL)
    assert t.broken == 1 and t.willingness == pytest.approx(0.5 * (1 - CAL.broken_penalty))
    assert model.answer_chance(t, at, 0, CAL) < fresh


def test_right_party_contacts_follow_the_answer_chance() -> None:
    """One dial reaches the debtor as often as answer_chance says on a working number; the field RPC rate
    (20-30 % per attempt) comes out of the whole loop with retries and fatigue: the calibration test."""
    rng = random.Random(11)
    traits = _traits(2000)
    hits, expected, n = 0, 0.0, 20_000
    ok_share = 1 - CAL.invalid_number_rate - CAL.wrong_number_rate
    for i in range(n):
        t = traits[i % len(traits)]
        local = datetime(2026, 3, 2 + i % 5, 9 + i % 9, 15, tzinfo=SH)
        recent = rng.randint(0, 4)
        truth = model.draw_point(rng, CAL)
        hits += model.call(rng, t, truth, True, local, recent, 2_000_000, CAL).outcome in RPC
        expected += model.answer_chance(t, local, recent, CAL) * ok_share
    assert abs(hits / n - expected / n) < 0.015
    assert 0.2 <= hits / n <= 0.45


def test_promises_are_kept_at_the_calibrated_rate_and_paid_by_their_date() -> None:
    rng = random.Random(5)
    traits = _traits(5000, seed=9)
    today = date(2026, 3, 4)
    promises = [model.promise_terms(rng, t, 2_000_000, today, CAL) for t in traits]
    kept = sum(p.keep for p in promises) / len(promises)
    mean_w = sum(t.willingness for t in traits) / len(traits)
    assert kept == pytest.approx(CAL.keep_base + CAL.keep_per_willingness * mean_w, abs=0.03)
    for p, t in zip(promises, traits, strict=True):
        assert today < p.due_on <= date(2026, 3, 11)
        assert 0 < p.amount_minor <= t.capacity_minor
        if p.keep:
            assert p.pay_on is not None and today <= p.pay_on <= p.due_on
        else:
            assert p.pay_on is None


def test_a_disputing_debtor_raises_the_flag_and_pays_no_more() -> None:
    cal = Behaviour(answer_rate=1.0, dispute_rate=1.0, fatigue_per_attempt=0.0)
    t = model.DebtorTraits(1, 0.9, 100_000, 15, 2.0, early_bird=True)
    r = model.call(
        random.Random(1),
        t,
        model.PointTruth("ok"),
        True,
        datetime(2026, 3, 4, 10, tzinfo=SH),
        0,
        100_000,
        cal,
    )
    assert r.outcome is CallOutcome.DISPUTED and r.flags == (RaisedFlag.DISPUTE,)
    assert t.stopped
    assert not model.pays_unprompted(
        random.Random(2), t, date(2026, 3, 15), Behaviour(spontaneous_pay_rate=1)
    )


def test_third_parties_never_give_a_right_party_contact() -> None:
    rng = random.Random(2)
    t = model.DebtorTraits(1, 0.9, 100_000, 15, 2.0, early_bird=True)
    got = {
        model.call(
            rng, t, model.PointTruth("ok"), False, datetime(2026, 3, 4, 10, tzinfo=SH), 0, 100_000, CAL
        ).outcome
        for _ in range(500)
    }
    assert CallOutcome.THIRD_PARTY_REACHED in got
    assert not got & RPC


def test_field_targets_are_checked_by_range() -> None:
    figures: dict[str, float | None] = {
        "calls_per_recovery": 125.0,
        "recovered_per_account": 7000.0,
        "rpc_rate": 0.1,
        "kept_rate": None,
    }
    result = {t.kpi: ok for t, _, ok in check_targets(figures)}
    assert result == {
        "calls_per_recovery": True,
        "recovered_per_account": True,
        "rpc_rate": False,
        "kept_rate": False,
    }
    assert len(FIELD_TARGETS) == 4


def test_older_delinquencies_are_less_willing_to_pay() -> None:
    def mean_willingness(dpd: int) -> float:
        traits = [model.draw_traits(random.Random(f"w:{i}"), i, 10**8, CAL, dpd) for i in range(3000)]
        return sum(t.willingness for t in traits) / len(traits)

    early, middle, late = mean_willingness(10), mean_willingness(45), mean_willingness(150)
    assert early > middle > late
    assert model.age_factor(10, CAL) == 1.3 and model.age_factor(150, CAL) == 0.5
    assert model.age_factor(10**6, CAL) == CAL.willingness_by_dpd[-1][1]
