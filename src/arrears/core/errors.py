"""Errors the services raise; entry points turn them into exit codes, HTTP statuses and messages."""

from __future__ import annotations

from dataclasses import dataclass, field


class ArrearsError(Exception):
    """Base of every error a user can be shown."""

    status_code = 400


class NotFound(ArrearsError):
    """The thing asked for does not exist."""

    status_code = 404


class Conflict(ArrearsError):
    """The request contradicts the current state."""

    status_code = 409


class ConfigError(ArrearsError):
    """A configuration or data file is wrong."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One problem with one field of one row of one file."""

    row: int
    field: str
    value: str
    reason: str
    file: str = ""

    def describe(self) -> str:
        """One line naming file, row, field, value and reason."""
        where = f"{self.file}: " if self.file else ""
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"{where}row {self.row}, field '{self.field}' = {shown!r}: {self.reason}"


@dataclass
class InputRejected(ArrearsError):
    """A file or request was refused; nothing was written."""

    message: str
    problems: list[FieldProblem] = field(default_factory=list)
    status_code: int = 422

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class Unauthenticated(ArrearsError):
    """No valid session or token: the caller must log in."""

    status_code = 401


class Forbidden(ArrearsError):
    """The caller is known but their role or scope does not allow this."""

    status_code = 403
