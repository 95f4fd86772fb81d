"""Reporting benchmark: the dashboard's queries over 10,000,000 attempts and 1,000,000 accounts on PostgreSQL.

    python -m benchmarks.bench_reporting --accounts 1000000 --attempts 10000000
    python -m benchmarks.bench_reporting --quick

Loads a synthetic portfolio with COPY (4 debtors per 5 accounts, 400 collectors in 10 teams, 90 days of
attempts, planned work, payments, promises, bucket history and, when the strategy domain's table exists, a
50/50 experiment), builds the reporting summaries once (timed, not the figure), then times each dashboard
query three times and reports the slowest run against the 2 s target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from arrears import migrate
from arrears.core.access import SYSTEM
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.reporting import service
from arrears.reporting.model import Dimension, Filters, Grain, Period
from arrears.reporting.rules import add_months, month_start
from arrears.runtime import Runtime
from arrears.settings import Settings
from benchmarks.common import Result, peak_rss_mb, scratch_postgres, timer
from benchmarks.reporting_data import AS_OF, EXPERIMENT, Shape, load

TARGET_S = 2.0


def _time(label: str, action: Callable[[], Any], runs: int = 3) -> tuple[float, float, Any]:
    """Run a query `runs` times; (slowest, median, last result)."""
    seconds: list[float] = []
    result: Any = None
    for _ in range(runs):
        with timer() as t:
            result = action()
        seconds.append(t["s"])
    print(
        f"  {label}: slowest {max(seconds):.3f} s, median {statistics.median(seconds):.3f} s",
        file=sys.stderr,
        flush=True,
    )
    return max(seconds), statistics.median(seconds), result


def queries(rt: Runtime, s: Shape, with_arms: bool) -> list[tuple[str, Callable[[], Any]]]:
    """The dashboard's queries: what /reports and its sub-pages ask for."""
    month = Period(AS_OF - timedelta(days=29), AS_OF)
    quarter = Period(s.first_day, AS_OF)
    last_cycle = add_months(month_start(AS_OF), -1)
    out: list[tuple[str, Callable[[], Any]]] = [
        ("KPI totals, 30 days", lambda: service.kpi_table(rt, SYSTEM, month)),
        ("KPIs by team, 30 days", lambda: service.kpi_table(rt, SYSTEM, month, Dimension.TEAM)),
        ("KPIs by bucket, 30 days", lambda: service.kpi_table(rt, SYSTEM, month, Dimension.BUCKET)),
        ("KPIs by product, 30 days", lambda: service.kpi_table(rt, SYSTEM, month, Dimension.PRODUCT)),
        ("collector league, 30 days", lambda: service.league(rt, SYSTEM, month)),
        ("KPIs by team, 90 days", lambda: service.kpi_table(rt, SYSTEM, quarter, Dimension.TEAM)),
        ("daily trend, 90 days", lambda: service.trend(rt, SYSTEM, quarter, Grain.DAY)),
        ("weekly trend, 90 days", lambda: service.trend(rt, SYSTEM, quarter, Grain.WEEK)),
        ("funnel, 30 days", lambda: service.funnel(rt, SYSTEM, month)),
        (
            "one team's KPIs by collector, 30 days",
            lambda: service.kpi_table(rt, SYSTEM, month, Dimension.COLLECTOR, Filters(team_id=3)),
        ),
        ("roll rates, 6 cycles", lambda: service.rolls(rt, SYSTEM, add_months(last_cycle, -5), last_cycle)),
        (
            "recovery curves, 12 cohorts",
            lambda: service.cohorts(rt, SYSTEM, add_months(month_start(AS_OF), -11), month_start(AS_OF)),
        ),
        ("filter options", lambda: service.options(rt, SYSTEM)),
    ]
    if with_arms:
        out += [
            (
                "KPIs by arm, 30 days",
                lambda: service.kpi_table(rt, SYSTEM, month, Dimension.ARM, Filters(experiment=EXPERIMENT)),
            ),
            ("champion vs challenger, 30 days", lambda: service.arm_report(rt, SYSTEM, EXPERIMENT, month)),
        ]
    return out


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the reporting benchmark on a scratch PostgreSQL database; the measured figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_reporting")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--quick", action="store_true", help="20,000 accounts and 200,000 attempts")
    args = parser.parse_args(argv)
    if args.quick:
        args.accounts, args.attempts = 20_000, 200_000
    s = Shape(args.accounts, args.attempts, args.days)
    label = f"reporting pg {s.attempts:,} attempts / {s.accounts:,} accounts"
    results: list[Result] = []
    with scratch_postgres() as url, tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
        settings = Settings(database_url=url, var_dir=Path(tmp), environment="test")
        engine = make_engine(settings)
        migrate.upgrade(engine)
        print(f"{label}: loading", file=sys.stderr, flush=True)
        with timer() as t_load:
            counts = load(engine, s)
        rt = Runtime(
            settings=settings, engine=engine, clock=FixedClock(datetime(2026, 3, 31, 16, tzinfo=UTC))
        )
        with timer() as t_refresh:
            done = service.refresh(rt, SYSTEM, as_of=AS_OF, start=s.first_day)
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        print(
            f"  refresh: {t_refresh['s']:.1f} s, {done.activity_rows:,} cube rows",
            file=sys.stderr,
            flush=True,
        )
        results += [
            Result(
                f"{label}: load (setup)",
                t_load["s"],
                "s",
                "–",
                None,
                ", ".join(f"{k} {v:,}" for k, v in counts.items()),
            ),
            Result(
                f"{label}: summaries refresh, {s.days} days (setup)",
                t_refresh["s"],
                "s",
                "–",
                None,
                f"{done.activity_rows:,} cube rows, {done.payment_rows:,} payments (nightly: 7 days)",
            ),
        ]
        with_arms = "arm_assignments" in counts
        for name, action in queries(rt, s, with_arms):
            slowest, median, _ = _time(name, action)
            results.append(
                Result(
                    f"{label}: {name}",
                    slowest,
                    "s",
                    f"< {TARGET_S:.0f} s",
                    slowest < TARGET_S,
                    f"slowest of 3; median {median:.3f} s",
                )
            )
        if not with_arms:
            results.append(
                Result(
                    f"{label}: arm queries",
                    0.0,
                    "s",
                    f"< {TARGET_S:.0f} s",
                    None,
                    "skipped: strategy arm_assignments table not available",
                )
            )
        results.append(
            Result(f"{label}: peak memory", round(peak_rss_mb(), 1), "MB", "–", None, "process peak RSS")
        )
        engine.dispose()
    return results


if __name__ == "__main__":
    for r in main():
        print(
            f"{r.name}: {r.value:,.3f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed}"
            f"  {r.notes}"
        )
