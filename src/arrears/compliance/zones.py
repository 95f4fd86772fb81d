"""Local time for contact rules: zone lookup, daily windows, and the next moment a window condition holds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60


class UnknownZone(ValueError):
    """A time zone name that the tz database does not know."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name!r} (use an IANA name such as 'Asia/Shanghai')")
        self.name = name


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; UnknownZone when there is none."""
    if not isinstance(name, str) or not name.strip() or name != name.strip():
        raise UnknownZone(str(name))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UnknownZone(name) from None


def parse_hhmm(text: str, allow_24: bool = True) -> int:
    """'08:00' -> 480 minutes after midnight; '24:00' allowed as an end; ValueError otherwise."""
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not allow_24)):
        raise ValueError(f"{text!r} is not a time of day HH:MM (00:00-24:00)")
    return hours * 60 + minutes


def hhmm(minutes: int) -> str:
    """480 -> '08:00'."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def in_window(minute: int, start: int, end: int) -> bool:
    """Is a minute of the day inside [start, end)? A window with start > end runs past midnight."""
    if start <= end:
        return start <= minute < end
    return minute >= start or minute < end


def local(at: datetime, tz_name: str) -> datetime:
    """The moment as wall-clock time in a zone."""
    return at.astimezone(zone(tz_name))


def minute_of_day(at: datetime, tz_name: str) -> int:
    """Minutes since local midnight in a zone."""
    loc = at.astimezone(zone(tz_name))
    return loc.hour * 60 + loc.minute


def local_date(at: datetime, tz_name: str) -> date:
    """The local calendar date in a zone."""
    return at.astimezone(zone(tz_name)).date()


def at_local(day: date, minute: int, tz_name: str) -> datetime:
    """The aware UTC moment of a local date and minute of day (a time in a DST gap maps past the gap)."""
    extra, minute = divmod(minute, MINUTES_PER_DAY)
    day = day + timedelta(days=extra)
    naive = datetime(day.year, day.month, day.day, minute // 60, minute % 60)  # noqa: DTZ001
    return naive.replace(tzinfo=zone(tz_name)).astimezone(UTC)


def local_midnight_after(day: date, days: int, tz_name: str) -> datetime:
    """The moment local midnight begins the date `days` after `day`."""
    return at_local(day + timedelta(days=days), 0, tz_name)


def next_moment(
    at: datetime,
    zones: Iterable[str],
    boundaries: Iterable[int],
    ok: Callable[[datetime], bool],
    extra: Iterable[datetime] = (),
    horizon_days: int = 8,
) -> datetime | None:
    """The first boundary moment after `at` (local minutes in any zone, or extra) where `ok` holds.

    Searches a short horizon first and widens it; a moment found is accepted only if no candidate of
    a later local day (in any zone) could come before it.
    """
    minutes = sorted(set(boundaries))
    names = tuple(zones)
    firsts = {name: local_date(at, name) for name in names}
    extras = sorted(m for m in extra if m > at)
    done = -2  # local day offsets up to this one are already candidates
    candidates: set[datetime] = set()
    for horizon in (1, 3, horizon_days):
        for name in names:
            for offset in range(done + 1, horizon + 1):
                day = firsts[name] + timedelta(days=offset)
                for m in minutes:
                    moment = at_local(day, m, name)
                    if moment > at:
                        candidates.add(moment)
        done = horizon
        bound = min(at_local(firsts[n] + timedelta(days=horizon + 1), 0, n) for n in names) if names else None
        for moment in sorted(candidates.union(extras)):
            if bound is not None and moment >= bound and horizon < horizon_days:
                break
            if ok(moment):
                return moment
    return None
