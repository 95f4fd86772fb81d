"""Nightly refresh of the best-time tables: debtor counts by local weekday x hour, then segment rates.

Counted: every outbound call (channel 'call') placed for a debtor whose start lies in the last
`history_days`, in the debtor's local time (`debtors.timezone`); an RPC is the outcome 'connected_rpc'.

Incremental: a watermark W (table refresh_marks) says the counts hold the calls recorded by W and started
in (W - H, W]. The next refresh at W' adds the calls recorded in (W, W'] that started in (W' - H, W'] and
takes off those recorded by W that started in (W - H, W' - H]; each segment's counts move by the same
amounts (in the debtor's segment of the day). A first run, a changed history length, a clock that went
back, a gap longer than H, or `full=True` recounts everything instead (the full recount also corrects
what the increments cannot see: an outcome edited afterwards, a debtor whose main product changed).
Local time is computed in SQL on PostgreSQL (`at time zone`), in Python on SQLite (per UTC hour).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import TextClause, bindparam, delete, insert, select, text
from sqlalchemy.engine import Connection

from arrears.core.clock import require_aware
from arrears.core.progress import Progress, no_progress
from arrears.core.tables import UtcDateTime
from arrears.strategy.best_time.rules import (
    ALL_SEGMENT,
    Priors,
    cell_prior,
    cell_rate,
    load_priors,
    segment_base,
)
from arrears.strategy.best_time.store import SEGMENT_SQL, debtor_facts, debtor_hour_counts, rpc_hour_rates
from arrears.strategy.scoring.store import batch_settings, get_mark, set_mark

MARK = "best_time"
_CALLS = "a.channel = 'call' and a.direction = 'outbound'"
_RPC = "case when a.outcome = 'connected_rpc' then 1 else 0 end"
# the full window: recorded by :now, started in (:since, :now]
_FULL = f"{_CALLS} and a.started_at > :since and a.started_at <= :now and a.created_at <= :now"
# the increment from :w to :now (:since = :now - H, :w_since = :w - H)
_DELTA = (f"{_CALLS} and ((a.created_at > :w and a.created_at <= :now and a.started_at > :since"
          " and a.started_at <= :now) or (a.created_at <= :w and a.started_at > :w_since"
          " and a.started_at <= :since))")
_SIGN = "case when a.created_at > :w then 1 else -1 end"

_LOCAL_PG = ("cast(extract(isodow from (a.started_at at time zone d.timezone)) as integer) - 1",
             "cast(extract(hour from (a.started_at at time zone d.timezone)) as integer)")

_PG_FULL = f"""
insert into debtor_hour_counts (debtor_id, weekday, hour, attempts, rpcs)
select a.debtor_id, {_LOCAL_PG[0]}, {_LOCAL_PG[1]}, count(*), sum({_RPC})
from contact_attempts a join debtors d on d.id = a.debtor_id
where {_FULL}
group by 1, 2, 3
"""  # noqa: S608  (module constants only)

_PG_DELTA = f"""
select a.debtor_id, {_LOCAL_PG[0]}, {_LOCAL_PG[1]}, sum({_SIGN}), sum({_SIGN} * {_RPC})
from contact_attempts a join debtors d on d.id = a.debtor_id
where {_DELTA}
group by 1, 2, 3
"""  # noqa: S608

_SQLITE_FULL = f"""
select a.debtor_id, d.timezone, substr(a.started_at, 1, 13), count(*), sum({_RPC})
from contact_attempts a join debtors d on d.id = a.debtor_id
where {_FULL}
group by a.debtor_id, d.timezone, substr(a.started_at, 1, 13)
"""  # noqa: S608

_SQLITE_DELTA = f"""
select a.debtor_id, d.timezone, substr(a.started_at, 1, 13), sum({_SIGN}), sum({_SIGN} * {_RPC})
from contact_attempts a join debtors d on d.id = a.debtor_id
where {_DELTA}
group by a.debtor_id, d.timezone, substr(a.started_at, 1, 13)
"""  # noqa: S608

_SEGMENT_COUNTS = f"""
select s.segment, c.weekday, c.hour, sum(c.attempts), sum(c.rpcs)
from debtor_hour_counts c
join (select d.id as debtor_id, {SEGMENT_SQL} as segment
      from debtors d where d.id in (select distinct debtor_id from debtor_hour_counts)) s
  on s.debtor_id = c.debtor_id
group by s.segment, c.weekday, c.hour
"""  # noqa: S608

# every product with every kind of debtor (a few rows; a combination without debtors only adds prior cells)
_SEGMENTS = ("select p.product || '/' || k.kind from (select distinct product from accounts) p, "
             "(select distinct kind from debtors) k")

Cells = dict[tuple[int, int, int], list[int]]  # (debtor, weekday, hour) -> [attempts, rpcs]
Counts = dict[str, dict[tuple[int, int], tuple[int, int]]]  # segment -> (weekday, hour) -> (attempts, rpcs)


@dataclass(frozen=True, slots=True)
class RatesSummary:
    """What a refresh counted (calls and RPCs now held in the window)."""

    attempts: int
    rpcs: int
    debtors_with_history: int | None  # None after an incremental refresh (not recounted)
    debtor_cells: int | None
    segments: int
    mode: str = "full"  # full | incremental
    changed_cells: int = 0  # debtor cells written (incremental: moved by the increment)


def _statement(sql: str) -> TextClause:
    names = [n for n in ("since", "now", "w", "w_since") if f":{n}" in sql]
    return text(sql).bindparams(*(bindparam(n, type_=UtcDateTime()) for n in names))


@lru_cache(maxsize=200_000)
def _local(zone: str, utc_hour: str) -> tuple[int, int]:
    """Local (weekday, hour) of a UTC hour 'YYYY-MM-DD HH' in a zone."""
    moment = datetime.fromisoformat(utc_hour + ":00:00+00:00")
    local = moment.astimezone(ZoneInfo(zone))
    return local.weekday(), local.hour


def _sqlite_cells(conn: Connection, sql: str, params: dict[str, Any]) -> Cells:
    cells: Cells = defaultdict(lambda: [0, 0])
    for debtor_id, zone, utc_hour, n, r in conn.execute(_statement(sql), params):
        weekday, hour = _local(str(zone), str(utc_hour))
        cell = cells[(int(debtor_id), weekday, hour)]
        cell[0] += int(n)
        cell[1] += int(r or 0)
    return cells


def _full_recount(conn: Connection, now: datetime, priors: Priors) -> None:
    conn.execute(delete(debtor_hour_counts))
    params = {"since": now - timedelta(days=priors.history_days), "now": now}
    if conn.dialect.name == "postgresql":
        conn.execute(_statement(_PG_FULL), params)
        return
    rows = [{"debtor_id": d, "weekday": w, "hour": h, "attempts": n, "rpcs": r}
            for (d, w, h), (n, r) in _sqlite_cells(conn, _SQLITE_FULL, params).items() if n > 0]
    for start in range(0, len(rows), 20_000):
        conn.execute(insert(debtor_hour_counts), rows[start:start + 20_000])


def _increment(conn: Connection, w: datetime, now: datetime, priors: Priors) -> Cells:
    """Apply the calls recorded since w (and those leaving the window) to the debtor cells."""
    days = timedelta(days=priors.history_days)
    params = {"w": w, "now": now, "since": now - days, "w_since": w - days}
    if conn.dialect.name == "postgresql":
        delta: Cells = {(int(d), int(wd), int(h)): [int(n), int(r or 0)]
                        for d, wd, h, n, r in conn.execute(_statement(_PG_DELTA), params)}
    else:
        delta = _sqlite_cells(conn, _SQLITE_DELTA, params)
    delta = {k: v for k, v in delta.items() if v[0] or v[1]}
    rows = [{"debtor_id": d, "weekday": wd, "hour": h, "attempts": n, "rpcs": r}
            for (d, wd, h), (n, r) in delta.items()]
    if rows:
        dialect_insert = _dialect_insert(conn)
        t = debtor_hour_counts
        stmt = dialect_insert(t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.debtor_id, t.c.weekday, t.c.hour],
            set_={"attempts": t.c.attempts + stmt.excluded.attempts, "rpcs": t.c.rpcs + stmt.excluded.rpcs},
        )
        for start in range(0, len(rows), 20_000):
            conn.execute(stmt, rows[start:start + 20_000])
        conn.execute(delete(t).where(t.c.attempts <= 0))
    return delta


def _dialect_insert(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def segment_rate_rows(counts: Counts, priors: Priors,
                      now: datetime) -> list[dict[str, object]]:
    """Every cell (7 x 24) of every segment with its counts, prior and smoothed rate."""
    rows: list[dict[str, object]] = []
    for segment, cells in sorted(counts.items()):
        base = segment_base(sum(r for _, r in cells.values()), sum(n for n, _ in cells.values()), priors)
        for weekday in range(7):
            for hour in range(24):
                n, r = cells.get((weekday, hour), (0, 0))
                prior = cell_prior(base, weekday, hour, priors)
                rows.append({"segment": segment, "weekday": weekday, "hour": hour, "attempts": n, "rpcs": r,
                             "rate": cell_rate(r, n, prior, priors), "prior": prior, "refreshed_at": now})
    return rows


def _segment_counts_full(conn: Connection) -> Counts:
    counts: Counts = {}
    for segment, weekday, hour, n, r in conn.execute(text(_SEGMENT_COUNTS)):
        counts.setdefault(str(segment), {})[(int(weekday), int(hour))] = (int(n), int(r or 0))
    return counts


def _segment_counts_moved(conn: Connection, delta: Cells) -> Counts:
    """The stored segment counts moved by the increment (in each debtor's segment of today)."""
    t = rpc_hour_rates
    counts: Counts = {}
    for segment, weekday, hour, n, r in conn.execute(select(t.c.segment, t.c.weekday, t.c.hour, t.c.attempts,
                                                            t.c.rpcs).where(t.c.segment != ALL_SEGMENT)):
        if n or r:
            counts.setdefault(str(segment), {})[(int(weekday), int(hour))] = (int(n), int(r))
    facts = debtor_facts(conn, list({d for d, _, _ in delta}))
    for (debtor_id, weekday, hour), (n, r) in delta.items():
        if debtor_id not in facts:
            continue
        cells = counts.setdefault(facts[debtor_id][0], {})
        old_n, old_r = cells.get((weekday, hour), (0, 0))
        cells[(weekday, hour)] = (max(0, old_n + n), max(0, old_r + r))
    return counts


def refresh_rates(conn: Connection, as_of: date, now: datetime, progress: Progress | None = None,
                  *, priors: Priors | None = None, full: bool = False) -> RatesSummary:
    """Bring the debtor counts up to `now` (incrementally when possible); recompute every segment's rates."""
    report = progress or no_progress
    priors = priors or load_priors()
    now = require_aware(now, "now")
    mark = get_mark(conn, MARK)
    incremental = (not full and mark is not None and mark[1].get("history_days") == priors.history_days
                   and mark[0] <= now and now - mark[0] < timedelta(days=priors.history_days))
    report(0, 3, "best time: counting calls")
    changed = 0
    with batch_settings(conn):
        if incremental:
            assert mark is not None
            delta = _increment(conn, mark[0], now, priors)
            changed = len(delta)
            counts = _segment_counts_moved(conn, delta)
        else:
            _full_recount(conn, now, priors)
            counts = _segment_counts_full(conn)
    report(1, 3, "best time: segment rates")
    for (segment,) in conn.execute(text(_SEGMENTS)):  # every segment gets its cells, even without calls
        counts.setdefault(str(segment), {})
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for cells in counts.values():
        for cell, (n, r) in cells.items():
            totals[cell][0] += n
            totals[cell][1] += r
    counts[ALL_SEGMENT] = {cell: (n, r) for cell, (n, r) in totals.items()}
    conn.execute(delete(rpc_hour_rates))
    conn.execute(insert(rpc_hour_rates), segment_rate_rows(counts, priors, now))
    set_mark(conn, MARK, now, {"history_days": priors.history_days})
    held = counts[ALL_SEGMENT].values()
    n_cells: int | None = None
    debtors_with: int | None = None
    if not incremental:  # counting distinct debtors over every cell is a full recount's luxury
        n_cells, debtors_with = (int(v) for v in conn.execute(text(
            "select count(*), count(distinct debtor_id) from debtor_hour_counts")).one())
    report(3, 3, "best time: done")
    return RatesSummary(attempts=sum(n for n, _ in held), rpcs=sum(r for _, r in held),
                        debtors_with_history=debtors_with, debtor_cells=n_cells, segments=len(counts),
                        mode="incremental" if incremental else "full",
                        changed_cells=changed if incremental else int(n_cells or 0))
