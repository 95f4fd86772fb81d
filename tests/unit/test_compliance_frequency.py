"""Regulation F call frequency: the 7th vs 8th call, excluded calls, consent age, the conversation wait."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.unit.compliance_kit import CHI, attempt, chi, days, decide, denied_by, flag, point, scenario

US = ["us-regf"]
CHICAGO = {
    "tz": "America/Chicago",
    "address": "America/Chicago",
    "points": [
        point("m1", zone="America/Chicago"),
        point("home", zone="America/Chicago", place="home"),
        point("boss", "employer", zone="America/Chicago"),
    ],
}


def us(at: datetime, history: list[dict], **kw: object) -> dict:
    return scenario(US, at, history=history, **{**CHICAGO, **kw})  # type: ignore[arg-type]


def daily_calls(n: int, outcome: str = "no_answer", **kw: object) -> list[dict]:
    """n calls, one a day at 10:00 from Wednesday 2026-04-01."""
    return [attempt(chi(1 + i, 10), outcome, cp="m1" if i % 2 else "home", **kw) for i in range(n)]


def test_the_7th_call_in_7_days_is_allowed() -> None:
    d = decide(us(chi(7, 15), daily_calls(6)))
    assert d.allowed, d.as_dict()["fired"]


def test_the_8th_call_in_7_days_is_refused_until_day_8() -> None:
    d = decide(us(chi(7, 15), daily_calls(7)))
    assert denied_by(d) == {"regf.call_frequency"}
    hit = d.denials[0]
    assert hit.source.startswith("12 CFR 1006.14(b)(2)(i)(A)")
    assert "7 counted calls" in hit.reason_en
    assert d.earliest_allowed == chi(8, 8)  # the oldest call (April 1) leaves the 7-day window on April 8


def test_seven_calls_on_one_day_block_for_seven_days() -> None:
    history = [attempt(chi(1, 9 + i), "no_answer") for i in range(7)]
    d = decide(us(chi(7, 20), history))
    assert not d.allowed and d.earliest_allowed == chi(8, 8)
    assert decide(us(chi(8, 8), history)).allowed


def test_busy_and_network_errors_do_not_count_voicemails_do() -> None:
    never_connected = [
        attempt(chi(2, 11), "busy"),
        attempt(chi(3, 11), "network_error"),
        attempt(chi(4, 11), "invalid_number"),
    ]
    assert decide(us(chi(7, 15), daily_calls(6) + never_connected)).allowed
    voicemail = [attempt(chi(5, 16), "voicemail")]
    assert "regf.call_frequency" in denied_by(decide(us(chi(7, 15), daily_calls(6) + voicemail)))


def test_inbound_calls_and_texts_do_not_count_as_call_attempts() -> None:
    extra = [
        attempt(chi(3, 12), "no_answer", direction="inbound"),
        attempt(chi(3, 13), "delivered", channel="sms"),
    ]
    assert decide(us(chi(7, 15), daily_calls(6) + extra)).allowed


def test_calls_to_a_third_party_count_for_that_person_only() -> None:
    to_boss = [attempt(chi(2 + i, 11), "no_answer", cp="boss", party="third_party") for i in range(3)]
    assert decide(us(chi(7, 15), daily_calls(6) + to_boss)).allowed


def test_calls_placed_with_fresh_consent_do_not_count() -> None:
    consented = [attempt(chi(1 + i, 10), "no_answer", consent_at=chi(1, 9).isoformat()) for i in range(7)]
    assert decide(us(chi(7, 15), consented)).allowed
    stale = [
        attempt(chi(1 + i, 10), "no_answer", consent_at=(chi(1, 9) - days(8)).isoformat()) for i in range(7)
    ]
    assert not decide(us(chi(7, 15), stale)).allowed


@pytest.mark.parametrize(
    ("age", "allowed"), [(days(7), True), (days(7) + days(1 / 1440), False), (days(8), False)]
)
def test_direct_prior_consent_expires_after_7_days(age: object, allowed: bool) -> None:
    at = chi(14, 15)
    talked = [attempt(chi(13, 10), "connected_rpc", direction="inbound")]  # the wait would refuse the call
    consent = flag("call_consent", at - age, reason="asked to be called back this week")  # type: ignore[operator]
    assert decide(us(at, talked, flags=[consent])).allowed is allowed


def _conversation(day: int) -> list[dict]:
    return [attempt(chi(day, 10), "connected_rpc", cp="m1")]


def test_no_call_within_7_days_after_a_conversation_day_8_is_allowed() -> None:
    # conversation on Wednesday 1 April = day 1; day 7 = Tuesday 7 April; day 8 = Wednesday 8 April
    day7 = decide(us(chi(7, 20, 59), _conversation(1)))
    assert denied_by(day7) == {"regf.conversation"}
    assert day7.earliest_allowed == chi(8, 8)
    assert "2026-04-01" in day7.denials[0].reason_en
    assert decide(us(chi(8, 8), _conversation(1))).allowed


def test_a_conversation_from_an_inbound_call_also_starts_the_wait() -> None:
    inbound = [attempt(chi(1, 10), "connected_rpc", direction="inbound")]
    assert "regf.conversation" in denied_by(decide(us(chi(3, 10), inbound)))


def test_a_connected_call_marked_as_no_conversation_does_not_start_the_wait() -> None:
    hang_up = [attempt(chi(1, 10), "connected_rpc", conversation=False)]
    assert decide(us(chi(3, 10), hang_up)).allowed


def test_the_conversation_wait_is_for_calls_only() -> None:
    assert decide(us(chi(3, 10), _conversation(1), channel="sms", includes_opt_out=True)).allowed
    assert not decide(us(chi(3, 10), _conversation(1), channel="voicemail")).allowed


def test_consent_lifts_the_conversation_wait() -> None:
    consent = flag("call_consent", chi(2, 9))
    assert decide(us(chi(3, 10), _conversation(1), flags=[consent])).allowed


def test_days_are_the_consumers_local_days() -> None:
    # 7 calls on April 1 local time; at 23:30 UTC on April 7 it is still April 7 in Chicago (18:30)
    history = [attempt(chi(1, 9 + i), "no_answer") for i in range(7)]
    at = datetime(2026, 4, 7, 23, 30, tzinfo=CHI).astimezone(CHI)
    assert not decide(us(at.replace(hour=18, minute=30), history)).allowed
