"""`arrears init`, seed rows, then `arrears age --as-of ...` through the real Typer app on SQLite."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select
from typer.testing import CliRunner

from arrears import cli
from arrears.db import make_engine
from arrears.portfolio.store import accounts, accruals, cases, debtors, due_items
from arrears.settings import Settings

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def _seed(var_dir: Path) -> None:
    engine = make_engine(Settings(var_dir=var_dir, database_url=""))
    with engine.begin() as conn:
        for n, due in enumerate((date(2026, 3, 1), date(2026, 1, 31), None)):
            debtor_id = conn.execute(insert(debtors).values(
                external_id=f"D{n}", kind="person", name=f"Debtor {n}", timezone="Asia/Shanghai",
                timezone_source="default", row_hash="h", created_at=STAMP, updated_at=STAMP,
            )).inserted_primary_key[0]
            account_id = conn.execute(insert(accounts).values(
                external_id=f"A{n}", debtor_id=debtor_id, product="credit_card", currency="CNY",
                principal_minor=100_000, late_fee_minor=5_000, penalty_rate_ppm=180_000, row_hash="h",
                created_at=STAMP, updated_at=STAMP,
            )).inserted_primary_key[0]
            if due is not None:
                conn.execute(insert(due_items).values(account_id=account_id, due_date=due,
                                                      amount_minor=100_000))
    engine.dispose()


def _register() -> None:
    if not any(c.name == "age" for c in cli.app.registered_commands):
        cli._register()


def test_init_seed_and_age(tmp_path: Path) -> None:
    _register()
    runner = CliRunner()
    env = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}
    init = runner.invoke(cli.app, ["init"], env=env)
    assert init.exit_code == 0, init.output
    _seed(tmp_path)

    aged = runner.invoke(cli.app, ["age", "--as-of", "2026-03-31"], env=env)
    assert aged.exit_code == 0, aged.output
    assert "Aging as of 2026-03-31" in aged.output and "accounts aged" in aged.output
    assert "Buckets after the run" in aged.output and "CNY 150.00" in aged.output  # 3 late fees of 50 yuan
    engine = make_engine(Settings(var_dir=tmp_path, database_url=""))
    with engine.connect() as conn:
        dpd = dict(conn.execute(select(accounts.c.external_id, accounts.c.dpd)).all())
        bucket = dict(conn.execute(select(accounts.c.external_id, accounts.c.bucket)).all())
        fee_dates = select(accruals.c.period_date).where(accruals.c.kind == "late_fee")
        fees = conn.execute(fee_dates).scalars().all()
        live = conn.execute(select(cases.c.status)).scalars().all()
    engine.dispose()
    assert dpd == {"A0": 30, "A1": 59, "A2": 0} and bucket == {"A0": "M1", "A1": "M2", "A2": "M0"}
    assert sorted(fees) == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 1)]
    assert live == ["open", "open"]

    again = runner.invoke(cli.app, ["age", "--as-of", "2026-03-31", "--json"], env=env)
    assert again.exit_code == 0, again.output
    body = json.loads(again.output)
    assert (body["late_fees"], body["penalty_minor"], body["bucket_moves"]) == (0, 0, 0)
    assert body["cases_opened"] == 0
    assert body["buckets"]["M1"] == 1 and body["accounts_aged"] == 3

    bad = runner.invoke(cli.app, ["age", "--as-of", "2026-13-01"], env=env)
    assert bad.exit_code == 2 and "not a date" in bad.output and "YYYY-MM-DD" in bad.output

    earlier = runner.invoke(cli.app, ["age", "--as-of", "2026-03-30"], env=env)
    assert earlier.exit_code == 2 and "before the latest aging run (2026-03-31)" in earlier.output

    future = runner.invoke(cli.app, ["age", "--as-of", "2999-01-01"], env=env)
    assert future.exit_code == 2 and "after today" in future.output

    today = runner.invoke(cli.app, ["age", "--json"], env=env)  # default: today from the clock, UTC
    assert today.exit_code == 0, today.output
    assert json.loads(today.output)["as_of"] == datetime.now(UTC).date().isoformat()
