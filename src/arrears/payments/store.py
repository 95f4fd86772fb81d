"""Payments tables: the money ledger, promises, claims, plans, settlements, waivers, approvals, documents.

Money in integer minor units beside a currency; times aware UTC. The `payments` table itself lives in
arrears.portfolio.store (this domain owns its definition). Every change to an account's balances is one
`account_ledger` row (signed component deltas), so the sum of an account's ledger equals its balances.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)

from arrears.core.tables import Id, UtcDateTime, metadata


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} in (" + ", ".join(repr(v) for v in values) + ")"


LEDGER_KINDS = (
    "opening", "accrual", "payment", "reversal", "waiver", "settlement", "credit", "sync", "reage",
)
PROMISE_STATUSES = ("pending", "awaiting_approval", "kept", "partly_kept", "broken", "rejected", "cancelled")
CLAIM_STATUSES = ("matched", "unmatched", "rejected")
APPROVAL_KINDS = ("promise", "plan", "settlement", "waiver")
APPROVAL_LEVELS = ("collector", "team_lead", "manager", "committee")
APPROVAL_STATUSES = ("pending", "approved", "rejected", "cancelled")
PLAN_STATUSES = ("awaiting_approval", "active", "completed", "broken", "rejected", "cancelled")
INSTALMENT_STATUSES = ("pending", "kept", "partly_kept", "broken")
SETTLEMENT_STATUSES = ("awaiting_approval", "approved", "paid", "rejected", "cancelled", "lapsed")
WAIVER_STATUSES = ("awaiting_approval", "applied", "rejected", "cancelled")

# One row per change of an account's balances; deltas are signed minor units of the account's currency.
account_ledger = Table(
    "account_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("at", UtcDateTime, nullable=False),  # when it was booked
    Column("effective_on", Date, nullable=False),  # the date it counts from (balances as of a date)
    Column("kind", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("principal_minor", BigInteger, nullable=False, server_default="0"),
    Column("interest_minor", BigInteger, nullable=False, server_default="0"),
    Column("fees_minor", BigInteger, nullable=False, server_default="0"),
    Column("penalty_minor", BigInteger, nullable=False, server_default="0"),
    Column("credit_minor", BigInteger, nullable=False, server_default="0"),
    Column("ref_type", String(16)),  # payment | accrual | waiver | settlement | account | plan
    Column("ref_id", String(64)),
    Column("actor", String(64), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    CheckConstraint(_in("kind", LEDGER_KINDS), name="kind"),
    UniqueConstraint("kind", "ref_type", "ref_id", name="uq_account_ledger_kind_ref"),
    Index("ix_account_ledger_account_effective", "account_id", "effective_on"),
)

# Which due items a payment paid, and how much of each: a reversal re-opens exactly these.
payment_due_items = Table(
    "payment_due_items",
    metadata,
    Column("payment_id", ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True),
    Column("due_item_id", ForeignKey("due_items.id", ondelete="CASCADE"), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
    CheckConstraint("amount_minor > 0", name="positive"),
)

# A channel file posted through this domain (bank CSV/XLSX, WeChat Pay, Alipay, B2B remittance advice).
payment_files = Table(
    "payment_files",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("file_name", String(400), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("layout", String(24), nullable=False),
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("posted", Integer, nullable=False, server_default="0"),
    Column("duplicates", Integer, nullable=False, server_default="0"),
    Column("skipped", Integer, nullable=False, server_default="0"),
    Column("posted_minor", BigInteger, nullable=False, server_default="0"),
    Column("actor", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Approval requests shared by promises above authority, plans, settlements and waivers.
approvals = Table(
    "approvals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("team_id", ForeignKey("teams.id")),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("level", String(16), nullable=False),  # the lowest role that may decide
    Column("approvals_needed", Integer, nullable=False, server_default="1"),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("requested_by_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("requested_by", String(64), nullable=False),
    Column("request_reason", Text, nullable=False, server_default=""),
    Column("summary", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    CheckConstraint(_in("kind", APPROVAL_KINDS), name="kind"),
    CheckConstraint(_in("level", APPROVAL_LEVELS), name="level"),
    CheckConstraint(_in("status", APPROVAL_STATUSES), name="status"),
    UniqueConstraint("kind", "entity_id", name="uq_approvals_kind_entity"),
    Index("ix_approvals_status_level", "status", "level"),
)

# Every decision on an approval, with its reason; one per decider (a committee needs two managers).
approval_decisions = Table(
    "approval_decisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("approval_id", ForeignKey("approvals.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("decided_by_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("decided_by", String(64), nullable=False),
    Column("role", String(24), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint("decision in ('approve','reject')", name="decision"),
    UniqueConstraint("approval_id", "decided_by", name="uq_approval_decisions_approval_decider"),
)

# The written confirmation of an arrangement, and statements: zh-CN and English text.
arrangement_documents = Table(
    "arrangement_documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),  # promise | plan | settlement | waiver | statement
    Column("entity_id", Id),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("language", String(8), nullable=False),  # the debtor's preferred language
    Column("text_zh", Text, nullable=False),
    Column("text_en", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_arrangement_documents_kind_entity", "kind", "entity_id"),
)

promises = Table(
    "promises",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL")),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("due_time", Time),
    Column("channel", String(24), nullable=False),
    Column("status", String(20), nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),  # attributed at judging
    Column("grace_days", Integer, nullable=False, server_default="0"),  # policy when taken
    Column("tolerance_minor", BigInteger, nullable=False, server_default="0"),
    Column("note", Text, nullable=False, server_default=""),
    Column("attempt_id", Id),  # contact_attempts.id the promise was taken on
    Column("collector_id", ForeignKey("users.id", ondelete="SET NULL")),  # who took it
    Column("created_by", String(64), nullable=False),
    Column("approval_id", Id),
    Column("confirmation_id", Id),
    Column("created_at", UtcDateTime, nullable=False),
    Column("judged_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("status", PROMISE_STATUSES), name="status"),
    CheckConstraint("amount_minor > 0", name="positive"),
    Index("ix_promises_status_due", "status", "due_on"),
)

promise_claims = Table(
    "promise_claims",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("paid_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("channel", String(24), nullable=False),
    Column("reference", String(64)),
    Column("status", String(12), nullable=False),
    Column("matched_payment_id", ForeignKey("payments.id", ondelete="SET NULL")),
    Column("attempt_id", Id),
    Column("collector_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    CheckConstraint(_in("status", CLAIM_STATUSES), name="status"),
    CheckConstraint("amount_minor > 0", name="positive"),
)

payment_plans = Table(
    "payment_plans",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL")),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("instalments", Integer, nullable=False),
    Column("frequency", String(12), nullable=False),  # weekly | biweekly | monthly
    Column("start_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("max_missed", Integer, nullable=False),
    Column("grace_days", Integer, nullable=False, server_default="0"),
    Column("tolerance_minor", BigInteger, nullable=False, server_default="0"),
    Column("reage", Integer, nullable=False, server_default="0"),  # asked to re-age on approval
    Column("reaged_at", UtcDateTime),
    Column("approval_id", Id),
    Column("confirmation_id", Id),
    Column("collector_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_by", String(64), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("ended_on", Date),
    CheckConstraint(_in("status", PLAN_STATUSES), name="status"),
    CheckConstraint("total_minor > 0 and instalments > 0", name="positive"),
)

plan_instalments = Table(
    "plan_instalments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("plan_id", ForeignKey("payment_plans.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False, server_default="pending"),
    Column("judged_at", UtcDateTime),
    CheckConstraint(_in("status", INSTALMENT_STATUSES), name="status"),
    UniqueConstraint("plan_id", "seq", name="uq_plan_instalments_plan_seq"),
    Index("ix_plan_instalments_status_due", "status", "due_on"),
)

# Re-aging: the due items before and after (JSON text), so the change can be read back exactly.
reagings = Table(
    "reagings",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("plan_id", ForeignKey("payment_plans.id", ondelete="SET NULL")),
    Column("dpd_before", Integer, nullable=False),
    Column("bucket_before", String(8), nullable=False),
    Column("due_before", Text, nullable=False),
    Column("due_after", Text, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

settlements = Table(
    "settlements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL")),
    Column("balance_minor", BigInteger, nullable=False),  # owed when offered
    Column("amount_minor", BigInteger, nullable=False),  # agreed settlement amount
    Column("floor_minor", BigInteger, nullable=False),  # policy minimum for the bucket
    Column("currency", String(3), nullable=False),
    Column("bucket", String(8), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("status", String(20), nullable=False),
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    Column("approval_id", Id),
    Column("confirmation_id", Id),
    Column("requested_by_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("requested_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime),
    CheckConstraint(_in("status", SETTLEMENT_STATUSES), name="status"),
    CheckConstraint("amount_minor > 0", name="positive"),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fees_minor", BigInteger, nullable=False, server_default="0"),
    Column("penalty_minor", BigInteger, nullable=False, server_default="0"),
    Column("interest_minor", BigInteger, nullable=False, server_default="0"),
    Column("principal_minor", BigInteger, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False),
    Column("approval_id", Id),
    Column("confirmation_id", Id),
    Column("requested_by_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("requested_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("applied_at", UtcDateTime),
    CheckConstraint(_in("status", WAIVER_STATUSES), name="status"),
    CheckConstraint("amount_minor > 0", name="positive"),
)
