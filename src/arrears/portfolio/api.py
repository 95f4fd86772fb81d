"""Portfolio REST API (read side): summary, debtor list, one debtor, one account. Personal data masked."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from arrears.core.access import Permission, Principal
from arrears.core.money import Money
from arrears.portfolio import service
from arrears.portfolio.model import CaseStatus, Product
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["portfolio"])
_READ = requires(Permission.PORTFOLIO_READ)


class DebtorSort(StrEnum):
    """Sort key of the debtor list (the service's whitelist); a leading '-' sorts descending."""

    DPD_DESC = "-dpd"
    DPD = "dpd"
    OUTSTANDING_DESC = "-outstanding"
    OUTSTANDING = "outstanding"
    NAME = "name"
    NAME_DESC = "-name"
    EXTERNAL_ID = "external_id"
    EXTERNAL_ID_DESC = "-external_id"


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class MoneyOut(_Out):
    """An exact amount: a decimal string and integer minor units, never a float."""

    currency: str = Field(examples=["CNY"])
    amount: str = Field(description="Decimal string in major units", examples=["1234.50"])
    minor: int = Field(description="Integer minor units (fen, cents)", examples=[123450])

    @model_validator(mode="before")
    @classmethod
    def _from_money(cls, value: Any) -> Any:
        if isinstance(value, Money):
            return {"currency": value.currency, "amount": f"{value.amount:f}", "minor": value.minor}
        return value


class CurrencyBalanceOut(_Out):
    """Balances of the accounts held in one currency, by component."""

    currency: str
    accounts: int
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    penalty: MoneyOut
    outstanding: MoneyOut = Field(description="principal + interest + fees + penalty")
    credit: MoneyOut = Field(description="Overpayments held")


class BucketLineOut(_Out):
    """Accounts and outstanding in one aging bucket."""

    bucket: str = Field(examples=["M1"])
    dpd_from: int
    dpd_to: int | None = Field(description="Inclusive upper DPD bound; null for WO")
    accounts: int
    outstanding: list[MoneyOut] = Field(description="One amount per currency")


class ProductLineOut(_Out):
    """Accounts and outstanding of one product."""

    product: str
    accounts: int
    outstanding: list[MoneyOut]


class AgingRunOut(_Out):
    """The latest aging run."""

    id: int
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    accounts_aged: int
    bucket_moves: int
    late_fees: int
    late_fees_minor: int
    penalty_minor: int


class ImportBatchOut(_Out):
    """One import batch with its row counts."""

    reference: str
    kind: str
    file_name: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_total: int
    rows_new: int
    rows_changed: int
    rows_unchanged: int
    rows_rejected: int


class PortfolioSummaryOut(_Out):
    """The portfolio at a glance."""

    as_of: datetime
    debtors: int
    accounts: int
    open_cases: int = Field(description="Cases that are not closed (open, on hold, placed)")
    balances: list[CurrencyBalanceOut]
    buckets: list[BucketLineOut] = Field(description="M0..Mn and WO, in order, including empty ones")
    products: list[ProductLineOut]
    last_aging_run: AgingRunOut | None
    recent_imports: list[ImportBatchOut]


class DebtorRowOut(_Out):
    """One debtor in the list; name and phone masked."""

    id: int
    external_id: str
    kind: str
    name: str = Field(description="Masked, e.g. 张**")
    phone: str = Field(description="The debtor's own phone, masked, e.g. +86 138****5678")
    timezone: str
    accounts: int
    max_dpd: int
    buckets: list[str]
    products: list[str]
    outstanding: list[MoneyOut]
    case_status: str | None


class DebtorPageOut(_Out):
    """One page of the debtor list."""

    items: list[DebtorRowOut]
    total: int
    page: int
    page_size: int
    pages: int
    sort: str


class DueItemOut(_Out):
    """One instalment or statement cycle."""

    due_date: date
    amount: MoneyOut
    paid: MoneyOut
    unpaid: MoneyOut
    overdue: bool


class PaymentOut(_Out):
    """One payment."""

    reference: str
    paid_on: date
    amount: MoneyOut
    channel: str
    status: str


class BucketSpellOut(_Out):
    """A stretch of time spent in one bucket."""

    bucket: str
    entered_on: date
    left_on: date | None
    dpd_at_entry: int


class AccountOut(_Out):
    """One account: terms, balances by component, aging state, due items, payments, bucket history."""

    id: int
    external_id: str
    debtor_id: int
    debtor_name: str = Field(description="Masked")
    case_id: int | None
    product: str
    sub_type: str | None
    currency: str
    status: str
    open_date: date | None
    credit_limit: MoneyOut | None
    grace_days: int
    late_fee: MoneyOut
    penalty_rate_ppm: int = Field(description="Annual penalty rate in parts per million")
    principal: MoneyOut
    interest: MoneyOut
    fees: MoneyOut
    penalty: MoneyOut
    credit: MoneyOut
    outstanding: MoneyOut
    dpd: int
    bucket: str
    aged_as_of: date | None
    last_payment_date: date | None
    last_payment: MoneyOut | None
    due_items: list[DueItemOut]
    payments: list[PaymentOut]
    bucket_history: list[BucketSpellOut]


class ContactOut(_Out):
    """One contact point; the value is masked."""

    id: int
    channel: str
    value: str = Field(description="Masked phone, e-mail or address")
    relationship: str
    contact_name: str | None
    source: str
    consent: str
    consent_at: datetime | None
    status: str
    timezone: str | None
    last_verified_at: datetime | None


class CaseOut(_Out):
    """One collection case."""

    id: int
    status: str
    hold_reason: str | None
    close_reason: str | None
    opened_on: date
    closed_on: date | None
    accounts: list[str] = Field(description="External ids of the accounts in the case")


class DebtorOut(_Out):
    """One view of a debtor (identity masked) with the debtor's local time now."""

    id: int
    external_id: str
    kind: str
    name: str
    name_latin: str | None
    id_type: str | None
    id_number: str | None = Field(description="Masked, e.g. 1101**********1234")
    occupation: str | None
    employer: str | None
    preferred_language: str
    address: str | None = Field(description="Coarse part only")
    region: str | None
    is_key_account: bool
    timezone: str
    timezone_source: str
    local_time: datetime = Field(description="Now, in the debtor's time zone")
    outstanding: list[MoneyOut]
    max_dpd: int
    accounts: list[AccountOut]
    contacts: list[ContactOut]
    cases: list[CaseOut]


@router.get("/portfolio/summary", response_model=PortfolioSummaryOut, summary="Portfolio summary")
def get_summary(
    rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_READ)
) -> PortfolioSummaryOut:
    """Counts, balances by currency, by bucket and by product, latest runs (within the caller's scope)."""
    return PortfolioSummaryOut.model_validate(service.portfolio_summary(rt, principal))


@router.get("/debtors", response_model=DebtorPageOut, summary="List debtors")
def get_debtors(
    rt: Runtime = Depends(get_runtime),
    principal: Principal = Depends(_READ),
    q: str | None = Query(None, max_length=100, description="Name, debtor or account id, or phone digits"),
    bucket: str | None = Query(None, pattern=r"^(M\d{1,2}|WO)$", description="Has an account in bucket"),
    product: Product | None = Query(None, description="Has an account of product"),
    status: CaseStatus | None = Query(None, description="Case status"),
    page: int = Query(1, ge=1, le=100_000),
    page_size: int = Query(50, ge=1, le=service.MAX_PAGE_SIZE),
    sort: DebtorSort = Query(DebtorSort.DPD_DESC, description="Sort key; '-' = descending"),
) -> DebtorPageOut:
    """Debtors matching a search and filters, one page at a time (names and phones masked)."""
    result = service.list_debtors(
        rt, principal, q=q, bucket=bucket, product=product.value if product else None,
        status=status.value if status else None, page=page, page_size=page_size, sort=sort.value,
    )
    return DebtorPageOut(
        items=[DebtorRowOut.model_validate(i) for i in result.items], total=result.total, page=result.page,
        page_size=result.page_size, pages=result.pages, sort=result.sort,
    )


@router.get("/debtors/{debtor_id}", response_model=DebtorOut, summary="One debtor",
            responses={404: {"description": "No such debtor"}})
def get_debtor(
    debtor_id: int = Path(ge=1, le=2**63 - 1), rt: Runtime = Depends(get_runtime),
    principal: Principal = Depends(_READ),
) -> DebtorOut:
    """Identity (masked), local time, accounts, contact points (masked), cases and bucket history.

    404 for a debtor outside the caller's team or agency (existence is not revealed).
    """
    return DebtorOut.model_validate(service.debtor_view(rt, principal, debtor_id))


@router.get("/accounts/{external_id}", response_model=AccountOut, summary="One account",
            responses={404: {"description": "No such account"}})
def get_account(
    external_id: str = Path(max_length=64), rt: Runtime = Depends(get_runtime),
    principal: Principal = Depends(_READ),
) -> AccountOut:
    """One account by the source system's id: balances by component, DPD, bucket, items, payments."""
    return AccountOut.model_validate(service.account_view(rt, principal, external_id))
