"""Compliance tables: the contact history, the flags on debtors (holds, declarations) and the decision log."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, Text

from arrears.compliance.model import ContactChannel, HoldKind, Outcome, Party
from arrears.core.tables import Id, UtcDateTime, metadata


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


# The minimal contact history the rules count over; the work-queue issue extends it.
contact_attempts = Table(
    "contact_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("contact_point_id", ForeignKey("contact_points.id", ondelete="SET NULL")),
    Column("channel", String(16), nullable=False),  # call | sms | email | voicemail | visit
    Column("party", String(16), nullable=False),  # debtor | third_party | attorney
    Column("direction", String(8), nullable=False, server_default="outbound"),
    Column("started_at", UtcDateTime, nullable=False),
    Column("outcome", String(24), nullable=False),
    Column("connected", Boolean, nullable=False),
    Column("conversation", Boolean, nullable=False),  # a telephone conversation about the debt
    Column("by_agency", Boolean, nullable=False),
    Column("agency", String(64)),
    Column("consent_at", UtcDateTime),  # direct prior consent behind this call (Regulation F)
    Column("collector", String(64)),
    Column("decision_id", ForeignKey("compliance_decisions.id", ondelete="SET NULL")),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("channel", [c.value for c in ContactChannel]), name="channel"),
    CheckConstraint(_in("party", [p.value for p in Party]), name="party"),
    CheckConstraint(_in("outcome", [o.value for o in Outcome]), name="outcome"),
    CheckConstraint("direction in ('outbound','inbound')", name="direction"),
    Index("ix_contact_attempts_debtor_started", "debtor_id", "started_at"),
    Index("ix_contact_attempts_point_started", "contact_point_id", "started_at"),
)

# Holds and declarations: who set them, when and why; lifted (never deleted) with who, when and why.
debtor_flags = Table(
    "debtor_flags",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("contact_point_id", ForeignKey("contact_points.id", ondelete="SET NULL")),
    Column("detail", JSON),
    Column("set_by", String(64), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
    Column("lifted_at", UtcDateTime),
    Column("lifted_by", String(64)),
    Column("lift_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("kind", [k.value for k in HoldKind]), name="kind"),
    Index("ix_debtor_flags_debtor_lifted", "debtor_id", "lifted_at"),
)

# The decision log: for any contact, which rules were checked, under which versions, and the verdict.
# Kept when contact points change (no foreign key on the point); a debtor with logged decisions is kept.
compliance_decisions = Table(
    "compliance_decisions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id"), nullable=False),
    Column("contact_point_id", Id),
    Column("channel", String(16), nullable=False),
    Column("party", String(16), nullable=False),
    Column("purpose", String(16)),
    Column("proposed_at", UtcDateTime, nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("rules_checked", JSON, nullable=False),
    Column("fired", JSON, nullable=False),
    Column("rulesets", JSON, nullable=False),  # [{name, version}] in layering order
    Column("requirements", JSON, nullable=False),
    Column("script_mode", String(32), nullable=False),
    Column("earliest_allowed", UtcDateTime),
    Column("collector_type", String(16)),
    Column("requested_by", String(64)),
    Column("evaluated_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_compliance_decisions_debtor_created", "debtor_id", "created_at"),
)
