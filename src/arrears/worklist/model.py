"""Work items as the other domains hand them to the queue (plain dataclasses, no storage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class WorkKind(StrEnum):
    """Why a piece of work exists; call-backs and promise work are served before ordinary calls."""

    CALL = "call"                              # a treatment's outbound call
    CALLBACK = "callback"                      # booked at the debtor's request
    PROMISE_REMINDER = "promise_reminder"      # shortly before a promise falls due
    PROMISE_FOLLOWUP = "promise_followup"      # daily follow-up while a promise is pending
    BROKEN_PROMISE = "broken_promise"          # a promise or plan instalment was missed
    CLAIMED_PAYMENT = "claimed_payment"        # "I already paid" that no payment matches yet
    SKIP_TRACE = "skip_trace"                  # lost debtor: lawful tracing, not a call
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"
    REVIEW = "review"                          # e.g. write-off candidate, placement review


#: served before ordinary calls, in this order
URGENT_KINDS = (WorkKind.CALLBACK, WorkKind.PROMISE_REMINDER, WorkKind.BROKEN_PROMISE,
                WorkKind.PROMISE_FOLLOWUP, WorkKind.CLAIMED_PAYMENT)


class WorkStatus(StrEnum):
    """open -> leased -> done; cancelled when it no longer applies; expired past not_after."""

    OPEN = "open"
    LEASED = "leased"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PlannedWork:
    """One piece of work to put on the queue."""

    debtor_id: int
    kind: WorkKind
    due_at: datetime                 # aware UTC; not served before this moment
    reason: str                      # shown to the collector ("promise of 500.00 due 2026-04-02")
    source: str                      # batch | promise | plan | callback | payments | manual | ...
    source_ref: str | None = None    # e.g. the promise id: with source, makes add_work idempotent
    case_id: int | None = None
    account_id: int | None = None
    channel: str = "call"
    collector_id: int | None = None
    team_id: int | None = None
    priority: float = 0.0            # expected recovery x chance of RPC; higher first
    expected_recovery_minor: int = 0
    not_after: datetime | None = None
    plan_date: date | None = None    # the nightly run's as-of date for batch work
    treatment: str | None = None     # treatment path id@version that produced it
    arm: str | None = None           # champion/challenger arm
