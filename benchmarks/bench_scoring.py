"""Strategy scores benchmark: contactability refresh, best-time rates and portfolio scoring on N accounts.

    python -m benchmarks.bench_scoring --accounts 1000000 --db postgres

Synthetic portfolio (loaded with COPY / executemany, not timed): 4 debtors per 5 accounts, one own phone
per debtor (5 % invalid) and a consented spouse's phone for 40 %; accounts of three products at 0..200
DPD with one bucket-history row each; about 1.5 payments per account in the last 180 days; about 2.5
calls per account in the last 60 days with realistic outcomes, each recorded when it was made. Timed:
the first (full) `refresh_all` (contactability) and `refresh_rates` (best time) as of the day before,
then the nightly run's incremental ones (the last day's calls), and `score_portfolio` with the default
scorecard and with a trained gradient-boosting model (trained beforehand on a 100,000-account sample of
the same data; not timed). The nightly figure is the incremental refreshes plus scoring with the model.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine

from arrears import migrate
from arrears.db import make_engine
from arrears.settings import Settings
from benchmarks.common import Result, peak_rss_mb, scratch_postgres, timer

AS_OF = date(2026, 3, 31)
NOW = datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
TARGET_S = 120.0  # these steps' share of the 5-minute nightly run
BATCH = 100_000
OUTCOMES = np.array(["no_answer", "connected_rpc", "connected_third_party", "busy", "voicemail",
                     "invalid_number", "network_error", "wrong_number"])
OUTCOME_P = np.array([0.48, 0.16, 0.05, 0.11, 0.12, 0.03, 0.03, 0.02])
PRODUCTS = np.array(["credit_card", "consumer_loan", "business_receivable"])


def _batches(n: int) -> Iterator[tuple[int, int]]:
    for lo in range(1, n + 1, BATCH):
        yield lo, min(n, lo + BATCH - 1)


def _generate(n_accounts: int, stamp: Any, day: Callable[[date], Any], moment: Callable[[datetime], Any]
              ) -> Iterator[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    """(table, columns, rows) batches of the synthetic portfolio."""
    rng = np.random.default_rng(20260331)
    n_debtors = (n_accounts * 4) // 5
    point_id = 0
    for lo, hi in _batches(n_debtors):
        ids = np.arange(lo, hi + 1)
        pay = rng.integers(1, 29, len(ids))
        has_pay = rng.random(len(ids)) < 0.3
        zone = np.where(rng.random(len(ids)) < 0.9, "Asia/Shanghai", "Asia/Hong_Kong")
        yield "debtors", ("id", "external_id", "kind", "name", "timezone", "timezone_source", "pay_day",
                          "row_hash", "created_at", "updated_at"), [
            (int(i), f"SD{i}", "person", f"Debtor {i}", str(z), "given", int(p) if h else None, "h", stamp,
             stamp) for i, z, p, h in zip(ids, zone, pay, has_pay, strict=True)]
        rows = []
        bad = rng.random(len(ids)) < 0.05
        spouse = rng.random(len(ids)) < 0.4
        for i, b, s in zip(ids, bad, spouse, strict=True):
            point_id += 1
            rows.append((point_id, int(i), "self", "phone", f"+86130{i:08d}", "contract", "contract_names",
                         "invalid" if b else "valid", "h", stamp, stamp))
            if s:
                point_id += 1
                rows.append((point_id, int(i), "spouse", "phone", f"+86131{i:08d}", "debtor_provided",
                             "debtor_gave", "valid", "h", stamp, stamp))
        yield "contact_points", ("id", "debtor_id", "relationship", "channel", "value", "source", "consent",
                                 "status", "row_hash", "created_at", "updated_at"), rows
    payment_ref = 0
    for lo, hi in _batches(n_accounts):
        ids = np.arange(lo, hi + 1)
        debtor = (ids - 1) * 4 // 5 + 1
        dpd = np.where(rng.random(len(ids)) < 0.25, 0, rng.integers(1, 200, len(ids)))
        product = PRODUCTS[rng.choice(3, len(ids), p=[0.6, 0.3, 0.1])]
        principal = rng.integers(100_000, 5_000_000, len(ids))
        opened = rng.integers(200, 2000, len(ids))
        bucket = np.where(dpd == 0, "M0", np.char.add("M", np.minimum((dpd + 29) // 30, 6).astype(str)))
        yield "accounts", ("id", "external_id", "debtor_id", "product", "currency", "principal_minor", "dpd",
                           "bucket", "open_date", "status", "row_hash", "created_at", "updated_at"), [
            (int(i), f"SA{i}", int(d), str(p), "CNY", int(m), int(x), str(b),
             day(AS_OF - timedelta(days=int(o))), "active", "h", stamp, stamp)
            for i, d, p, m, x, b, o in zip(ids, debtor, product, principal, dpd, bucket, opened, strict=True)]
        yield "bucket_history", ("account_id", "bucket", "entered_on", "dpd_at_entry"), [
            (int(i), str(b), day(AS_OF - timedelta(days=int(x) % 30)), int(x - x % 30 if x else 0))
            for i, b, x in zip(ids, bucket, dpd, strict=True)]
        count = rng.poisson(np.where(dpd == 0, 3.0, 0.8))
        rows = []
        for i, c in zip(ids, count, strict=True):
            for ago in rng.integers(1, 180, int(c)):
                payment_ref += 1
                amount = int(rng.integers(10_000, 500_000))
                rows.append((f"SP{payment_ref}", int(i), day(AS_OF - timedelta(days=int(ago))), amount, "CNY",
                             "bank_transfer", "posted", "h", stamp))
        yield "payments", ("reference", "account_id", "paid_on", "amount_minor", "currency", "channel",
                           "status", "row_hash", "created_at"), rows
    # calls: ~2.5 per account over 60 days, on the debtor's own phone (point ids follow debtor order)
    n_calls = int(n_accounts * 2.5)
    own_point = _own_points(n_debtors, rng)
    for start in range(0, n_calls, BATCH * 5):
        size = min(BATCH * 5, n_calls - start)
        debtor = rng.integers(1, n_debtors + 1, size)
        secs = rng.integers(0, 60 * 86400, size)
        outcome = OUTCOMES[rng.choice(len(OUTCOMES), size, p=OUTCOME_P)]
        yield "contact_attempts", ("debtor_id", "contact_point_id", "channel", "party", "direction",
                                   "started_at", "outcome", "connected", "conversation", "by_agency",
                                   "created_at"), [
            (int(d), int(own_point[d]), "call", "debtor", "outbound",
             moment(NOW - timedelta(seconds=int(s))), str(o),
             o in ("connected_rpc", "connected_third_party", "wrong_number"), o == "connected_rpc", False,
             moment(NOW - timedelta(seconds=int(s)))) for d, s, o in zip(debtor, secs, outcome, strict=True)]


def _own_points(n_debtors: int, rng: np.random.Generator) -> np.ndarray:
    """Replays the point-id sequence of _generate to know each debtor's own phone id."""
    replay = np.random.default_rng(20260331)
    own = np.zeros(n_debtors + 1, dtype=np.int64)
    point_id = 0
    for lo, hi in _batches(n_debtors):
        n = hi - lo + 1
        replay.integers(1, 29, n)
        replay.random(n)
        replay.random(n)
        replay.random(n)
        spouse = replay.random(n) < 0.4
        for k in range(n):
            point_id += 1
            own[lo + k] = point_id
            point_id += int(spouse[k])
    return own


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
            day: Callable[[date], Any] = _same
            moment: Callable[[datetime], Any] = _same
        else:
            def put(table: str, cols: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
                marks = ", ".join("?" * len(cols))
                raw.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", rows)  # type: ignore[union-attr]  # noqa: S608
            stamp = stamp_dt.replace(tzinfo=None).isoformat(sep=" ")
            day = date.isoformat
            moment = _sqlite_moment
        for table, cols, rows in _generate(n_accounts, stamp, day, moment):
            put(table, cols, rows)
        if engine.dialect.name == "postgresql":
            for table in ("debtors", "accounts", "contact_points"):
                conn.exec_driver_sql(  # bench-only, fixed table names
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def _same(value: Any) -> Any:
    return value


def _sqlite_moment(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _train(engine: Engine) -> None:
    """Train and activate a model on a 100,000-account sample (setup, not timed)."""
    from arrears.core.access import SYSTEM
    from arrears.strategy.contactability import compute_range
    from arrears.strategy.scoring.features import FEATURES, build_matrix
    from arrears.strategy.scoring.model import dump
    from arrears.strategy.scoring.reads import day_end, read_range
    from arrears.strategy.scoring.store import model_versions, set_active
    from arrears.strategy.scoring.train import TrainingSet, fit

    t = AS_OF - timedelta(days=30)
    with engine.begin() as conn:
        states = compute_range(conn, 1, 80_000, day_end(t))
        raw = read_range(conn, 1, 100_000, t, current=False, contactability=states, active_only=False)
        keep = raw.dpd >= 0
        assert raw.label is not None
        ts = TrainingSet(build_matrix(raw)[keep], raw.label[keep], raw.account_id[keep],
                         [t] * int(keep.sum()))
        model, metrics = fit(ts)
        payload, checksum = dump(model)
        version = conn.execute(model_versions.insert().values(
            kind=model.kind, trained_at=NOW, trained_by=SYSTEM.username, as_of=AS_OF, params=model.params,
            metrics=metrics, features=list(FEATURES), payload=payload, checksum=checksum,
        ).returning(model_versions.c.version)).scalar_one()
        set_active(conn, int(version), NOW, SYSTEM.username)
    print(f"  trained model {version}: holdout AUC {metrics['auc']}", file=sys.stderr, flush=True)


def bench_one(db: str, n_accounts: int, url: str, var_dir: Path) -> list[Result]:
    """Load one database and time the steps; the measured figures."""
    from arrears.strategy.best_time.jobs import refresh_rates
    from arrears.strategy.contactability import refresh_all
    from arrears.strategy.scoring.jobs import score_portfolio

    settings = Settings(database_url=url, var_dir=var_dir, environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    label = f"scores {db} {n_accounts:,} accounts"
    with timer() as t_load:
        load(engine, n_accounts)
    print(f"{label}: loaded in {t_load['s']:.1f} s", file=sys.stderr, flush=True)
    timings: dict[str, float] = {}
    notes: dict[str, str] = {}
    before = NOW - timedelta(days=1)
    steps: list[tuple[str, Callable[[Any], Any]]] = [
        ("contactability refresh_all, first (full)", lambda c: refresh_all(c, AS_OF, before)),
        ("best time refresh_rates, first (full)", lambda c: refresh_rates(c, AS_OF, before)),
        ("contactability refresh_all, nightly", lambda c: refresh_all(c, AS_OF, NOW)),
        ("best time refresh_rates, nightly", lambda c: refresh_rates(c, AS_OF, NOW)),
        ("score_portfolio (scorecard)", lambda c: score_portfolio(c, AS_OF, NOW)),
    ]
    for name, step in steps:
        with timer() as t, engine.begin() as conn:
            out = step(conn)
        timings[name], notes[name] = t["s"], _describe(out)
        print(f"  {name}: {t['s']:.1f} s  {notes[name]}", file=sys.stderr, flush=True)
    _train(engine)
    with timer() as t, engine.begin() as conn:
        out = score_portfolio(conn, AS_OF, NOW)
    timings["score_portfolio (model)"], notes["score_portfolio (model)"] = t["s"], _describe(out)
    print(f"  score_portfolio (model): {t['s']:.1f} s  {_describe(out)}", file=sys.stderr, flush=True)
    engine.dispose()
    nightly = timings["contactability refresh_all, nightly"] + timings["best time refresh_rates, nightly"] + \
        timings["score_portfolio (model)"]
    results = [Result(f"{label}: load (setup)", t_load["s"], "s", "–", None, "COPY / executemany")]
    results += [Result(f"{label}: {name}", s, "s", "–", None, notes[name]) for name, s in timings.items()]
    results += [
        Result(f"{label}: nightly steps together", nightly, "s", f"< {TARGET_S:.0f} s", nightly < TARGET_S,
               "incremental refresh_all + refresh_rates + score_portfolio with the model; shared machine"),
        Result(f"{label}: peak memory", round(peak_rss_mb(), 1), "MB", "< 2048 MB", peak_rss_mb() < 2048,
               "process peak RSS (loader included); the database server is not counted"),
    ]
    return results


def _describe(out: Any) -> str:
    if isinstance(out, dict):
        return ", ".join(f"{k} {v:,}" for k, v in out.items())
    if hasattr(out, "by_band"):
        return f"{out.scored:,} scored by {out.model_version}, bands {out.by_band}"
    return (f"{out.mode}: {out.attempts:,} calls held, {out.changed_cells:,} debtor cells written, "
            f"{out.segments} segments")


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the scoring benchmark; the measured figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_scoring")
    parser.add_argument("--accounts", type=int, default=200_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="postgres")
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
