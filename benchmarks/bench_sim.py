"""Simulator benchmark: 1,000 debtors over 30 days, one arm (the strategy in force), every dial through the
real `next_contact` + `record_attempt`, the nightly run once per simulated day, payments posted.

    python -m benchmarks.bench_sim                      # 1,000 debtors x 30 days (target: 60 s)
    python -m benchmarks.bench_sim --debtors 200 --days 5   # quick

The figure is the whole run (set-up, portfolio load, every day); the split shows where the time goes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from arrears.sim.config import parse
from arrears.sim.engine import run
from benchmarks.common import Result, peak_rss_mb

TARGET_S = 60.0


def main(argv: list[str]) -> list[Result]:
    """Run one simulation and report its wall time and throughput."""
    parser = argparse.ArgumentParser(prog="bench_sim")
    parser.add_argument("--debtors", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--collectors", type=int, default=3)
    args = parser.parse_args(argv)
    cfg = parse(
        {
            "name": "bench",
            "debtors": args.debtors,
            "days": args.days,
            "collectors_per_arm": args.collectors,
            "arms": [{"name": "default"}],
        }
    )
    with tempfile.TemporaryDirectory(prefix="bench-sim-") as tmp:
        done = run(cfg, Path(tmp))
        done.runtime.engine.dispose()
    t = done.tally
    split = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(done.timings.items()))
    full = args.debtors == 1000 and args.days == 30
    per_attempt = (done.timings.get("next_contact", 0) + done.timings.get("record_attempt", 0)) / max(
        1, t.attempts
    )
    return [
        Result(
            f"sim {args.debtors:,} debtors x {args.days} days, {args.collectors} collectors",
            done.seconds,
            "s",
            f"<= {TARGET_S:.0f} s",
            done.seconds <= TARGET_S if full else None,
            f"{t.attempts:,} attempts, {t.payments:,} payments; {split}",
        ),
        Result(
            "sim next_contact + record_attempt per attempt",
            per_attempt * 1000,
            "ms",
            "–",
            None,
            f"peak RSS {peak_rss_mb():.0f} MB",
        ),
    ]


if __name__ == "__main__":
    for r in main(sys.argv[1:]):
        print(r.as_dict())
