"""The facts prepared once per decision: history sorted by time (bisect), local dates computed lazily."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from datetime import date, datetime

from arrears.compliance.model import (
    ContactPointInfo,
    Facts,
    Flag,
    HistoryEntry,
    HoldKind,
    Outcome,
    Party,
    ProposedContact,
)
from arrears.compliance.zones import local_date


class Context:
    """Read-only view of the facts with the indexes the rules use; shared across re-evaluations."""

    __slots__ = (
        "facts",
        "history",
        "starts",
        "points",
        "_dates",
        "_zones",
        "_refusals",
        "day_zone",
        "_flags_by_kind",
    )

    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        history = list(facts.history)
        starts = [e.ts for e in history]  # floats: bisect without time-zone arithmetic
        if starts != sorted(starts):
            history.sort(key=lambda e: e.ts)
            starts = [e.ts for e in history]
        self.history: list[HistoryEntry] = history
        self.starts: list[float] = starts
        self.points: dict[str, ContactPointInfo] = {cp.id: cp for cp in facts.contact_points}
        self._dates: dict[int, date] = {}
        self._zones: dict[tuple[Party, str | None, tuple[str, ...]], tuple[str, ...]] = {}
        self._refusals: dict[str, datetime] | None = None
        self._flags_by_kind: dict[HoldKind, list[Flag]] = {}
        for f in facts.flags:
            self._flags_by_kind.setdefault(f.kind, []).append(f)
        explicit = self._explicit_debtor_zones()
        self.day_zone: str = explicit[0] if explicit else facts.debtor.timezone

    # --- history -----------------------------------------------------------------------------------
    def before(self, at: datetime) -> int:
        """Number of history entries strictly before the moment (they are history[:n])."""
        return bisect_left(self.starts, at.timestamp())

    def back_from(self, at: datetime) -> Iterator[tuple[int, HistoryEntry]]:
        """History strictly before the moment, newest first, with indexes."""
        for i in range(self.before(at) - 1, -1, -1):
            yield i, self.history[i]

    def day_of(self, index: int) -> date:
        """Local date (in the debtor's day zone) of a history entry, computed once."""
        d = self._dates.get(index)
        if d is None:
            d = local_date(self.history[index].at, self.day_zone)
            self._dates[index] = d
        return d

    def refused_at(self, contact_point_id: str, at: datetime) -> datetime | None:
        """When the contact point's person refused further contact (before the moment), if ever."""
        if self._refusals is None:
            self._refusals = {}
            refused = Outcome.REFUSED
            for e in [e for e in self.history if e.outcome is refused]:
                if e.contact_point_id is not None:
                    self._refusals.setdefault(e.contact_point_id, e.at)
        when = self._refusals.get(contact_point_id)
        return when if when is not None and when < at else None

    # --- flags -------------------------------------------------------------------------------------
    def flags(self, kind: HoldKind) -> list[Flag]:
        """Every flag of a kind, active or not."""
        return self._flags_by_kind.get(kind, [])

    def active(self, kind: HoldKind, at: datetime) -> list[Flag]:
        """The flags of a kind active at the moment."""
        return [f for f in self._flags_by_kind.get(kind, ()) if f.active_at(at)]

    # --- zones -------------------------------------------------------------------------------------
    def _explicit_debtor_zones(self) -> tuple[str, ...]:
        debtor = self.facts.debtor
        found: list[str] = [debtor.address_timezone] if debtor.address_timezone else []
        for cp in self.facts.contact_points:
            if cp.relationship == "self" and cp.kind == "phone":
                found.extend(cp.timezones)
        return tuple(dict.fromkeys(found))

    def zones(self, proposed: ProposedContact, unknown: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The zones the person may be in: for the debtor the address zone and every own phone's zone."""
        key = (proposed.party, proposed.contact_point_id, unknown)
        found = self._zones.get(key)
        if found is not None:
            return found
        point = self.points.get(proposed.contact_point_id) if proposed.contact_point_id else None
        if proposed.party is Party.DEBTOR:
            explicit = self._explicit_debtor_zones() + (point.timezones if point else ())
        else:
            explicit = point.timezones if point and point.timezones else self._explicit_debtor_zones()
        zones = tuple(dict.fromkeys(explicit)) or unknown or (self.facts.debtor.timezone,)
        self._zones[key] = zones
        return zones
