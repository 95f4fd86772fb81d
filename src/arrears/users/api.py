"""REST: bearer tokens (POST/DELETE /auth/token, GET /auth/me) and user, team and agency administration."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from arrears.core.access import Permission, Principal, Role
from arrears.core.errors import InputRejected
from arrears.runtime import Runtime
from arrears.users import login as logins
from arrears.users import service
from arrears.users.model import AgencyView, TeamView, UserView
from arrears.users.rules import MAX_PASSWORD
from arrears.web.deps import get_principal, get_runtime, public, requires

router = APIRouter(tags=["users"])
RT = Annotated[Runtime, Depends(get_runtime)]
MANAGE = Annotated[Principal, Depends(requires(Permission.USERS_MANAGE))]
ME = Annotated[Principal, Depends(get_principal)]
UserId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Password = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenIn(_In):
    """Username and password for a bearer token."""

    username: str = Field(min_length=1, max_length=64)
    password: Password
    label: str = Field("", max_length=64, description="What the token is for (shown to administrators)")


class TokenOut(BaseModel):
    """A bearer token: shown once, send it as `Authorization: Bearer <token>`."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None
    username: str
    role: Role


class MeOut(BaseModel):
    """Who the caller is and what they may do."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    team_id: int | None
    agency_id: int | None
    permissions: list[str]


class UserOut(BaseModel):
    """A user (never a password or its hash)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: Role
    team_id: int | None
    team: str | None
    agency_id: int | None
    agency: str | None
    active: bool
    has_password: bool
    locked_until: datetime | None
    languages: str
    capacity: int
    absent_until: date | None
    promise_authority_minor: int
    password_changed_at: datetime | None
    created_at: datetime


class UserIn(_In):
    """A new user; collectors and team leads need a team, agency users an agency."""

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    display_name: str = Field("", max_length=128)
    role: Role
    password: Password | None = Field(None, description="Checked against the password policy")
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)
    agency_id: int | None = Field(None, ge=1, le=2**63 - 1)
    languages: str = Field("zh-CN", max_length=64)
    capacity: int = Field(0, ge=0, le=100_000)
    promise_authority_minor: int = Field(0, ge=0, le=2**62)


class RoleIn(_In):
    """A new role and scope."""

    role: Role
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)
    agency_id: int | None = Field(None, ge=1, le=2**63 - 1)


class ProfileIn(_In):
    """What allocation needs to know about a user; only the fields given change."""

    display_name: str | None = Field(None, min_length=1, max_length=128)
    languages: str | None = Field(None, max_length=64, description="Comma list, e.g. zh-CN,en")
    products: str | None = Field(None, max_length=128, description="Comma list; empty = any product")
    capacity: int | None = Field(None, ge=0, le=100_000, description="Open cases the collector can carry")
    absent_until: date | None = Field(None, description="Absent up to and including this date")
    promise_authority_minor: int | None = Field(None, ge=0, le=2**62)


class ResetIn(_In):
    """A new password set by an administrator."""

    password: Password


class ChangeIn(_In):
    """Change one's own password."""

    current_password: Password
    new_password: Password


class TeamIn(_In):
    """A new team."""

    name: str = Field(min_length=1, max_length=64)


class TeamOut(BaseModel):
    """A team and its active members."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    members: int


class AgencyIn(_In):
    """A new agency."""

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    commission_ppm: int = Field(0, ge=0, le=1_000_000)


class AgencyOut(BaseModel):
    """An agency and its active members."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    commission_ppm: int
    active: bool
    members: int


def _user(view: UserView) -> UserOut:
    return UserOut.model_validate(view)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    status_code=201,
    dependencies=[Depends(public)],
    responses={401: {"description": "wrong credentials or locked"}, 429: {"description": "rate limited"}},
)
def create_token(body: TokenIn, request: Request, rt: RT) -> TokenOut:
    """Log in with username and password; returns a bearer token valid for 30 days (rate-limited, lockout)."""
    from arrears.users.pages import client_ip

    issued = logins.token_login(rt, body.username, body.password, client_ip(request), body.label)
    return TokenOut(
        access_token=issued.token,
        expires_at=issued.expires_at,
        username=issued.principal.username,
        role=issued.principal.role,
    )


@router.delete("/auth/token", status_code=204)
def revoke_token(request: Request, rt: RT, _me: ME) -> None:
    """Revoke the bearer token this request carries (the API's logout)."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer ":
        raise InputRejected("send the bearer token to revoke in the Authorization header")
    logins.revoke_presented_token(rt, header[7:].strip())


@router.get("/auth/me", response_model=MeOut)
def me(principal: ME) -> MeOut:
    """The caller: user, role, scope and permissions."""
    return MeOut(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        team_id=principal.team_id,
        agency_id=principal.agency_id,
        permissions=sorted(p.value for p in principal.permissions),
    )


@router.post("/auth/password", status_code=204)
def change_password(body: ChangeIn, rt: RT, principal: ME) -> None:
    """Change one's own password (the current one is required; the policy applies)."""
    service.change_password(rt, principal, body.current_password, body.new_password)


@router.get("/users", response_model=list[UserOut])
def list_users(rt: RT, principal: MANAGE) -> list[UserOut]:
    """Every user, by username."""
    return [_user(u) for u in service.list_users(rt, principal)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, rt: RT, principal: MANAGE) -> UserOut:
    """Create a user (audited as user.create)."""
    data: dict[str, Any] = body.model_dump()
    return _user(service.create_user(rt, principal, **data))


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: UserId, rt: RT, principal: MANAGE) -> UserOut:
    """One user."""
    return _user(service.get_user(rt, principal, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_profile(user_id: UserId, body: ProfileIn, rt: RT, principal: MANAGE) -> UserOut:
    """Change name, languages, products, capacity, absence or promise authority (audited as user.update)."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InputRejected("nothing to change: give at least one field")
    return _user(service.update_profile(rt, principal, user_id, **changes))


@router.put("/users/{user_id}/role", response_model=UserOut)
def set_role(user_id: UserId, body: RoleIn, rt: RT, principal: MANAGE) -> UserOut:
    """Change a user's role and team or agency (audited as user.role_change)."""
    return _user(
        service.set_role(rt, principal, user_id, body.role, team_id=body.team_id, agency_id=body.agency_id)
    )


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
def deactivate(user_id: UserId, rt: RT, principal: MANAGE) -> UserOut:
    """Deactivate a user: no more logins; sessions end, tokens are revoked."""
    return _user(service.deactivate(rt, principal, user_id))


@router.post("/users/{user_id}/activate", response_model=UserOut)
def activate(user_id: UserId, rt: RT, principal: MANAGE) -> UserOut:
    """Reactivate a user."""
    return _user(service.activate(rt, principal, user_id))


@router.post("/users/{user_id}/unlock", response_model=UserOut)
def unlock(user_id: UserId, rt: RT, principal: MANAGE) -> UserOut:
    """Lift a login lockout."""
    return _user(service.unlock(rt, principal, user_id))


@router.post("/users/{user_id}/password", status_code=204)
def reset_password(user_id: UserId, body: ResetIn, rt: RT, principal: MANAGE) -> None:
    """Set a user's password (policy applies; their sessions end, tokens are revoked)."""
    service.reset_password(rt, principal, user_id, body.password)


@router.post("/users/{user_id}/revoke", status_code=204)
def revoke_all(user_id: UserId, rt: RT, principal: MANAGE) -> None:
    """End every session and revoke every token of a user."""
    service.revoke_tokens(rt, principal, user_id)


@router.get("/teams", response_model=list[TeamOut])
def list_teams(rt: RT, principal: MANAGE) -> list[TeamView]:
    """Every team."""
    return service.list_teams(rt, principal)


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, rt: RT, principal: MANAGE) -> TeamView:
    """Create a team (audited as team.create)."""
    return service.create_team(rt, principal, body.name)


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(rt: RT, principal: MANAGE) -> list[AgencyView]:
    """Every agency."""
    return service.list_agencies(rt, principal)


@router.post("/agencies", response_model=AgencyOut, status_code=201)
def create_agency(body: AgencyIn, rt: RT, principal: MANAGE) -> AgencyView:
    """Create an agency (audited as agency.create)."""
    return service.create_agency(rt, principal, body.code, body.name, body.commission_ppm)
