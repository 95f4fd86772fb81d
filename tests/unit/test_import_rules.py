"""Portfolio rules the import relies on: a debtor's country and time zone from what a file tells."""

from __future__ import annotations

import pytest

from arrears.portfolio.rules import (
    choose_timezone,
    is_known_zone,
    parse_region,
    region_from_address,
    zone_for_phone,
    zone_for_region,
)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("CN", "CN"),
        ("cn", "CN"),
        ("China", "CN"),
        ("中国", "CN"),
        ("广东省", "CN"),
        ("香港", "HK"),
        ("Hong Kong", "HK"),
        ("澳门", "MO"),
        ("SG", "SG"),
        ("Singapore", "SG"),
        ("United Kingdom", "GB"),
        ("beijing", "CN"),
        ("", None),
        ("Atlantis", None),
    ],
)
def test_regions(raw: str, code: str | None) -> None:
    assert parse_region(raw) == code


@pytest.mark.parametrize(
    ("address", "code"),
    [
        ("北京市朝阳区建国路88号", "CN"),
        ("广东省深圳市南山区", "CN"),
        ("中国上海市", "CN"),
        ("香港九龙弥敦道132号", "HK"),
        ("Room 1203, 88 Queen's Road Central, Hong Kong", "HK"),
        ("12 Orchard Road, Singapore", "SG"),
        ("Unit 5, Shenzhen Bay", "CN"),
        ("221B Baker Street", None),
        ("", None),
    ],
)
def test_region_from_address(address: str, code: str | None) -> None:
    assert region_from_address(address) == code


def test_zones() -> None:
    assert zone_for_region("CN") == "Asia/Shanghai" and zone_for_region("HK") == "Asia/Hong_Kong"
    assert zone_for_region("US") is None and zone_for_region(None) is None and zone_for_region("XX") is None
    assert (
        zone_for_phone("+8613812345678") == "Asia/Shanghai"
        and zone_for_phone("+85291234567") == "Asia/Hong_Kong"
    )
    assert zone_for_phone("+12125550123") == "America/New_York" and zone_for_phone("+999") is None
    assert is_known_zone("Asia/Shanghai") and not is_known_zone("Asia/Beijing")


def test_choose_timezone_prefers_given_then_address_then_phone_then_default() -> None:
    assert choose_timezone("Europe/Paris", "CN", "+8613812345678", "UTC") == ("Europe/Paris", "given")
    assert choose_timezone(None, "HK", "+8613812345678", "UTC") == ("Asia/Hong_Kong", "address")
    assert choose_timezone(None, "US", "+12125550123", "UTC") == ("America/New_York", "phone")
    assert choose_timezone(None, None, None, "Asia/Shanghai") == ("Asia/Shanghai", "default")
