"""Import speed: N account rows from CSV into PostgreSQL (against PostgreSQL's own COPY of the same file
into a plain staging table, measured in the same run) and into SQLite; peak memory of the importing
child process.

    python -m benchmarks.bench_import --rows 1000000            # both databases
    python -m benchmarks.bench_import --rows 200000 --db sqlite
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine

from benchmarks.common import Result, scratch_postgres, timer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
HEADERS = [
    "account_id",
    "customer_id",
    "customer_type",
    "customer_name",
    "name_latin",
    "id_type",
    "id_number",
    "occupation",
    "employer",
    "language",
    "timezone",
    "address",
    "region",
    "key_account",
    "mobile",
    "email",
    "product",
    "sub_type",
    "currency",
    "open_date",
    "credit_limit",
    "principal",
    "interest",
    "fees",
    "penalty",
    "overdue_since",
    "overdue_amount",
    "due_day",
    "grace_days",
    "late_fee",
    "penalty_rate",
    "penalty_basis",
    "day_count",
    "allocation_order",
    "last_payment_date",
    "last_payment_amount",
]
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文斌宇浩凯鹏飞"
_PROVINCES = [
    "北京市朝阳区",
    "上海市浦东新区",
    "广东省深圳市南山区",
    "广东省广州市天河区",
    "浙江省杭州市西湖区",
    "江苏省南京市鼓楼区",
    "四川省成都市武侯区",
    "湖北省武汉市洪山区",
    "山东省济南市历下区",
    "福建省厦门市思明区",
]
_JOBS = ["教师", "工程师", "销售", "个体户", "公务员", "医生", "司机", "会计", "自由职业", "餐饮"]
_FIRMS = [
    "华信科技有限公司",
    "东方贸易有限公司",
    "长城物流有限公司",
    "宏达建材有限公司",
    "新天地餐饮有限公司",
]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a realistic accounts CSV (canonical headers, about 1.3 accounts per debtor, 80% overdue)."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        written = debtor = 0
        while written < rows:
            debtor += 1
            company = rng.random() < 0.05
            name = (
                rng.choice(_FIRMS)
                if company
                else rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(_GIVEN)
            )
            person = [
                f"C{debtor:09d}",
                "company" if company else "person",
                name,
                "",
                "uscc" if company else "resident_id",
                f"{rng.randrange(10**17, 10**18)}",
                rng.choice(_JOBS),
                "" if company else rng.choice(_FIRMS),
                "zh-CN",
                "",
                f"{rng.choice(_PROVINCES)}{rng.randrange(1, 999)}号",
                "CN",
                "1" if company and rng.random() < 0.3 else "0",
                f"1{rng.choice('3456789')}{rng.randrange(10**8, 10**9)}",
                f"u{debtor}@example.com" if rng.random() < 0.3 else "",
            ]
            for _ in range(1 if rng.random() < 0.75 else 2):
                if written >= rows:
                    break
                written += 1
                out.writerow([f"A{written:010d}", *person, *_account(rng, company)])
    tmp.replace(path)


def _account(rng: random.Random, company: bool) -> list[str]:
    product = "business_receivable" if company else rng.choice(["credit_card", "consumer_loan"])
    sub = rng.choice(["salary", "professional", "small_business"]) if product == "consumer_loan" else ""
    principal = rng.randrange(100_00, 200_000_00)
    interest, fees = rng.randrange(0, 5_000_00), rng.randrange(0, 500_00)
    overdue = rng.random() < 0.8
    amount = min(principal + interest + fees, rng.randrange(100_00, 50_000_00)) if overdue else 0
    day = rng.randrange(1, 29)
    return [
        product,
        sub,
        "CNY",
        f"20{rng.randrange(18, 25)}-{rng.randrange(1, 13):02d}-{day:02d}",
        f"{rng.randrange(10, 500) * 1000}.00",
        f"{principal // 100}.{principal % 100:02d}",
        f"{interest // 100}.{interest % 100:02d}",
        f"{fees // 100}.{fees % 100:02d}",
        "0",
        f"2025-{rng.randrange(1, 13):02d}-{day:02d}" if overdue else "",
        f"{amount // 100}.{amount % 100:02d}" if overdue else "",
        str(day),
        "3",
        "50",
        "18%",
        "overdue_amount",
        "360",
        "fees,penalty,interest,principal",
        "",
        "",
    ]


_CHILD = """
import json, sys, time, resource
from pathlib import Path
from datetime import UTC, datetime
from arrears.core.clock import FixedClock
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.portfolio.importing.service import import_file
settings = Settings(database_url=sys.argv[1], var_dir=Path(sys.argv[3]), environment="test")
rt = Runtime.build(settings, FixedClock(datetime(2026, 3, 31, 10, tzinfo=UTC)))
start = time.perf_counter()
r = import_file(rt, "accounts", Path(sys.argv[2]))
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
parser = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the parser process, if one ran
print(json.dumps({"seconds": seconds, "rss_mb": own + parser, "own_mb": own, "parser_mb": parser,
                  "new": r.rows_new, "changed": r.rows_changed, "unchanged": r.rows_unchanged,
                  "rejected": r.rows_rejected}))
"""


def run_child(url: str, path: Path, var: Path) -> dict[str, float]:
    """Import the file in a fresh interpreter; its wall time, peak RSS and counts."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(path), str(var)],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def copy_baseline(url: str, path: Path) -> float:
    """Seconds for PostgreSQL's COPY of the file (streamed from the client) into a plain text table."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        cols = ", ".join(f"{h} text" for h in HEADERS)
        conn.execute(f"CREATE TABLE copy_staging ({cols})")
        conn.commit()
        start = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy("COPY copy_staging FROM STDIN WITH (FORMAT csv, HEADER true)") as cp,
        ):
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    cp.write(chunk)
        conn.commit()
        return time.perf_counter() - start


def _migrated(url: str) -> None:
    from arrears import migrate

    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the import benchmark; returns the measured figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--reimport", action="store_true", help="also time an unchanged re-import")
    args = parser.parse_args(argv)
    path = DATA / f"accounts_{args.rows}.csv"
    if not path.exists():
        with timer() as t:
            generate(path, args.rows)
        print(f"generated {path} in {t['s']:.1f}s", file=sys.stderr)
    n = f"{args.rows:,}"
    results: list[Result] = []
    peak = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        if args.db in ("postgres", "both"):
            with scratch_postgres() as url:
                copy_s = copy_baseline(url, path)
                _migrated(url)
                got = run_child(url, path, Path(tmp))
                peak = max(peak, got["rss_mb"])
                ratio = got["seconds"] / copy_s
                results += [
                    Result(f"COPY {n} rows into a staging table (PostgreSQL)", copy_s, "s", "baseline", None),
                    Result(
                        f"import {n} accounts CSV -> PostgreSQL",
                        got["seconds"],
                        "s",
                        f"<= 3x COPY ({3 * copy_s:.1f} s)",
                        ratio <= 3,
                        f"{ratio:.2f}x COPY; {int(got['new']):,} new",
                    ),
                ]
                if args.reimport:
                    again = run_child(url, path, Path(tmp))
                    results.append(
                        Result(
                            f"re-import {n} unchanged rows -> PostgreSQL",
                            again["seconds"],
                            "s",
                            "-",
                            None,
                            f"{int(again['unchanged']):,} unchanged",
                        )
                    )
        if args.db in ("sqlite", "both"):
            url = f"sqlite:///{tmp}/bench.db"
            _migrated(url)
            got = run_child(url, path, Path(tmp))
            peak = max(peak, got["rss_mb"])
            results.append(
                Result(
                    f"import {n} accounts CSV -> SQLite",
                    got["seconds"],
                    "s",
                    "<= 90 s",
                    got["seconds"] <= 90,
                    f"{int(got['new']):,} new",
                )
            )
            if args.reimport:
                again = run_child(url, path, Path(tmp))
                results.append(
                    Result(
                        f"re-import {n} unchanged rows -> SQLite",
                        again["seconds"],
                        "s",
                        "-",
                        None,
                        f"{int(again['unchanged']):,} unchanged",
                    )
                )
    results.append(Result("import peak memory (importer + its parser process, ru_maxrss)", peak, "MB",
                          "<= 1024 MB", peak <= 1024))
    return results


if __name__ == "__main__":
    for r in main():
        print(
            f"{r.name}: {r.value:,.2f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed} "
            f"{r.notes}"
        )
