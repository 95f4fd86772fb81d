"""Tables for teams, agencies, users and the append-only audit trail."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)

from arrears.core.access import Role
from arrears.core.tables import Id, UtcDateTime, metadata

teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# Outside collection firms (委外机构); accounts placed with one carry its id (accounts.agency_id).
agencies = Table(
    "agencies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(128), nullable=False),
    Column("commission_ppm", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UtcDateTime, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("role", String(24), nullable=False),
    Column("team_id", ForeignKey("teams.id"), index=True),
    Column("agency_id", ForeignKey("agencies.id"), index=True),
    Column("password_hash", String(255)),
    Column("active", Boolean, nullable=False, server_default="1"),
    # what allocation needs: skills and capacity (open cases a collector can carry)
    Column("languages", String(64), nullable=False, server_default="zh-CN"),  # comma list
    Column("products", String(128), nullable=False, server_default=""),  # comma list; empty = any
    Column("capacity", Integer, nullable=False, server_default="0"),
    Column("absent_until", Date),  # absent up to and including this date (rebalancing)
    # what the collector may agree without approval (minor units of the account's currency)
    Column("promise_authority_minor", BigInteger, nullable=False, server_default="0"),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime),
    Column("password_changed_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("role in (" + ", ".join(repr(r.value) for r in Role) + ")", name="role"),
)

# Append-only and hash-chained: each row's hash covers its content and the previous row's hash,
# so changing, inserting or deleting a row breaks every later link (`arrears audit verify`).
# `details` is kept as the exact canonical JSON text that was hashed (not a JSON column, which
# PostgreSQL would re-serialise).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("actor_role", String(24), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# API bearer tokens: only the SHA-256 of the token is stored.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(64), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
)

# Page sessions (cookie holds the token; only its hash is stored) with their CSRF token.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)
