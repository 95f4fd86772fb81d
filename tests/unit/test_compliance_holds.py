"""Holds and declarations, third parties under Regulation F, content conditions, the house retry cadence."""

from __future__ import annotations

import pytest

from tests.unit.compliance_kit import attempt, chi, decide, denied_by, flag, point, scenario, sh

US = ["us-regf"]
HOUSE = ["house-default"]
CHICAGO = {
    "tz": "America/Chicago",
    "address": "America/Chicago",
    "points": [
        point("m1", zone="America/Chicago", place="mobile"),
        point("office", zone="America/Chicago", place="work"),
        point("mail", kind="email", zone="America/Chicago"),
        point("lawyer", "attorney", zone="America/Chicago"),
        point("aunt", "relative", zone="America/Chicago"),
        point("exec", "executor", zone="America/Chicago"),
    ],
}


def us(at, **kw):  # type: ignore[no-untyped-def]
    return scenario(US, at, **{**CHICAGO, **kw})


@pytest.mark.parametrize(
    ("kind", "rule"),
    [
        ("dispute", "house.dispute"),
        ("fraud_claim", "house.fraud_claim"),
        ("complaint", "house.complaint"),
        ("bankruptcy", "house.bankruptcy"),
        ("deceased", "house.deceased"),
        ("legal_representation", "house.legal_representation"),
        ("cease_request", "house.cease"),
    ],
)
def test_every_hold_stops_outbound_contact(kind: str, rule: str) -> None:
    d = decide(scenario(HOUSE, sh(3, 10), flags=[flag(kind, sh(1, 9), reason="said so on the phone")]))
    assert denied_by(d) == {rule}
    hit = d.denials[0]
    assert "agent-7" in hit.reason_en and "agent-7" in hit.reason_zh  # who set it
    assert d.earliest_allowed is None  # held until lifted


def test_a_hold_set_then_lifted() -> None:
    hold = flag("dispute", sh(2, 9), lifted_at=sh(5, 9, 30), reason="disputes the late fee")
    during = decide(scenario(HOUSE, sh(3, 10), flags=[hold]))
    assert denied_by(during) == {"house.dispute"}
    assert during.earliest_allowed == sh(5, 9, 30)
    assert "disputes the late fee" in during.denials[0].reason_en
    assert decide(scenario(HOUSE, sh(5, 9, 30), flags=[hold])).allowed
    night_lift = flag("dispute", sh(2, 9), lifted_at=sh(5, 22))
    assert decide(scenario(HOUSE, sh(3, 10), flags=[night_lift])).earliest_allowed == sh(6, 9)
    assert decide(scenario(HOUSE, sh(1, 10), flags=[hold])).allowed  # before it was set


def test_a_dispute_still_allows_sending_verification() -> None:
    hold = flag("dispute", sh(2, 9))
    assert decide(scenario(HOUSE, sh(3, 10), flags=[hold], purpose="verification")).allowed


def test_cease_request_allows_only_the_written_notice() -> None:
    cease = flag("cease_request", chi(1, 9), reason="letter received")
    call = decide(us(chi(3, 10), flags=[cease]))
    assert denied_by(call) == {"regf.cease"} and call.earliest_allowed is None
    assert call.denials[0].source == "12 CFR 1006.6(c) (consumer's request to cease communication)"
    notice = decide(us(chi(3, 10), flags=[cease], cp="mail", channel="email", purpose="notice"))
    assert notice.allowed and notice.requirements == ("opt_out_notice",)


def test_attorney_on_file_means_the_attorney_only() -> None:
    lawyer = flag("legal_representation", chi(1, 9), detail={"attorney": "J. Smith"})
    assert denied_by(decide(us(chi(3, 10), flags=[lawyer]))) == {"regf.attorney"}
    assert decide(us(chi(3, 10), flags=[lawyer], cp="lawyer", party="attorney")).allowed
    layered = scenario(
        ["us-regf", "house-default"], chi(3, 10), flags=[lawyer], cp="lawyer", party="attorney", **CHICAGO
    )
    assert decide(layered).allowed


def test_deceased_only_the_executor() -> None:
    dead = flag("deceased", chi(1, 9))
    assert not decide(us(chi(3, 10), flags=[dead])).allowed
    assert decide(us(chi(3, 10), flags=[dead], cp="exec")).allowed


def test_third_party_once_for_location_only() -> None:
    first = decide(us(chi(3, 10), cp="aunt", party="third_party", purpose="locate"))
    assert first.allowed and first.requirements == ("location_information_only",)
    assert first.script_mode == "third_party_no_disclosure"
    missed = [attempt(chi(2, 10), "no_answer", cp="aunt", party="third_party")]
    assert decide(us(chi(3, 10), cp="aunt", party="third_party", history=missed)).allowed
    spoke = [attempt(chi(2, 10), "connected_third_party", cp="aunt", party="third_party")]
    again = decide(us(chi(9, 10), cp="aunt", party="third_party", history=spoke))
    assert denied_by(again) == {"regf.third_party"} and again.earliest_allowed is None
    message = decide(us(chi(3, 10), cp="aunt", party="third_party", purpose="message"))
    assert denied_by(message) == {"regf.third_party"}


def test_no_calls_at_work_where_the_employer_forbids_them() -> None:
    forbids = flag("employer_forbids", chi(1, 9))
    assert denied_by(decide(us(chi(3, 10), flags=[forbids], cp="office"))) == {"regf.employer"}
    assert decide(us(chi(3, 10), flags=[forbids], cp="m1")).allowed


def test_declared_inconvenient_place_and_channel() -> None:
    place = flag("inconvenient_place", chi(1, 9), detail={"places": ["work"]})
    assert denied_by(decide(us(chi(3, 10), flags=[place], cp="office"))) == {"regf.declared_places"}
    no_texts = flag("channel_restriction", chi(1, 9), detail={"channels": ["sms"]})
    assert denied_by(decide(us(chi(3, 10), flags=[no_texts], channel="sms"))) == {"regf.media"}
    assert decide(us(chi(3, 10), flags=[no_texts])).allowed


def test_email_opt_out_and_the_opt_out_notice() -> None:
    opted = flag("opt_out", chi(1, 9), contact_point="mail", detail={"channels": ["email"]})
    assert denied_by(decide(us(chi(3, 10), flags=[opted], cp="mail", channel="email"))) == {"regf.opt_out"}
    sms = decide(us(chi(3, 10), flags=[opted], channel="sms"))
    assert sms.allowed and sms.requirements == ("opt_out_notice",)
    bare = decide(us(chi(3, 10), channel="sms", includes_opt_out=False))
    assert denied_by(bare) == {"regf.opt_out_notice"} and bare.earliest_allowed is None


def test_voicemail_only_as_a_limited_content_message() -> None:
    vm = decide(us(chi(3, 10), channel="voicemail"))
    assert vm.allowed and vm.requirements == ("limited_content_only",) and vm.script_mode == "limited_content"
    full = decide(us(chi(3, 10), channel="voicemail", content="full"))
    assert denied_by(full) == {"regf.voicemail"}


def test_house_unreachable_debtor_retried_every_three_days() -> None:
    fails = [attempt(sh(2, 10), "no_answer"), attempt(sh(2, 15), "busy"), attempt(sh(3, 10), "voicemail")]
    d = decide(scenario(HOUSE, sh(4, 10), history=fails))
    assert denied_by(d) == {"house.unreachable_retry"}
    assert d.earliest_allowed == sh(6, 9)  # three days after Tuesday 3 March, at the window's start
    assert decide(scenario(HOUSE, sh(6, 9), history=fails)).allowed
    reached = [*fails[:2], attempt(sh(3, 10), "connected_rpc")]
    assert decide(scenario(HOUSE, sh(4, 10), history=reached)).allowed
    assert decide(scenario(HOUSE, sh(4, 10), history=fails[:2])).allowed  # only two failures


def test_every_fired_rule_carries_id_reasons_and_source() -> None:
    hold = flag("bankruptcy", sh(1, 9))
    d = decide(scenario(["cn-gbt45251", "house-default"], sh(3, 23), flags=[hold]))
    assert denied_by(d) == {"cn.night", "house.hours", "house.bankruptcy"}
    for hit in d.fired:
        assert hit.rule_id and hit.reason_zh and hit.reason_en and hit.source
    assert d.earliest_allowed is None
    assert set(d.checked) >= {"cn.night", "cn.daily_connected", "house.hours", "house.dispute"}
