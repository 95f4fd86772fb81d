"""Money: exact Decimal amounts with a currency, integer minor units, never a float."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.core.money import CurrencyMismatch, Money, exponent


def test_exponents_of_common_currencies() -> None:
    assert exponent("CNY") == 2
    assert exponent("USD") == 2
    assert exponent("JPY") == 0
    assert exponent("KWD") == 3


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1234.5", "CNY", 123450),
        ("0.005", "CNY", 1),  # half-up
        ("0.004", "CNY", 0),
        ("-0.005", "CNY", -1),  # half away from zero
        ("100", "JPY", 100),
        ("99.5", "JPY", 100),
        ("1.2345", "KWD", 1235),
        (7, "CNY", 700),
        (Decimal("2.675"), "USD", 268),
    ],
)
def test_of_rounds_half_up_to_the_minor_unit(amount: str | int | Decimal, currency: str, minor: int) -> None:
    assert Money.of(amount, currency).minor == minor


def test_from_minor_and_back() -> None:
    m = Money.from_minor(123450, "CNY")
    assert m.amount == Decimal("1234.50")
    assert m.minor == 123450
    assert Money.from_minor(5, "JPY").amount == Decimal(5)
    assert Money.from_minor(1235, "KWD").amount == Decimal("1.235")


@given(st.integers(min_value=-(10**15), max_value=10**15), st.sampled_from(["CNY", "USD", "JPY", "KWD"]))
def test_minor_units_round_trip_exactly(minor: int, currency: str) -> None:
    assert Money.from_minor(minor, currency).minor == minor


@given(st.lists(st.integers(min_value=0, max_value=10**12), max_size=50))
def test_sums_are_exact(minors: list[int]) -> None:
    total = Money.zero("CNY")
    for m in minors:
        total = total + Money.from_minor(m, "CNY")
    assert total.minor == sum(minors)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        Money(0.1, "CNY")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="decimal"):
        Money.of("twelve", "CNY")


@pytest.mark.parametrize("currency", ["cny", "CN", "CNYY", "C1Y", ""])
def test_currency_must_be_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match="ISO 4217"):
        Money.of("1", currency)


def test_arithmetic_and_comparison() -> None:
    a, b = Money.of("10.50", "CNY"), Money.of("0.75", "CNY")
    assert (a + b).minor == 1125
    assert (a - b).minor == 975
    assert (-a).minor == -1050
    assert b < a and a > b and a >= a and b <= b
    assert Money.zero("CNY").is_zero() and not a.is_zero()


def test_currencies_do_not_mix() -> None:
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "CNY") + Money.of("1", "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money.of("1", "CNY") < Money.of("1", "USD")
    with pytest.raises(TypeError):
        _ = Money.of("1", "CNY") + 1  # type: ignore[operator]


def test_format_groups_thousands_with_the_currency_places() -> None:
    assert Money.from_minor(123456789, "CNY").format() == "CNY 1,234,567.89"
    assert str(Money.from_minor(0, "CNY")) == "CNY 0.00"
    assert Money.from_minor(1500000, "JPY").format() == "JPY 1,500,000"
    assert Money.from_minor(1235, "KWD").format() == "KWD 1.235"
    assert Money.from_minor(-2550, "USD").format() == "USD -25.50"
