"""Load the demo portfolio: generate three canonical CSV files, import them, then age the portfolio.

The demo dog-foods the import pipeline and aging: nothing is written to the database except through
`import_file` and `age_portfolio`, so the demo exercises exactly what a real portfolio goes through.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.engine import Connection

from arrears.core.clock import today
from arrears.core.errors import Conflict, FieldProblem, InputRejected
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.demo.generator import generate, write_csv
from arrears.portfolio.store import accounts, contact_points, debtors, payments
from arrears.runtime import Runtime

KINDS = ("accounts", "contacts", "payments")


@dataclass
class DemoSummary:
    """What loading the demo did (or that it did nothing because the portfolio was not empty)."""

    skipped: bool
    seed: int
    as_of: date
    debtors: int = 0
    accounts_by_product: dict[str, int] = field(default_factory=dict)
    contacts: int = 0
    payments: int = 0
    buckets: dict[str, int] = field(default_factory=dict)
    balances: dict[str, dict[str, int]] = field(default_factory=dict)  # currency -> component -> minor
    paid: dict[str, int] = field(default_factory=dict)  # currency -> minor, posted payments
    rejected: dict[str, int] = field(default_factory=dict)  # kind -> rows the import refused
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds

    @property
    def accounts(self) -> int:
        """All accounts, every product."""
        return sum(self.accounts_by_product.values())


def existing_debtors(rt: Runtime) -> int:
    """How many debtors the database already holds."""
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(debtors)).scalar_one())


def _phase(progress: Progress, name: str) -> Progress:
    """A progress callback that names the phase before the step's own label."""

    def report(done: int, total: int | None = None, label: str = "") -> None:
        if not label or label.startswith(name):
            progress(done, total, label or name)
        else:
            progress(done, total, f"{name}: {label}")

    return report


def load_demo(rt: Runtime, *, debtors: int, seed: int, as_of: date, progress: Progress = no_progress,
              if_empty: bool = False) -> DemoSummary:
    """Generate the seeded demo portfolio, load it through the import pipeline, and age it as of a date."""
    held = existing_debtors(rt)
    if held and if_empty:
        return _summarise(rt, DemoSummary(skipped=True, seed=seed, as_of=as_of))
    if held:
        raise Conflict(f"the database already holds {held:,} debtors; the demo portfolio loads only into an "
                       "empty database (--if-empty skips quietly instead)")
    if as_of > today(rt.clock):
        raise InputRejected(f"as_of {as_of.isoformat()} is after today ({today(rt.clock).isoformat()} UTC)",
                            [FieldProblem(0, "as_of", as_of.isoformat(), "after today")])
    if debtors < 1:
        raise InputRejected("the demo needs at least one debtor",
                            [FieldProblem(0, "debtors", str(debtors), "must be 1 or more")])
    from arrears.portfolio.aging.service import age_portfolio
    from arrears.portfolio.importing.service import import_file

    summary = DemoSummary(skipped=False, seed=seed, as_of=as_of)
    started = time.perf_counter()
    progress(0, debtors, "generating")
    portfolio = generate(debtors, seed, as_of, tuple(rt.settings.bucket_thresholds), progress)
    base = rt.settings.var_dir / "demo"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"seed{seed}-", dir=base))
    paths = write_csv(portfolio, work)
    summary.timings["generate"] = round(time.perf_counter() - started, 3)
    # On an error the files stay under var/demo for inspection; after success they are removed.
    for kind in KINDS:
        t0 = time.perf_counter()
        result = import_file(rt, kind, paths[kind], progress=_phase(progress, f"importing {kind}"))
        summary.rejected[kind] = result.rows_rejected
        summary.timings[f"import {kind}"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    aging = age_portfolio(rt, as_of, progress=_phase(progress, "aging"))
    summary.timings["aging"] = round(time.perf_counter() - t0, 3)
    shutil.rmtree(work, ignore_errors=True)
    summary.buckets = dict(aging.buckets)
    summary.timings["total"] = round(time.perf_counter() - started, 3)
    return _summarise(rt, summary)


def _counts(conn: Connection, column: ColumnElement[Any]) -> dict[str, int]:
    """Rows of the column's table per value of the column."""
    rows = conn.execute(select(column, func.count()).group_by(column).order_by(column))
    return {str(value): int(n) for value, n in rows}


def _summarise(rt: Runtime, summary: DemoSummary) -> DemoSummary:
    """Fill the counts and totals from what the database now holds."""
    from arrears.portfolio.aging.rules import bucket_labels

    with rt.engine.connect() as conn:
        summary.debtors = int(conn.execute(select(func.count()).select_from(debtors)).scalar_one())
        summary.accounts_by_product = _counts(conn, accounts.c.product)
        summary.contacts = int(conn.execute(select(func.count()).select_from(contact_points)).scalar_one())
        summary.payments = int(conn.execute(select(func.count()).select_from(payments)).scalar_one())
        if not summary.buckets:
            found = _counts(conn, accounts.c.bucket)
            labels = bucket_labels(rt.settings.bucket_thresholds)
            summary.buckets = {b: found.pop(b, 0) for b in labels} | found
        components = ("principal", "interest", "fees", "penalty")
        sums = select(accounts.c.currency, *(func.sum(accounts.c[f"{c}_minor"]) for c in components))
        for row in conn.execute(sums.group_by(accounts.c.currency).order_by(accounts.c.currency)):
            summary.balances[row[0]] = {c: int(v or 0) for c, v in zip(components, row[1:], strict=True)}
        paid = select(payments.c.currency, func.sum(payments.c.amount_minor)).group_by(payments.c.currency)
        summary.paid = {currency: int(total or 0) for currency, total in conn.execute(paid)}
    return summary
