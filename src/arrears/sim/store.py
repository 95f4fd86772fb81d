"""The simulation clock kept in the database (one row), so every server worker reads the same moment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Engine, Integer, String, Table, select
from sqlalchemy.engine import Connection

from arrears.core.clock import SystemClock
from arrears.core.tables import UtcDateTime, metadata

sim_clock = Table(
    "sim_clock",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("at", UtcDateTime, nullable=False),  # the moment the manual clock shows
    Column("set_by", String(64), nullable=False),
    Column("set_at", UtcDateTime, nullable=False),  # wall-clock time of the change
)

ROW_ID = 1


def read(conn: Connection) -> tuple[datetime, str, datetime] | None:
    """The manual clock's moment, who set it and when; None when it was never set."""
    row = conn.execute(
        select(sim_clock.c.at, sim_clock.c.set_by, sim_clock.c.set_at).where(sim_clock.c.id == ROW_ID)
    ).first()
    return None if row is None else (row.at, row.set_by, row.set_at)


def write(conn: Connection, at: datetime, set_by: str, set_at: datetime) -> None:
    """Set the manual clock (insert the row or update it)."""
    done = conn.execute(
        sim_clock.update().where(sim_clock.c.id == ROW_ID).values(at=at, set_by=set_by[:64], set_at=set_at)
    ).rowcount
    if not done:
        conn.execute(sim_clock.insert().values(id=ROW_ID, at=at, set_by=set_by[:64], set_at=set_at))


class DatabaseClock:
    """The manual clock: the moment stored in `sim_clock` (the wall clock until someone sets it)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wall = SystemClock()

    def now(self) -> datetime:
        """The stored moment, read on every call so that all workers agree."""
        with self.engine.connect() as conn:
            found = read(conn)
        return self._wall.now() if found is None else found[0]
