"""Tables of the language check: collection notes saved with their findings, and message templates."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
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
from arrears.portfolio import store as _portfolio_store  # noqa: F401  (debtors, referenced below)

collection_notes = Table(
    "collection_notes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("author", String(120), nullable=False),
    Column("kind", String(16), nullable=False),  # note | transcript | sms | email
    Column("third_party", Boolean, nullable=False, server_default=text("false")),
    Column("text", Text, nullable=False),
    Column("findings", JSON, nullable=False),  # [Finding.as_dict(), ...] as found when saved
    Column("worst_severity", String(8)),  # high | medium | low | flag, None when clean
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("kind in ('note','transcript','sms','email')", name="kind"),
)
Index("ix_collection_notes_debtor_created", collection_notes.c.debtor_id, collection_notes.c.created_at)
Index("ix_collection_notes_worst_severity", collection_notes.c.worst_severity)

message_templates = Table(
    "message_templates",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False),
    Column("channel", String(16), nullable=False),  # sms | email | script | voicemail
    Column("language", String(8), nullable=False),  # zh-CN | en
    Column("third_party", Boolean, nullable=False, server_default=text("false")),  # for third-party calls
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("findings", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("activated_at", UtcDateTime),
    Column("activated_by", String(120)),
    Column("retired_at", UtcDateTime),
    UniqueConstraint("code", "language", "version", name="uq_message_templates_code_language_version"),
    CheckConstraint("channel in ('sms','email','script','voicemail')", name="channel"),
    CheckConstraint("status in ('draft','active','retired')", name="status"),
)
# At most one active version per code and language.
Index("uq_message_templates_one_active", message_templates.c.code, message_templates.c.language, unique=True,
      sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'"))
