"""Work-queue tables: work items (the queue)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    text,
)

from arrears.core.tables import Id, UtcDateTime, metadata
from arrears.worklist.model import WorkKind, WorkStatus

work_items = Table(
    "work_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("case_id", ForeignKey("cases.id", ondelete="SET NULL")),
    Column("account_id", ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("kind", String(24), nullable=False),
    Column("channel", String(16), nullable=False, server_default="call"),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("due_at", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime),
    Column("priority", Float, nullable=False, server_default="0"),
    Column("expected_recovery_minor", BigInteger, nullable=False, server_default="0"),
    Column("collector_id", ForeignKey("users.id")),
    Column("team_id", ForeignKey("teams.id")),
    Column("reason", Text, nullable=False),
    Column("source", String(16), nullable=False),
    Column("source_ref", String(64)),
    Column("plan_date", Date),
    Column("treatment", String(64)),
    Column("arm", String(32)),
    Column("done_at", UtcDateTime),
    Column("done_by", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("kind in (" + ", ".join(repr(k.value) for k in WorkKind) + ")", name="kind"),
    CheckConstraint("status in (" + ", ".join(repr(s.value) for s in WorkStatus) + ")", name="status"),
    Index("ix_work_items_collector_status_due", "collector_id", "status", "due_at"),
    Index("ix_work_items_debtor_status", "debtor_id", "status"),
    Index("ix_work_items_plan_date_source", "plan_date", "source"),
)
# One live item per (source, source_ref): adding the same promise's reminder twice is a no-op.
Index("uq_work_items_live_source_ref", work_items.c.source, work_items.c.source_ref, work_items.c.kind,
      unique=True,
      sqlite_where=text("source_ref is not null and status in ('open','leased')"),
      postgresql_where=text("source_ref is not null and status in ('open','leased')"))
