"""The work queue's pure rules: ordering, leases, outcome effects, elements, validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arrears.compliance.model import HoldKind, Outcome, Party
from arrears.worklist import rules
from arrears.worklist.model import CallElement, CallOutcome, RaisedFlag, WorkKind
from arrears.worklist.rules import AttemptShape, Candidate, NextWork, PointChoice

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)


def cand(
    i: int,
    kind: WorkKind = WorkKind.CALL,
    priority: float = 0.0,
    recovery: int = 0,
    due: timedelta = timedelta(hours=-1),
    debtor: int | None = None,
) -> Candidate:
    return Candidate(i, debtor or i, kind, rules.urgency(kind), priority, recovery, NOW + due)


# --- ordering ----------------------------------------------------------------------------------------------


def test_urgent_kinds_come_first_in_their_order_then_calls_by_score() -> None:
    items = [
        cand(1, priority=9e9),
        cand(2, WorkKind.PROMISE_FOLLOWUP),
        cand(3, WorkKind.CALLBACK),
        cand(4, WorkKind.BROKEN_PROMISE),
        cand(5, WorkKind.PROMISE_REMINDER),
        cand(6, WorkKind.CLAIMED_PAYMENT),
    ]
    assert [c.id for c in rules.order(items, {})] == [3, 5, 4, 2, 6, 1]


def test_due_call_backs_are_served_earliest_first() -> None:
    late = cand(1, WorkKind.CALLBACK, due=timedelta(minutes=-5))
    early = cand(2, WorkKind.CALLBACK, due=timedelta(minutes=-30))
    assert [c.id for c in rules.order([late, early], {})] == [2, 1]


def test_calls_rank_by_expected_recovery_times_rpc_chance_at_this_hour() -> None:
    big_unlikely = cand(1, recovery=1_000_000, priority=1.0)
    small_likely = cand(2, recovery=300_000, priority=999.0)
    chances = {1: 0.05, 2: 0.40}  # 50,000 vs 120,000
    assert [c.id for c in rules.order([big_unlikely, small_likely], chances)] == [2, 1]
    # without a chance (or an expected recovery), the stored priority orders them
    assert [c.id for c in rules.order([big_unlikely, small_likely], {})] == [2, 1]
    assert rules.score(big_unlikely, None) == 1.0
    assert rules.score(big_unlikely, 0.05) == pytest.approx(50_000)


def test_serve_class_is_the_stored_reverse_of_urgency_and_non_calls_are_never_served() -> None:
    assert rules.serve_class(WorkKind.CALLBACK) == 9 and rules.serve_class(WorkKind.CALL) == 4
    assert rules.serve_class(WorkKind.SMS, "sms") == 0 and rules.serve_class(WorkKind.SKIP_TRACE) == 0
    assert rules.serve_class(WorkKind.CALL, "sms") == 0
    for kind in WorkKind:
        assert rules.urgency_of_class(rules.serve_class(kind)) == rules.urgency(kind)


# --- leases ------------------------------------------------------------------------------------------------


def test_lease_rules() -> None:
    until = rules.lease_expiry(NOW, 15)
    assert until == NOW + timedelta(minutes=15)
    assert (
        rules.lease_live(until, NOW)
        and not rules.lease_live(until, until)
        and not rules.lease_live(None, NOW)
    )
    assert rules.may_take(None, None, 7, NOW)
    assert rules.may_take(7, until, 7, NOW)  # my own lease
    assert not rules.may_take(8, until, 7, NOW)  # someone else's live lease
    assert rules.may_take(8, NOW - timedelta(seconds=1), 7, NOW)  # expired: back in the queue
    with pytest.raises(ValueError):
        rules.lease_expiry(NOW, 0)


# --- contact points ----------------------------------------------------------------------------------------


def test_dial_order_never_offers_dead_points_and_prefers_the_debtors_own() -> None:
    points = [
        PointChoice(1, "spouse", "valid"),
        PointChoice(2, "self", "unverified"),
        PointChoice(3, "self", "valid"),
        PointChoice(4, "self", "invalid"),
        PointChoice(5, "self", "wrong_party"),
        PointChoice(6, "self", "do_not_contact"),
        PointChoice(7, "self", "valid", "email"),
    ]
    assert [p.id for p in rules.dial_order(points)] == [3, 2, 1]
    assert [p.id for p in rules.dial_order(points, preferred=1)] == [1, 3, 2]
    assert rules.dial_order(points, preferred=4)[0].id == 3  # a dead preferred point is still never offered


def test_party_for_relationships() -> None:
    assert rules.party_for("self") is Party.DEBTOR and rules.party_for("payables") is Party.DEBTOR
    assert rules.party_for("attorney") is Party.ATTORNEY
    assert rules.party_for("spouse") is Party.THIRD_PARTY and rules.party_for("employer") is Party.THIRD_PARTY


# --- outcome effects ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "history", "status"),
    [
        (CallOutcome.INVALID_NUMBER, Outcome.INVALID_NUMBER, "invalid"),
        (CallOutcome.WRONG_PARTY, Outcome.WRONG_NUMBER, "wrong_party"),
        (CallOutcome.REFUSED_CONTACT, Outcome.REFUSED, "do_not_contact"),
        (CallOutcome.NO_ANSWER, Outcome.NO_ANSWER, None),
        (CallOutcome.PROMISE_TO_PAY, Outcome.CONNECTED_RPC, None),
        (CallOutcome.THIRD_PARTY_REACHED, Outcome.CONNECTED_THIRD_PARTY, None),
    ],
)
def test_outcomes_map_to_history_and_point_status(
    outcome: CallOutcome, history: Outcome, status: str | None
) -> None:
    effect = rules.effect_of(outcome, Party.DEBTOR)
    assert effect.history is history and effect.point_status == status


def test_every_outcome_has_an_effect_and_right_party_outcomes_verify_the_number() -> None:
    assert set(rules.EFFECTS) == set(CallOutcome)
    for o in rules.RPC_OUTCOMES:
        assert rules.EFFECTS[o].history is Outcome.CONNECTED_RPC and rules.EFFECTS[o].verifies_point


def test_a_call_back_asked_by_a_third_party_is_a_third_party_contact() -> None:
    assert rules.effect_of(CallOutcome.CALLBACK_REQUESTED, Party.DEBTOR).history is Outcome.CONNECTED_RPC
    assert (
        rules.effect_of(CallOutcome.CALLBACK_REQUESTED, Party.THIRD_PARTY).history
        is Outcome.CONNECTED_THIRD_PARTY
    )
    assert rules.attempt_party(CallOutcome.PROMISE_TO_PAY, Party.THIRD_PARTY) is Party.DEBTOR
    assert rules.attempt_party(CallOutcome.WRONG_PARTY, Party.DEBTOR) is Party.THIRD_PARTY
    assert rules.attempt_party(CallOutcome.NO_ANSWER, Party.THIRD_PARTY) is Party.THIRD_PARTY


def test_next_work_per_cadence() -> None:
    assert rules.next_work(CallOutcome.NO_ANSWER, 1, NOW) == (NextWork.RETRY, NOW + timedelta(hours=2))
    assert rules.next_work(CallOutcome.BUSY, 1, NOW) == (NextWork.RETRY, NOW + timedelta(minutes=30))
    assert rules.next_work(CallOutcome.NO_ANSWER, rules.MAX_ITEM_ATTEMPTS, NOW) == (NextWork.DONE, None)
    assert rules.next_work(CallOutcome.INVALID_NUMBER, 1, NOW) == (NextWork.OTHER_POINT, NOW)
    assert rules.next_work(CallOutcome.RIGHT_PARTY_REACHED, 1, NOW) == (NextWork.DONE, None)


def test_implied_flags_and_flag_mapping() -> None:
    assert rules.all_flags(CallOutcome.DISPUTED, []) == [RaisedFlag.DISPUTE]
    assert rules.all_flags(CallOutcome.WRONG_PARTY, [RaisedFlag.WRONG_NUMBER]) == [RaisedFlag.WRONG_NUMBER]
    assert rules.FLAG_HOLDS[RaisedFlag.CEASE] is HoldKind.CEASE_REQUEST
    assert rules.FLAG_HOLDS[RaisedFlag.ATTORNEY] is HoldKind.LEGAL_REPRESENTATION
    assert rules.FLAG_HOLDS[RaisedFlag.NO_FAMILY_CONTACT] is HoldKind.CHANNEL_RESTRICTION
    assert set(rules.FLAG_HOLDS) == set(RaisedFlag)


# --- the nine elements -------------------------------------------------------------------------------------


def test_nine_elements_in_order_with_both_languages() -> None:
    cat = rules.elements_catalogue()
    assert [e["order"] for e in cat] == list(range(1, 10))
    assert [e["id"] for e in cat] == [e.value for e in CallElement]
    assert all(e["label_zh"] and e["label_en"] and e["label_zh"] != e["label_en"] for e in cat)


# --- validation --------------------------------------------------------------------------------------------


def shape(outcome: CallOutcome, **kw: object) -> AttemptShape:
    base: dict[str, object] = {
        "started_at": NOW - timedelta(minutes=5),
        "ended_at": NOW - timedelta(minutes=1),
        "now": NOW,
    }
    base.update(kw)
    return AttemptShape(outcome, **base)  # type: ignore[arg-type]


def fields(found: list[tuple[str, str, str]]) -> set[str]:
    return {f for f, _, _ in found}


def test_a_sensible_attempt_has_no_problems() -> None:
    assert (
        rules.problems(shape(CallOutcome.PROMISE_TO_PAY, has_promise=True, elements=list(CallElement))) == []
    )
    assert rules.problems(shape(CallOutcome.NO_ANSWER)) == []


def test_times_end_before_start_and_future() -> None:
    assert fields(rules.problems(shape(CallOutcome.NO_ANSWER, ended_at=NOW - timedelta(minutes=10)))) == {
        "ended_at"
    }
    future = rules.problems(
        shape(CallOutcome.NO_ANSWER, started_at=NOW + timedelta(hours=1), ended_at=NOW + timedelta(hours=1))
    )
    assert fields(future) == {"started_at", "ended_at"}


def test_a_promise_needs_the_right_party_and_promise_to_pay_needs_a_promise() -> None:
    assert fields(rules.problems(shape(CallOutcome.NO_ANSWER, has_promise=True))) == {"promise"}
    assert fields(rules.problems(shape(CallOutcome.THIRD_PARTY_REACHED, has_promise=True))) == {"promise"}
    assert fields(rules.problems(shape(CallOutcome.PROMISE_TO_PAY))) == {"promise"}
    assert fields(rules.problems(shape(CallOutcome.CLAIMED_PAID))) == {"claimed_payment"}
    assert fields(rules.problems(shape(CallOutcome.BUSY, has_claim=True))) == {"claimed_payment"}


def test_call_backs_only_when_someone_was_reached_and_in_the_future() -> None:
    assert fields(rules.problems(shape(CallOutcome.CALLBACK_REQUESTED))) == {"callback_at"}
    assert fields(rules.problems(shape(CallOutcome.NO_ANSWER, callback_at=NOW + timedelta(hours=2)))) == {
        "callback_at"
    }
    assert fields(
        rules.problems(shape(CallOutcome.CALLBACK_REQUESTED, callback_at=NOW - timedelta(hours=1)))
    ) == {"callback_at"}
    assert fields(
        rules.problems(shape(CallOutcome.CALLBACK_REQUESTED, callback_at=NOW + timedelta(days=40)))
    ) == {"callback_at"}
    assert rules.problems(shape(CallOutcome.THIRD_PARTY_REACHED, callback_at=NOW + timedelta(hours=2))) == []


def test_elements_need_a_person_and_a_third_party_hears_nothing_about_the_debt() -> None:
    assert fields(rules.problems(shape(CallOutcome.NO_ANSWER, elements=[CallElement.OPENING]))) == {
        "elements"
    }
    third = rules.problems(
        shape(CallOutcome.THIRD_PARTY_REACHED, elements=[CallElement.VERIFY_IDENTITY, CallElement.OPENING])
    )
    assert fields(third) == {"elements"} and third[0][1] == "opening"
    assert (
        rules.problems(
            shape(CallOutcome.THIRD_PARTY_REACHED, elements=[CallElement.VERIFY_IDENTITY, CallElement.RECORD])
        )
        == []
    )


def test_debtor_flags_need_the_debtor_and_details_where_the_rules_read_them() -> None:
    assert fields(rules.problems(shape(CallOutcome.THIRD_PARTY_REACHED, flags=[RaisedFlag.DISPUTE]))) == {
        "flags.dispute"
    }
    assert fields(
        rules.problems(shape(CallOutcome.RIGHT_PARTY_REACHED, flags=[RaisedFlag.INCONVENIENT_TIME]))
    ) == {"flag_details.inconvenient_time.windows"}
    ok = shape(
        CallOutcome.RIGHT_PARTY_REACHED,
        flags=[RaisedFlag.INCONVENIENT_TIME],
        flag_details={"inconvenient_time": {"windows": [{"start": "12:00", "end": "14:00"}]}},
    )
    assert rules.problems(ok) == []
    assert fields(rules.problems(shape(CallOutcome.NO_ANSWER, flags=[RaisedFlag.WRONG_NUMBER]))) == {
        "flags.wrong_number"
    }


def test_why_explains_in_both_languages() -> None:
    w = rules.why(cand(1, WorkKind.CALLBACK), 0.2)
    assert w["urgent"] is True and w["explain_zh"] and w["explain_en"] and w["rpc_chance"] == 0.2
