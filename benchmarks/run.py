"""`make bench`: run every benchmark in its own process and write docs/benchmarks.md.

    python -m benchmarks.run               # full sizes (the issues' figures)
    python -m benchmarks.run --quick       # small sizes, to check the harness
    python -m benchmarks.run --only aging  # one benchmark
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
STORE = ROOT / "docs" / "benchmarks.json"  # the latest rows of each benchmark, so `--only` updates in place

# name -> (module, full-size argv, quick argv)
BENCHES: dict[str, tuple[str, list[str], list[str]]] = {
    "import": ("benchmarks.bench_import", ["--rows", "1000000"], ["--rows", "20000"]),
    "aging": ("benchmarks.bench_aging", ["--accounts", "1000000", "--db", "both"],
              ["--accounts", "20000", "--db", "both"]),
    "compliance": ("benchmarks.bench_compliance", ["--attempts", "200", "--runs", "5000"],
                   ["--attempts", "200", "--runs", "500"]),
    "language": ("benchmarks.bench_language", [], ["--runs", "200"]),
    "batch": ("benchmarks.bench_batch", ["--accounts", "1000000", "--db", "postgres"],
              ["--quick", "--db", "both"]),
    "reporting": ("benchmarks.bench_reporting", ["--accounts", "1000000", "--attempts", "10000000"],
                  ["--quick"]),
    "queue": ("benchmarks.bench_queue", [], ["--quick"]),
    "payments": ("benchmarks.bench_payments", ["--payments", "20000", "--db", "both"], ["--quick"]),
    "scoring": ("benchmarks.bench_scoring", ["--accounts", "1000000", "--db", "postgres"],
                ["--accounts", "20000", "--db", "both"]),
    "sim": ("benchmarks.bench_sim", ["--debtors", "1000", "--days", "30"],
            ["--debtors", "200", "--days", "5"]),
    "desk": ("benchmarks.bench_desk", [], ["--quick"]),
}

_CHILD = (
    "import json, sys, importlib; m = importlib.import_module(sys.argv[1]); "
    "print('@@RESULTS@@' + json.dumps([r.as_dict() for r in m.main(sys.argv[2:])]))"
)


def run_one(module: str, argv: list[str]) -> list[dict[str, object]]:
    """Run one benchmark module in a fresh interpreter and parse its results."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, module, *argv], cwd=ROOT, text=True,
                          stdout=subprocess.PIPE, stderr=None, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULTS@@"):
            return list(json.loads(line[len("@@RESULTS@@"):]))
    return [{"name": module, "value": 0, "unit": "", "target": "", "passed": False,
             "notes": f"benchmark failed (exit {proc.returncode})"}]


def render(runs: dict[str, dict[str, object]], quick: bool) -> str:
    """The markdown table for docs/benchmarks.md: every benchmark's latest run, in BENCHES order."""
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench`{' --quick' if quick else ''} on "
        f"{platform.machine()}, {_cpus()} cores, Python {platform.python_version()}; each benchmark's"
        " heading gives when it ran and the machine's load average (1 min) just before.",
        "Figures are wall-clock seconds unless the unit says otherwise;"
        " each benchmark runs in its own process.",
        "",
        "| benchmark | measured | target | met | notes |",
        "|---|---|---|---|---|",
    ]
    for name in [n for n in BENCHES if n in runs] + [n for n in runs if n not in BENCHES]:
        run = runs[name]
        lines.append(f"| **{name}** · {run['at']} · load {run['load']} | | | | |")
        for r in run["rows"]:  # type: ignore[attr-defined]
            lines.append(_row(r))
    return "\n".join(lines) + "\n" + _trailer()


def _row(r: dict[str, object]) -> str:
    met = {True: "yes", False: "**no**", None: "–"}[r.get("passed")]  # type: ignore[index]
    value = r["value"]
    shown = f"{value:,.2f} {r['unit']}" if isinstance(value, float) else f"{value} {r['unit']}"
    return f"| {r['name']} | {shown} | {r['target']} | {met} | {r.get('notes', '')} |"


def _trailer() -> str:
    notes = Path(__file__).with_name("NOTES.md")
    return notes.read_text(encoding="utf-8") if notes.exists() else ""


def _cpus() -> int:
    return os.cpu_count() or 0


def main() -> int:
    """Run the selected benchmarks and write the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--only", action="append", choices=sorted(BENCHES), help="run only these")
    parser.add_argument("--no-write", action="store_true", help="print, do not write docs/benchmarks.md")
    args = parser.parse_args()
    runs: dict[str, dict[str, object]] = {}
    if args.only and not args.quick and STORE.exists():
        runs = json.loads(STORE.read_text(encoding="utf-8"))  # keep the others' latest figures
    fresh: list[dict[str, object]] = []
    for name, (module, full, quick) in BENCHES.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", file=sys.stderr, flush=True)
        load = f"{os.getloadavg()[0]:.1f}"
        at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        rows = run_one(module, quick if args.quick else full)
        runs[name] = {"at": at, "load": load, "rows": rows}
        fresh.extend(rows)
    text = render(runs, args.quick)
    print(text)
    if not args.no_write:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text, encoding="utf-8")
        if not args.quick:
            STORE.write_text(json.dumps(runs, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if all(r.get("passed") is not False for r in fresh) else 1


if __name__ == "__main__":
    raise SystemExit(main())
