"""The rules of users and logins: password policy, usernames, lockout, rate limit, session lifetime.

Plain Python (no FastAPI, no SQLAlchemy). The login history these rules fold over lives in the
database (table `login_attempts`), never in process memory, so every worker and host of the app
sees the same counts.

Choices (documented in README "Users and logins"):
- Passwords: at least 10 characters (at most 128), letters and digits, not the username and not
  containing it, not one of the commonly used passwords below.
- Lockout: 5 failed logins for one username within 15 minutes lock it for 15 minutes (counted
  whether or not the username exists, so the answer never tells which usernames exist). Attempts
  during a lock are refused without checking the password and do not extend it. A successful login
  or an administrator's unlock resets the count.
- Rate limit per client address: 30 failed logins within 15 minutes from one address refuse every
  further login from it until the oldest of them is 15 minutes old (HTTP 429).
- Page sessions: 2 hours idle, 12 hours at most (one shift and overtime); every request slides the
  idle deadline (written at most every 5 minutes).
- API tokens from POST /api/v1/auth/token: 30 days; from `arrears users token`: 90 days by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from arrears.core.access import Role
from arrears.users.model import FAILURES, RESETS, Attempt

MIN_PASSWORD = 10
MAX_PASSWORD = 128
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
IP_MAX_FAILURES = 30
IP_WINDOW = timedelta(minutes=15)
HISTORY = timedelta(hours=24)  # how far back the lockout rule needs to look
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)
SESSION_TOUCH = timedelta(minutes=5)  # slide the idle deadline at most this often (one write)
API_TOKEN_LIFETIME = timedelta(days=30)
CLI_TOKEN_DAYS = 90
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

# A small list of the most used passwords that pass the length and letters+digits test (lowercase).
COMMON_PASSWORDS = frozenset({
    "password123", "password1234", "password12345", "passw0rd123", "p@ssw0rd123", "qwerty12345",
    "qwerty123456", "qwertyuiop1", "qwertyuiop123", "abc1234567", "abcd123456", "abcdef12345",
    "a1234567890", "1234567890a", "123456789a", "123456abcd", "1qaz2wsx3edc", "1q2w3e4r5t",
    "1q2w3e4r5t6y", "zaq12wsxcde", "iloveyou123", "welcome123", "welcome1234", "letmein123",
    "admin12345", "admin123456", "administrator1", "changeme123", "sunshine123", "football123",
    "monkey12345", "dragon12345", "princess123", "trustno1234", "superman123", "baseball123",
    "woaini1314", "woaini520", "5201314abc", "abc5201314", "aa123456789", "asd123456789",
    "zxcvbnm123", "asdfghjkl1", "qazwsx123456", "password2024", "password2025", "password2026",
    "arrears12345", "collector123",
})


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """Why a password is refused: a stable code and an English message (translated on pages)."""

    code: str
    message: str


def normalise_username(username: str) -> str:
    """Usernames are compared and stored trimmed and in lower case."""
    return (username or "").strip().lower()


def username_problem(username: str) -> str | None:
    """Why a new username is not acceptable, or None."""
    if not USERNAME_RE.match(username):
        return "3-64 characters: lower-case letters, digits, '.', '_', '-'; starting with a letter or digit"
    return None


def password_problems(password: str, username: str = "") -> list[PolicyProblem]:
    """Every reason the password fails the policy (empty when it passes)."""
    problems: list[PolicyProblem] = []
    if len(password) < MIN_PASSWORD:
        problems.append(PolicyProblem("too_short", f"at least {MIN_PASSWORD} characters"))
    if len(password) > MAX_PASSWORD:
        problems.append(PolicyProblem("too_long", f"at most {MAX_PASSWORD} characters"))
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        problems.append(PolicyProblem("letters_and_digits", "must contain both letters and digits"))
    lowered = password.lower()
    name = normalise_username(username)
    if name and (lowered == name or (len(name) >= 3 and name in lowered)):
        problems.append(PolicyProblem("contains_username", "must not be or contain the username"))
    if lowered in COMMON_PASSWORDS:
        problems.append(PolicyProblem("common", "is one of the most commonly used passwords"))
    return problems


def locked_until(history: Iterable[Attempt], now: datetime) -> datetime | None:
    """Until when a username is locked, given its login history in time order (None: not locked).

    A failure counts when it is not during a lock; MAX_FAILURES counted failures within
    FAILURE_WINDOW lock the username for LOCKOUT from the last of them; a success or an unlock resets.
    """
    streak: list[datetime] = []
    until: datetime | None = None
    for attempt in history:
        if attempt.outcome in RESETS:
            streak, until = [], None
            continue
        if attempt.outcome not in FAILURES or (until is not None and attempt.at < until):
            continue
        streak = [t for t in streak if attempt.at - t < FAILURE_WINDOW] + [attempt.at]
        if len(streak) >= MAX_FAILURES:
            until, streak = attempt.at + LOCKOUT, []
    return until if until is not None and until > now else None


def failures_in_streak(history: Iterable[Attempt], now: datetime) -> int:
    """Counted failures since the last reset or lock that are still inside the window (for display)."""
    streak: list[datetime] = []
    until: datetime | None = None
    for attempt in history:
        if attempt.outcome in RESETS:
            streak, until = [], None
        elif attempt.outcome in FAILURES and (until is None or attempt.at >= until):
            streak = [t for t in streak if attempt.at - t < FAILURE_WINDOW] + [attempt.at]
            if len(streak) >= MAX_FAILURES:
                until, streak = attempt.at + LOCKOUT, []
    return len([t for t in streak if now - t < FAILURE_WINDOW])


def address_blocked_until(failure_times: Iterable[datetime], now: datetime) -> datetime | None:
    """Until when a client address is refused, given its failed logins (None: not refused)."""
    recent = sorted(t for t in failure_times if now - t < IP_WINDOW)
    if len(recent) < IP_MAX_FAILURES:
        return None
    return recent[-IP_MAX_FAILURES] + IP_WINDOW


def session_deadline(created_at: datetime, now: datetime) -> datetime:
    """When a session used now expires: idle timeout from now, never past the absolute maximum."""
    return min(now + SESSION_IDLE, created_at + SESSION_MAX)


def needs_touch(expires_at: datetime, created_at: datetime, now: datetime) -> bool:
    """Whether to write a new idle deadline for a session used now (at most every SESSION_TOUCH)."""
    return session_deadline(created_at, now) - expires_at >= SESSION_TOUCH


def scope_problem(role: Role, team_id: int | None, agency_id: int | None) -> str | None:
    """Why a role cannot have this team/agency combination, or None.

    Agency users belong to an agency and no team; collectors and team leads to a team; nobody else to
    an agency (their scope would be ambiguous).
    """
    if role is Role.AGENCY_USER:
        if agency_id is None:
            return "an agency user needs an agency"
        if team_id is not None:
            return "an agency user belongs to an agency, not to an in-house team"
        return None
    if agency_id is not None:
        return "only agency users belong to an agency"
    if role in (Role.COLLECTOR, Role.TEAM_LEAD) and team_id is None:
        return f"a {role.value} needs a team (collectors and team leads see only their team's cases)"
    return None


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login; anything else (another host, a scheme) becomes the default."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ch in target for ch in "\r\n\t\\") or target.startswith("/logout"):
        return default
    return target
