"""The reporting benchmark's synthetic portfolio, loaded into PostgreSQL with COPY.

4 debtors per 5 accounts, 400 collectors in 10 teams, a period of days with attempts (8-hour collector
days), planned work, payments, promises, bucket history and, when the strategy table exists, a 50/50
experiment. Deterministic (a splitmix hash of each row's number), so every run loads the same rows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from arrears.core.access import Role
from arrears.reporting import sources
from arrears.users.store import teams, users
from benchmarks.common import timer

AS_OF = date(2026, 3, 31)
TEAMS = 10
BLOCK = 200_000
EXPERIMENT = "bench-2026q1"
STAMP = "2026-01-01 00:00:00+00"
BULK_INDEXED = ("bucket_history", "contact_attempts", "work_items")  # indexes rebuilt after the load


def _mix(i: int) -> int:
    """A cheap deterministic pseudo-random integer (splitmix-style)."""
    z = (i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


def debtor_of(account: int) -> int:
    """4 debtors per 5 accounts."""
    return ((account - 1) * 4) // 5 + 1


def first_account(debtor: int) -> int:
    """The lowest account id of a debtor."""
    return ((debtor - 1) * 5 + 3) // 4 + 1


class Shape:
    """Sizes derived from the requested accounts and attempts."""

    def __init__(self, accounts: int, attempts: int, days: int) -> None:
        self.accounts = accounts
        self.debtors = debtor_of(accounts)
        self.collectors = max(TEAMS, min(400, accounts // 2500))
        self.days = days
        self.first_day = AS_OF - timedelta(days=days - 1)
        self.per_collector_day = max(1, attempts // (days * self.collectors))
        self.attempts = self.per_collector_day * days * self.collectors
        self.planned_per_day = max(10, accounts * 3 // 100)
        self.payments = max(100, self.attempts // 50)
        self.promises = max(100, self.attempts // 40)

    def collector_of(self, debtor: int) -> int:
        """Collector user id (1..C) of a debtor's case."""
        return (debtor - 1) % self.collectors + 1

    def team_of(self, collector: int) -> int:
        """Team id (1..10) of a collector."""
        return (collector - 1) % TEAMS + 1

    def day(self, index: int) -> date:
        """The index-th day of the period."""
        return self.first_day + timedelta(days=index)


def _copy(raw: Any, table: str, cols: str, lines: Iterator[str]) -> int:
    """COPY text lines (tab-separated, \\N for NULL) into a table in blocks; the rows written."""
    count = 0
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
        block: list[str] = []
        for line in lines:
            block.append(line)
            if len(block) >= BLOCK:
                cp.write("".join(block))
                count += len(block)
                block.clear()
        if block:
            cp.write("".join(block))
            count += len(block)
    return count


def _without_indexes(conn: Any, table: str, load_rows: Callable[[], int]) -> int:
    """Drop a table's secondary indexes, load, and build them again (bulk builds beat row-by-row upkeep)."""
    found = conn.exec_driver_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %(t)s AND indexname NOT LIKE 'pk\\_%%'",
        {"t": table},
    ).all()
    for name, _ in found:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    count = load_rows()
    for _, definition in found:
        conn.exec_driver_sql(definition)
    return count


def _debtors(s: Shape) -> Iterator[str]:
    for d in range(1, s.debtors + 1):
        yield f"{d}\tBD{d}\tperson\tDebtor {d}\tAsia/Shanghai\tdefault\th\t{STAMP}\t{STAMP}\n"


def _cases(s: Shape) -> Iterator[str]:
    for d in range(1, s.debtors + 1):
        c = s.collector_of(d)
        yield f"{d}\t{d}\topen\t2025-10-01\t{s.team_of(c)}\t{c}\t{STAMP}\t{STAMP}\n"


def _history(s: Shape, a: int) -> list[tuple[str, date, date | None]]:
    r = _mix(a + 7)
    entered = date(2025, 10, 1) + timedelta(days=r % 170)
    rows: list[tuple[str, date, date | None]] = [("M0", date(2025, 6, 1), entered)]
    move = entered + timedelta(days=30)
    fate = (r >> 20) % 10
    if move > AS_OF or fate < 2:
        rows.append(("M1", entered, None))
    elif fate < 5:
        rows += [("M1", entered, move - timedelta(days=10)), ("M0", move - timedelta(days=10), None)]
    else:
        rows += [("M1", entered, move), ("M2", move, None)]
    return rows


def _accounts(s: Shape) -> Iterator[str]:
    products = ("credit_card", "consumer_loan", "business_receivable")
    for a in range(1, s.accounts + 1):
        d = debtor_of(a)
        bucket = _history(s, a)[-1][0]
        yield (f"{a}\tBA{a}\t{d}\t{d}\t{products[a % 3]}\tCNY\t{bucket}\t30\t500000\th\t{STAMP}\t{STAMP}\n")


def _bucket_history(s: Shape) -> Iterator[str]:
    for a in range(1, s.accounts + 1):
        for bucket, entered, left in _history(s, a):
            yield f"{a}\t{bucket}\t{entered}\t{left if left else chr(92) + 'N'}\t0\n"


OUTCOMES = (
    ["no_answer"] * 45
    + ["busy"] * 10
    + ["voicemail"] * 10
    + ["connected_third_party"] * 10
    + ["connected_rpc"] * 25
)


def _attempts(s: Shape) -> Iterator[str]:
    span = 8 * 3600 // s.per_collector_day  # seconds between a collector's attempts in an 8-hour day
    per_collector = s.debtors // s.collectors
    k = 0
    for di in range(s.days):
        day = s.day(di).isoformat()
        for c in range(1, s.collectors + 1):
            for n in range(s.per_collector_day):
                k += 1
                r = _mix(k)
                debtor = (r % per_collector) * s.collectors + c
                outcome = OUTCOMES[(r >> 16) % 100]
                connected = "t" if outcome.startswith("connected") else "f"
                party = "third_party" if outcome == "connected_third_party" else "debtor"
                start = 3600 + n * span  # 09:00 Shanghai = 01:00 UTC, same date
                end = start + 30 + (r >> 24) % 240
                yield (
                    f"{debtor}\tcall\t{party}\toutbound\t{day} {_hms(start)}+00\t{day} {_hms(end)}+00\t"
                    f"{outcome}\t{connected}\t{connected}\tf\t{c}\t{STAMP}\n"
                )


def _hms(seconds: int) -> str:
    h, rest = divmod(seconds, 3600)
    return f"{h:02d}:{rest // 60:02d}:{rest % 60:02d}"


def _work(s: Shape) -> Iterator[str]:
    k = 0
    for di in range(s.days):
        day = s.day(di)
        for _ in range(s.planned_per_day):
            k += 1
            debtor = _mix(k + 10**9) % s.debtors + 1
            c = s.collector_of(debtor)
            yield (
                f"{debtor}\t{first_account(debtor)}\tcall\tdone\t{day} 01:00:00+00\tplan\tbatch\t"
                f"{day - timedelta(days=1)}\t{c}\t{s.team_of(c)}\t{STAMP}\t{STAMP}\n"
            )


def _payments(s: Shape) -> Iterator[str]:
    for k in range(1, s.payments + 1):
        r = _mix(k + 2 * 10**9)
        day = s.day(r % s.days)
        status = "reversed" if (r >> 40) % 50 == 0 else "posted"
        yield (
            f"BP{k}\t{(r >> 8) % s.accounts + 1}\t{day}\t{10_000 + (r >> 20) % 2_000_000}\tCNY\t"
            f"bank_transfer\t{status}\th\t{STAMP}\n"
        )


def _promises(s: Shape) -> Iterator[str]:
    for k in range(1, s.promises + 1):
        r = _mix(k + 3 * 10**9)
        debtor = (r >> 8) % s.debtors + 1
        created = s.day(r % s.days)
        due = created + timedelta(days=1 + (r >> 30) % 7)
        fate = (r >> 40) % 100
        status = (
            "pending" if due >= AS_OF else "kept" if fate < 55 else "partly_kept" if fate < 65 else "broken"
        )
        c = s.collector_of(debtor)
        yield (
            f"{debtor}\t{first_account(debtor)}\t{30_000 + (r >> 44) % 500_000}\tCNY\t{due}\tbank_transfer\t"
            f"{status}\t{c}\tc{c}\t{created} 03:00:00+00\t{created} 03:00:00+00\n"
        )


def _arms(s: Shape, columns: list[str]) -> Iterator[str]:
    for a in range(1, s.accounts + 1):
        arm = "champion" if _mix(a + 4 * 10**9) % 2 else "challenger"
        values = {
            "account_id": str(a),
            "experiment": EXPERIMENT,
            "arm": arm,
            "assigned_on": str(s.first_day - timedelta(days=1)),
            "created_at": STAMP,
        }
        yield "\t".join(values[c] for c in columns) + "\n"


def load(engine: Engine, s: Shape) -> dict[str, int]:
    """COPY the synthetic portfolio (foreign-key triggers off while loading); row counts per table."""
    counts: dict[str, int] = {}
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(teams), [{"id": t, "name": f"Team {t}", "created_at": now} for t in range(1, TEAMS + 1)]
        )
        conn.execute(
            insert(users),
            [
                {
                    "id": c,
                    "username": f"c{c}",
                    "display_name": f"Collector {c}",
                    "role": Role.COLLECTOR.value,
                    "team_id": s.team_of(c),
                    "created_at": now,
                    "updated_at": now,
                }
                for c in range(1, s.collectors + 1)
            ],
        )
        raw = conn.connection.driver_connection
        conn.exec_driver_sql("SET session_replication_role = replica")
        plan: list[tuple[str, str, Callable[[Shape], Iterator[str]]]] = [
            (
                "debtors",
                "id, external_id, kind, name, timezone, timezone_source, row_hash, created_at, updated_at",
                _debtors,
            ),
            (
                "cases",
                "id, debtor_id, status, opened_on, team_id, collector_id, created_at, updated_at",
                _cases,
            ),
            (
                "accounts",
                "id, external_id, debtor_id, case_id, product, currency, bucket, dpd, principal_minor, "
                "row_hash, created_at, updated_at",
                _accounts,
            ),
            ("bucket_history", "account_id, bucket, entered_on, left_on, dpd_at_entry", _bucket_history),
            (
                "contact_attempts",
                "debtor_id, channel, party, direction, started_at, ended_at, outcome, connected, "
                "conversation, by_agency, collector_id, created_at",
                _attempts,
            ),
            (
                "work_items",
                "debtor_id, account_id, kind, status, due_at, reason, source, plan_date, collector_id, "
                "team_id, created_at, updated_at",
                _work,
            ),
            (
                "payments",
                "reference, account_id, paid_on, amount_minor, currency, channel, status, row_hash, "
                "created_at",
                _payments,
            ),
            (
                "promises",
                "debtor_id, account_id, amount_minor, currency, due_on, channel, status, collector_id, "
                "created_by, created_at, updated_at",
                _promises,
            ),
        ]
        for table, cols, rows in plan:
            with timer() as t:
                if table in BULK_INDEXED:
                    counts[table] = _without_indexes(
                        conn, table, lambda t=table, c=cols, r=rows: _copy(raw, t, c, r(s))
                    )
                else:
                    counts[table] = _copy(raw, table, cols, rows(s))
            print(f"  {table}: {counts[table]:,} rows in {t['s']:.1f} s", file=sys.stderr, flush=True)
        arms = sources.arm_table(conn)
        if arms is not None:
            required = [
                c.name
                for c in arms.columns
                if not c.nullable
                and c.server_default is None
                and c.autoincrement is not True
                and not (c.primary_key and c.name == "id")
            ]
            known = {"account_id", "experiment", "arm", "assigned_on", "created_at"}
            if set(required) <= known:
                cols = [
                    c for c in ("account_id", "experiment", "arm", "assigned_on", "created_at") if c in arms.c
                ]
                counts["arm_assignments"] = _copy(raw, arms.name, ", ".join(cols), _arms(s, cols))
        conn.exec_driver_sql("SET session_replication_role = origin")
        for table in ("debtors", "cases", "accounts", "teams", "users"):
            conn.exec_driver_sql(  # bench-only, fixed table names
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return counts
