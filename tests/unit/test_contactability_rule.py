"""The contactability rule as a table: owners, outcome classes, exhaustion, and the three states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arrears.strategy.contactability import (
    AttemptFact,
    Contactability,
    Owner,
    PointFacts,
    Policy,
    classify,
    exhausted,
    outcome_class,
    owner_of,
)

NOW = datetime(2026, 3, 31, 10, tzinfo=UTC)
C, S, L = Contactability.CONTACTABLE, Contactability.SEMI_LOST, Contactability.LOST


def ago(days: float, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def fails(n: int, days: int, outcome: str = "no_answer") -> list[AttemptFact]:
    """n soft failures spread over `days` distinct days (newest first ids)."""
    return [AttemptFact(ago(k % days, k), outcome, 100 - k) for k in range(n)]


@pytest.mark.parametrize(("relationship", "consent", "owner"), [
    ("self", "contract_names", Owner.DEBTOR),
    ("self", "public_record", Owner.DEBTOR),
    ("payables", "public_record", Owner.DEBTOR),  # a company's finance people can pay
    ("finance", "contract_names", Owner.DEBTOR),
    ("owner", "debtor_gave", Owner.DEBTOR),
    ("other_role", "public_record", Owner.DEBTOR),
    ("spouse", "debtor_gave", Owner.CONSENTED_CONTACT),
    ("parent", "contract_names", Owner.CONSENTED_CONTACT),
    ("employer", "debtor_gave", Owner.CONSENTED_CONTACT),
    ("friend", "public_record", Owner.OTHER),  # no consent: never counted
    ("colleague", "unknown", Owner.OTHER),
])
def test_owner_of(relationship: str, consent: str, owner: Owner) -> None:
    assert owner_of(relationship, consent) is owner


@pytest.mark.parametrize(("outcome", "cls"), [
    ("connected_rpc", "S"), ("connected_third_party", "S"), ("visited", "S"),
    ("invalid_number", "H"), ("wrong_number", "H"), ("bounced", "H"), ("refused", "H"),
    ("no_answer", "F"), ("busy", "F"), ("network_error", "F"), ("voicemail", "F"), ("not_home", "F"),
    ("sent", "N"), ("delivered", "N"), ("promise_taken", "N"), ("some_future_outcome", "N"),
])
def test_outcome_classes(outcome: str, cls: str) -> None:
    assert outcome_class(outcome) == cls


@pytest.mark.parametrize(("attempts", "expected"), [
    ([], False),
    (fails(4, 4), False),  # four failures are not enough
    (fails(5, 3), True),  # five over three days
    (fails(5, 2), False),  # five, but on two days only
    (fails(9, 1), False),  # a burst in one day never exhausts
    ([AttemptFact(ago(0), "connected_rpc", 200), *fails(6, 5)], False),  # the RPC is newer: alive
    ([*fails(6, 5), AttemptFact(ago(20), "connected_rpc", 1)], True),  # the RPC is older than the failures
    ([AttemptFact(ago(1), "invalid_number", 5)], True),  # a hard failure is enough
    ([AttemptFact(ago(0), "connected_rpc", 9), AttemptFact(ago(1), "invalid_number", 5)], False),
    ([AttemptFact(ago(0), "sent", 9), AttemptFact(ago(1), "wrong_number", 5)], True),  # neutral skipped
    ([AttemptFact(ago(0), "refused", 9)], True),
    # equal times: the higher id is the newer one
    ([AttemptFact(ago(1), "invalid_number", 5), AttemptFact(ago(1), "connected_rpc", 6)], False),
    ([AttemptFact(ago(1), "invalid_number", 7), AttemptFact(ago(1), "connected_rpc", 6)], True),
])
def test_exhausted(attempts: list[AttemptFact], expected: bool) -> None:
    assert exhausted(attempts) is expected


def test_policy_parameters_change_the_threshold() -> None:
    assert exhausted(fails(3, 3), Policy(max_failures=3, min_failure_days=2))
    assert not exhausted(fails(5, 3), Policy(max_failures=6))


def test_failure_days_are_utc_days() -> None:
    # 23:30 and 00:30 UTC+8 the next day are the same UTC day (15:30 and 16:30 UTC)
    from zoneinfo import ZoneInfo

    shanghai = ZoneInfo("Asia/Shanghai")
    at = [datetime(2026, 3, 30, 23, 30, tzinfo=shanghai), datetime(2026, 3, 31, 0, 30, tzinfo=shanghai)]
    attempts = [AttemptFact(t, "no_answer", i) for i, t in enumerate(at)]
    assert not exhausted(attempts, Policy(max_failures=2, min_failure_days=2))
    assert exhausted(attempts, Policy(max_failures=2, min_failure_days=1))


def own(pid: int = 1, status: str = "valid", channel: str = "phone") -> PointFacts:
    return PointFacts(pid, Owner.DEBTOR, status, channel)


def contact(pid: int = 2, status: str = "valid") -> PointFacts:
    return PointFacts(pid, Owner.CONSENTED_CONTACT, status)


@pytest.mark.parametrize(("points", "outcomes", "state"), [
    ([own()], {}, C),
    ([own(status="unverified")], {}, C),
    ([], {}, L),
    ([own(status="invalid")], {}, L),
    ([own(status="wrong_party"), contact()], {}, S),
    ([own(status="do_not_contact"), contact()], {}, S),
    ([own(channel="email")], {}, L),  # only phones reach a person
    ([own(channel="address"), contact()], {}, S),
    ([PointFacts(3, Owner.OTHER)], {}, L),  # an unconsented third party is never counted
    ([own(), contact()], {1: fails(5, 5)}, S),  # own phone exhausted, the spouse answers
    ([own(), contact()], {1: fails(5, 5), 2: [AttemptFact(ago(2), "invalid_number", 3)]}, L),
    ([own(), own(3)], {1: fails(5, 5)}, C),  # a second own phone still works
    ([own(), contact()], {1: [AttemptFact(ago(1), "wrong_number", 1)]}, S),
    ([contact(status="invalid")], {}, L),
    ([own()], {1: fails(4, 4)}, C),
])
def test_classify_table(points: list[PointFacts], outcomes: dict[int, list[AttemptFact]],
                        state: Contactability) -> None:
    assert classify(points, outcomes) is state


def test_naive_attempt_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        exhausted([AttemptFact(datetime(2026, 3, 1), "no_answer", 1)])


def test_state_labels_in_both_languages() -> None:
    from arrears.strategy.contactability import label

    assert [label(s.value, "zh-CN") for s in Contactability] == ["可联", "半失联", "失联"]
    assert [label(s.value, "en") for s in Contactability] == ["Contactable", "Semi-lost", "Lost"]
    assert label("unknown", "zh-CN") == "unknown"
