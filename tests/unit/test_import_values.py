"""Value parsers of the import: the amounts, dates, phones, rates, flags and ids that real files contain."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.columns import amount_column, cn_mobile_column, id_column, text_column


@pytest.mark.parametrize(
    ("raw", "minor"),
    [
        ("1234.50", 123450),
        ("1234.5", 123450),
        ("1234", 123400),
        ("0", 0),
        ("0.01", 1),
        (".5", 50),
        ("¥1,234.50", 123450),
        ("￥1,234.50", 123450),
        ("1,234.50元", 123450),
        ("RMB 1234.5", 123450),
        ("CNY 1,234,567.89", 123456789),
        ("１２３４．５０", 123450),
        ("1，234.50", 123450),
        (" 12.30 ", 1230),
        ("人民币100元", 10000),
        ("1.5万", 1500000),
        ("1234.500", 123450),
        (1234, 123400),
        (1234.5, 123450),
        (Decimal("7.25"), 725),
    ],
)
def test_amounts_in_real_world_forms(raw: object, minor: int) -> None:
    assert vl.parse_amount(raw, "CNY") == minor


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("-100", "negative"),
        ("(1,234.50)", "negative"),
        ("100-", "negative"),
        ("−5", "negative"),
        ("abc", "not a number"),
        ("12,34", "not a number"),
        ("1.2.3", "not a number"),
        ("12.345", "more decimals"),
        ("1e5", "scientific"),
        ("USD 12.00", "USD but the row's currency is CNY"),
        ("$5", "USD"),
        ("", "not a number"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(vl.BadValue, match=reason):
        vl.parse_amount(raw, "CNY")


def test_amount_decimals_follow_the_currency() -> None:
    assert vl.parse_amount("1234", "JPY") == 1234
    with pytest.raises(vl.BadValue, match="more decimals than JPY allows"):
        vl.parse_amount("12.5", "JPY")
    assert vl.parse_amount("1.234", "KWD") == 1234
    assert vl.format_minor(123450, "CNY") == "1234.50" and vl.format_minor(7, "JPY") == "7"


@given(st.integers(min_value=0, max_value=10**13))
def test_amount_round_trip(minor: int) -> None:
    assert vl.parse_amount(vl.format_minor(minor, "CNY"), "CNY") == minor
    assert vl.parse_amount(f"¥{minor // 100:,}.{minor % 100:02d}", "CNY") == minor


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-05", date(2026, 3, 5)),
        ("2026/3/5", date(2026, 3, 5)),
        ("2026-3-5", date(2026, 3, 5)),
        ("2026.03.05", date(2026, 3, 5)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("20260305", date(2026, 3, 5)),
        ("46086", date(2026, 3, 5)),
        ("46086.75", date(2026, 3, 5)),
        ("２０２６－０３－０５", date(2026, 3, 5)),
        ("2026-03-05 14:30:00", date(2026, 3, 5)),
        ("2026-03-05T14:30", date(2026, 3, 5)),
        (46086, date(2026, 3, 5)),
        (datetime(2026, 3, 5, 8, 0), date(2026, 3, 5)),
        (date(2026, 3, 5), date(2026, 3, 5)),
    ],
)
def test_dates_in_real_world_forms(raw: object, expected: date) -> None:
    assert vl.parse_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2026-02-30", "no such date: 2026-02-30"),
        ("2025-02-29", "no such date"),
        ("2026-13-01", "no such date"),
        ("20260230", "no such date"),
        ("05/03/2026", "ambiguous"),
        ("yesterday", "not a date"),
        ("12", "not a plausible Excel date"),
        ("1850-01-01", "out of range"),
    ],
)
def test_impossible_or_unclear_dates_are_refused(raw: str, reason: str) -> None:
    with pytest.raises(vl.BadValue, match=reason):
        vl.parse_date(raw)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("008613812345678", "+8613812345678"),
        ("8613812345678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),
        (13812345678, "+8613812345678"),
        ("010-65001234", "+861065001234"),
        ("0755-88886666", "+8675588886666"),
        ("+852 9123 4567", "+85291234567"),
        ("+1 212 555 0123", "+12125550123"),
    ],
)
def test_phones_become_e164(raw: object, e164: str) -> None:
    assert vl.parse_phone(raw, "CN") == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "+86 123", "1381234567", "23812345678", ""])
def test_invalid_phones_are_refused(raw: str) -> None:
    with pytest.raises(vl.BadValue):
        vl.parse_phone(raw, "CN")


def test_phone_default_region_comes_from_the_caller() -> None:
    assert vl.parse_phone("2125550123", "US") == "+12125550123"


def test_emails() -> None:
    assert vl.parse_email(" Zhang.Wei@Example.COM ") == "Zhang.Wei@example.com"
    for bad in ("zhang", "a@b", "a b@c.com", "a@b.c"):
        with pytest.raises(vl.BadValue):
            vl.parse_email(bad)
    assert vl.looks_like_phone("+86 138-1234-5678") and not vl.looks_like_phone("北京市朝阳区88号")


@pytest.mark.parametrize(
    ("raw", "ppm"),
    [
        ("18%", 180_000),
        ("0.18", 180_000),
        ("18", 180_000),
        ("21.6%", 216_000),
        ("0.05%", 500),
        ("0", 0),
        ("１８％", 180_000),
        (0.18, 180_000),
        (24, 240_000),
    ],
)
def test_rates_are_annual_parts_per_million(raw: object, ppm: int) -> None:
    assert vl.parse_rate_ppm(raw) == ppm


@pytest.mark.parametrize("raw", ["-5%", "abc", "150%", "NaN"])
def test_bad_rates(raw: str) -> None:
    with pytest.raises(vl.BadValue):
        vl.parse_rate_ppm(raw)


def test_flags_and_whole_numbers() -> None:
    assert [vl.parse_bool(x) for x in ("yes", "Y", "1", "是", "true", "no", "否", "0")] == [True] * 5 + [
        False
    ] * 3
    with pytest.raises(vl.BadValue):
        vl.parse_bool("maybe")
    assert (
        vl.parse_int("5", 1, 31) == 5 and vl.parse_int("5天", 0, 365) == 5 and vl.parse_int("7.0", 0, 9) == 7
    )
    with pytest.raises(vl.BadValue, match="between 1 and 31"):
        vl.parse_int("32", 1, 31)
    with pytest.raises(vl.BadValue, match="whole number"):
        vl.parse_int("3.5", 1, 31)


def test_external_ids() -> None:
    assert vl.parse_external_id(" A-001 ") == "A-001"
    assert vl.parse_external_id("ＡＢ１２") == "AB12"
    assert vl.parse_external_id(6222021234567890) == "6222021234567890"
    with pytest.raises(vl.BadValue, match="scientific notation"):
        vl.parse_external_id("6.22202E+15")
    with pytest.raises(vl.BadValue, match="64"):
        vl.parse_external_id("x" * 65)


# The column fast paths must agree with the per-cell parsers on every column they accept.
_cells = st.lists(st.one_of(st.just(""), st.from_regex(r"\d{1,9}(\.\d{0,2})?", fullmatch=True)), min_size=1)


@given(_cells)
def test_amount_column_fast_path_matches_the_parser(cells: list[str]) -> None:
    fast = amount_column(cells, 2)
    assert fast is not None
    assert fast == [vl.parse_amount(c, "CNY") if c else None for c in cells]


@given(st.lists(st.one_of(st.just(""), st.from_regex(r"1[3-9]\d{9}", fullmatch=True)), min_size=1))
def test_mobile_column_fast_path_matches_the_parser(cells: list[str]) -> None:
    assert cn_mobile_column(cells) == [vl.parse_phone(c, "CN") if c else None for c in cells]


def test_column_fast_paths_decline_what_they_cannot_vouch_for() -> None:
    assert amount_column(["1,234.50"], 2) is None and amount_column(["12"], 0) is None
    assert amount_column([None, "1"], 2) is None
    assert cn_mobile_column(["138-1234-5678"]) is None
    assert id_column(["A 1"]) is None and id_column(["6.2E+15"]) is None and id_column(["账号1"]) is None
    assert id_column(["A1", ""]) == ["A1", None]
    assert text_column(5)([" ab ", ""]) == ["ab", None] and text_column(2)(["abc"]) is None
