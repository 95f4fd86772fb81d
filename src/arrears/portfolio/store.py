"""Portfolio tables (SQLAlchemy Core). Money is integer minor units beside its currency; times aware UTC."""

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
    UniqueConstraint,
    text,
)

from arrears.core.tables import Id, UtcDateTime, metadata

debtors = Table(
    "debtors",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # person | company
    Column("name", String(200), nullable=False),
    Column("name_latin", String(200)),
    Column("id_type", String(32)),  # resident_id, passport, uscc (company credit code), ...
    Column("id_number", String(64)),  # masked in pages and logs; unmasking is audited
    Column("occupation", String(120)),  # or industry for a company
    Column("employer", String(200)),
    Column("preferred_language", String(8), nullable=False, server_default="zh-CN"),
    Column("timezone", String(64), nullable=False),
    Column("timezone_source", String(16), nullable=False),  # given | address | phone | default
    Column("address", Text),
    Column("region", String(8)),  # ISO 3166 country of the address
    Column("is_key_account", Integer, nullable=False, server_default="0"),
    # strategy.contactability keeps these current: contactable | semi_lost | lost (see that module)
    Column("contactability", String(12), nullable=False, server_default="contactable"),
    Column("contactability_at", UtcDateTime),
    Column("pay_day", Integer),  # day of month (1-31) the debtor is usually paid, when known
    Column("row_hash", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("kind in ('person','company')", name="kind"),
)

contact_points = Table(
    "contact_points",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_id", String(64), unique=True),
    # no index of its own: uq_contact_points_debtor_channel_value leads with debtor_id
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("relationship", String(16), nullable=False),  # self, spouse, ..., payables, finance, owner
    Column("contact_name", String(200)),  # the person behind it when not the debtor
    Column("channel", String(8), nullable=False),  # phone | email | address
    Column("value", String(400), nullable=False),  # E.164, e-mail, or postal address
    Column("timezone", String(64)),  # from the phone's area or the address, when known
    Column("source", String(24), nullable=False),
    Column("consent", String(24), nullable=False),
    Column("consent_at", UtcDateTime),
    Column("status", String(16), nullable=False, server_default="unverified"),
    Column("last_verified_at", UtcDateTime),
    Column("row_hash", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("debtor_id", "channel", "value", name="uq_contact_points_debtor_channel_value"),
    CheckConstraint("channel in ('phone','email','address')", name="channel"),
    CheckConstraint(
        "status in ('unverified','valid','invalid','wrong_party','do_not_contact')", name="status"
    ),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # open | on_hold | placed | closed
    Column("hold_reason", String(32)),
    Column("close_reason", String(16)),  # paid | settled | written_off
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    # allocation (分案): the team and collector working the case; strategy.allocation keeps the history
    Column("team_id", ForeignKey("teams.id")),  # indexed where set: ix_cases_team_id below
    Column("collector_id", ForeignKey("users.id"), index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("status in ('open','on_hold','placed','closed')", name="status"),
)
# At most one case that is not closed per debtor.
Index("uq_cases_one_live_per_debtor", cases.c.debtor_id, unique=True,
      sqlite_where=text("status <> 'closed'"), postgresql_where=text("status <> 'closed'"))
# New cases have no team yet: only the allocated ones are indexed (team_id = :x implies NOT NULL, so
# lookups by team use it), which keeps opening hundreds of thousands of cases cheap.
Index("ix_cases_team_id", cases.c.team_id,
      sqlite_where=text("team_id IS NOT NULL"), postgresql_where=text("team_id IS NOT NULL"))

accounts = Table(
    "accounts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("external_id", String(64), nullable=False, unique=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("case_id", ForeignKey("cases.id"), index=True),
    Column("product", String(24), nullable=False),
    Column("sub_type", String(24)),
    Column("currency", String(3), nullable=False),
    Column("open_date", Date),
    Column("status", String(16), nullable=False, server_default="active"),
    # placement (委外): the agency the account is placed with, if any; agency users see only these
    Column("agency_id", ForeignKey("agencies.id")),  # indexed where set: ix_accounts_agency_id below
    # contract terms
    Column("due_day", Integer, nullable=False, server_default="0"),
    Column("grace_days", Integer, nullable=False, server_default="0"),
    Column("late_fee_minor", BigInteger, nullable=False, server_default="0"),
    Column("penalty_rate_ppm", Integer, nullable=False, server_default="0"),
    Column("penalty_basis", String(24), nullable=False, server_default="overdue_amount"),
    Column("day_count", Integer, nullable=False, server_default="360"),
    Column("allocation_order", String(64), nullable=False, server_default="fees,penalty,interest,principal"),
    Column("credit_limit_minor", BigInteger),
    # balances by component, minor units of `currency`
    Column("principal_minor", BigInteger, nullable=False, server_default="0"),
    Column("interest_minor", BigInteger, nullable=False, server_default="0"),
    Column("fees_minor", BigInteger, nullable=False, server_default="0"),
    Column("penalty_minor", BigInteger, nullable=False, server_default="0"),
    Column("credit_minor", BigInteger, nullable=False, server_default="0"),  # overpayment held
    # aging state
    Column("dpd", Integer, nullable=False, server_default="0"),
    Column("bucket", String(8), nullable=False, server_default="M0"),
    Column("aged_as_of", Date),
    Column("penalty_through", Date),  # penalty interest accrued up to and including this date
    Column("late_fee_through", Date),  # late fee charged for every missed cycle up to this date
    Column("last_payment_date", Date),
    Column("last_payment_minor", BigInteger),
    Column("row_hash", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("product in ('credit_card','consumer_loan','business_receivable')", name="product"),
    CheckConstraint("status in ('active','closed','settled','written_off')", name="status"),
    CheckConstraint(
        "principal_minor >= 0 and interest_minor >= 0 and fees_minor >= 0 and penalty_minor >= 0"
        " and credit_minor >= 0",
        name="balances_non_negative",
    ),
)
# Most accounts are worked in-house (no agency): only placed accounts are indexed by agency.
Index("ix_accounts_agency_id", accounts.c.agency_id,
      sqlite_where=text("agency_id IS NOT NULL"), postgresql_where=text("agency_id IS NOT NULL"))

due_items = Table(
    "due_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("principal_minor", BigInteger, nullable=False, server_default="0"),  # principal share
    Column("paid_minor", BigInteger, nullable=False, server_default="0"),
    UniqueConstraint("account_id", "due_date", name="uq_due_items_account_due_date"),
    CheckConstraint("amount_minor >= 0 and paid_minor >= 0 and paid_minor <= amount_minor", name="amounts"),
)

payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("reference", String(64), nullable=False, unique=True),  # the channel's own id: idempotency key
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("paid_on", Date, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("channel", String(24), nullable=False),  # bank_transfer, wechat_pay, alipay, cheque, ...
    Column("status", String(16), nullable=False, server_default="posted"),  # posted | reversed
    Column("row_hash", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # arrears.payments owns these: who posted it and from where; a bounced payment's reversal
    Column("source", String(16), nullable=False, server_default="import"),  # import | api | cli | file
    Column("posted_by", String(64)),
    Column("reversed_at", UtcDateTime),
    Column("reversed_by", String(64)),
    Column("reversal_reason", Text),
    CheckConstraint("amount_minor > 0", name="positive"),
    CheckConstraint("status in ('posted','reversed')", name="status"),
)

bucket_history = Table(
    "bucket_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("bucket", String(8), nullable=False),
    Column("entered_on", Date, nullable=False),
    Column("left_on", Date),
    Column("dpd_at_entry", Integer, nullable=False),
    Index("ix_bucket_history_account_open", "account_id", "left_on"),
    Index("ix_bucket_history_entered", "entered_on", "bucket"),
)

accruals = Table(
    "accruals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # late_fee | penalty
    # late_fee: the missed cycle's due date; penalty: the last day covered
    Column("period_date", Date, nullable=False),
    Column("days", Integer, nullable=False, server_default="0"),
    Column("amount_minor", BigInteger, nullable=False),
    Column("as_of", Date, nullable=False),
    UniqueConstraint("account_id", "kind", "period_date", name="uq_accruals_account_kind_period"),
)

aging_runs = Table(
    "aging_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("accounts_aged", Integer, nullable=False, server_default="0"),
    Column("bucket_moves", Integer, nullable=False, server_default="0"),
    Column("late_fees", Integer, nullable=False, server_default="0"),
    Column("late_fees_minor", BigInteger, nullable=False, server_default="0"),
    Column("penalty_minor", BigInteger, nullable=False, server_default="0"),
    Column("cases_opened", Integer, nullable=False, server_default="0"),
    Column("cases_closed", Integer, nullable=False, server_default="0"),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("reference", String(24), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # accounts | contacts | payments
    Column("file_name", String(400), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("encoding", String(16)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(16), nullable=False),  # committed | rejected | quarantined
    Column("rows_total", Integer, nullable=False, server_default="0"),
    Column("rows_new", Integer, nullable=False, server_default="0"),
    Column("rows_changed", Integer, nullable=False, server_default="0"),
    Column("rows_unchanged", Integer, nullable=False, server_default="0"),
    Column("rows_rejected", Integer, nullable=False, server_default="0"),
    Column("actor", String(64)),
)

import_rejects = Table(
    "import_rejects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_id", ForeignKey("import_batches.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("row_number", Integer, nullable=False),
    Column("field", String(64), nullable=False),
    Column("value", Text),
    Column("reason", Text, nullable=False),
    Column("raw", Text),  # the whole row as JSON, so it can be fixed and re-imported
)
