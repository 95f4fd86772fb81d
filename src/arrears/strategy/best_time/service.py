"""Best time to reach: RPC chances by local weekday x hour for the work queue, and the best hours.

The chances only order work: they never override the contact policy (the compliance engine still
decides whether and when a call may be made; `best_hours` suggests start hours inside the advisory
range of the priors only).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from arrears.core.access import Permission, Principal, require
from arrears.core.clock import require_aware
from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.strategy.best_time.jobs import RatesSummary, refresh_rates
from arrears.strategy.best_time.rules import (
    ALL_SEGMENT,
    Priors,
    cell_prior,
    clip_rate,
    debtor_rate,
    load_priors,
    pay_day_factor,
)
from arrears.strategy.best_time.store import (
    debtor_cells,
    debtor_facts,
    has_history,
    hour_cells,
    segment_cells,
)
from arrears.strategy.scoring.scope import debtor_visible


def _check(weekday: int, hour: int) -> None:
    problems = []
    if not 0 <= weekday <= 6:
        problems.append(FieldProblem(0, "local_weekday", str(weekday), "must be 0 (Monday) .. 6 (Sunday)"))
    if not 0 <= hour <= 23:
        problems.append(FieldProblem(0, "local_hour", str(hour), "must be 0..23"))
    if problems:
        raise InputRejected("bad local weekday/hour", problems)


def _segment_rate(cells: dict[tuple[str, int], float], segment: str, hour: int, weekday: int,
                  priors: Priors) -> float:
    """The segment cell's stored rate; the 'all' cell; the bare prior before any refresh."""
    rate = cells.get((segment, hour))
    if rate is None:
        rate = cells.get((ALL_SEGMENT, hour))
    if rate is None:
        rate = cell_prior(priors.base_rate, weekday, hour, priors)
    return rate


def rpc_chances(conn: Connection, debtor_ids: list[int], local_weekday: int, local_hour: int,
                local_date: date | None = None, *, priors: Priors | None = None) -> dict[int, float]:
    """Each debtor's chance of a right-party contact on a call at the given local weekday and hour.

    With `local_date`, a known pay day a few days ahead lifts the chance. Unknown debtors are left out.
    """
    _check(local_weekday, local_hour)
    priors = priors or load_priors()
    out: dict[int, float] = {}
    # one query (the work queue asks this for every `next`): the same figures as debtor_facts +
    # segment_cells + debtor_cells
    for debtor_id, cell in hour_cells(conn, debtor_ids, local_weekday, local_hour, ALL_SEGMENT).items():
        rate = cell.segment_rate if cell.segment_rate is not None else cell.all_rate
        if rate is None:
            rate = cell_prior(priors.base_rate, local_weekday, local_hour, priors)
        if cell.own is not None:
            n, r = cell.own
            rate = debtor_rate(r, n, rate, priors)
        out[debtor_id] = clip_rate(rate * pay_day_factor(local_date, cell.pay_day, priors))
    return out


def rpc_chances_at(conn: Connection, debtor_ids: list[int], at: datetime,
                   *, priors: Priors | None = None) -> dict[int, float]:
    """Each debtor's RPC chance for a call at one moment, in each debtor's own local time."""
    require_aware(at, "at")
    facts = debtor_facts(conn, debtor_ids)
    groups: dict[tuple[int, int, date], list[int]] = defaultdict(list)
    for debtor_id, (_, _, zone) in facts.items():
        local = at.astimezone(ZoneInfo(zone))
        groups[(local.weekday(), local.hour, local.date())].append(debtor_id)
    out: dict[int, float] = {}
    for (weekday, hour, day), ids in groups.items():
        out.update(rpc_chances(conn, ids, weekday, hour, day, priors=priors))
    return out


def hour_chances(conn: Connection, debtor_id: int, local_date: date,
                 *, priors: Priors | None = None) -> dict[int, float]:
    """The debtor's RPC chance for each local hour 0..23 of the given local date."""
    priors = priors or load_priors()
    facts = debtor_facts(conn, [debtor_id])
    if debtor_id not in facts:
        raise NotFound(f"debtor {debtor_id} not found")
    segment, pay_day, _ = facts[debtor_id]
    weekday = local_date.weekday()
    cells = segment_cells(conn, {segment, ALL_SEGMENT}, weekday)
    own = debtor_cells(conn, [debtor_id], weekday)
    factor = pay_day_factor(local_date, pay_day, priors)
    out: dict[int, float] = {}
    for hour in range(24):
        rate = _segment_rate(cells, segment, hour, weekday, priors)
        if (debtor_id, hour) in own:
            n, r = own[(debtor_id, hour)]
            rate = debtor_rate(r, n, rate, priors)
        out[hour] = clip_rate(rate * factor)
    return out


def best_hours(conn: Connection, debtor_id: int, local_date: date, top: int = 3,
               *, priors: Priors | None = None) -> list[tuple[int, float]]:
    """The `top` local start hours (within the advisory range) with the highest RPC chance, best first."""
    priors = priors or load_priors()
    chances = hour_chances(conn, debtor_id, local_date, priors=priors)
    ranked = sorted(((h, chances[h]) for h in priors.advisory_hours()), key=lambda hc: (-hc[1], hc[0]))
    return ranked[:max(0, top)]


@dataclass(frozen=True, slots=True)
class BestTime:
    """What the API shows for one debtor and local date."""

    debtor_id: int
    timezone: str
    local_date: date
    segment: str
    pay_day: int | None
    has_history: bool
    best: list[tuple[int, float]]
    hours: dict[int, float] = field(default_factory=dict)


def debtor_best_time(rt: Runtime, principal: Principal, debtor_id: int, local_date: date | None = None,
                     top: int = 3) -> BestTime:
    """Use case: a debtor's best hours on a local date (today in the debtor's zone by default)."""
    require(principal, Permission.PORTFOLIO_READ)
    priors = load_priors()
    with rt.engine.connect() as conn:
        facts = debtor_facts(conn, [debtor_id])
        if debtor_id not in facts or not debtor_visible(conn, principal, debtor_id):
            raise NotFound(f"debtor {debtor_id} not found")
        segment, pay_day, zone = facts[debtor_id]
        day = local_date or rt.clock.now().astimezone(ZoneInfo(zone)).date()
        hours = hour_chances(conn, debtor_id, day, priors=priors)
        history = has_history(conn, debtor_id)
        best = sorted(((h, hours[h]) for h in priors.advisory_hours()), key=lambda hc: (-hc[1], hc[0]))
    advisory = {h: hours[h] for h in priors.advisory_hours()}
    return BestTime(debtor_id, zone, day, segment, pay_day, history, best[:max(1, top)], advisory)



def refresh_best_time(rt: Runtime, principal: Principal, as_of: date | None = None, *,
                      full: bool = False) -> RatesSummary:
    """Use case: bring the call counts up to now (full: recount all) and recompute the segment rates."""
    require(principal, Permission.BATCH_RUN)
    with rt.engine.begin() as conn:
        return refresh_rates(conn, as_of or rt.clock.now().date(), rt.clock.now(), full=full)
