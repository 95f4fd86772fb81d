"""GB/T 45251-2025 rules: connected calls per day, dials per number, third parties, refusals, sources."""

from __future__ import annotations

from tests.unit.compliance_kit import attempt, decide, denied_by, point, scenario, sh

CN = ["cn-gbt45251"]
POINTS = [point("m1"), point("m2"), point("sis", "relative"), point("boss", "employer", source="contract")]


def cn(at, history=(), **kw):  # type: ignore[no-untyped-def]
    return scenario(CN, at, history=list(history), **{"points": POINTS, **kw})


def test_three_connected_calls_a_day_in_house_and_agencies_together() -> None:
    two = [attempt(sh(3, 9), "connected_rpc"), attempt(sh(3, 11), "connected_rpc", by_agency=True)]
    assert decide(cn(sh(3, 15), two)).allowed
    three = [*two, attempt(sh(3, 13), "connected_rpc", cp="m2", by_agency=True)]
    d = decide(cn(sh(3, 15), three))
    assert denied_by(d) == {"cn.daily_connected"}
    assert "3" in d.denials[0].reason_zh and "自营与委外合计" in d.denials[0].reason_zh
    assert d.earliest_allowed == sh(4, 8)
    assert decide(cn(sh(4, 8), three)).allowed


def test_unanswered_calls_do_not_count_as_connected() -> None:
    history = [attempt(sh(3, 9 + i), "no_answer", cp="m1" if i % 2 else "m2") for i in range(5)]
    assert decide(cn(sh(3, 15), history)).allowed


def test_six_dials_per_number_per_day() -> None:
    five = [
        attempt(sh(3, 8 + i), o)
        for i, o in enumerate(["no_answer", "busy", "no_answer", "network_error", "voicemail"])
    ]
    assert decide(cn(sh(3, 15), five)).allowed
    six = [*five, attempt(sh(3, 14), "no_answer", by_agency=True)]
    d = decide(cn(sh(3, 15), six))
    assert denied_by(d) == {"cn.daily_dials"} and d.earliest_allowed == sh(4, 8)
    assert decide(cn(sh(3, 15), six, cp="m2")).allowed  # another number of the debtor


def test_third_party_only_after_three_consecutive_failures_never_disclosing() -> None:
    two = [attempt(sh(2, 10), "no_answer"), attempt(sh(3, 10), "busy")]
    early = decide(cn(sh(3, 15), two, cp="sis", party="third_party", purpose="locate"))
    assert denied_by(early) == {"cn.third_party"}
    assert early.earliest_allowed is None  # only a change of facts (another failure) opens it
    three = [*two, attempt(sh(3, 11), "no_answer", cp="m2", by_agency=True)]
    ok = decide(cn(sh(3, 15), three, cp="sis", party="third_party", purpose="message"))
    assert ok.allowed
    assert ok.requirements == ("third_party_no_disclosure",)
    assert ok.script_mode == "third_party_no_disclosure"
    assert "不得透露欠款金额" in ok.fired[0].reason_zh


def test_a_reached_debtor_is_not_unreachable() -> None:
    history = [
        attempt(sh(2, 10), "no_answer"),
        attempt(sh(2, 11), "connected_rpc"),
        attempt(sh(3, 10), "no_answer"),
        attempt(sh(3, 11), "no_answer"),
    ]
    d = decide(cn(sh(3, 15), history, cp="sis", party="third_party"))
    assert "cn.third_party" in denied_by(d)
    assert "connected_rpc" in d.denials[0].reason_en


def test_third_party_when_every_debtor_number_is_invalid() -> None:
    points = [point("m1", status="invalid"), point("m2", status="wrong_party"), point("sis", "relative")]
    assert decide(scenario(CN, sh(3, 15), points=points, cp="sis", party="third_party")).allowed


def test_third_party_never_to_collect() -> None:
    three = [attempt(sh(3, 9 + i), "no_answer") for i in range(3)]
    d = decide(cn(sh(3, 15), three, cp="sis", party="third_party", purpose="collect"))
    assert denied_by(d) == {"cn.third_party"} and d.earliest_allowed is None
    assert "collect" in d.denials[0].reason_en


def test_a_contact_who_refuses_is_do_not_contact_for_good() -> None:
    three = [attempt(sh(2, 9 + i), "no_answer") for i in range(3)]
    refused = [*three, attempt(sh(2, 14), "refused", cp="sis", party="third_party")]
    d = decide(cn(sh(20, 10), refused, cp="sis", party="third_party", purpose="locate"))
    assert "cn.refusal" in denied_by(d) and d.earliest_allowed is None
    assert decide(cn(sh(2, 13), refused, cp="sis", party="third_party")).allowed  # before the refusal


def test_status_do_not_contact_and_invalid_numbers() -> None:
    points = [point("m1", status="do_not_contact"), point("m2", status="invalid")]
    assert denied_by(decide(scenario(CN, sh(3, 10), points=points))) == {"cn.contact_status"}
    assert denied_by(decide(scenario(CN, sh(3, 10), points=points, cp="m2"))) == {"cn.contact_status"}


def test_only_contacts_the_debtor_provided_or_the_contract_names() -> None:
    points = [
        point("m1"),
        point("x", "friend", source="address_book"),
        point("y", "colleague", source="public_registry"),
    ]
    three = [attempt(sh(2, 9 + i), "no_answer") for i in range(3)]
    for cp in ("x", "y"):
        d = decide(scenario(CN, sh(3, 10), points=points, cp=cp, party="third_party", history=three))
        assert denied_by(d) == {"cn.contact_source"}, cp
    assert decide(cn(sh(3, 10), three, cp="boss", party="third_party")).allowed  # named in the contract
