"""The rules of users and logins: password policy, usernames, lockout, per-address limit, sessions, scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arrears.core.access import Role
from arrears.users.model import Attempt, Outcome
from arrears.users.rules import (
    IP_MAX_FAILURES,
    LOCKOUT,
    MAX_FAILURES,
    SESSION_IDLE,
    SESSION_MAX,
    address_blocked_until,
    failures_in_streak,
    locked_until,
    needs_touch,
    normalise_username,
    password_problems,
    safe_next,
    scope_problem,
    session_deadline,
    username_problem,
)

T0 = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)


def _codes(password: str, username: str = "li.wei") -> set[str]:
    return {p.code for p in password_problems(password, username)}


@pytest.mark.parametrize(("password", "codes"), [
    ("Kx7-harbour-lamp", set()),
    ("长城2026abcdefg", set()),  # letters need not be Latin
    ("short1A", {"too_short"}),
    ("onlyletters-here", {"letters_and_digits"}),
    ("1234567890123", {"letters_and_digits"}),
    ("li.wei-2026-ok", {"contains_username"}),
    ("LI.WEI20261", {"contains_username"}),
    ("password123", {"common"}),
    ("Password123", {"common"}),
    ("qwerty", {"too_short", "letters_and_digits"}),
    ("a1" * 65, {"too_long"}),
])
def test_password_policy(password: str, codes: set[str]) -> None:
    assert _codes(password) == codes


def test_every_refusal_says_why_in_words() -> None:
    problems = password_problems("abc", "abc")
    assert {p.code for p in problems} == {"too_short", "letters_and_digits", "contains_username"}
    assert all(p.message for p in problems)
    assert "at least 10 characters" in [p.message for p in problems]


def test_a_very_short_username_inside_a_password_is_no_reason_to_refuse_it() -> None:
    assert _codes("abundant-river-42", "ab") == set()


@pytest.mark.parametrize(("name", "ok"), [
    ("li.wei", True), ("agent_07", True), ("a-b", True), ("ab", False), (".dot", False),
    ("Li", False), ("张伟", False), ("x" * 65, False), ("with space", False),
])
def test_usernames(name: str, ok: bool) -> None:
    assert (username_problem(name) is None) is ok


def test_usernames_are_compared_trimmed_and_lower_case() -> None:
    assert normalise_username("  Li.Wei ") == "li.wei"


def _fails(*minutes: int, outcome: Outcome = Outcome.BAD_PASSWORD) -> list[Attempt]:
    return [Attempt(T0 + timedelta(minutes=m), outcome) for m in minutes]


def test_five_failures_within_fifteen_minutes_lock_for_fifteen_minutes() -> None:
    history = _fails(0, 1, 2, 3)
    assert locked_until(history, T0 + timedelta(minutes=3)) is None
    history += _fails(14)
    assert locked_until(history, T0 + timedelta(minutes=14)) == T0 + timedelta(minutes=14) + LOCKOUT
    assert locked_until(history, T0 + timedelta(minutes=28, seconds=59)) is not None
    assert locked_until(history, T0 + timedelta(minutes=29)) is None  # it runs out


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    history = _fails(0, 4, 8, 12, 16, 20, 24)  # never five within 15 minutes
    assert locked_until(history, T0 + timedelta(minutes=24)) is None
    assert failures_in_streak(history, T0 + timedelta(minutes=24)) == 4


def test_unknown_usernames_and_deactivated_accounts_count_like_wrong_passwords() -> None:
    history = _fails(0, 1, outcome=Outcome.UNKNOWN_USER) + _fails(2, 3, 4, outcome=Outcome.INACTIVE)
    assert locked_until(history, T0 + timedelta(minutes=5)) is not None


def test_a_success_or_an_unlock_resets_the_count() -> None:
    now = T0 + timedelta(minutes=6)
    assert locked_until(_fails(0, 1, 2) + _fails(3, outcome=Outcome.SUCCESS) + _fails(4, 5), now) is None
    locked = _fails(0, 1, 2, 3, 4)
    assert locked_until(locked, now) is not None
    assert locked_until(locked + _fails(5, outcome=Outcome.UNLOCK), now) is None


def test_attempts_during_a_lock_neither_count_nor_extend_it() -> None:
    history = _fails(0, 1, 2, 3, 4) + _fails(5, 6, 7, 8, 9, 10) + _fails(11, outcome=Outcome.LOCKED)
    assert locked_until(history, T0 + timedelta(minutes=12)) == T0 + timedelta(minutes=4) + LOCKOUT
    # after the lock a single failure does not lock again: the count starts afresh
    later = history + _fails(20)
    assert locked_until(later, T0 + timedelta(minutes=20)) is None
    assert failures_in_streak(later, T0 + timedelta(minutes=20)) == 1


def test_a_second_run_of_failures_locks_again() -> None:
    history = _fails(0, 1, 2, 3, 4) + _fails(20, 21, 22, 23, 24)
    assert locked_until(history, T0 + timedelta(minutes=25)) == T0 + timedelta(minutes=24) + LOCKOUT
    assert MAX_FAILURES == 5


def test_an_address_is_refused_after_many_failures_within_the_window() -> None:
    times = [T0 + timedelta(seconds=10 * i) for i in range(IP_MAX_FAILURES - 1)]
    now = times[-1]
    assert address_blocked_until(times, now) is None
    times.append(now + timedelta(seconds=1))
    until = address_blocked_until(times, now + timedelta(seconds=1))
    assert until == T0 + timedelta(minutes=15)
    assert address_blocked_until(times, T0 + timedelta(minutes=16)) is None  # the oldest aged out


def test_session_deadline_slides_with_use_but_never_past_the_maximum() -> None:
    assert session_deadline(T0, T0) == T0 + SESSION_IDLE
    late = T0 + SESSION_MAX - timedelta(minutes=30)
    assert session_deadline(T0, late) == T0 + SESSION_MAX
    assert not needs_touch(T0 + SESSION_IDLE, T0, T0 + timedelta(minutes=4))
    assert needs_touch(T0 + SESSION_IDLE, T0, T0 + timedelta(minutes=5))
    assert not needs_touch(T0 + SESSION_MAX, T0, T0 + SESSION_MAX - timedelta(minutes=1))


@pytest.mark.parametrize(("role", "team", "agency", "ok"), [
    (Role.COLLECTOR, 1, None, True), (Role.COLLECTOR, None, None, False), (Role.TEAM_LEAD, None, None, False),
    (Role.AGENCY_USER, None, 3, True), (Role.AGENCY_USER, None, None, False), (Role.AGENCY_USER, 1, 3, False),
    (Role.MANAGER, None, None, True), (Role.MANAGER, 1, None, True), (Role.MANAGER, None, 3, False),
    (Role.ADMINISTRATOR, None, None, True),
])
def test_scope_of_each_role(role: Role, team: int | None, agency: int | None, ok: bool) -> None:
    assert (scope_problem(role, team, agency) is None) is ok


@pytest.mark.parametrize(("target", "expected"), [
    ("/debtors?bucket=M2", "/debtors?bucket=M2"), ("/", "/"), (None, "/"), ("", "/"),
    ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"), ("/debtors\r\nSet-Cookie: x=1", "/"), ("/logout", "/"),
])
def test_after_login_only_local_paths(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
