"""Best-time tables: right-party-contact counts by local weekday x hour, per segment and per debtor."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    bindparam,
    select,
    text,
)
from sqlalchemy.engine import Connection

from arrears.core.tables import UtcDateTime, metadata

# Segment cells (segment = "<product>/<debtor kind>", plus "all"): raw counts and the smoothed rate.
rpc_hour_rates = Table(
    "rpc_hour_rates",
    metadata,
    Column("segment", String(48), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday .. 6 = Sunday, debtor's local time
    Column("hour", Integer, nullable=False),  # 0..23, debtor's local time
    Column("attempts", Integer, nullable=False),
    Column("rpcs", Integer, nullable=False),
    Column("rate", Float, nullable=False),  # smoothed chance of an RPC (beta prior from the domain priors)
    Column("prior", Float, nullable=False),  # the prior mean it was smoothed toward
    Column("refreshed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("segment", "weekday", "hour", name="pk_rpc_hour_rates"),
)

# Debtor cells where there is history (only cells with attempts): raw counts; smoothed at read time
# toward the debtor's segment cell.
debtor_hour_counts = Table(
    "debtor_hour_counts",
    metadata,
    Column("debtor_id", ForeignKey("debtors.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("hour", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("rpcs", Integer, nullable=False),
    PrimaryKeyConstraint("debtor_id", "weekday", "hour", name="pk_debtor_hour_counts"),
)


# --- queries ---------------------------------------------------------------------------------------------

def _main_product() -> str:
    """SQL: the product of the debtor's largest account (ties by account id), 'none' without accounts."""
    return (
        "coalesce((select a.product from accounts a where a.debtor_id = d.id"
        " order by a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor desc, a.id"
        " limit 1), 'none')"
    )


SEGMENT_SQL = f"({_main_product()} || '/' || d.kind)"


def debtor_facts(conn: Connection, debtor_ids: Sequence[int]) -> dict[int, tuple[str, int | None, str]]:
    """Segment, pay day and time zone of each given debtor (unknown ids are left out)."""
    out: dict[int, tuple[str, int | None, str]] = {}
    stmt = text(
        f"select d.id, {SEGMENT_SQL} as segment, d.pay_day, d.timezone from debtors d"  # noqa: S608
        " where d.id in :ids"
    ).bindparams(bindparam("ids", expanding=True))
    ids = list(dict.fromkeys(int(i) for i in debtor_ids))
    for start in range(0, len(ids), 5000):
        for row in conn.execute(stmt, {"ids": ids[start:start + 5000]}):
            out[int(row[0])] = (str(row[1]), None if row[2] is None else int(row[2]), str(row[3]))
    return out


@dataclass(frozen=True, slots=True)
class HourCell:
    """What one debtor's RPC chance at one local weekday x hour is made of (read in one query)."""

    segment: str
    pay_day: int | None
    timezone: str
    own: tuple[int, int] | None  # the debtor's own (attempts, rpcs) in that cell, when it has history
    segment_rate: float | None  # the stored rate of the debtor's segment cell
    all_rate: float | None  # the stored rate of the "all" segment cell


def hour_cells(conn: Connection, debtor_ids: Sequence[int], weekday: int, hour: int,
               all_segment: str) -> dict[int, HourCell]:
    """Segment, pay day, zone, own counts and the segment's and "all" stored rates of each debtor at one
    local weekday x hour, in one query (what `debtor_facts`, `segment_cells` and `debtor_cells` give)."""
    stmt = text(
        "select x.id, x.segment, x.pay_day, x.timezone, c.attempts, c.rpcs, r.rate, ra.rate"  # noqa: S608
        f" from (select d.id, {SEGMENT_SQL} as segment, d.pay_day, d.timezone from debtors d"
        " where d.id in :ids) x"
        " left join debtor_hour_counts c on c.debtor_id = x.id and c.weekday = :wd and c.hour = :hour"
        " left join rpc_hour_rates r on r.segment = x.segment and r.weekday = :wd and r.hour = :hour"
        " left join rpc_hour_rates ra on ra.segment = :all and ra.weekday = :wd and ra.hour = :hour"
    ).bindparams(bindparam("ids", expanding=True))
    out: dict[int, HourCell] = {}
    ids = list(dict.fromkeys(int(i) for i in debtor_ids))
    for start in range(0, len(ids), 5000):
        params = {"ids": ids[start:start + 5000], "wd": weekday, "hour": hour, "all": all_segment}
        for d, seg, pay_day, zone, n, r, rate, all_rate in conn.execute(stmt, params):
            out[int(d)] = HourCell(
                str(seg), None if pay_day is None else int(pay_day), str(zone),
                None if n is None else (int(n), int(r)),
                None if rate is None else float(rate), None if all_rate is None else float(all_rate),
            )
    return out


def segment_cells(conn: Connection, segments: Iterable[str], weekday: int,
                  hour: int | None = None) -> dict[tuple[str, int], float]:
    """Stored smoothed rates of segment cells on a weekday (one hour or all): (segment, hour) -> rate."""
    t = rpc_hour_rates
    stmt = select(t.c.segment, t.c.hour, t.c.rate).where(
        t.c.segment.in_(list(segments)), t.c.weekday == weekday)
    if hour is not None:
        stmt = stmt.where(t.c.hour == hour)
    return {(str(s), int(h)): float(r) for s, h, r in conn.execute(stmt)}


def debtor_cells(conn: Connection, debtor_ids: Sequence[int], weekday: int,
                 hour: int | None = None) -> dict[tuple[int, int], tuple[int, int]]:
    """Debtors' own counts on a weekday (one hour, or all): (debtor, hour) -> (attempts, rpcs)."""
    t = debtor_hour_counts
    out: dict[tuple[int, int], tuple[int, int]] = {}
    ids = list(dict.fromkeys(int(i) for i in debtor_ids))
    for start in range(0, len(ids), 5000):
        stmt = select(t.c.debtor_id, t.c.hour, t.c.attempts, t.c.rpcs).where(
            t.c.debtor_id.in_(ids[start:start + 5000]), t.c.weekday == weekday)
        if hour is not None:
            stmt = stmt.where(t.c.hour == hour)
        for d, h, n, r in conn.execute(stmt):
            out[(int(d), int(h))] = (int(n), int(r))
    return out


def has_history(conn: Connection, debtor_id: int) -> bool:
    """Whether the debtor has any counted calls (own cells)."""
    t = debtor_hour_counts
    return conn.execute(select(t.c.debtor_id).where(t.c.debtor_id == debtor_id).limit(1)).first() is not None
