"""The payments domain's vocabulary: statuses, outcomes of the use cases, promise history (plain Python)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from arrears.core.money import Money


class PromiseStatus(StrEnum):
    """A promise is pending (or waits for approval), then judged kept, partly kept or broken."""

    PENDING = "pending"
    AWAITING_APPROVAL = "awaiting_approval"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


#: statuses still waiting for money (judged by payments, then at due + grace)
OPEN_PROMISE = (PromiseStatus.PENDING, PromiseStatus.AWAITING_APPROVAL)
JUDGED_PROMISE = (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)


class ClaimStatus(StrEnum):
    """'I already paid': matched to a posted payment, or not (yet)."""

    MATCHED = "matched"
    UNMATCHED = "unmatched"
    REJECTED = "rejected"


class ApprovalKind(StrEnum):
    PROMISE = "promise"
    PLAN = "plan"
    SETTLEMENT = "settlement"
    WAIVER = "waiver"


class ApprovalLevel(StrEnum):
    """Who may decide: the lowest role allowed; a committee is two distinct managers."""

    COLLECTOR = "collector"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    COMMITTEE = "committee"


LEVEL_RANK = {ApprovalLevel.COLLECTOR: 1, ApprovalLevel.TEAM_LEAD: 2, ApprovalLevel.MANAGER: 3,
              ApprovalLevel.COMMITTEE: 4}


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class PlanStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class SettlementStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    PAID = "paid"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"


class WaiverStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    APPLIED = "applied"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class LedgerKind(StrEnum):
    """Why an account's balances changed."""

    OPENING = "opening"
    ACCRUAL = "accrual"
    PAYMENT = "payment"
    REVERSAL = "reversal"
    WAIVER = "waiver"
    SETTLEMENT = "settlement"
    CREDIT = "credit"
    SYNC = "sync"      # a change made outside this domain (an import), booked so the ledger stays whole
    REAGE = "reage"    # no money moves; due dates reset


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    """What make_promise did: the promise, its status, the approval request and the confirmation."""

    promise_id: int
    status: PromiseStatus
    approval_id: int | None
    confirmation_id: int


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """What record_claimed_payment did: the claim and the payment it matched, if any."""

    claim_id: int
    matched_payment_id: int | None
    work_item_id: int | None = None


@dataclass(frozen=True, slots=True)
class PromiseItem:
    """One promise as the collector sees it in the debtor's history."""

    id: int
    account_id: int | None
    amount: Money
    paid: Money
    due_on: date
    due_time: time | None
    channel: str
    status: PromiseStatus
    created_at: datetime
    created_by: str
    judged_at: datetime | None


@dataclass(frozen=True, slots=True)
class PromiseHistory:
    """A debtor's promises: counts by outcome and the items, newest first."""

    debtor_id: int
    made: int
    kept: int
    partly_kept: int
    broken: int
    pending: int
    items: tuple[PromiseItem, ...] = field(default_factory=tuple)

    @property
    def kept_rate(self) -> float | None:
        """Kept / judged (None before any promise was judged)."""
        judged = self.kept + self.partly_kept + self.broken
        return None if judged == 0 else self.kept / judged


@dataclass(frozen=True, slots=True)
class JudgeSummary:
    """What one judging pass did."""

    as_of: date
    judged: int = 0
    kept: int = 0
    partly_kept: int = 0
    broken: int = 0
    instalments_judged: int = 0
    plans_broken: int = 0
    plans_completed: int = 0
    work_items: int = 0
