"""Money: a Decimal amount with its ISO 4217 currency; stored as integer minor units."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Minor-unit exponents for the currencies a collections desk meets; ISO 4217 default is 2.
_EXPONENTS: dict[str, int] = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def exponent(currency: str) -> int:
    """Number of minor-unit digits of a currency (CNY 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency, 2)


class CurrencyMismatch(ValueError):
    """Raised when two amounts in different currencies meet."""


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency; never a float."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, float):
            raise TypeError("Money never takes a float; pass a Decimal, int or str")
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", Decimal(self.amount))
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {self.currency!r}")

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build from a decimal string or number, rounded half-up to the currency's minor unit."""
        try:
            value = Decimal(amount)
        except (InvalidOperation, TypeError) as exc:
            raise ValueError(f"not a decimal amount: {amount!r}") from exc
        quantum = Decimal(1).scaleb(-exponent(currency))
        return cls(value.quantize(quantum, rounding=ROUND_HALF_UP), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build from integer minor units (fen, cents) as stored in the database."""
        return cls(Decimal(int(minor)).scaleb(-exponent(currency)), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """A zero amount in the currency."""
        return cls.from_minor(0, currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units, rounded half-up."""
        scaled = self.amount.scaleb(exponent(self.currency))
        return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def _check(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} do not mix")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        """True when the amount is exactly zero."""
        return self.amount == 0

    def format(self) -> str:
        """Human form with grouping, e.g. 'CNY 1,234.50'."""
        places = exponent(self.currency)
        return f"{self.currency} {self.amount:,.{places}f}"

    def __str__(self) -> str:
        return self.format()
