"""Nightly-run benchmark: the whole `arrears batch run` (aging, promises, contactability, scores, best time,
treatments, allocation, work items) on N accounts, two nights in a row, on PostgreSQL (or SQLite).

    python -m benchmarks.bench_batch --accounts 1000000 --db postgres
    python -m benchmarks.bench_batch --quick

Synthetic portfolio (loaded with COPY / executemany, not timed): the accounts and due items of
bench_aging (six monthly instalments, 30 % current, the rest 1..~190 DPD) in three products; the debtors,
phones (5 % invalid, a spouse's phone for 40 %), payments and ~2.5 calls per account of bench_scoring;
10 % of debtors speak English, 2 % are key business accounts; the default strategy's two teams with one
collector per 500 accounts (capacity 300 cases each) and two agencies. Night 1 is the first run ever
(every late fee and penalty charged, every case allocated for the first time); night 2 is the steady
state. A forced rerun of night 2's treatments and allocation must change nothing (a forced rerun of the
work-items step deletes the date's open items, and every deleted item costs a scan of contact_attempts and
lease_log until their work_item_id columns are indexed: covered by the tests at small size, not timed here).
Target: the whole run within 5 minutes, peak memory at most 2 GB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text

from arrears import migrate
from arrears.core.access import SYSTEM
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.runtime import Runtime
from arrears.settings import Settings
from benchmarks import bench_aging, bench_scoring
from benchmarks.common import Result, peak_rss_mb, scratch_postgres, timer

AS_OF = date(2026, 3, 31)
TARGET_S = 300.0
TARGET_MB = 2048.0
PRODUCTS = (
    "credit_card",
    "credit_card",
    "credit_card",
    "consumer_loan",
    "consumer_loan",
    "credit_card",
    "consumer_loan",
    "credit_card",
    "consumer_loan",
    "business_receivable",
)
SKIP_FROM_SCORING = {"accounts", "bucket_history"}


def load(engine: Engine, n_accounts: int) -> None:
    """Debtors, phones, payments and calls (bench_scoring), accounts and due items (bench_aging), staff."""
    stamp_dt = datetime(2026, 1, 1, tzinfo=UTC)
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        raw = conn.connection.driver_connection

        def put(table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
            if pg:
                with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:  # type: ignore[union-attr]
                    for row in rows:
                        cp.write_row(row)
            else:
                marks = ", ".join("?" * len(cols))
                raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)  # type: ignore[union-attr]  # noqa: S608

        stamp: Any = stamp_dt if pg else stamp_dt.replace(tzinfo=None).isoformat(sep=" ")
        day: Any = (lambda d: d) if pg else date.isoformat
        moment: Any = (lambda m: m) if pg else bench_scoring._sqlite_moment
        deferred: list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]] = []
        for table, cols, rows in bench_scoring._generate(n_accounts, stamp, day, moment):
            if table in SKIP_FROM_SCORING:
                continue
            if table == "debtors":
                put(table, cols, rows)
            else:
                deferred.append((table, cols, rows))  # after the accounts they refer to
        for accts, items in bench_aging.account_rows(n_accounts, stamp, day):
            put("accounts", bench_aging.ACCOUNT_COLS, [(*a[:3], PRODUCTS[a[0] % 10], *a[4:]) for a in accts])
            put("due_items", bench_aging.ITEM_COLS, items)
        for table, cols, rows in deferred:
            put(table, cols, rows)
        conn.execute(text("update debtors set preferred_language = 'en' where id % 10 = 3"))
        conn.execute(text("update debtors set kind = 'company', is_key_account = 1 where id % 50 = 7"))
        if pg:
            for table in ("debtors", "accounts", "contact_points"):
                conn.exec_driver_sql(  # bench-only, fixed table names
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
        _staff(conn, n_accounts, stamp_dt)
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _staff(conn: Any, n_accounts: int, now: datetime) -> None:
    from arrears.strategy.store import bulk_insert
    from arrears.users.store import agencies, teams, users

    ids = {}
    for name in ("催收一组 Team A (zh-CN)", "Team B (English)"):
        ids[name] = conn.execute(
            teams.insert().values(name=name, created_at=now).returning(teams.c.id)
        ).scalar_one()
    for code in ("AG-NORTH", "AG-SOUTH"):
        conn.execute(agencies.insert().values(code=code, name=f"Agency {code}", created_at=now))
    n = max(4, n_accounts // 500)
    rows = []
    for i in range(n):
        english = i % 10 == 0
        team = ids["Team B (English)" if english else "催收一组 Team A (zh-CN)"]
        rows.append(
            (
                f"collector{i}",
                f"Collector {i}",
                "collector",
                team,
                "en,zh-CN" if english else "zh-CN",
                300,
                now,
                now,
            )
        )
    bulk_insert(
        conn,
        users,
        ("username", "display_name", "role", "team_id", "languages", "capacity", "created_at", "updated_at"),
        rows,
    )


def _night(rt: Runtime, as_of: date, label: str, **kwargs: Any) -> Any:
    from arrears.strategy.jobs import run_nightly

    with timer() as t:
        summary = run_nightly(rt, SYSTEM, as_of, **kwargs)
    steps = ", ".join(f"{s.step} {s.seconds:.1f}s" for s in summary.steps)
    print(
        f"  {label} as of {as_of}: {summary.status} in {t['s']:.1f} s ({steps}); "
        f"peak RSS {peak_rss_mb():.0f} MB",
        file=sys.stderr,
        flush=True,
    )
    if summary.status != "completed":
        raise RuntimeError(f"{label}: {[(s.step, s.error) for s in summary.steps if s.error]}")
    return summary


def _counts(summary: Any) -> dict[str, dict[str, Any]]:
    return {s.step: s.counts for s in summary.steps}


def bench_one(db: str, n_accounts: int, url: str, var_dir: Path) -> list[Result]:
    """Load, then two nights and a forced rerun; the measured figures."""
    from arrears.strategy.model import BatchStep
    from arrears.worklist.store import work_items

    settings = Settings(database_url=url, var_dir=var_dir, environment="test")
    nxt = AS_OF + timedelta(days=1)
    engine = make_engine(settings)
    migrate.upgrade(engine)
    label = f"nightly run {db} {n_accounts:,} accounts"
    with timer() as t_load:
        load(engine, n_accounts)
    print(f"{label}: loaded in {t_load['s']:.1f} s", file=sys.stderr, flush=True)
    rt = Runtime(
        settings=settings,
        engine=engine,
        clock=FixedClock(datetime(nxt.year, nxt.month, nxt.day, 23, tzinfo=UTC)),
    )
    first = _night(rt, AS_OF, "night 1")
    second = _night(rt, nxt, "night 2")
    again = _night(
        rt,
        nxt,
        "night 2 again (forced)",
        force=True,
        steps=[BatchStep.TREATMENTS, BatchStep.ALLOCATION],
    )
    c2, c3 = _counts(second), _counts(again)
    with engine.connect() as conn:
        open_items = conn.execute(
            select(func.count())
            .select_from(work_items)
            .where(work_items.c.plan_date == nxt, work_items.c.status == "open")
        ).scalar_one()
    idle = (
        c3["treatments"]["changed"] == 0
        and c3["allocation"]["moves"] == 0
        and c2["work_items"]["items"] == open_items
    )
    engine.dispose()
    peak = round(peak_rss_mb(), 1)

    def steps(summary: Any) -> str:
        parts = []
        for s in summary.steps:
            phases = s.counts.get("phases") if isinstance(s.counts, dict) else None
            inner = f" ({', '.join(f'{k} {v:.1f}s' for k, v in phases.items())})" if phases else ""
            parts.append(f"{s.step} {s.seconds:.1f}s{inner}")
        return "; ".join(parts)

    c1 = _counts(first)
    return [
        Result(f"{label}: load (setup)", t_load["s"], "s", "–", None, "COPY / executemany, not the run"),
        Result(
            f"{label}: night 1 (first run ever)",
            first.seconds,
            "s",
            f"< {TARGET_S:.0f} s",
            first.seconds < TARGET_S,
            f"{steps(first)}; {c1['treatments']['treated']:,} treated, {c1['allocation']['moves']:,} moves, "
            f"{c1['work_items']['items']:,} work items",
        ),
        Result(
            f"{label}: night 2 (steady state)",
            second.seconds,
            "s",
            f"< {TARGET_S:.0f} s",
            second.seconds < TARGET_S,
            f"{steps(second)}; {c2['treatments']['changed']:,} treatments changed, "
            f"{c2['allocation']['moves']:,} moves, {c2['work_items']['items']:,} work items",
        ),
        Result(
            f"{label}: forced rerun of night 2 (treatments, allocation)",
            again.seconds,
            "s",
            "changes nothing",
            idle,
            steps(again) + ("; idempotent" if idle else "; CHANGED STATE"),
        ),
        Result(
            f"{label}: peak memory",
            peak,
            "MB",
            f"<= {TARGET_MB:.0f} MB",
            peak <= TARGET_MB,
            "process peak RSS (load included)",
        ),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the nightly-run benchmark; the measured figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_batch")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument("--quick", action="store_true", help="20,000 accounts")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.accounts
    results: list[Result] = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
            results += bench_one("sqlite", n, "", Path(tmp))
    if args.db in ("postgres", "both"):
        with scratch_postgres() as url, tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
            results += bench_one("postgres", n, url, Path(tmp))
    return results


if __name__ == "__main__":
    for r in main():
        print(
            f"{r.name}: {r.value:,.2f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed}"
            f"  {r.notes}"
        )
