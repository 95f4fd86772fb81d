"""Request bodies of the payments REST API (pydantic; documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from arrears.core.errors import FieldProblem, InputRejected
from arrears.core.money import Money, exponent

TEXT = r"^[^\x00-\x1f\x7f]*$"  # no control characters
MAX_AMOUNT = Decimal("1e13")


def Amount() -> Decimal:  # noqa: N802  (reads like a type in the models below)
    """A positive decimal amount field (a string in JSON; never a float)."""
    return Field(gt=0, lt=MAX_AMOUNT, max_digits=18, examples=["500.00"])  # type: ignore[no-any-return]


def Currency() -> str | None:  # noqa: N802
    """An optional ISO 4217 code field."""
    return Field(None, pattern=r"^[A-Z]{3}$",
                 description="ISO 4217; default: the account's")  # type: ignore[no-any-return]


def money(amount: Decimal, currency: str, field: str = "amount") -> Money:
    """Exact money from a request: more decimals than the currency has are refused, never rounded."""
    exp = amount.as_tuple().exponent
    if not isinstance(exp, int) or -exp > exponent(currency):
        raise InputRejected(f"{field}: at most {exponent(currency)} decimals in {currency}",
                            [FieldProblem(0, field, str(amount), f"at most {exponent(currency)} decimals")])
    return Money(amount, currency)


class PaymentIn(BaseModel):
    """A payment to post (idempotent by reference)."""

    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=64, pattern=TEXT, description="The account's external id")
    reference: str = Field(min_length=1, max_length=64, pattern=TEXT,
                           description="The channel's transaction id")
    amount: Decimal = Amount()
    currency: str | None = Currency()
    paid_on: date
    channel: str = Field(min_length=1, max_length=24, pattern=TEXT,
                         examples=["bank_transfer", "wechat_pay", "alipay", "cheque"])


class ReversalIn(BaseModel):
    """Why a payment is reversed (bounced, recalled, posted to the wrong account)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)


class PromiseIn(BaseModel):
    """A promise to pay taken outside a recorded call."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = Field(ge=1, le=2**63 - 1)
    account_id: int | None = Field(None, ge=1, le=2**63 - 1)
    amount: Decimal = Amount()
    currency: str | None = Currency()
    due_on: date
    due_time: time | None = None
    channel: str = Field(min_length=1, max_length=24, pattern=TEXT)
    note: str = Field("", max_length=500, pattern=TEXT)


class ClaimIn(BaseModel):
    """'I already paid': matched against posted payments, else queued for checking."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = Field(ge=1, le=2**63 - 1)
    account_id: int | None = Field(None, ge=1, le=2**63 - 1)
    paid_on: date
    amount: Decimal = Amount()
    currency: str | None = Currency()
    channel: str = Field(min_length=1, max_length=24, pattern=TEXT)
    reference: str | None = Field(None, max_length=64, pattern=TEXT)


class PlanIn(BaseModel):
    """A payment plan: total, number of instalments, frequency, first due date."""

    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=64, pattern=TEXT)
    total: Decimal = Amount()
    instalments: int = Field(ge=1, le=120)
    frequency: Literal["weekly", "biweekly", "monthly"] = "monthly"
    start_on: date
    channel: str = Field("bank_transfer", min_length=1, max_length=24, pattern=TEXT)
    reage: bool = Field(False, description="Re-age the account as the plan is kept (where the policy allows)")
    note: str = Field("", max_length=500, pattern=TEXT)


class SettlementIn(BaseModel):
    """A settlement: pay this amount by this date and the rest is forgiven."""

    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=64, pattern=TEXT)
    amount: Decimal = Amount()
    due_on: date
    reason: str = Field(min_length=1, max_length=1000, pattern=TEXT)
    channel: str = Field("bank_transfer", min_length=1, max_length=24, pattern=TEXT)


class WaiverIn(BaseModel):
    """A waiver (减免): an amount (penalty and fees first) or named components."""

    model_config = ConfigDict(extra="forbid")
    account: str = Field(min_length=1, max_length=64, pattern=TEXT)
    amount: Decimal | None = Field(None, gt=0, lt=MAX_AMOUNT, max_digits=18)
    parts: dict[Literal["fees", "penalty", "interest", "principal"], Decimal] | None = None
    reason: str = Field(min_length=1, max_length=1000, pattern=TEXT)


class DecisionIn(BaseModel):
    """Approve or reject, always with a reason."""

    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str = Field(min_length=1, max_length=1000, pattern=TEXT)


class JudgeIn(BaseModel):
    """Judge promises, instalments and settlements due by a date."""

    model_config = ConfigDict(extra="forbid")
    as_of: date
