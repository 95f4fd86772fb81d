"""Good hours for the next day's work, in bulk: the best-time module's rates when it is installed,
the domain priors otherwise (early in the working day, not at lunch).

The rates are read once per night (segment cells of the work day's weekday) and, for debtors with a
history of their own, per chunk of debtors; each debtor's cell is pulled toward its segment's exactly as
`best_time.service.best_hours` does, so the nightly plan and the API suggest the same hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from arrears.strategy.model import Window
from arrears.strategy.rules import best_hours, prior_rates, window_hours

ADVISORY = range(8, 21)


def _best_time() -> Any:
    try:
        from arrears.strategy.best_time import rules, store
    except ImportError:
        return None
    return rules, store


@lru_cache(maxsize=4096)
def zone_of(name: str) -> ZoneInfo:
    """A ZoneInfo (unknown names fall back to Asia/Shanghai, the portfolio default)."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        return ZoneInfo("Asia/Shanghai")


class HourPicker:
    """Chooses start hours on one local work day: by segment, and by the debtor's own history."""

    def __init__(self, conn: Connection, work_date: date) -> None:
        self.conn = conn
        self.work_date = work_date
        self.weekday = work_date.weekday()
        self.source = "priors"
        self.allowed: Sequence[int] = ADVISORY
        self._segments: dict[str, dict[int, float]] = {}
        self._prior = prior_rates(self.weekday)
        self._own: dict[int, dict[int, tuple[int, int]]] = {}
        self._cache: dict[tuple[str, Window, int], tuple[list[int], float]] = {}
        self._moments: dict[tuple[str, int], datetime] = {}
        self._ends: dict[str, datetime] = {}
        mod = _best_time()
        self._bt = mod
        if mod is not None:
            rules, store = mod
            self.priors = rules.load_priors()
            self.allowed = self.priors.advisory_hours()
            t = store.rpc_hour_rates
            from sqlalchemy import select

            for segment, hour, rate in conn.execute(
                select(t.c.segment, t.c.hour, t.c.rate).where(t.c.weekday == self.weekday)
            ):
                self._segments.setdefault(str(segment), {})[int(hour)] = float(rate)
            self.source = "best_time" if self._segments else "best_time priors"
            self._prior = {
                h: rules.cell_prior(self.priors.base_rate, self.weekday, h, self.priors) for h in range(24)
            }

    def segment_rates(self, segment: str) -> dict[int, float]:
        """The segment's rate per local hour (its own cells, else the 'all' segment, else the prior)."""
        found = self._segments.get(segment) or self._segments.get("all")
        if not found:
            return self._prior
        return {h: found.get(h, self._prior[h]) for h in range(24)}

    def load_history(self, debtor_ids: Sequence[int]) -> None:
        """Read the own-history cells of a chunk of debtors (replacing the previous chunk's)."""
        self._own = {}
        if self._bt is None or not debtor_ids:
            return
        _, store = self._bt
        for (debtor, hour), counts in store.debtor_cells(self.conn, debtor_ids, self.weekday).items():
            self._own.setdefault(debtor, {})[hour] = counts

    def pick(self, debtor_id: int, segment: str, window: Window, count: int = 1) -> tuple[list[int], float]:
        """(start hours in time order, the RPC chance at the best one) for a debtor on the work day."""
        own = self._own.get(debtor_id)
        if own is None:
            key = (segment, window, count)
            if key not in self._cache:
                self._cache[key] = self._choose(self.segment_rates(segment), window, count)
            return self._cache[key]
        rules, _ = self._bt
        base = self.segment_rates(segment)
        rates = dict(base)
        for hour, (n, r) in own.items():
            rates[hour] = rules.debtor_rate(r, n, base[hour], self.priors)
        return self._choose(rates, window, count)

    def _choose(self, rates: dict[int, float], window: Window, count: int) -> tuple[list[int], float]:
        hours = window_hours(window, self.allowed) or window_hours(window, range(24)) or [window.start // 60]
        chosen = best_hours(rates, hours, count)
        return chosen, max(rates.get(h, 0.0) for h in chosen)

    def due_at(self, zone: str, hour: int) -> datetime:
        """The work day at a local hour in a zone, as aware UTC."""
        key = (zone, hour)
        if key not in self._moments:
            local = datetime.combine(self.work_date, time(hour), zone_of(zone))
            self._moments[key] = local.astimezone(UTC)
        return self._moments[key]

    def day_end(self, zone: str) -> datetime:
        """Local midnight at the end of the work day, as aware UTC (batch work expires then)."""
        if zone not in self._ends:
            local = datetime.combine(self.work_date + timedelta(days=1), time(0), zone_of(zone))
            self._ends[zone] = local.astimezone(UTC)
        return self._ends[zone]
