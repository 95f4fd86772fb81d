"""Password hashing with Argon2id (argon2-cffi, RFC 9106 low-memory parameters) and the policy check."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from arrears.core.errors import FieldProblem, InputRejected
from arrears.users.rules import password_problems

_HASHER: list[PasswordHasher] = []


def hasher() -> PasswordHasher:
    """The process's Argon2id hasher (argon2-cffi's defaults: t=3, m=64 MiB, p=4)."""
    if not _HASHER:
        _HASHER.append(PasswordHasher())
    return _HASHER[0]


def use_parameters(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Hash new passwords with other Argon2 parameters (tests use cheap ones; old hashes still verify)."""
    _HASHER[:] = [PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)]
    _dummy_hash.cache_clear()


@cache
def _dummy_hash() -> str:
    return hasher().hash("not-a-password-0")


def hash_password(password: str) -> str:
    """The Argon2id hash to store for a password (salted; the password itself is never stored)."""
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether the password matches the stored hash; an absent hash costs the same time and fails."""
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with older parameters (rehashed at the next login)."""
    try:
        return hasher().check_needs_rehash(stored)
    except InvalidHashError:
        return True


def check_policy(password: str, username: str, field: str = "password") -> None:
    """Refuse a password that fails the policy, naming every reason (InputRejected, 422)."""
    problems = password_problems(password, username)
    if problems:
        raise InputRejected(
            "password refused: " + "; ".join(p.message for p in problems),
            [FieldProblem(0, field, "", p.message) for p in problems],
        )
