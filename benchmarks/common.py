"""Benchmark plumbing: a result record, a timer, peak memory, and a scratch PostgreSQL database."""

from __future__ import annotations

import os
import resource
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("ARREARS_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@dataclass
class Result:
    """One measured figure against its target."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool | None
    notes: str = ""

    def as_dict(self) -> dict[str, object]:
        """Plain dict for JSON."""
        return asdict(self)


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    """Measure wall time of a block: `with timer() as t: ...; t['s']`."""
    box: dict[str, float] = {}
    start = time.perf_counter()
    try:
        yield box
    finally:
        box["s"] = time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL database; yields its URL and drops it afterwards."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"arrears_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
