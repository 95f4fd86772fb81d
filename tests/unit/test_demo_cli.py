"""The demo command's parsing and summary, without a database."""

from __future__ import annotations

from datetime import date

import pytest
import typer
from rich.console import Console

from arrears.cli_support import parse_as_of
from arrears.portfolio.demo import cli as demo_cli
from arrears.portfolio.demo.service import DemoSummary


def test_as_of_defaults_and_parses() -> None:
    default = date(2026, 3, 31)
    assert parse_as_of(None, default) == default
    assert parse_as_of(" ", default) == default
    assert parse_as_of("2026-01-15", default) == date(2026, 1, 15)
    with pytest.raises(typer.BadParameter, match="YYYY-MM-DD"):
        parse_as_of("15/01/2026", default)


def test_summary_lists_products_buckets_totals_and_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    out = Console(record=True, width=120)
    monkeypatch.setattr(demo_cli, "console", out)
    summary = DemoSummary(
        skipped=False, seed=7, as_of=date(2026, 3, 31), debtors=3,
        accounts_by_product={"business_receivable": 1, "consumer_loan": 1, "credit_card": 2},
        contacts=9, payments=4, buckets={"M0": 1, "M1": 2, "WO": 1},
        balances={"CNY": {"principal": 1_234_500, "interest": 100, "fees": 5_000, "penalty": 0}},
        paid={"CNY": 20_000}, rejected={"accounts": 0}, timings={"total": 1.25},
    )
    demo_cli.print_summary(summary)
    text = out.export_text()
    assert summary.accounts == 4
    for expected in ("credit cards", "consumer loans", "business receivables", "contact points",
                     "CNY 12,345.00", "CNY 12,396.00", "CNY 200.00", "WO", "50.0%", "1.2 s", "seed 7"):
        assert expected in text, expected
    assert "rejected" not in text
