"""`arrears demo`: load a seeded synthetic portfolio through the import pipeline and age it."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from arrears.cli_support import console, fail, parse_as_of, progress_bar
from arrears.core.errors import ArrearsError
from arrears.core.money import Money
from arrears.portfolio.demo.service import DemoSummary
from arrears.portfolio.demo.users import DEMO_PASSWORD, DemoUser

if TYPE_CHECKING:
    from arrears.runtime import Runtime
    from arrears.strategy.jobs import RunSummary

PRODUCT_NAMES = {"credit_card": "credit cards", "consumer_loan": "consumer loans",
                 "business_receivable": "business receivables"}


def demo_command(
    debtors: Annotated[
        int | None,
        typer.Option("--debtors", min=1, help="How many debtors (default: ARREARS_DEMO_DEBTORS, 5000)"),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: ARREARS_DEMO_SEED)")
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when the database already holds debtors")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", metavar="YYYY-MM-DD",
                     help="Portfolio date (default: yesterday, UTC, so the nightly run plans today's work)"),
    ] = None,
    nightly: Annotated[
        bool, typer.Option("--nightly/--no-nightly", help="Run the nightly run for the date after loading")
    ] = True,
) -> None:
    """Load a demo portfolio, age it and run the nightly run so today's work queue is ready."""
    from datetime import timedelta

    from arrears.core.clock import today
    from arrears.portfolio.demo.service import existing_debtors, load_demo
    from arrears.runtime import Runtime

    rt = Runtime.build()
    when = parse_as_of(as_of, today(rt.clock) - timedelta(days=1))
    count = debtors or rt.settings.demo_debtors
    chosen_seed = rt.settings.demo_seed if seed is None else seed
    from arrears.portfolio.demo.users import ensure_demo_users

    production = rt.settings.environment == "production"
    night = None
    try:
        held = existing_debtors(rt) if if_empty else 0
        if held:
            summary = None
        else:
            with progress_bar(f"Demo portfolio: {count:,} debtors, seed {chosen_seed}") as report:
                summary = load_demo(rt, debtors=count, seed=chosen_seed, as_of=when, progress=report,
                                    if_empty=if_empty)
        demo_users = [] if production else ensure_demo_users(rt)  # before the night: it allocates to them
        if nightly and summary is not None and not summary.skipped:
            night = run_demo_night(rt, when)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if summary is None or summary.skipped:
        held = summary.debtors if summary else held
        console.print(f"The database already holds {held:,} debtors; --if-empty: no demo portfolio loaded.")
    else:
        print_summary(summary)
    if night is not None:
        from arrears.strategy.cli import print_run

        print_run(night)
    if production:
        console.print("ARREARS_ENVIRONMENT=production: no demo users (create the first administrator with "
                      "`arrears users create-admin --username NAME`).")
    else:
        print_users(demo_users)


def run_demo_night(rt: Runtime, when: date) -> RunSummary:
    """The nightly run for the demo's date: contactability, scores, treatments, allocation, today's work."""
    from arrears.core.access import SYSTEM
    from arrears.strategy import jobs

    with progress_bar(f"Nightly run as of {when.isoformat()}") as report:
        return jobs.run_nightly(rt, SYSTEM, when, progress=report)


def print_users(demo_users: list[DemoUser]) -> None:
    """Print the demo logins and their shared password (what `make run` shows before serving)."""
    table = Table(title="Demo users: log in at /login", show_lines=False)
    for column in ("username", "role", "team / agency", "name"):
        table.add_column(column)
    for u in demo_users:
        table.add_row(u.username, u.role.value, u.scope, u.display_name)
    console.print(table)
    fresh = any(u.created for u in demo_users)
    note = "" if fresh else " (unless someone changed it since)"
    console.print(f"Demo password for every demo user: [bold]{DEMO_PASSWORD}[/]{note}")


def print_summary(summary: DemoSummary) -> None:
    """Print what was loaded: counts, buckets, balances and timings."""
    table = Table(title=f"Demo portfolio as of {summary.as_of.isoformat()} (seed {summary.seed})",
                  show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("debtors", f"{summary.debtors:,}")
    table.add_row("accounts", f"{summary.accounts:,}")
    for product, n in summary.accounts_by_product.items():
        table.add_row(f"  {PRODUCT_NAMES.get(product, product)}", f"{n:,}")
    table.add_row("contact points", f"{summary.contacts:,}")
    table.add_row("payments", f"{summary.payments:,}")
    for currency, parts in summary.balances.items():
        for component, minor in parts.items():
            table.add_row(f"{component} {currency}", Money.from_minor(minor, currency).format())
        table.add_row(f"outstanding {currency}", Money.from_minor(sum(parts.values()), currency).format())
    for currency, minor in summary.paid.items():
        table.add_row(f"payments {currency}", Money.from_minor(minor, currency).format())
    rejected = sum(summary.rejected.values())
    if rejected:
        table.add_row("rows rejected by the import", f"[red]{rejected:,}[/]")
    for phase, seconds in summary.timings.items():
        table.add_row(f"time: {phase}", f"{seconds:.1f} s")
    console.print(table)
    dist = Table(title="Buckets")
    dist.add_column("bucket")
    dist.add_column("accounts", justify="right")
    dist.add_column("share", justify="right")
    whole = max(1, sum(summary.buckets.values()))
    for bucket, n in summary.buckets.items():
        dist.add_row(bucket, f"{n:,}", f"{100 * n / whole:.1f}%")
    console.print(dist)
