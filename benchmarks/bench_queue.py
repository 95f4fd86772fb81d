"""Work-queue benchmark: `POST /api/v1/queue/next` under many concurrent collectors, over loopback HTTP.

    python -m benchmarks.bench_queue                      # 1,000,000 accounts, 200 collectors, 2 workers
    python -m benchmarks.bench_queue --quick              # 20,000 accounts, 50 collectors, 2 workers

A scratch PostgreSQL database gets N accounts (4 debtors per 5 accounts), one open case and one batch work
item per debtor (90 % assigned to one of the collectors, 10 % left to the team), the debtor's phone (a
third also a spouse's), and some contact history; all written with COPY. The app runs under uvicorn with
`--workers 2` (one per core of the reference machine); a load generator in this process (asyncio + httpx,
one bearer token per virtual collector) runs each collector as next -> (call) -> record the attempt ->
(wrap up) -> next ...; the latencies of `next` after a warm-up are reported. Afterwards the lease history is
checked in the database: no debtor may ever have been leased to two collectors at overlapping times.

Load model: a real collector makes about 250 attempts in an 8-hour day, one every 115 s (200 collectors:
about 1.7 `next` and 1.7 attempts a second). Time is compressed by `--compress` (default 12, at least 10):
each of the two pauses in a collector's cycle is drawn uniformly between 0.5x and 1.5x of
115 s / compress / 2, so 200 collectors ask for about 21 contacts a second and record as many attempts.
A closed loop without think time would measure throughput, not latency.

Debtors are put in the time zone where it is about noon when the run starts (an Etc/GMT zone under the
CN rules), so the contact policy allows calls whatever the machine's wall clock says.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from arrears import migrate
from arrears.db import make_engine
from arrears.settings import Settings
from benchmarks.common import Result, scratch_postgres, timer

TARGET_P99_MS = 50.0
DAY_S = 8 * 3600  # a collector's working day
ATTEMPTS_PER_DAY = 250  # what a real collector makes in it
MIN_COMPRESS = 10.0  # the load is at least ten times a real desk's request rate
TEAMS = 10
OUTCOMES = [
    ("no_answer", 55),
    ("busy", 10),
    ("right_party_reached", 25),
    ("voicemail", 5),
    ("invalid_number", 5),
]


def noon_zone(now: datetime) -> str:
    """An Etc/GMT zone where the local time is about 12:00 at `now`."""
    offset = (12 - now.hour) % 24
    if offset > 14:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT signs are inverted


def think_for(compress: float) -> float:
    """Mean seconds of each of the two pauses in a collector's cycle (calling, then wrapping up)."""
    return DAY_S / ATTEMPTS_PER_DAY / compress / 2


def real_rate(collectors: int) -> float:
    """`next` requests a second that a real desk of this many collectors makes."""
    return collectors * ATTEMPTS_PER_DAY / DAY_S


def _tokens(collectors: int) -> list[str]:
    seed = os.urandom(8).hex()
    return [f"bench-{seed}-{i}" for i in range(1, collectors + 1)]


def load(
    engine: Engine, n_accounts: int, collectors: int, tokens: list[str], zone: str, now: datetime
) -> int:
    """COPY the synthetic portfolio, queue and users; returns the number of debtors."""
    rng = random.Random(20261129)
    n_debtors = max(1, n_accounts * 4 // 5)
    stamp = now - timedelta(days=30)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection

        def put(table: str, cols: str, rows: Any) -> None:
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:  # type: ignore[union-attr]
                for row in rows:
                    cp.write_row(row)

        put("teams", "id, name, created_at", ((t, f"team-{t}", stamp) for t in range(1, TEAMS + 1)))
        put(
            "users",
            "id, username, display_name, role, team_id, promise_authority_minor, created_at, updated_at",
            (
                (i, f"bench-c{i}", f"Collector {i}", "collector", (i - 1) % TEAMS + 1, 500_000, stamp, stamp)
                for i in range(1, collectors + 1)
            ),
        )
        put(
            "api_tokens",
            "user_id, token_hash, label, created_at",
            (
                (i, hashlib.sha256(tok.encode()).hexdigest(), "bench", stamp)
                for i, tok in enumerate(tokens, 1)
            ),
        )
        put(
            "debtors",
            "id, external_id, kind, name, timezone, timezone_source, region, row_hash, created_at, "
            "updated_at",
            (
                (d, f"BD{d}", "person", f"债务人{d}", zone, "address", "CN", "h", stamp, stamp)
                for d in range(1, n_debtors + 1)
            ),
        )

        def points() -> Any:
            extra = n_debtors
            for d in range(1, n_debtors + 1):
                yield (
                    d,
                    d,
                    "self",
                    "phone",
                    f"+86139{d:08d}",
                    zone,
                    "debtor_provided",
                    "debtor_gave",
                    "valid",
                    "h",
                    stamp,
                    stamp,
                )
                if d % 3 == 0:
                    extra += 1
                    yield (
                        extra,
                        d,
                        "spouse",
                        "phone",
                        f"+86138{d:08d}",
                        zone,
                        "debtor_provided",
                        "debtor_gave",
                        "valid",
                        "h",
                        stamp,
                        stamp,
                    )

        put(
            "contact_points",
            "id, debtor_id, relationship, channel, value, timezone, source, consent, status, "
            "row_hash, created_at, updated_at",
            points(),
        )

        def collector_of(d: int) -> int:
            return (d - 1) % collectors + 1

        put(
            "cases",
            "id, debtor_id, status, opened_on, team_id, collector_id, created_at, updated_at",
            (
                (d, d, "open", stamp.date(), (collector_of(d) - 1) % TEAMS + 1, collector_of(d), stamp, stamp)
                for d in range(1, n_debtors + 1)
            ),
        )
        balances = [0] * (n_debtors + 1)

        def accounts() -> Any:
            for i in range(1, n_accounts + 1):
                d = ((i - 1) * 4) // 5 + 1
                principal = 100_000 + rng.randrange(2_000_000)
                balances[d] += principal
                yield (i, f"BA{i}", d, d, "consumer_loan", "CNY", principal, 45, "M2", "h", stamp, stamp)

        put(
            "accounts",
            "id, external_id, debtor_id, case_id, product, currency, principal_minor, dpd, bucket, "
            "row_hash, created_at, updated_at",
            accounts(),
        )
        due = now - timedelta(days=1)

        def items() -> Any:
            for d in range(1, n_debtors + 1):
                c = collector_of(d)
                assigned = None if d % 10 == 0 else c
                recovery = balances[d] * rng.randrange(5, 40) // 100
                yield (
                    d,
                    d,
                    d,
                    "call",
                    "call",
                    "open",
                    due,
                    float(recovery) * 0.15,
                    recovery,
                    assigned,
                    (c - 1) % TEAMS + 1,
                    f"batch call BD{d}",
                    "batch",
                    4,
                    0,
                    stamp,
                    stamp,
                )

        put(
            "work_items",
            "id, debtor_id, case_id, kind, channel, status, due_at, priority, "
            "expected_recovery_minor, collector_id, team_id, reason, source, serve_class, attempt_count, "
            "created_at, updated_at",
            items(),
        )

        def history() -> Any:
            n = 0
            for d in range(1, n_debtors + 1):
                if d % 10 < 3:
                    for k in (3 + d % 7, 11 + d % 5):
                        n += 1
                        started = now - timedelta(days=k, hours=d % 5)
                        outcome = "no_answer" if (d + k) % 3 else "connected_rpc"
                        yield (
                            n,
                            d,
                            d,
                            "call",
                            "debtor",
                            "outbound",
                            started,
                            started + timedelta(minutes=1),
                            outcome,
                            outcome == "connected_rpc",
                            outcome == "connected_rpc",
                            False,
                            stamp,
                            "arrears",
                            False,
                            outcome,
                        )

        put(
            "contact_attempts",
            "id, debtor_id, contact_point_id, channel, party, direction, started_at, "
            "ended_at, outcome, connected, conversation, by_agency, created_at, source, violation, "
            "call_outcome",
            history(),
        )
        for table in (
            "teams",
            "users",
            "debtors",
            "contact_points",
            "cases",
            "accounts",
            "work_items",
            "contact_attempts",
        ):
            conn.exec_driver_sql(  # bench-only, fixed table names
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return n_debtors


def explain_next(engine: Engine, now: datetime) -> str:
    """The plan of the candidate query for collector 1 (it must walk the queue index, not scan)."""
    sql = text(
        "EXPLAIN SELECT w.id FROM work_items w WHERE w.status = 'open' AND w.serve_class > 0"
        " AND w.channel = 'call' AND w.due_at <= :now AND (w.not_after IS NULL OR w.not_after > :now)"
        " AND w.collector_id = 1 AND NOT EXISTS (SELECT 1 FROM debtor_leases l"
        " WHERE l.debtor_id = w.debtor_id AND l.expires_at > :now)"
        " ORDER BY w.serve_class DESC, w.priority DESC LIMIT 8 FOR UPDATE OF w SKIP LOCKED"
    )
    with engine.connect() as conn:
        return "\n".join(r[0] for r in conn.execute(sql, {"now": now}))


def double_holds(engine: Engine) -> tuple[int, int]:
    """(leases overlapping an earlier lease of another collector on the same debtor, leases in all)."""
    sql = text("""
        WITH spans AS (
            SELECT id, debtor_id, collector_id, leased_at,
                   LEAST(COALESCE(ended_at, expires_at), expires_at) AS until
            FROM lease_log),
        prior AS (
            SELECT s.*, MAX(until) OVER (PARTITION BY debtor_id ORDER BY leased_at, id
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_until
            FROM spans s)
        SELECT COUNT(*) FILTER (WHERE prev_until > leased_at), COUNT(*) FROM prior""")
    with engine.connect() as conn:
        overlaps, total = conn.execute(sql).one()
        crossed = conn.execute(
            text(
                "SELECT COUNT(*) FROM contact_attempts a JOIN lease_log l ON l.id = a.lease_id"
                " WHERE a.collector_id <> l.collector_id"
            )
        ).scalar_one()
    return int(overlaps) + int(crossed), int(total)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, var_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn with the app on loopback; returns the process and its base URL once healthy."""
    import httpx

    port = _free_port()
    env = {
        **os.environ,
        "ARREARS_DATABASE_URL": url,
        "ARREARS_VAR_DIR": str(var_dir),
        "ARREARS_ENVIRONMENT": "bench",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "arrears.web.app:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}")
        time.sleep(0.5)
    stop(proc)
    raise RuntimeError("uvicorn did not become healthy in 90 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server process group this benchmark started."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master: int, engine: Engine) -> tuple[list[int], list[int]]:
    """The uvicorn worker processes under the master, and the database's PostgreSQL backends."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    with engine.connect() as conn:
        backends = [
            int(r[0])
            for r in conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        ]
    return workers, backends


class Stats:
    """What the virtual collectors saw."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.next_ms: list[float] = []
        self.attempt_ms: list[float] = []
        self.floor_ms: list[float] = []  # GET /healthz (one trivial query) alongside: the machine's floor
        self.codes: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()


def warm(base: str, tokens: list[str], rounds: int) -> None:
    """Send every worker process through the whole `next` path before anything is measured."""
    import httpx

    with httpx.Client(base_url=base, timeout=120) as client:
        for i in range(rounds):
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            body = client.post("/api/v1/queue/next", headers=headers).json()
            if body.get("status") == "leased":
                client.post(f"/api/v1/queue/leases/{body['lease']['id']}/release", headers=headers)


def kept_database() -> str:
    """A new database that outlives the run (for --database on later runs)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from benchmarks.common import PG_ADMIN_URL

    name = f"arrears_bench_queue_{os.urandom(4).hex()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def reuse(engine: Engine, tokens: list[str], now: datetime) -> int:
    """Get a kept database ready again: fresh tokens, no live leases, debtors moved to a noon zone."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM api_tokens"))
        conn.execute(text("DELETE FROM debtor_leases"))
        conn.execute(
            text(
                "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (:u, :h, 'bench', :t)"
            ),
            [
                {"u": i, "h": hashlib.sha256(tok.encode()).hexdigest(), "t": now}
                for i, tok in enumerate(tokens, 1)
            ],
        )
        zone = noon_zone(now)
        conn.execute(text("UPDATE debtors SET timezone = :z WHERE timezone <> :z"), {"z": zone})
        conn.execute(text("UPDATE contact_points SET timezone = :z WHERE timezone <> :z"), {"z": zone})
        return int(conn.execute(text("SELECT count(*) FROM debtors")).scalar_one())


async def drive(
    base: str,
    tokens: list[str],
    duration: float,
    warmup: float,
    think: float,
    in_flight: int = 32,
    probe: Any = None,
) -> Stats:
    """Run every virtual collector for the duration; latencies after the warm-up."""
    import httpx

    stats = Stats()
    # like a load balancer in front of the workers: at most `in_flight` requests at once (the rest wait,
    # and that wait is part of the measured latency)
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    start = time.monotonic()
    warm_until, stop_at = start + warmup, start + warmup + duration
    weights = [w for _, w in OUTCOMES]

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def collector(i: int, token: str) -> None:
            rng = random.Random(i)
            headers = {"Authorization": f"Bearer {token}"}
            await asyncio.sleep(rng.random() * think)
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                try:
                    r = await client.post("/api/v1/queue/next", headers=headers)
                    code, body = r.status_code, (r.json() if r.status_code == 200 else {})
                except httpx.HTTPError as exc:
                    code, body = type(exc).__name__, {}
                took = (time.perf_counter() - t0) * 1000
                measured = time.monotonic() >= warm_until
                if measured:
                    stats.next_ms.append(took)
                    stats.codes[f"next {code}"] += 1
                stats.statuses[body.get("status", "error")] += measured
                await asyncio.sleep(think * (0.5 + rng.random()))
                if body.get("status") != "leased":
                    continue
                now = datetime.now(UTC)
                outcome = rng.choices([o for o, _ in OUTCOMES], weights)[0]
                attempt = {
                    "debtor_id": body["debtor"]["id"],
                    "contact_point_id": body["contact_point"]["id"],
                    "started_at": (now - timedelta(seconds=2)).isoformat(),
                    "ended_at": now.isoformat(),
                    "outcome": outcome,
                }
                if outcome == "right_party_reached":
                    attempt["elements"] = ["verify_identity", "opening", "listen", "find_reason"]
                t0 = time.perf_counter()
                try:
                    code = (await client.post("/api/v1/attempts", headers=headers, json=attempt)).status_code
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                if measured:
                    stats.attempt_ms.append((time.perf_counter() - t0) * 1000)
                    stats.codes[f"attempt {code}"] += 1
                await asyncio.sleep(think * (0.5 + rng.random()))

        async def measure_cpu() -> None:
            if probe is None:
                return
            await asyncio.sleep(max(0.0, warm_until - time.monotonic()))
            before = probe()
            await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
            after = probe()
            stats.cpu = {k: after[k] - before.get(k, 0.0) for k in after}

        async def floor() -> None:
            """A trivial request (GET /healthz: no auth, one `select 1`) twice a second while measuring: what
            any request costs on this machine at this moment (scheduling, loopback, the HTTP stack)."""
            await asyncio.sleep(max(0.0, warm_until - time.monotonic()))
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                try:
                    await client.get("/healthz")
                    stats.floor_ms.append((time.perf_counter() - t0) * 1000)
                except httpx.HTTPError:
                    stats.codes["healthz error"] += 1
                await asyncio.sleep(0.5)

        await asyncio.gather(measure_cpu(), floor(), *(collector(i, t) for i, t in enumerate(tokens)))
    return stats


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the queue benchmark; the measured figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_queue")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--collectors", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (one per core)")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument(
        "--compress",
        type=float,
        default=12.0,
        help=f"time compression over a real desk ({ATTEMPTS_PER_DAY} attempts per collector in 8 h); "
        f"at least {MIN_COMPRESS:.0f}",
    )
    parser.add_argument(
        "--quick", action="store_true", help="20,000 accounts, 50 collectors, 2 workers, 15 s"
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=0,
        help="most requests in flight at once (default 8 per worker: PostgreSQL has 100 slots)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the loaded database and print its URL")
    parser.add_argument("--database", metavar="URL", help="reuse a database kept by --keep (no load)")
    args = parser.parse_args(argv)
    if args.compress < MIN_COMPRESS:
        parser.error(f"--compress must be at least {MIN_COMPRESS:.0f} (ten times a real desk's rate)")
    think = think_for(args.compress)
    if args.quick:
        args.accounts, args.collectors, args.workers, args.duration, args.warmup = 20_000, 50, 2, 20.0, 10.0
    in_flight = args.in_flight or 8 * args.workers
    label = f"queue next, {args.accounts:,} accounts, {args.collectors} collectors, {args.workers} workers"
    tokens = _tokens(args.collectors)
    now = datetime.now(UTC)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="arrears-bench-")))
        if args.database:
            url = args.database
        elif args.keep:
            url = kept_database()
        else:
            url = stack.enter_context(scratch_postgres())
        engine = make_engine(Settings(database_url=url, var_dir=tmp, environment="bench"))
        with timer() as t_load:
            if args.database:
                n_debtors = reuse(engine, tokens, now)
            else:
                migrate.upgrade(engine)
                n_debtors = load(engine, args.accounts, args.collectors, tokens, noon_zone(now), now)
        print(
            f"{label}: {n_debtors:,} debtors ready in {t_load['s']:.1f} s; database {url}",
            file=sys.stderr,
            flush=True,
        )
        print(explain_next(engine, now), file=sys.stderr, flush=True)
        proc, base = serve(url, tmp, args.workers)
        try:
            warm(base, tokens, 6 * args.workers)

            def probe() -> dict[str, float]:
                workers, backends = server_pids(proc.pid, engine)
                return {
                    "app": sum(_cpu_seconds(p) for p in workers),
                    "postgres": sum(_cpu_seconds(p) for p in backends),
                }

            load_before = os.getloadavg()[0]
            stats = asyncio.run(drive(base, tokens, args.duration, args.warmup, think, in_flight, probe))
            load_after = os.getloadavg()[0]
        finally:
            stop(proc)
        overlaps, leases = double_holds(engine)
        engine.dispose()
    p50, p95, p99 = (pct(stats.next_ms, p) for p in (50, 95, 99))
    rate = len(stats.next_ms) / args.duration
    errors = sum(v for k, v in stats.codes.items() if not k.endswith((" 200", " 201")))
    notes = (
        f"{len(stats.next_ms):,} calls in {args.duration:.0f} s ({rate:.1f}/s; a real desk of "
        f"{args.collectors} makes {real_rate(args.collectors):.2f}/s, compressed x{args.compress:g}: "
        f"pauses {think:.1f} s on average); "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms; {dict(stats.statuses)}; non-2xx {errors}; "
        f"meanwhile GET /healthz p50 {pct(stats.floor_ms, 50):.1f} ms, p99 {pct(stats.floor_ms, 99):.1f} ms; "
        f"at most {in_flight} in flight; {os.cpu_count()} cores shared with other work (load average "
        f"{load_before:.1f} before, {load_after:.1f} after), load generator on the same host"
    )
    requests = len(stats.next_ms) + len(stats.attempt_ms)
    app_ms = stats.cpu.get("app", 0.0) * 1000 / max(1, requests)
    pg_ms = stats.cpu.get("postgres", 0.0) * 1000 / max(1, requests)
    print(
        f"{label}: {notes}; codes {dict(stats.codes)}; server CPU per request: app {app_ms:.1f} ms, "
        f"PostgreSQL {pg_ms:.1f} ms",
        file=sys.stderr,
        flush=True,
    )
    return [
        Result(
            f"{label}: load (setup)",
            t_load["s"],
            "s",
            "–",
            None,
            "COPY, not measured" if not args.database else "reused database",
        ),
        Result(
            f"{label}: next p99",
            round(p99, 1),
            "ms",
            f"<= {TARGET_P99_MS:.0f} ms",
            p99 <= TARGET_P99_MS and errors == 0,
            notes,
        ),
        Result(f"{label}: next p50", round(p50, 1), "ms", "–", None, f"p95 {p95:.1f} ms"),
        Result(
            f"{label}: floor, GET /healthz p99 at the same time",
            round(pct(stats.floor_ms, 99), 1),
            "ms",
            "–",
            None,
            f"{len(stats.floor_ms)} requests (no auth, one `select 1`), p50 "
            f"{pct(stats.floor_ms, 50):.1f} ms: what any request cost on the machine during the run",
        ),
        Result(
            f"{label}: server CPU per request",
            round(app_ms + pg_ms, 1),
            "ms",
            "–",
            None,
            f"app workers {app_ms:.1f} ms + PostgreSQL {pg_ms:.1f} ms, averaged over {requests:,} next and "
            "attempt requests: the machine-independent cost",
        ),
        Result(
            f"{label}: record attempt p99",
            round(pct(stats.attempt_ms, 99), 1),
            "ms",
            "–",
            None,
            f"{len(stats.attempt_ms):,} attempts, p50 {pct(stats.attempt_ms, 50):.1f} ms",
        ),
        Result(
            f"{label}: debtors held by two collectors at once",
            overlaps,
            "",
            "0",
            overlaps == 0,
            f"checked over {leases:,} leases in lease_log (and attempts against their leases)",
        ),
    ]


if __name__ == "__main__":
    for r in main():
        met = "" if r.passed is None else r.passed
        print(f"{r.name}: {r.value} {r.unit} (target {r.target}) {met}  {r.notes}")
