"""Work-queue tables: work items (the queue), the live debtor leases and the lease history.

The queue index: open call work is served by `serve_class` (call-backs and promise work above ordinary
calls) then `priority`, both descending, so a backward scan of (collector_id, serve_class, priority) over
open items answers `next` with LIMIT and SKIP LOCKED; unassigned team work has the same index by team.
A work item stays `open` while its debtor is leased: the lease table is the one truth about holding, so an
expired lease puts the debtor back in the queue without any clean-up job.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
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
    # serving class, higher first: 9 call-back .. 4 ordinary call, 0 not a call (rules.serve_class)
    Column("serve_class", SmallInteger, nullable=False, server_default="4"),
    Column("contact_point_id", ForeignKey("contact_points.id", ondelete="SET NULL")),
    Column("attempt_count", Integer, nullable=False, server_default="0"),
    Column("last_attempt_at", UtcDateTime),
    Column("done_at", UtcDateTime),
    Column("done_by", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("kind in (" + ", ".join(repr(k.value) for k in WorkKind) + ")", name="kind"),
    CheckConstraint("status in (" + ", ".join(repr(s.value) for s in WorkStatus) + ")", name="status"),
    Index("ix_work_items_collector_status_due", "collector_id", "status", "due_at"),
    Index("ix_work_items_debtor_status", "debtor_id", "status"),
    Index("ix_work_items_plan_date_source", "plan_date", "source"),
    Index("ix_work_items_team_status", "team_id", "status"),
)
# One live item per (source, source_ref): adding the same promise's reminder twice is a no-op.
Index(
    "uq_work_items_live_source_ref",
    work_items.c.source,
    work_items.c.source_ref,
    work_items.c.kind,
    unique=True,
    sqlite_where=text("source_ref is not null and status in ('open','leased')"),
    postgresql_where=text("source_ref is not null and status in ('open','leased')"),
)
# The queue: a collector's open work, and a team's unassigned open work, best first (scanned backwards).
Index(
    "ix_work_items_queue_collector",
    work_items.c.collector_id,
    work_items.c.serve_class,
    work_items.c.priority,
    sqlite_where=text("status = 'open'"),
    postgresql_where=text("status = 'open'"),
)
Index(
    "ix_work_items_queue_team",
    work_items.c.team_id,
    work_items.c.serve_class,
    work_items.c.priority,
    sqlite_where=text("status = 'open' and collector_id is null"),
    postgresql_where=text("status = 'open' and collector_id is null"),
)

# Every lease ever taken: who held which debtor from when until when (ended_at, or expires_at if it ran out).
lease_log = Table(
    "lease_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("collector_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("work_item_id", ForeignKey("work_items.id", ondelete="SET NULL")),
    Column("contact_point_id", ForeignKey("contact_points.id", ondelete="SET NULL")),
    Column("leased_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("end_reason", String(16)),  # attempt | released | superseded
    Index("ix_lease_log_debtor_leased", "debtor_id", "leased_at"),
    Index("ix_lease_log_collector_leased", "collector_id", "leased_at"),
)

# The live leases: one row per held debtor (the primary key is what keeps two collectors off one debtor).
debtor_leases = Table(
    "debtor_leases",
    metadata,
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), primary_key=True, autoincrement=False),
    Column("lease_id", ForeignKey("lease_log.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("collector_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("work_item_id", ForeignKey("work_items.id", ondelete="SET NULL")),
    Column("contact_point_id", ForeignKey("contact_points.id", ondelete="SET NULL")),
    Column("dial_token_hash", String(64), nullable=False, unique=True),
    Column("script_mode", String(32), nullable=False),
    Column("decision_id", ForeignKey("compliance_decisions.id", ondelete="SET NULL")),
    Column("leased_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_debtor_leases_collector", "collector_id", "expires_at"),
)
