"""Compliance tables: the contact history, the flags on debtors (holds, declarations) and the decision log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table, Text, text

from arrears.compliance.model import ContactChannel, HoldKind, Outcome, Party
from arrears.core.tables import Id, UtcDateTime, metadata

if TYPE_CHECKING:
    from arrears.compliance.model import Decision


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} in ({', '.join(repr(str(v)) for v in values)})"


# The contact history the rules count over (channel, party, direction, started_at, outcome, connected,
# conversation, by_agency, consent_at), extended with what the work queue records about each attempt.
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
    # the work queue's side of an attempt (arrears.worklist owns these columns; see its README)
    Column("ended_at", UtcDateTime),
    Column("collector_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("work_item_id", ForeignKey("work_items.id", ondelete="SET NULL")),
    Column("lease_id", Id),  # lease_log.id the call was made under
    Column("call_outcome", String(24)),  # worklist CallOutcome: finer than `outcome`, which the rules count
    Column("elements", JSON),  # the nine call elements covered: ["verify_identity", ...]
    Column("note_id", ForeignKey("collection_notes.id", ondelete="SET NULL")),
    Column("flags", JSON),  # flags raised: ["dispute", "no_family_contact", ...]
    Column("source", String(8), nullable=False, server_default="arrears"),  # arrears | dialer
    Column("external_ref", String(64)),  # the dialer's call id (idempotent imports)
    Column("violation", Boolean, nullable=False, server_default=text("false")),
    Column("violated_rules", JSON),  # [{rule_id, ruleset, source, reason_zh, reason_en}]
    Column("promise_id", Id),
    Column("claim_id", Id),
    Column("callback_item_id", ForeignKey("work_items.id", ondelete="SET NULL")),
    CheckConstraint(_in("channel", [c.value for c in ContactChannel]), name="channel"),
    CheckConstraint(_in("party", [p.value for p in Party]), name="party"),
    CheckConstraint(_in("outcome", [o.value for o in Outcome]), name="outcome"),
    CheckConstraint("direction in ('outbound','inbound')", name="direction"),
    CheckConstraint("source in ('arrears','dialer')", name="source"),
    Index("ix_contact_attempts_debtor_started", "debtor_id", "started_at"),
    Index("ix_contact_attempts_point_started", "contact_point_id", "started_at"),
    Index("ix_contact_attempts_collector_started", "collector_id", "started_at"),
)
Index("ix_contact_attempts_violations", contact_attempts.c.started_at,
      sqlite_where=text("violation"), postgresql_where=text("violation"))
Index("uq_contact_attempts_source_external_ref", contact_attempts.c.source, contact_attempts.c.external_ref,
      unique=True, sqlite_where=text("external_ref is not null"),
      postgresql_where=text("external_ref is not null"))

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


def decision_row(debtor_id: int, contact_point_id: int | None, decision: Decision, collector_type: str | None,
                 requested_by: str, now: datetime) -> dict[str, Any]:
    """The compliance_decisions row for a decision (every caller that keeps one writes the same content)."""
    p = decision.proposed
    return {
        "debtor_id": debtor_id,
        "contact_point_id": contact_point_id,
        "channel": p.channel.value,
        "party": p.party.value,
        "purpose": p.purpose.value if p.purpose else None,
        "proposed_at": p.at,
        "allowed": decision.allowed,
        "rules_checked": list(decision.checked),
        "fired": [h.as_dict() for h in decision.fired],
        "rulesets": [{"name": n, "version": v} for n, v in decision.rulesets],
        "requirements": list(decision.requirements),
        "script_mode": decision.script_mode,
        "earliest_allowed": decision.earliest_allowed,
        "collector_type": collector_type,
        "requested_by": requested_by[:64],
        "evaluated_at": now,
        "created_at": now,
    }
