"""The `detail` of a flag, by kind: checked when a flag is set or read, and read by the rules.

    inconvenient_time   {"windows": [{"start": "12:00", "end": "14:00", "weekdays": [0, 1, 2, 3, 4]}]}
    consent_to_time     {"windows": [...]} and/or {"from": ISO-8601 aware, "until": ISO-8601 aware}
    inconvenient_place  {"places": ["work", "home"]}
    channel_restriction {"channels": ["sms", "call"]}   (flag.contact_point_id narrows it to one point)
    opt_out             {"channels": ["email"]}         (flag.contact_point_id: the address opted out)
Weekdays are 0 = Monday ... 6 = Sunday, in the debtor's local time. Other kinds take free-form detail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arrears.compliance.model import ContactChannel, Flag, HoldKind, Place
from arrears.compliance.zones import parse_hhmm

Window = tuple[int, int, frozenset[int] | None]


def _windows(value: Any, path: str, problems: list[tuple[str, str, str]]) -> None:
    if not isinstance(value, list) or not value:
        problems.append((path, repr(value), "must be a non-empty list of {start, end} windows"))
        return
    for i, w in enumerate(value):
        where = f"{path}[{i}]"
        if not isinstance(w, dict):
            problems.append((where, repr(w), "must be an object with start and end"))
            continue
        unknown = set(w) - {"start", "end", "weekdays"}
        if unknown:
            problems.append((where, repr(sorted(unknown)), "unknown keys; use start, end, weekdays"))
        for key in ("start", "end"):
            try:
                parse_hhmm(w.get(key))  # type: ignore[arg-type]
            except ValueError as exc:
                problems.append((f"{where}.{key}", repr(w.get(key)), str(exc)))
        days = w.get("weekdays")
        if days is not None and (
            not isinstance(days, list)
            or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)
        ):
            problems.append((f"{where}.weekdays", repr(days), "must be a list of 0 (Monday) .. 6 (Sunday)"))


def _members(value: Any, path: str, allowed: set[str], problems: list[tuple[str, str, str]]) -> None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.append((path, repr(value), f"must be a non-empty list of: {', '.join(sorted(allowed))}"))
        return
    bad = [v for v in value if v not in allowed]
    if bad:
        problems.append((path, repr(bad), f"unknown; use: {', '.join(sorted(allowed))}"))


def _aware_iso(value: Any, path: str, problems: list[tuple[str, str, str]]) -> None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        problems.append((path, repr(value), "must be an ISO-8601 timestamp with an offset"))
        return
    if moment.tzinfo is None:
        problems.append((path, repr(value), "naive timestamp: add an offset such as +08:00 or Z"))


def check_detail(kind: HoldKind, detail: Any, path: str = "detail") -> list[tuple[str, str, str]]:
    """Problems (key path, value, reason) with a flag's detail for its kind; empty when fine."""
    problems: list[tuple[str, str, str]] = []
    if not isinstance(detail, dict):
        return [(path, repr(detail), "must be an object")]
    if kind is HoldKind.INCONVENIENT_TIME:
        _windows(detail.get("windows"), f"{path}.windows", problems)
    elif kind is HoldKind.CONSENT_TO_TIME:
        if "windows" in detail:
            _windows(detail["windows"], f"{path}.windows", problems)
        if "from" in detail or "until" in detail:
            _aware_iso(detail.get("from"), f"{path}.from", problems)
            _aware_iso(detail.get("until"), f"{path}.until", problems)
        if not ({"windows", "from", "until"} & set(detail)):
            problems.append((path, repr(detail), "needs windows, or from and until"))
    elif kind is HoldKind.INCONVENIENT_PLACE:
        _members(detail.get("places"), f"{path}.places", {p.value for p in Place}, problems)
    elif kind in (HoldKind.CHANNEL_RESTRICTION, HoldKind.OPT_OUT):
        _members(detail.get("channels"), f"{path}.channels", {c.value for c in ContactChannel}, problems)
    return problems


def windows(flag: Flag) -> list[Window]:
    """A flag's daily local windows as (start minute, end minute, weekdays or None)."""
    out: list[Window] = []
    for w in flag.detail.get("windows", ()):
        days = w.get("weekdays")
        out.append((parse_hhmm(w["start"]), parse_hhmm(w["end"]), frozenset(days) if days else None))
    return out


def span(flag: Flag) -> tuple[datetime, datetime] | None:
    """A flag's absolute [from, until) span, when it has one."""
    if "from" in flag.detail and "until" in flag.detail:
        return datetime.fromisoformat(flag.detail["from"]), datetime.fromisoformat(flag.detail["until"])
    return None
