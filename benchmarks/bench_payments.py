"""Payments benchmark: post a bank channel file of N payments (every row checked first, then posted one
by one with allocation, due items, ledger, promise judging and audit), post it again (all duplicates),
judge P promises, and rebuild balances as of a date from the ledger; on SQLite and/or PostgreSQL.

    python -m benchmarks.bench_payments --payments 20000 --db both
    python -m benchmarks.bench_payments --quick

The issue names no target for these; the figures are informational (throughput per second).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from arrears import migrate
from arrears.core.access import SYSTEM
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.payments import jobs, service
from arrears.payments.store import promises
from arrears.portfolio.store import accounts, cases, debtors, due_items
from arrears.runtime import Runtime
from arrears.settings import Settings
from benchmarks.common import Result, peak_rss_mb, scratch_postgres, timer

NOW = datetime(2026, 3, 31, 10, tzinfo=UTC)
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def load(rt: Runtime, n_accounts: int, n_promises: int) -> None:
    """Accounts with two due items each, an open case per debtor, and pending promises."""
    with rt.engine.begin() as conn:
        batch = 5_000
        for lo in range(1, n_accounts + 1, batch):
            ids = range(lo, min(n_accounts, lo + batch - 1) + 1)
            conn.execute(insert(debtors), [
                {"id": i, "external_id": f"BD{i}", "kind": "person", "name": f"Debtor {i}",
                 "timezone": "Asia/Shanghai", "timezone_source": "default", "row_hash": "h",
                 "created_at": STAMP, "updated_at": STAMP} for i in ids])
            conn.execute(insert(cases), [
                {"id": i, "debtor_id": i, "status": "open", "opened_on": date(2026, 1, 1),
                 "created_at": STAMP, "updated_at": STAMP} for i in ids])
            conn.execute(insert(accounts), [
                {"id": i, "external_id": f"BA{i:07d}", "debtor_id": i, "case_id": i,
                 "product": "consumer_loan", "currency": "CNY", "principal_minor": 400_000,
                 "interest_minor": 20_000, "fees_minor": 5_000,
                 "penalty_minor": 3_000, "dpd": 45, "bucket": "M2", "row_hash": "h", "created_at": STAMP,
                 "updated_at": STAMP} for i in ids])
            conn.execute(insert(due_items), [
                {"account_id": i, "due_date": d, "amount_minor": 214_000, "principal_minor": 200_000}
                for i in ids for d in (date(2026, 2, 14), date(2026, 3, 14))])
        conn.execute(insert(promises), [
            {"debtor_id": i, "account_id": i, "case_id": i, "amount_minor": 100_000, "currency": "CNY",
             "due_on": date(2026, 4, 2), "channel": "alipay", "status": "pending", "grace_days": 2,
             "tolerance_minor": 500, "created_by": "bench", "created_at": NOW - timedelta(days=5),
             "updated_at": NOW - timedelta(days=5)} for i in range(1, n_promises + 1)])


def write_file(path: Path, n_payments: int, n_accounts: int) -> None:
    """A bank statement CSV (Chinese headers) of n payments spread over the accounts."""
    with path.open("w", encoding="utf-8") as out:
        out.write("交易日期,交易流水号,贷方金额,币种,附言\n")
        for k in range(1, n_payments + 1):
            acct = (k - 1) % n_accounts + 1
            out.write(f"2026-03-{20 + k % 10:02d},BX{k:08d},{100 + k % 900}.00,CNY,还款 BA{acct:07d}\n")


def bench_one(db: str, n_payments: int, n_promises: int, url: str, var: Path) -> list[Result]:
    """Load, post the file twice, judge and rebuild balances; the figures."""
    settings = Settings(database_url=url, var_dir=var, environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    rt = Runtime(settings=settings, engine=engine, clock=FixedClock(NOW))
    n_accounts = max(n_payments // 2, n_promises, 1)
    label = f"payments {db}"
    load(rt, n_accounts, n_promises)
    path = var / "bank.csv"
    write_file(path, n_payments, n_accounts)
    with timer() as t_post:
        first = service.post_file(rt, SYSTEM, path)
    with timer() as t_again:
        again = service.post_file(rt, SYSTEM, path)
    with timer() as t_judge, engine.begin() as conn:
        judged = jobs.judge_due_promises(conn, date(2026, 4, 10), NOW)
    sample = min(200, n_accounts)
    with timer() as t_bal:
        for i in range(1, sample + 1):
            service.balance(rt, SYSTEM, f"BA{i:07d}", date(2026, 3, 25))
    engine.dispose()
    print(f"{label}: posted {first['posted']:,} in {t_post['s']:.1f} s; judged {judged.judged:,}",
          file=sys.stderr, flush=True)
    rate = first["posted"] / t_post["s"] if t_post["s"] else 0.0
    return [
        Result(f"{label}: post a {n_payments:,}-row bank file", t_post["s"], "s", "–", None,
               f"{rate:,.0f} payments/s; every row checked first, then allocated, booked, judged, audited"),
        Result(f"{label}: the same file again", t_again["s"], "s", "–, posts nothing",
               again["posted"] == 0 and again["duplicates"] == first["posted"],
               f"{again['duplicates']:,} recognised as already recorded"),
        Result(f"{label}: judge {n_promises:,} promises", t_judge["s"], "s", "–", None,
               f"{judged.kept:,} kept, {judged.partly_kept:,} partly kept, {judged.broken:,} broken"),
        Result(f"{label}: balance as of a date ({sample} accounts)", t_bal["s"] / sample * 1000, "ms/account",
               "–", None, "ledger rebuilt, one transaction per request"),
        Result(f"{label}: peak memory", round(peak_rss_mb(), 1), "MB", "–", None, "process peak RSS so far"),
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the payments benchmark; the measured figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_payments")
    parser.add_argument("--payments", type=int, default=20_000)
    parser.add_argument("--promises", type=int, default=5_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="1,000 payments, 500 promises")
    args = parser.parse_args(argv)
    if args.quick:
        args.payments, args.promises = 1_000, 500
    results: list[Result] = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
            results += bench_one("sqlite", args.payments, args.promises, "", Path(tmp))
    if args.db in ("postgres", "both"):
        with scratch_postgres() as url, tempfile.TemporaryDirectory(prefix="arrears-bench-") as tmp:
            results += bench_one("postgres", args.payments, args.promises, url, Path(tmp))
    return results


if __name__ == "__main__":
    for r in main():
        print(f"{r.name}: {r.value:,.2f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed}"
              f"  {r.notes}")
