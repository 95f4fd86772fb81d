"""Contact windows at their edges: local time, every possible zone, DST, consent to a time, declared times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.compliance_kit import NY, decide, denied_by, flag, point, scenario, sh

CN = ["cn-gbt45251"]
US = ["us-regf"]


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"), [(21, 59, True), (22, 0, False), (7, 59, False), (8, 0, True)]
)
def test_cn_night_window_edges(hour: int, minute: int, allowed: bool) -> None:
    d = decide(scenario(CN, sh(3, hour, minute)))
    assert d.allowed is allowed
    if not allowed:
        assert denied_by(d) == {"cn.night"}
        expected = sh(4, 8) if hour >= 22 else sh(3, 8)
        assert d.earliest_allowed == expected


def test_cn_night_reason_is_bilingual_and_sourced() -> None:
    hit = decide(scenario(CN, sh(3, 22))).denials[0]
    assert "22:00" in hit.reason_zh and "禁止联系时段" in hit.reason_zh
    assert "no-contact period" in hit.reason_en
    assert hit.source.startswith("GB/T 45251-2025")
    assert hit.ruleset == "cn-gbt45251"


def test_cn_the_debtor_agreed_to_a_late_time() -> None:
    consent = flag("consent_to_time", sh(1, 10), detail={"windows": [{"start": "22:00", "end": "23:00"}]})
    assert decide(scenario(CN, sh(3, 22, 30), flags=[consent])).allowed
    late = decide(scenario(CN, sh(3, 23, 0), flags=[consent]))
    assert not late.allowed and late.earliest_allowed == sh(4, 8)
    # consent to a time covers the debtor only, not a third party
    third = scenario(
        CN,
        sh(3, 22, 30),
        flags=[consent],
        cp="sis",
        party="third_party",
        points=[point("m1", status="invalid"), point("sis", "relative")],
    )
    assert "cn.night" in denied_by(decide(third))


def test_cn_consent_to_an_appointment_moves_earliest_allowed() -> None:
    appointment = flag(
        "consent_to_time",
        sh(3, 12),
        detail={"from": sh(3, 22, 40).isoformat(), "until": sh(3, 23, 0).isoformat()},
    )
    d = decide(scenario(CN, sh(3, 22, 10), flags=[appointment]))
    assert not d.allowed and d.earliest_allowed == sh(3, 22, 40)


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"), [(20, 59, True), (21, 0, False), (7, 59, False), (8, 0, True)]
)
def test_us_window_edges(hour: int, minute: int, allowed: bool) -> None:
    at = datetime(2026, 4, 7, hour, minute, tzinfo=NY)
    d = decide(scenario(US, at, tz="America/New_York", address="America/New_York"))
    assert d.allowed is allowed


def _ny_la(at: datetime) -> dict:
    return scenario(
        US,
        at,
        cp="cell",
        tz="America/New_York",
        address="America/New_York",
        points=[point("cell", zone="America/Los_Angeles")],
    )


@pytest.mark.parametrize(
    ("at", "allowed"),
    [
        (datetime(2026, 3, 9, 14, 59, tzinfo=UTC), False),  # 10:59 EDT / 07:59 PDT
        (datetime(2026, 3, 9, 15, 0, tzinfo=UTC), True),  # 11:00 EDT / 08:00 PDT
        (datetime(2026, 3, 10, 0, 59, tzinfo=UTC), True),  # 20:59 EDT / 17:59 PDT
        (datetime(2026, 3, 10, 1, 0, tzinfo=UTC), False),  # 21:00 EDT
        (datetime(2026, 3, 7, 15, 30, tzinfo=UTC), False),  # before DST: 10:30 EST / 07:30 PST
        (datetime(2026, 3, 7, 16, 0, tzinfo=UTC), True),  # 11:00 EST / 08:00 PST
    ],
)
def test_us_address_and_phone_in_different_zones_only_the_overlap(at: datetime, allowed: bool) -> None:
    assert decide(_ny_la(at)).allowed is allowed


def test_us_earliest_allowed_across_the_march_dst_change() -> None:
    # Saturday 2026-03-07 21:00 EST (02:00Z Sunday) is too late in New York; Sunday is the DST change,
    # so the overlap opens at 08:00 PDT = 15:00Z, an hour earlier in UTC than on Saturday (16:00Z).
    d = decide(_ny_la(datetime(2026, 3, 8, 2, 0, tzinfo=UTC)))
    assert not d.allowed
    assert d.earliest_allowed == datetime(2026, 3, 8, 15, 0, tzinfo=UTC)
    assert d.as_dict()["earliest_allowed_local"]["America/Los_Angeles"].startswith("2026-03-08T08:00")
    assert set(dict(d.local_times)) == {"America/New_York", "America/Los_Angeles"}


def test_us_unknown_zone_means_every_us_zone() -> None:
    unknown = {"address": None, "points": [point("m1", zone="")]}
    early = decide(scenario(US, datetime(2026, 4, 7, 17, 0, tzinfo=UTC), tz="America/New_York", **unknown))
    assert not early.allowed  # 07:00 in Honolulu
    assert early.earliest_allowed == datetime(2026, 4, 7, 18, 0, tzinfo=UTC)  # 08:00 HST
    assert decide(
        scenario(US, datetime(2026, 4, 7, 19, 0, tzinfo=UTC), tz="America/New_York", **unknown)
    ).allowed


def test_declared_inconvenient_time_and_lift() -> None:
    busy = flag("inconvenient_time", sh(1, 9), detail={"windows": [{"start": "12:00", "end": "14:00"}]})
    d = decide(scenario(["house-default"], sh(3, 12, 30), flags=[busy]))
    assert denied_by(d) == {"house.declared_times"} and d.earliest_allowed == sh(3, 14)
    assert decide(scenario(["house-default"], sh(3, 14), flags=[busy])).allowed
    lifted = flag(
        "inconvenient_time",
        sh(1, 9),
        lifted_at=sh(3, 12, 45),
        detail={"windows": [{"start": "12:00", "end": "14:00"}]},
    )
    d2 = decide(scenario(["house-default"], sh(3, 12, 30), flags=[lifted]))
    assert d2.earliest_allowed == sh(3, 12, 45)


def test_declared_time_only_on_given_weekdays() -> None:
    monday_lunch = flag(
        "inconvenient_time",
        sh(1, 9),
        detail={"windows": [{"start": "12:00", "end": "14:00", "weekdays": [0]}]},
    )
    assert not decide(scenario(["house-default"], sh(2, 12, 30), flags=[monday_lunch])).allowed  # Monday
    assert decide(scenario(["house-default"], sh(3, 12, 30), flags=[monday_lunch])).allowed  # Tuesday


def test_layering_the_stricter_house_window_wins_and_earliest_is_reevaluated() -> None:
    d = decide(scenario(["cn-gbt45251", "house-default"], sh(3, 8, 30)))
    assert denied_by(d) == {"house.hours"}  # the regulation allows from 08:00, the house from 09:00
    assert d.earliest_allowed == sh(3, 9)
    assert [name for name, _ in d.rulesets] == ["cn-gbt45251", "house-default"]
    assert d.evaluated_at == sh(3, 8, 30)
