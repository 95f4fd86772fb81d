"""Aging benchmark: load N synthetic accounts fast, then time age_portfolio (first run, same-date rerun,
next day) on SQLite and/or PostgreSQL.

    python -m benchmarks.bench_aging --accounts 1000000 --db both

Synthetic portfolio: 4 debtors per 5 accounts; each account has six monthly instalments, all due before
the as_of date; 30% of accounts are current, the rest have 0..5 instalments paid (so 1..~190 DPD, some
partially paid), with a mix of contract terms (grace, due day, late fee, rate, basis, day count).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from arrears import migrate
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.portfolio.aging.rules import add_months
from arrears.portfolio.aging.service import AgingSummary, age_portfolio
from arrears.portfolio.store import accruals
from arrears.runtime import Runtime
from arrears.settings import Settings
from benchmarks.common import Result, peak_rss_mb, scratch_postgres, timer

AS_OF = date(2026, 3, 31)
TARGET_S = 60.0
BATCH = 50_000

DEBTOR_COLS = ("id", "external_id", "kind", "name", "timezone", "timezone_source", "row_hash",
               "created_at", "updated_at")
ACCOUNT_COLS = ("id", "external_id", "debtor_id", "product", "currency", "due_day", "grace_days",
                "late_fee_minor", "penalty_rate_ppm", "penalty_basis", "day_count", "principal_minor",
                "row_hash", "created_at", "updated_at")
ITEM_COLS = ("account_id", "due_date", "amount_minor", "principal_minor", "paid_minor")


def _mix(i: int) -> int:
    """A cheap deterministic pseudo-random integer per account (splitmix-style)."""
    z = (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def debtor_rows(n_accounts: int, stamp: Any) -> Iterator[list[tuple[Any, ...]]]:
    """Debtor rows in batches (4 debtors per 5 accounts)."""
    n = _debtor_of(n_accounts)
    for lo in range(1, n + 1, BATCH):
        yield [(i, f"BD{i}", "person", f"Debtor {i}", "Asia/Shanghai", "default", "h", stamp, stamp)
               for i in range(lo, min(n, lo + BATCH - 1) + 1)]


def _debtor_of(account_id: int) -> int:
    return ((account_id - 1) * 4) // 5 + 1


def account_rows(
    n_accounts: int, stamp: Any, dump_date: Any
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """(accounts, due items) in batches."""
    for lo in range(1, n_accounts + 1, BATCH):
        accts: list[tuple[Any, ...]] = []
        items: list[tuple[Any, ...]] = []
        for i in range(lo, min(n_accounts, lo + BATCH - 1) + 1):
            r = _mix(i)
            day = 1 + r % 31
            due_day = (0, 0, 5, 15, 28, 31)[(r >> 8) % 6]
            amount = 50_000 + (r >> 12) % 200_000
            principal = amount * 4 // 5
            paid_count = 6 if (r >> 32) % 10 < 3 else (r >> 36) % 6
            partial = (r >> 40) % 4 == 0
            accts.append((
                i, f"BA{i}", _debtor_of(i), "consumer_loan", "CNY", due_day, (0, 3, 5)[(r >> 44) % 3],
                (2_500, 5_000, 0)[(r >> 46) % 3], (180_000, 240_000, 365_000)[(r >> 48) % 3],
                ("overdue_amount", "overdue_principal")[(r >> 50) % 2], (360, 365)[(r >> 51) % 2],
                principal * (6 - min(paid_count, 5)), "h", stamp, stamp,
            ))
            first = add_months(AS_OF, -6, due_day or day)
            for k in range(6):
                due = add_months(first, k, due_day or day)
                paid = amount if k < paid_count else (amount // 3 if partial and k == paid_count else 0)
                items.append((i, dump_date(due), amount, principal, paid))
        yield accts, items


def load(engine: Engine, n_accounts: int) -> None:
    """Insert the synthetic portfolio directly: COPY on PostgreSQL, executemany on SQLite."""
    stamp_dt = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        if engine.dialect.name == "postgresql":
            def put(table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
                with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:  # type: ignore[union-attr]
                    for row in rows:
                        cp.write_row(row)
            stamp: Any = stamp_dt
            dump: Any = _identity
        else:
            def put(table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
                marks = ", ".join("?" * len(cols))
                raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)  # type: ignore[union-attr]  # noqa: S608
            stamp = stamp_dt.replace(tzinfo=None).isoformat(sep=" ")
            dump = date.isoformat
        for rows in debtor_rows(n_accounts, stamp):
            put("debtors", DEBTOR_COLS, rows)
        for accts, items in account_rows(n_accounts, stamp, dump):
            put("accounts", ACCOUNT_COLS, accts)
            put("due_items", ITEM_COLS, items)
        if engine.dialect.name == "postgresql":
            for table in ("debtors", "accounts", "due_items"):
                conn.exec_driver_sql(  # bench-only, fixed table names
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _identity(value: Any) -> Any:
    return value


def _timed_run(rt: Runtime, as_of: date) -> tuple[float, AgingSummary]:
    with timer() as t:
        summary = age_portfolio(rt, as_of)
    print(f"  as_of {as_of}: {t['s']:.1f} s  aged={summary.accounts_aged:,} moves={summary.bucket_moves:,} "
          f"fees={summary.late_fees:,} penalties={summary.penalty_accruals:,} "
          f"opened={summary.cases_opened:,}", file=sys.stderr, flush=True)
    return t["s"], summary


def bench_one(db: str, n_accounts: int, url: str, var_dir: Path) -> list[Result]:
    """Load and age one database; the measured figures."""
    settings = Settings(database_url=url, var_dir=var_dir, environment="test")
    next_day = AS_OF + timedelta(days=1)
    clock = FixedClock(datetime(next_day.year, next_day.month, next_day.day, 23, tzinfo=UTC))
    engine = make_engine(settings)
    migrate.upgrade(engine)
    label = f"aging {db} {n_accounts:,} accounts"
    with timer() as t_load:
        load(engine, n_accounts)
    print(f"{label}: loaded in {t_load['s']:.1f} s", file=sys.stderr, flush=True)
    rt = Runtime(settings=settings, engine=engine, clock=clock)
    first_s, first = _timed_run(rt, AS_OF)
    rerun_s, rerun = _timed_run(rt, AS_OF)
    next_s, nxt = _timed_run(rt, AS_OF + timedelta(days=1))
    idle = rerun.late_fees == 0 and rerun.penalty_minor == 0 and rerun.bucket_moves == 0
    with engine.connect() as conn:
        accrual_rows = conn.execute(select(func.count()).select_from(accruals)).scalar_one()
    engine.dispose()
    return [
        Result(f"{label}: load (setup)", t_load["s"], "s", "–", None, "COPY / executemany, not aging"),
        Result(f"{label}: first run", first_s, "s", f"< {TARGET_S:.0f} s", first_s < TARGET_S,
               f"{first.late_fees:,} late fees, {first.penalty_accruals:,} penalties, "
               f"{first.cases_opened:,} cases opened"),
        Result(f"{label}: same-date rerun", rerun_s, "s", f"< {TARGET_S:.0f} s, adds nothing",
               rerun_s < TARGET_S and idle, "idempotent" if idle else "CHARGED AGAIN"),
        Result(f"{label}: next day", next_s, "s", f"< {TARGET_S:.0f} s", next_s < TARGET_S,
               f"{nxt.bucket_moves:,} moves, {nxt.late_fees:,} late fees, "
               f"{nxt.penalty_accruals:,} penalties; {accrual_rows:,} accrual rows in all"),
        Result(f"{label}: peak memory", round(peak_rss_mb(), 1), "MB", "–", None, "process peak RSS so far"),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the aging benchmark; the measured figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_aging")
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args(argv)
    results: list[Result] = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
            results += bench_one("sqlite", args.accounts, "", Path(tmp))
    if args.db in ("postgres", "both"):
        with scratch_postgres() as url, tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
            results += bench_one("postgres", args.accounts, url, Path(tmp))
    return results


if __name__ == "__main__":
    for r in main():
        print(f"{r.name}: {r.value:,.2f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed}"
              f"  {r.notes}")
