"""Scenario JSON (for `arrears compliance check`, the check endpoint and the tests) -> facts and proposal.

Every problem is reported with its key path (history[3].at) and nothing is evaluated until all is well.
The format is documented in src/arrears/compliance/README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from arrears.compliance.flagdetail import check_detail
from arrears.compliance.model import (
    ContactChannel,
    ContactPointInfo,
    Content,
    DebtorInfo,
    Direction,
    Facts,
    Flag,
    HistoryEntry,
    HoldKind,
    Outcome,
    Party,
    Place,
    ProposedContact,
    Purpose,
)
from arrears.compliance.zones import UnknownZone, zone
from arrears.core.errors import FieldProblem, InputRejected

E = TypeVar("E", bound=StrEnum)
MISSING = object()
STATUSES = ("unverified", "valid", "invalid", "wrong_party", "do_not_contact")
KINDS = ("phone", "email", "address")
TOP = {"rulesets", "evaluated_at", "debtor", "contact_points", "proposed", "history", "flags", "description"}
DEBTOR = {"id", "timezone", "address_timezone", "region"}
POINT = {"id", "kind", "relationship", "status", "source", "consent", "timezones", "place"}
PROPOSED = {"channel", "contact_point", "party", "at", "purpose", "content", "includes_opt_out"}
ENTRY = {
    "at",
    "channel",
    "outcome",
    "contact_point",
    "party",
    "direction",
    "by_agency",
    "conversation",
    "consent_at",
}
FLAG = {
    "id",
    "kind",
    "set_by",
    "set_at",
    "reason",
    "lifted_at",
    "lifted_by",
    "lift_reason",
    "contact_point",
    "detail",
}


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed scenario: which rule sets, the facts, the proposal and the evaluation moment."""

    rulesets: tuple[str, ...]
    facts: Facts
    proposed: ProposedContact
    evaluated_at: datetime | None = None


class _Reader:
    """Collects problems while reading values at key paths."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[FieldProblem] = []

    def add(self, path: str, value: Any, reason: str) -> None:
        """Record one problem at a key path."""
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        self.problems.append(FieldProblem(0, path.lstrip("."), shown, reason, self.file))

    def obj(self, value: Any, path: str, keys: set[str]) -> dict[str, Any]:
        """The value as an object, reporting unknown keys."""
        if not isinstance(value, dict):
            self.add(path, value, "must be an object")
            return {}
        for key in sorted(set(value) - keys):
            self.add(
                f"{path}.{key}" if path else key, key, f"unknown key; allowed: {', '.join(sorted(keys))}"
            )
        return value

    def text(self, d: dict[str, Any], key: str, path: str, default: Any = MISSING) -> str | None:
        """A non-empty text value (or the default)."""
        value = d.get(key, default)
        if value is MISSING:
            self.add(f"{path}.{key}", None, "required")
            return None
        if value is None or value is default:
            return value  # type: ignore[no-any-return]
        if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
            self.add(f"{path}.{key}", value, "must be a non-empty text")
            return None
        return str(value)

    def enum(self, d: dict[str, Any], key: str, path: str, cls: type[E], default: Any = MISSING) -> E | None:
        """A value of an enumeration (or the default)."""
        value = d.get(key, default)
        if value is MISSING:
            self.add(f"{path}.{key}", None, f"required: one of {', '.join(e.value for e in cls)}")
            return None
        if value is None or value is default:
            return value  # type: ignore[no-any-return]
        try:
            return cls(value)
        except ValueError:
            self.add(f"{path}.{key}", value, f"must be one of {', '.join(e.value for e in cls)}")
            return None

    def moment(self, d: dict[str, Any], key: str, path: str, required: bool = True) -> datetime | None:
        """An aware ISO-8601 timestamp."""
        value = d.get(key)
        if value is None:
            if required:
                self.add(f"{path}.{key}", None, "required: an ISO-8601 timestamp with an offset")
            return None
        try:
            at = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            at = None
        if at is None:
            self.add(f"{path}.{key}", value, "not an ISO-8601 timestamp such as 2026-03-02T21:59:00+08:00")
        elif at.tzinfo is None or at.utcoffset() is None:
            self.add(f"{path}.{key}", value, "naive timestamp: add an offset such as +08:00 or Z")
            return None
        return at

    def zone_name(self, value: Any, path: str) -> str | None:
        """A known IANA zone name."""
        try:
            zone(value)
            return str(value)
        except UnknownZone as exc:
            self.add(path, value, str(exc))
            return None

    def flag_value(self, d: dict[str, Any], key: str, path: str) -> bool | None:
        """A boolean or null."""
        value = d.get(key)
        if value is not None and not isinstance(value, bool):
            self.add(f"{path}.{key}", value, "must be true, false or null")
            return None
        return value


def _debtor(r: _Reader, raw: Any) -> DebtorInfo:
    d = r.obj(raw, "debtor", DEBTOR)
    tz = r.zone_name(d["timezone"], "debtor.timezone") if "timezone" in d else None
    if "timezone" not in d:
        r.add("debtor.timezone", None, "required: the fallback zone, e.g. Asia/Shanghai")
    address = d.get("address_timezone")
    if address is not None:
        address = r.zone_name(address, "debtor.address_timezone")
    return DebtorInfo(str(d.get("id", "scenario")), tz or "UTC", address, d.get("region"))


def _point(r: _Reader, raw: Any, path: str) -> ContactPointInfo | None:
    d = r.obj(raw, path, POINT)
    cp_id = r.text(d, "id", path)
    kind = d.get("kind", "phone")
    if kind not in KINDS:
        r.add(f"{path}.kind", kind, f"must be one of {', '.join(KINDS)}")
    status = d.get("status", "valid")
    if status not in STATUSES:
        r.add(f"{path}.status", status, f"must be one of {', '.join(STATUSES)}")
    zones = d.get("timezones", [])
    if not isinstance(zones, list):
        r.add(f"{path}.timezones", zones, "must be a list of zone names")
        zones = []
    names = tuple(z for i, z in enumerate(zones) if r.zone_name(z, f"{path}.timezones[{i}]"))
    place = r.enum(d, "place", path, Place, None)
    relationship = r.text(d, "relationship", path, "self") or "self"
    source = r.text(d, "source", path, "debtor_provided") or ""
    consent = r.text(d, "consent", path, "debtor_gave") or ""
    if cp_id is None:
        return None
    return ContactPointInfo(
        cp_id, kind, relationship, status, source, consent, names, place.value if place else None
    )


def _proposed(r: _Reader, raw: Any, points: set[str]) -> ProposedContact | None:
    d = r.obj(raw, "proposed", PROPOSED)
    channel = r.enum(d, "channel", "proposed", ContactChannel)
    at = r.moment(d, "at", "proposed")
    cp = r.text(d, "contact_point", "proposed", None)
    if cp is not None and cp not in points:
        r.add("proposed.contact_point", cp, "not one of the contact_points ids")
    party = r.enum(d, "party", "proposed", Party, Party.DEBTOR)
    purpose = r.enum(d, "purpose", "proposed", Purpose, None)
    content = r.enum(d, "content", "proposed", Content, None)
    opt_out = r.flag_value(d, "includes_opt_out", "proposed")
    if channel is None or at is None or party is None:
        return None
    return ProposedContact(channel, at, cp, party, purpose, content, opt_out)


def _entry(r: _Reader, raw: Any, path: str, points: set[str]) -> HistoryEntry | None:
    d = r.obj(raw, path, ENTRY)
    at = r.moment(d, "at", path)
    channel = r.enum(d, "channel", path, ContactChannel)
    outcome = r.enum(d, "outcome", path, Outcome)
    cp = r.text(d, "contact_point", path, None)
    if cp is not None and cp not in points:
        r.add(f"{path}.contact_point", cp, "not one of the contact_points ids")
    party = r.enum(d, "party", path, Party, Party.DEBTOR)
    direction = r.enum(d, "direction", path, Direction, Direction.OUTBOUND)
    consent_at = r.moment(d, "consent_at", path, required=False)
    agency, conversation = r.flag_value(d, "by_agency", path), r.flag_value(d, "conversation", path)
    if at is None or channel is None or outcome is None or party is None or direction is None:
        return None
    return HistoryEntry(at, channel, outcome, cp, party, direction, bool(agency), conversation, consent_at)


def _flag(r: _Reader, raw: Any, path: str, points: set[str]) -> Flag | None:
    d = r.obj(raw, path, FLAG)
    kind = r.enum(d, "kind", path, HoldKind)
    set_by = r.text(d, "set_by", path)
    set_at = r.moment(d, "set_at", path)
    lifted_at = r.moment(d, "lifted_at", path, required=False)
    if set_at and lifted_at and lifted_at < set_at:
        r.add(f"{path}.lifted_at", d.get("lifted_at"), "is before set_at")
    cp = r.text(d, "contact_point", path, None)
    if cp is not None and cp not in points:
        r.add(f"{path}.contact_point", cp, "not one of the contact_points ids")
    detail = d.get("detail", {})
    if kind is not None:
        for where, value, reason in check_detail(kind, detail, f"{path}.detail"):
            r.add(where, value, reason)
    if kind is None or set_by is None or set_at is None:
        return None
    return Flag(
        kind,
        set_by,
        set_at,
        str(d.get("reason") or ""),
        r.text(d, "id", path, None),
        lifted_at,
        d.get("lifted_by"),
        d.get("lift_reason"),
        cp,
        detail if isinstance(detail, dict) else {},
    )


def _list(r: _Reader, raw: Any, path: str) -> list[Any]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        r.add(path, raw, "must be a list")
        return []
    return raw


def parse_scenario(data: Any, file: str = "scenario") -> Scenario:
    """Validate a scenario object; InputRejected listing every problem by key path."""
    r = _Reader(file)
    d = r.obj(data, "", TOP)
    chosen = d.get("rulesets", [])
    chosen = [chosen] if isinstance(chosen, str) else chosen
    if not isinstance(chosen, list) or not all(isinstance(c, str) and c for c in chosen):
        r.add("rulesets", chosen, "must be a list of rule set names")
        chosen = []
    debtor = _debtor(r, d.get("debtor"))
    points = [
        p
        for i, raw in enumerate(_list(r, d.get("contact_points"), "contact_points"))
        if (p := _point(r, raw, f"contact_points[{i}]")) is not None
    ]
    ids = {p.id for p in points}
    if len(ids) != len(points):
        r.add("contact_points", [p.id for p in points], "contact point ids must be unique")
    proposed = _proposed(r, d.get("proposed"), ids)
    history = [
        e
        for i, raw in enumerate(_list(r, d.get("history"), "history"))
        if (e := _entry(r, raw, f"history[{i}]", ids)) is not None
    ]
    flags = [
        f
        for i, raw in enumerate(_list(r, d.get("flags"), "flags"))
        if (f := _flag(r, raw, f"flags[{i}]", ids)) is not None
    ]
    evaluated_at = r.moment(d, "evaluated_at", "", required=False)
    if r.problems or proposed is None:
        first = r.problems[0] if r.problems else FieldProblem(0, "proposed", "", "required", file)
        raise InputRejected(
            f"scenario {file} rejected ({len(r.problems)} problem(s)): {first.field}: {first.reason}",
            r.problems,
        )
    facts = Facts(debtor, tuple(points), tuple(sorted(history, key=lambda e: e.at)), tuple(flags))
    return Scenario(tuple(chosen), facts, proposed, evaluated_at)


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario JSON file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputRejected(f"scenario {p} cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputRejected(f"scenario {p} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputRejected(
            f"scenario {p} is not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}",
            [FieldProblem(exc.lineno, "(syntax)", "", exc.msg, str(p))],
        ) from None
    return parse_scenario(data, str(p))
