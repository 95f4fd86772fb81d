"""The portfolio's vocabulary: debtors, contact points, accounts, due items, payments, cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DebtorKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"


class Relationship(StrEnum):
    """Who owns a contact point, relative to the debtor."""

    SELF = "self"
    SPOUSE = "spouse"
    PARENT = "parent"
    RELATIVE = "relative"
    EMPLOYER = "employer"
    COLLEAGUE = "colleague"
    FRIEND = "friend"
    PAYABLES = "payables"
    FINANCE = "finance"
    OWNER = "owner"
    OTHER_ROLE = "other_role"


COMPANY_ROLES = frozenset(
    {Relationship.PAYABLES, Relationship.FINANCE, Relationship.OWNER, Relationship.OTHER_ROLE}
)


class ContactSource(StrEnum):
    """Where a contact point came from. There is deliberately no 'address book' source."""

    DEBTOR_PROVIDED = "debtor_provided"
    CONTRACT = "contract"
    DEBTOR_UPDATE = "debtor_update"  # told to a collector by the debtor during a call
    PUBLIC_REGISTRY = "public_registry"  # a company's registered address or switchboard


class Consent(StrEnum):
    """The consent behind contacting a point."""

    DEBTOR_GAVE = "debtor_gave"
    CONTRACT_NAMES = "contract_names"
    PUBLIC_RECORD = "public_record"


class ContactStatus(StrEnum):
    UNVERIFIED = "unverified"
    VALID = "valid"
    INVALID = "invalid"
    WRONG_PARTY = "wrong_party"
    DO_NOT_CONTACT = "do_not_contact"


class Product(StrEnum):
    CREDIT_CARD = "credit_card"
    CONSUMER_LOAN = "consumer_loan"
    BUSINESS_RECEIVABLE = "business_receivable"


class LoanSubType(StrEnum):
    SALARY = "salary"  # 工薪贷
    PROFESSIONAL = "professional"  # 精英贷
    SMALL_BUSINESS = "small_business"  # 助商贷


class AccountStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"


class CaseStatus(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    PLACED = "placed"
    CLOSED = "closed"


class CaseCloseReason(StrEnum):
    PAID = "paid"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"


class Component(StrEnum):
    """Balance components, also the vocabulary of a payment allocation order."""

    FEES = "fees"
    PENALTY = "penalty"
    INTEREST = "interest"
    PRINCIPAL = "principal"


DEFAULT_ALLOCATION_ORDER = (Component.FEES, Component.PENALTY, Component.INTEREST, Component.PRINCIPAL)


class PenaltyBasis(StrEnum):
    """What penalty interest is charged on."""

    OVERDUE_PRINCIPAL = "overdue_principal"
    OVERDUE_AMOUNT = "overdue_amount"


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The terms aging needs: grace, late fee per missed cycle, penalty rate and day-count basis."""

    currency: str
    grace_days: int = 0
    late_fee_minor: int = 0
    penalty_rate_ppm: int = 0  # annual rate in parts per million: 0.18 p.a. = 180_000
    penalty_basis: PenaltyBasis = PenaltyBasis.OVERDUE_AMOUNT
    day_count: int = 360  # 360 or 365
    due_day: int = 0  # day of month of the statement/instalment cycle; 0 = the first due date's day
    allocation_order: tuple[Component, ...] = DEFAULT_ALLOCATION_ORDER


@dataclass(frozen=True, slots=True)
class DueItem:
    """One instalment or statement cycle: due date, amount, and how much of it is paid."""

    due_date: date
    amount_minor: int
    paid_minor: int = 0

    @property
    def unpaid_minor(self) -> int:
        """What is still owed on this item."""
        return max(0, self.amount_minor - self.paid_minor)
