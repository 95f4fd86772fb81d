"""Tables for teams, agencies, users, sessions, tokens, login attempts and the append-only audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
)
from sqlalchemy.engine import Connection, Row

from arrears.core.access import Role
from arrears.core.tables import Id, UtcDateTime, metadata
from arrears.users.model import FAILURES, Attempt, Outcome

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

# Every login attempt (pages and POST /api/v1/auth/token): the lockout and the per-address rate limit
# are computed from these rows (users.rules), never from process memory, so all workers agree.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),  # as typed (normalised), whether or not it exists
    Column("client_ip", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("user_id", ForeignKey("users.id", ondelete="SET NULL")),
    Column("channel", String(8), nullable=False, server_default="page"),  # page | api
    CheckConstraint(
        "outcome in ('success','bad_password','unknown_user','inactive','locked','rate_limited','unlock')",
        name="outcome",
    ),
)
Index("ix_login_attempts_username_at", login_attempts.c.username, login_attempts.c.at)
Index("ix_login_attempts_client_ip_at", login_attempts.c.client_ip, login_attempts.c.at)


# --- queries (no transaction begins here: every function takes the service's connection) ----------


def user_row(conn: Connection, *, user_id: int | None = None, username: str | None = None) -> Row | None:
    """One users row by id or by (normalised) username, or None."""
    query = select(users)
    query = query.where(users.c.id == user_id) if user_id is not None else query.where(
        users.c.username == username)
    return conn.execute(query).first()


def login_history(conn: Connection, username: str, since: datetime) -> list[Attempt]:
    """The username's login attempts since a moment, in time order (what the lockout rule folds over)."""
    la = login_attempts.c
    rows = conn.execute(
        select(la.at, la.outcome).where(la.username == username, la.at >= since).order_by(la.at, la.id)
    )
    return [Attempt(r.at, Outcome(r.outcome)) for r in rows]


def address_failures(conn: Connection, client_ip: str, since: datetime) -> list[datetime]:
    """When the failed logins from a client address since a moment happened."""
    la = login_attempts.c
    return list(conn.execute(
        select(la.at).where(la.client_ip == client_ip, la.at >= since,
                            la.outcome.in_([o.value for o in FAILURES]))
    ).scalars())


def add_attempt(conn: Connection, username: str, client_ip: str, at: datetime, outcome: Outcome,
                user_id: int | None, channel: str) -> None:
    """Append one login attempt."""
    conn.execute(login_attempts.insert().values(
        username=username[:64], client_ip=(client_ip or "unknown")[:64], at=at, outcome=outcome.value,
        user_id=user_id, channel=channel,
    ))


def user_rows(conn: Connection, include_inactive: bool = True) -> list[Row]:
    """Every user with the names of their team and agency, by username."""
    query = (
        select(users, teams.c.name.label("team_name"), agencies.c.name.label("agency_name"))
        .outerjoin(teams, teams.c.id == users.c.team_id)
        .outerjoin(agencies, agencies.c.id == users.c.agency_id)
        .order_by(users.c.username)
    )
    if not include_inactive:
        query = query.where(users.c.active.is_(True))
    return list(conn.execute(query).all())


def active_administrators(conn: Connection) -> int:
    """How many active administrators there are."""
    return int(conn.execute(
        select(func.count()).select_from(users)
        .where(users.c.role == Role.ADMINISTRATOR.value, users.c.active.is_(True))
    ).scalar_one())


def team_rows(conn: Connection) -> list[Row]:
    """Every team with its number of active members, by name."""
    members = (select(func.count()).select_from(users)
               .where(users.c.team_id == teams.c.id, users.c.active.is_(True)).scalar_subquery())
    return list(conn.execute(select(teams, members.label("members")).order_by(teams.c.name)).all())


def agency_rows(conn: Connection) -> list[Row]:
    """Every agency with its number of active members, by code."""
    members = (select(func.count()).select_from(users)
               .where(users.c.agency_id == agencies.c.id, users.c.active.is_(True)).scalar_subquery())
    return list(conn.execute(select(agencies, members.label("members")).order_by(agencies.c.code)).all())


def end_sessions_and_tokens(conn: Connection, user_id: int, now: datetime) -> None:
    """End every live page session and revoke every live API token of a user."""
    conn.execute(web_sessions.update().where(web_sessions.c.user_id == user_id,
                                             web_sessions.c.ended_at.is_(None)).values(ended_at=now))
    conn.execute(api_tokens.update().where(api_tokens.c.user_id == user_id,
                                           api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
