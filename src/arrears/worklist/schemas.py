"""Request and response bodies of the work-queue REST API (pydantic; documented in the OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from arrears.core.errors import FieldProblem, InputRejected
from arrears.core.money import Money, exponent
from arrears.worklist.model import (
    AttemptReport,
    CallElement,
    CallOutcome,
    ClaimTerms,
    PromiseTerms,
    RaisedFlag,
)

ID = Field(ge=1, le=2**63 - 1)


def money(amount: Decimal, currency: str, field: str) -> Money:
    """Exact money from the request: never rounded (more decimals than the currency has are refused)."""
    try:
        places = exponent(currency)
        value = Money(amount, currency)
    except (ValueError, KeyError) as exc:
        raise InputRejected(
            f"{field}: {exc}", [FieldProblem(0, f"{field}.currency", currency, str(exc))]
        ) from None
    exp = amount.as_tuple().exponent
    if not isinstance(exp, int) or -exp > places:
        raise InputRejected(
            f"{field}.amount: at most {places} decimals in {currency}",
            [FieldProblem(0, f"{field}.amount", str(amount), f"at most {places} decimals")],
        )
    return value


class PromiseIn(BaseModel):
    """A promise to pay taken on the call."""

    model_config = ConfigDict(extra="forbid")
    amount: Decimal = Field(gt=0, examples=["500.00"], description="Decimal string; never a float")
    currency: str | None = Field(
        None, min_length=3, max_length=3, description="Default: ARREARS_DEFAULT_CURRENCY"
    )
    due_on: date = Field(description="Not in the past (the debtor's local date)")
    due_time: time | None = None
    channel: str = Field(min_length=1, max_length=24, examples=["bank_transfer", "wechat_pay", "alipay"])
    account_id: int | None = Field(
        None, ge=1, description="Default: the work item's, else the largest account"
    )
    note: str = Field("", max_length=500)


class ClaimIn(BaseModel):
    """'I already paid': date, amount, channel, reference; matched against payments."""

    model_config = ConfigDict(extra="forbid")
    paid_on: date
    amount: Decimal = Field(gt=0)
    currency: str | None = Field(None, min_length=3, max_length=3)
    channel: str = Field(min_length=1, max_length=24)
    reference: str = Field(min_length=1, max_length=64, description="Transfer id, or cheque number and date")
    account_id: int | None = Field(None, ge=1)


class AttemptIn(BaseModel):
    """One call made from the desk: judged against the contact policy at its start (409 when forbidden)."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = ID
    contact_point_id: int | None = Field(None, ge=1, description="The phone dialled (required for outbound)")
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = Field(None, description="Default: started_at")
    outcome: CallOutcome
    elements: list[CallElement] = Field(
        default_factory=list, description="Which of the nine elements were covered"
    )
    note: str = Field("", max_length=20_000, description="Language-checked and saved with its findings")
    flags: list[RaisedFlag] = Field(default_factory=list)
    flag_details: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="inconvenient_time: {windows: [...]}; inconvenient_place: {places: [...]}",
    )
    promise: PromiseIn | None = None
    claimed_payment: ClaimIn | None = None
    callback_at: AwareDatetime | None = Field(None, description="Book a call-back at this moment")
    work_item_id: int | None = Field(None, ge=1, description="Default: the item of the collector's lease")
    inbound: bool = Field(False, description="The debtor called in (no outbound policy applies)")

    def report(self, default_currency: str) -> AttemptReport:
        """The plain report the service takes."""
        p, c = self.promise, self.claimed_payment
        promise = (
            None
            if p is None
            else PromiseTerms(
                money(p.amount, p.currency or default_currency, "promise"),
                p.due_on,
                p.channel,
                p.due_time,
                p.account_id,
                p.note,
            )
        )
        claim = (
            None
            if c is None
            else ClaimTerms(
                c.paid_on,
                money(c.amount, c.currency or default_currency, "claimed_payment"),
                c.channel,
                c.reference,
                c.account_id,
            )
        )
        return AttemptReport(
            debtor_id=self.debtor_id,
            outcome=self.outcome,
            started_at=self.started_at,
            ended_at=self.ended_at,
            contact_point_id=self.contact_point_id,
            elements=tuple(self.elements),
            note=self.note,
            flags=tuple(self.flags),
            flag_details=self.flag_details,
            promise=promise,
            claim=claim,
            callback_at=self.callback_at,
            work_item_id=self.work_item_id,
            inbound=self.inbound,
        )


class ExternalAttemptIn(BaseModel):
    """A call a dialer made outside Arrears: always recorded; a broken rule is marked as a violation."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = ID
    contact_point_id: int | None = Field(None, ge=1)
    phone: str | None = Field(None, max_length=32, description="The number dialled, E.164 (when no point id)")
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    outcome: CallOutcome
    call_id: str | None = Field(None, max_length=64, description="The dialer's call id: idempotent reports")
    agent: str | None = Field(None, max_length=64, description="The collector's username at the dialer")
    note: str = Field("", max_length=20_000)

    def report(self) -> AttemptReport:
        """The plain report the service takes."""
        return AttemptReport(
            debtor_id=self.debtor_id,
            outcome=self.outcome,
            started_at=self.started_at,
            ended_at=self.ended_at,
            contact_point_id=self.contact_point_id,
            phone=self.phone,
            external_ref=self.call_id,
            agent=self.agent,
            note=self.note,
        )


class CallbackIn(BaseModel):
    """A call-back the debtor asked for; served first when due, still subject to the policy."""

    model_config = ConfigDict(extra="forbid")
    debtor_id: int = ID
    at: AwareDatetime
    contact_point_id: int | None = Field(None, ge=1)
    note: str = Field("", max_length=500)


class DialIn(BaseModel):
    """A dial hand-off token from `next`."""

    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=8, max_length=128)


class RuleOut(BaseModel):
    """A contact rule that blocks (or would block)."""

    rule_id: str
    ruleset: str | None = None
    source: str
    reason_zh: str | None = None
    reason_en: str | None = None
    example_zh: str | None = None
    example_en: str | None = None
    debtors: int | None = None
    not_before: datetime | None = None
    effect: str | None = None


class NextOut(BaseModel):
    """A leased contact (status 'leased') or why none is allowed ('nothing_allowed' / 'queue_empty')."""

    status: Literal["leased", "nothing_allowed", "queue_empty"]
    resumed: bool | None = Field(None, description="The collector already held this debtor")
    lease: dict[str, Any] | None = Field(None, description="id, leased_at, expires_at, release")
    work_item: dict[str, Any] | None = None
    debtor: dict[str, Any] | None = Field(None, description="Masked: id, external_id, name, local_time, ...")
    contact_point: dict[str, Any] | None = Field(None, description="Masked number, relationship, party")
    dial: dict[str, Any] | None = Field(
        None, description="Hand-off token; POST /api/v1/queue/dial resolves it"
    )
    why: dict[str, Any] | None = Field(None, description="Kind, reason, RPC chance, expected recovery, score")
    script_mode: str | None = Field(
        None, description="standard | third_party_no_disclosure | limited_content"
    )
    requirements: list[str] | None = None
    decision_id: int | None = None
    rulesets: list[dict[str, str]] | None = None
    message_zh: str | None = None
    message_en: str | None = None
    examined: int | None = None
    held_by_others: int | None = None
    without_usable_phone: int | None = None
    blocked_without_end: int | None = None
    data_problems: list[str] | None = None
    reasons: list[RuleOut] | None = Field(None, description="The rules blocking the examined work")
    earliest_allowed: datetime | None = Field(None, description="When the next contact becomes available")
    next_due_at: datetime | None = None


class AttemptOut(BaseModel):
    """The recorded attempt and everything it changed."""

    model_config = ConfigDict(extra="allow")
    attempt_id: int
    duplicate: bool = False
    source: str | None = None
    outcome: str | None = None
    history_outcome: str | None = None
    party: str | None = None
    decision_id: int | None = None
    violation: bool | None = None
    violated_rules: list[RuleOut] | None = None
    note: dict[str, Any] | None = None
    contact_point_status: str | None = None
    holds: list[int] | None = None
    promise: dict[str, Any] | None = None
    claim: dict[str, Any] | None = None
    callback: dict[str, Any] | None = None
    work_item: dict[str, Any] | None = None
    lease_released: int | None = None
    contactability: str | None = None
