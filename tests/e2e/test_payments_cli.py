"""`arrears payments post|reverse|import|balance|statement` and `arrears promises judge|history` through the
real Typer app, on a migrated SQLite database (the CLI acts as SYSTEM)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arrears import cli
from arrears.core.clock import FixedClock
from arrears.core.money import Money
from arrears.payments import promises as pr
from arrears.runtime import Runtime
from tests.e2e.conftest import NOW, build_app
from tests.integration.payments_seed import account, desk

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A database with the example accounts and one seeded account with a promise; the clock at NOW."""
    app, _, _ = build_app(tmp_path, seed=False)
    rt: Runtime = app.state.runtime
    from arrears.portfolio.importing.service import import_file

    import_file(rt, "accounts", EXAMPLES / "accounts.csv")
    d = desk(rt)
    a = account(rt, 1, d.team, d.collector.user_id)
    with rt.engine.begin() as conn:
        pr.make_promise(conn, d.collector, debtor_id=a.debtor, account_id=a.account, amount=Money.of("100",
                                                                                                     "CNY"),
                        due_on=date(2026, 4, 1), due_time=None, channel="alipay", now=NOW)
    rt.engine.dispose()
    monkeypatch.setattr("arrears.runtime.SystemClock", lambda: FixedClock(NOW))
    if not any(g.name == "payments" for g in cli.app.registered_groups):
        cli._register()
    return {"vars": {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}, "a": a}


def run(env: dict[str, object], *args: str) -> object:
    return runner.invoke(cli.app, list(args), env=env["vars"])  # type: ignore[arg-type]


def test_post_balance_reverse(env: dict[str, object]) -> None:
    ext = env["a"].external_id  # type: ignore[attr-defined]
    got = run(env, "payments", "post", ext, "600.00", "--reference", "CLI-1", "--paid-on", "2026-03-30")
    assert got.exit_code == 0, got.output  # type: ignore[attr-defined]
    assert json.loads(got.stdout)["parts"]["fees"] == 20_000  # type: ignore[attr-defined]
    bal = run(env, "payments", "balance", ext, "--json")
    assert json.loads(bal.stdout)["owed_minor"] == 440_000  # type: ignore[attr-defined]
    earlier = run(env, "payments", "balance", ext, "--as-of", "2026-03-29")
    assert "5000.00" in earlier.stdout.replace(",", "")  # type: ignore[attr-defined]
    rev = run(env, "payments", "reverse", "CLI-1", "--reason", "bounced")
    assert rev.exit_code == 0 and json.loads(rev.stdout)["reopened"]["penalty"] == 30_000  # type: ignore[attr-defined]
    again = run(env, "payments", "reverse", "CLI-1", "--reason", "bounced")
    assert again.exit_code == 2 and "already reversed" in again.output  # type: ignore[attr-defined]
    statement = run(env, "payments", "statement", ext, "--lang", "en")
    assert "Account statement" in statement.stdout  # type: ignore[attr-defined]


def test_bad_input_exits_2_with_the_reason(env: dict[str, object]) -> None:
    ext = env["a"].external_id  # type: ignore[attr-defined]
    wrong = run(env, "payments", "post", ext, "5", "--reference", "C-2", "--paid-on", "2026-03-30",
                "--currency", "USD")
    assert wrong.exit_code == 2 and "currency" in wrong.output  # type: ignore[attr-defined]
    unknown = run(env, "payments", "post", "NOPE", "5", "--reference", "C-3", "--paid-on", "2026-03-30",
                  "--currency", "CNY")
    assert unknown.exit_code == 2 and "not found" in unknown.output  # type: ignore[attr-defined]
    bad = run(env, "payments", "import", str(EXAMPLES / "payments" / "bank_statement_bad.csv"))
    assert bad.exit_code == 2 and "row 2, field 'account'" in bad.output  # type: ignore[attr-defined]


def test_import_channel_files_and_judge(env: dict[str, object]) -> None:
    got = run(env, "payments", "import", str(EXAMPLES / "payments" / "wechat_bill.csv"))
    assert got.exit_code == 0 and "2 posted" in got.stdout and "skipped" in got.stdout  # type: ignore[attr-defined]
    again = run(env, "payments", "import", str(EXAMPLES / "payments" / "wechat_bill.csv"))
    assert "0 posted, 2 already recorded" in again.stdout  # type: ignore[attr-defined]
    judged = run(env, "promises", "judge", "--as-of", "2026-04-05")
    assert judged.exit_code == 0 and "1 broken" in judged.stdout  # type: ignore[attr-defined]
    debtor = str(env["a"].debtor)  # type: ignore[attr-defined]
    hist = run(env, "promises", "history", debtor)
    assert "1 made" in hist.stdout and "broken" in hist.stdout  # type: ignore[attr-defined]
