"""Read models of the portfolio: what the summary, the debtor list and the one view of a debtor return.

Plain frozen dataclasses (no FastAPI, no SQLAlchemy). Personal data in them is already masked: the
services mask before anything leaves the database layer, so no page or response can show it by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from arrears.core.money import Money


@dataclass(frozen=True, slots=True)
class CurrencyBalance:
    """What the portfolio holds in one currency, by balance component."""

    currency: str
    accounts: int
    principal: Money
    interest: Money
    fees: Money
    penalty: Money
    outstanding: Money
    credit: Money


@dataclass(frozen=True, slots=True)
class BucketLine:
    """One aging bucket: its DPD range, the accounts in it and what they owe (one Money per currency)."""

    bucket: str
    dpd_from: int
    dpd_to: int | None
    accounts: int
    outstanding: tuple[Money, ...]


@dataclass(frozen=True, slots=True)
class ProductLine:
    """One product: its accounts and what they owe (one Money per currency)."""

    product: str
    accounts: int
    outstanding: tuple[Money, ...]


@dataclass(frozen=True, slots=True)
class AgingRunView:
    """One aging run and what it did."""

    id: int
    as_of: date
    started_at: datetime
    finished_at: datetime | None
    accounts_aged: int
    bucket_moves: int
    late_fees: int
    late_fees_minor: int
    penalty_minor: int


@dataclass(frozen=True, slots=True)
class ImportBatchView:
    """One import batch and its row counts."""

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


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    """The portfolio at a glance, as of the clock's now."""

    as_of: datetime
    debtors: int
    accounts: int
    open_cases: int
    balances: tuple[CurrencyBalance, ...]
    buckets: tuple[BucketLine, ...]
    products: tuple[ProductLine, ...]
    last_aging_run: AgingRunView | None
    recent_imports: tuple[ImportBatchView, ...]

    @property
    def is_empty(self) -> bool:
        """True when nothing has been imported or generated yet."""
        return self.debtors == 0 and self.accounts == 0


@dataclass(frozen=True, slots=True)
class DebtorRow:
    """One line of the debtor list (masked)."""

    id: int
    external_id: str
    kind: str
    name: str
    phone: str
    timezone: str
    accounts: int
    max_dpd: int
    buckets: tuple[str, ...]
    products: tuple[str, ...]
    outstanding: tuple[Money, ...]
    case_status: str | None


@dataclass(frozen=True, slots=True)
class DebtorPage:
    """One page of the filtered, sorted debtor list."""

    items: tuple[DebtorRow, ...]
    total: int
    page: int
    page_size: int
    sort: str

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, -(-self.total // self.page_size))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when empty)."""
        return (self.page - 1) * self.page_size + 1 if self.items else 0

    @property
    def last(self) -> int:
        """1-based position of the last row shown (0 when empty)."""
        return self.first + len(self.items) - 1 if self.items else 0


@dataclass(frozen=True, slots=True)
class DueItemView:
    """One instalment or statement cycle of an account."""

    due_date: date
    amount: Money
    paid: Money
    unpaid: Money
    overdue: bool


@dataclass(frozen=True, slots=True)
class PaymentView:
    """One payment received on an account."""

    reference: str
    paid_on: date
    amount: Money
    channel: str
    status: str


@dataclass(frozen=True, slots=True)
class BucketSpell:
    """A stretch of time an account spent in one bucket."""

    bucket: str
    entered_on: date
    left_on: date | None
    dpd_at_entry: int


@dataclass(frozen=True, slots=True)
class AccountView:
    """One account: terms, balances by component, aging state, due items, payments, bucket history."""

    id: int
    external_id: str
    debtor_id: int
    debtor_name: str
    case_id: int | None
    product: str
    sub_type: str | None
    currency: str
    status: str
    open_date: date | None
    credit_limit: Money | None
    grace_days: int
    late_fee: Money
    penalty_rate_ppm: int
    principal: Money
    interest: Money
    fees: Money
    penalty: Money
    credit: Money
    outstanding: Money
    dpd: int
    bucket: str
    aged_as_of: date | None
    last_payment_date: date | None
    last_payment: Money | None
    due_items: tuple[DueItemView, ...]
    payments: tuple[PaymentView, ...]
    bucket_history: tuple[BucketSpell, ...]


@dataclass(frozen=True, slots=True)
class ContactView:
    """One contact point (masked value) with whose it is, where it came from and the consent behind it."""

    id: int
    channel: str
    value: str
    relationship: str
    contact_name: str | None
    source: str
    consent: str
    consent_at: datetime | None
    status: str
    timezone: str | None
    last_verified_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseView:
    """One collection case of the debtor."""

    id: int
    status: str
    hold_reason: str | None
    close_reason: str | None
    opened_on: date
    closed_on: date | None
    accounts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DebtorView:
    """Everything about one debtor a collector needs before a call (personal data masked)."""

    id: int
    external_id: str
    kind: str
    name: str
    name_latin: str | None
    id_type: str | None
    id_number: str | None
    occupation: str | None
    employer: str | None
    preferred_language: str
    address: str | None
    region: str | None
    is_key_account: bool
    timezone: str
    timezone_source: str
    local_time: datetime
    outstanding: tuple[Money, ...]
    max_dpd: int
    accounts: tuple[AccountView, ...]
    contacts: tuple[ContactView, ...]
    cases: tuple[CaseView, ...]
