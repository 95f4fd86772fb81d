"""Contact-policy benchmark: one decision for a debtor with 200 past attempts (target: median <= 1 ms).

    python -m benchmarks.bench_compliance --attempts 200 --runs 2000

Facts are built once (as the service hands them to the engine, from rows read in the same transaction);
each timed run builds the decision's context (sorting, indexes) and evaluates every rule of the layered
rule sets; one extra figure includes constructing the facts. Measured for an allowed call
and for a denied one (which also searches the earliest allowed moment), under cn-gbt45251 + house-default
and us-regf + house-default.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from arrears.compliance.engine import evaluate
from arrears.compliance.model import (
    ContactChannel,
    ContactPointInfo,
    DebtorInfo,
    Facts,
    Flag,
    HistoryEntry,
    HoldKind,
    Outcome,
    Party,
    ProposedContact,
)
from arrears.compliance.rulesets import layered
from benchmarks.common import Result

TARGET_MS = 1.0
OUTCOMES = (
    Outcome.NO_ANSWER,
    Outcome.BUSY,
    Outcome.VOICEMAIL,
    Outcome.NETWORK_ERROR,
    Outcome.CONNECTED_RPC,
    Outcome.NO_ANSWER,
    Outcome.CONNECTED_THIRD_PARTY,
)


def facts(zone: str, attempts: int, now: datetime, span_days: int) -> Facts:
    """A debtor with three phones, attempts spread over `span_days` up to now (the last one reached him
    without a conversation about the debt), a lifted hold and a declared lunch hour."""
    points = (
        ContactPointInfo("m1", timezones=(zone,)),
        ContactPointInfo("m2", timezones=(zone,)),
        ContactPointInfo("sis", relationship="relative", timezones=(zone,)),
    )
    step = timedelta(days=span_days) / attempts
    now = now.astimezone(UTC)  # as the database returns them
    history = tuple(
        HistoryEntry(
            now - timedelta(days=span_days) + i * step,
            ContactChannel.CALL,
            OUTCOMES[i % len(OUTCOMES)],
            ("m1", "m2", "sis")[i % 3],
            Party.THIRD_PARTY if i % 3 == 2 else Party.DEBTOR,
            by_agency=i % 4 == 0,
            conversation=False if i % 3 != 2 else None,
        )
        for i in range(attempts - 1)
    )
    history += (
        HistoryEntry(
            now - timedelta(hours=2), ContactChannel.CALL, Outcome.CONNECTED_RPC, "m1", conversation=False
        ),
    )
    flags = (
        Flag(HoldKind.DISPUTE, "agent", now - timedelta(days=50), "x", lifted_at=now - timedelta(days=40)),
        Flag(
            HoldKind.INCONVENIENT_TIME,
            "agent",
            now - timedelta(days=30),
            "lunch",
            detail={"windows": [{"start": "12:00", "end": "13:00"}]},
        ),
    )
    return Facts(DebtorInfo("D", zone, zone), points, history, flags)


def _time(fn: object, runs: int) -> tuple[float, float]:
    """Median and p99 in ms; the garbage collector is paused while timing, as timeit does."""
    samples = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()  # type: ignore[operator]
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        gc.enable()
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def _case(label: str, zone: str, names: list[str], span: int, attempts: int, runs: int) -> list[Result]:
    """Allowed and denied decisions for one jurisdiction (and, for CN, with the facts built from rows)."""
    sets = layered(names)
    day = datetime(2026, 3, 20, tzinfo=ZoneInfo(zone))
    f = facts(zone, attempts, day + timedelta(hours=10), span)
    results: list[Result] = []
    for verdict, at in (
        ("allowed", day + timedelta(hours=10, minutes=30)),
        ("denied", day + timedelta(hours=22, minutes=30)),
    ):
        proposed = ProposedContact(ContactChannel.CALL, at, "m1")
        decision = evaluate(proposed, f, sets)
        assert decision.allowed is (verdict == "allowed"), decision.as_dict()["fired"]
        for _ in range(50):  # warm up caches (zones, rule files)
            evaluate(proposed, f, sets)
        median, p99 = _time(partial(evaluate, proposed, f, sets), runs)
        notes = (
            f"{len(decision.checked)} rules, {attempts} past attempts; earliest allowed "
            f"{decision.earliest_allowed:%Y-%m-%d %H:%M %Z}; p99 {p99:.3f} ms"
        )
        results.append(
            Result(
                f"compliance decision {label} {verdict} (median)",
                round(median, 4),
                "ms",
                f"<= {TARGET_MS} ms",
                median <= TARGET_MS,
                notes,
            )
        )
        results.append(
            Result(
                f"compliance decision {label} {verdict} (p99)", round(p99, 4), "ms", "–", None, f"{runs} runs"
            )
        )
    if label == "CN":  # the denied decision again, constructing the facts from row tuples in each run
        rows = [
            (
                e.at,
                e.channel,
                e.outcome,
                e.contact_point_id,
                e.party,
                e.direction,
                e.by_agency,
                e.conversation,
                e.consent_at,
            )
            for e in f.history
        ]
        proposed = ProposedContact(ContactChannel.CALL, day + timedelta(hours=22, minutes=30), "m1")

        def from_rows() -> None:
            """Build the facts from rows, then decide."""
            built = Facts(f.debtor, f.contact_points, tuple(HistoryEntry(*r) for r in rows), f.flags)
            evaluate(proposed, built, sets)

        median, p99 = _time(from_rows, runs)
        name = "compliance decision CN denied, facts built from rows (median)"
        results.append(
            Result(
                name,
                round(median, 4),
                "ms",
                f"<= {TARGET_MS} ms",
                median <= TARGET_MS,
                f"p99 {p99:.3f} ms; {attempts} history entries built from UTC row tuples",
            )
        )
    return results


def main(argv: list[str] | None = None) -> list[Result]:
    """Time decisions; median and p99 per case."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_compliance")
    parser.add_argument("--attempts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args(argv)
    # CN: 200 attempts in 60 days (about 3 a day); US: 200 in 200 days (Regulation F allows fewer calls)
    return _case(
        "CN", "Asia/Shanghai", ["cn-gbt45251", "house-default"], 60, args.attempts, args.runs
    ) + _case("US", "America/Chicago", ["us-regf", "house-default"], 200, args.attempts, args.runs)


if __name__ == "__main__":
    for r in main():
        print(
            f"{r.name}: {r.value:,.4f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed}"
            f"  {r.notes}"
        )
