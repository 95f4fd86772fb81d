"""What the users package hands out: views of users, teams and agencies, login results, login errors.

Plain frozen dataclasses and error types (no FastAPI, no SQLAlchemy). Password hashes never leave the
store: no view here carries one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from arrears.core.access import Principal, Role
from arrears.core.errors import ArrearsError, Unauthenticated


class Outcome(StrEnum):
    """How one login attempt ended (table login_attempts); the lockout rule folds over these."""

    SUCCESS = "success"
    BAD_PASSWORD = "bad_password"
    UNKNOWN_USER = "unknown_user"
    INACTIVE = "inactive"          # right or wrong password, the account is deactivated
    LOCKED = "locked"              # refused without checking the password: the username is locked
    RATE_LIMITED = "rate_limited"  # refused without checking the password: too many failures from the IP
    UNLOCK = "unlock"              # an administrator lifted the lock (not a login; resets the count)


FAILURES = frozenset({Outcome.BAD_PASSWORD, Outcome.UNKNOWN_USER, Outcome.INACTIVE})
RESETS = frozenset({Outcome.SUCCESS, Outcome.UNLOCK})


class LoginRefused(Unauthenticated):
    """Wrong username or password, or the account cannot log in (one message for all: no enumeration)."""


class AccountLocked(Unauthenticated):
    """Too many failed logins for this username: refused until `until`."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed logins: locked until {until.isoformat(timespec='seconds')}")


class TooManyAttempts(ArrearsError):
    """Too many failed logins from this client address: refused until `until` (HTTP 429)."""

    status_code = 429

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(f"too many failed logins from this address: try again after "
                         f"{until.isoformat(timespec='seconds')}")


class CsrfRejected(ArrearsError):
    """A state-changing request authenticated by the session cookie without the session's CSRF token."""

    status_code = 403


@dataclass(frozen=True, slots=True)
class Attempt:
    """One row of the login history the lockout and rate-limit rules look at."""

    at: datetime
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as administrators see it (never the password hash)."""

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


@dataclass(frozen=True, slots=True)
class TeamView:
    """One in-house team with its number of active users."""

    id: int
    name: str
    members: int


@dataclass(frozen=True, slots=True)
class AgencyView:
    """One outside collection agency (委外机构) with its number of active users."""

    id: int
    code: str
    name: str
    commission_ppm: int
    active: bool
    members: int


@dataclass(frozen=True, slots=True)
class Session:
    """A page session just opened: the cookie value and its CSRF token are shown once, never stored."""

    token: str
    csrf_token: str
    expires_at: datetime
    principal: Principal


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An API bearer token just issued: the clear token is shown once, only its digest is stored."""

    id: int
    token: str
    expires_at: datetime | None
    principal: Principal


@dataclass(frozen=True, slots=True)
class Authenticated:
    """Who sent a request and how: `via` is 'token' or 'session' (only sessions carry a CSRF token)."""

    principal: Principal
    via: str
    csrf_token: str | None = None
