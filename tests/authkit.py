"""Test helpers: create teams, agencies and users with a role, and bearer headers for them."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from arrears.core.access import Principal, Role
from arrears.runtime import Runtime
from arrears.users.principals import issue_api_token, principal_from_row
from arrears.users.store import agencies, teams, users


def make_team(rt: Runtime, name: str | None = None) -> int:
    """Create a team; returns its id."""
    with rt.engine.begin() as conn:
        result = conn.execute(teams.insert().values(name=name or f"team-{uuid.uuid4().hex[:6]}",
                                                    created_at=rt.clock.now()))
        return int(result.inserted_primary_key[0])


def make_agency(rt: Runtime, code: str | None = None) -> int:
    """Create an agency; returns its id."""
    code = code or f"AG{uuid.uuid4().hex[:6]}"
    with rt.engine.begin() as conn:
        result = conn.execute(agencies.insert().values(code=code, name=f"Agency {code}",
                                                       created_at=rt.clock.now()))
        return int(result.inserted_primary_key[0])


def make_user(rt: Runtime, role: Role | str, *, username: str | None = None, team_id: int | None = None,
              agency_id: int | None = None, **columns: object) -> Principal:
    """Create an active user with the role (no password); returns its Principal."""
    role = Role(role)
    name = username or f"{role.value}-{uuid.uuid4().hex[:6]}"
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        result = conn.execute(users.insert().values(
            username=name, display_name=name.title(), role=role.value, team_id=team_id, agency_id=agency_id,
            created_at=now, updated_at=now, **columns,
        ))
        row = conn.execute(select(users).where(users.c.id == result.inserted_primary_key[0])).one()
    return principal_from_row(row)


def bearer(rt: Runtime, principal: Principal) -> dict[str, str]:
    """Authorization headers carrying a fresh token for the principal."""
    assert principal.user_id is not None
    with rt.engine.begin() as conn:
        token = issue_api_token(conn, principal.user_id, rt.clock.now(), label="test")
    return {"Authorization": f"Bearer {token}"}


def auth_headers(rt: Runtime, role: Role | str = Role.ADMINISTRATOR, **kwargs: object) -> dict[str, str]:
    """Create a user with the role and return bearer headers for it."""
    return bearer(rt, make_user(rt, role, **kwargs))  # type: ignore[arg-type]
