"""The injectable clock: every rule and service asks it for 'now', never the wall clock directly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current moment (aware UTC)."""

    def now(self) -> datetime:
        """The current moment, timezone-aware UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """The current moment from the operating system, aware UTC."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still (or moves only when told); for tests and the simulator."""

    def __init__(self, at: datetime) -> None:
        require_aware(at, "FixedClock start")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        """The clock's current moment."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to a given aware moment."""
        require_aware(at, "clock time")
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward by a duration."""
        self._at = self._at + delta


def require_aware(moment: datetime, what: str = "timestamp") -> datetime:
    """Refuse naive datetimes: every stored or compared moment carries its offset."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {moment.isoformat()}")
    return moment


def today(clock: Clock) -> date:
    """The clock's current UTC date."""
    return clock.now().date()
