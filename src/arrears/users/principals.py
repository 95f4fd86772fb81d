"""Resolve a bearer token or a session cookie into the acting Principal; issue tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.engine import Connection

from arrears.core.access import Principal, Role
from arrears.users.store import api_tokens, users, web_sessions

SESSION_COOKIE = "arrears_session"


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_from_row(row: object) -> Principal:
    """Build the Principal for a `users` row."""
    return Principal(
        user_id=row.id, username=row.username, role=Role(row.role),  # type: ignore[attr-defined]
        team_id=row.team_id, agency_id=row.agency_id,  # type: ignore[attr-defined]
        display_name=row.display_name,  # type: ignore[attr-defined]
    )


def issue_api_token(conn: Connection, user_id: int, now: datetime, label: str = "",
                    expires_at: datetime | None = None) -> str:
    """Create a bearer token for a user; the clear token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    conn.execute(api_tokens.insert().values(
        user_id=user_id, token_hash=token_digest(token), label=label, created_at=now, expires_at=expires_at,
    ))
    return token


def principal_for_token(conn: Connection, token: str, now: datetime) -> Principal | None:
    """The active user behind a live bearer token, or None."""
    row = conn.execute(
        select(users).join(api_tokens, api_tokens.c.user_id == users.c.id).where(and_(
            api_tokens.c.token_hash == token_digest(token), api_tokens.c.revoked_at.is_(None),
            or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
            users.c.active.is_(True),
        ))
    ).first()
    return principal_from_row(row) if row else None


@cache
def _token_holder_stmt() -> Any:
    """Built once: the user columns a Principal needs, with the token's id and last use."""
    u = users.c
    now = bindparam("now", type_=api_tokens.c.created_at.type)
    return (
        select(u.id, u.username, u.role, u.team_id, u.agency_id, u.display_name,
               api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
        .join(api_tokens, api_tokens.c.user_id == u.id)
        .where(and_(
            api_tokens.c.token_hash == bindparam("digest"), api_tokens.c.revoked_at.is_(None),
            or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now),
            u.active.is_(True),
        ))
    )


def token_holder(
    conn: Connection, token: str, now: datetime
) -> tuple[Principal, int, datetime | None] | None:
    """The active user behind a live bearer token with the token's id and last use (one query), or None."""
    row = conn.execute(_token_holder_stmt(), {"digest": token_digest(token), "now": now}).first()
    if row is None:
        return None
    return principal_from_row(row), int(row.token_id), row.last_used_at


def session_for_cookie(conn: Connection, cookie: str, now: datetime) -> tuple[Principal, str] | None:
    """The active user and CSRF token behind a live session cookie, or None."""
    row = conn.execute(
        select(users, web_sessions.c.csrf_token).join(web_sessions, web_sessions.c.user_id == users.c.id)
        .where(and_(
            web_sessions.c.token_hash == token_digest(cookie), web_sessions.c.ended_at.is_(None),
            web_sessions.c.expires_at > now, users.c.active.is_(True),
        ))
    ).first()
    return (principal_from_row(row), row.csrf_token) if row else None
