"""`arrears import accounts|contacts|payments FILE` through the real Typer app on a temp SQLite database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from arrears import cli
from arrears.db import make_engine
from arrears.portfolio.store import accounts, contact_points, import_batches, import_rejects, payments
from arrears.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A migrated SQLite database under a temp var dir, as environment variables for the CLI."""
    cli._register()
    variables = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path), "COLUMNS": "250"}
    result = CliRunner().invoke(cli.app, ["init"], env=variables)
    assert result.exit_code == 0, result.output
    return variables


def _run(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Exit code and output, with whitespace runs collapsed (Rich may wrap long lines)."""
    result = CliRunner().invoke(cli.app, ["import", *args], env=env, terminal_width=200)
    return result.exit_code, " ".join(result.output.split())


def _counts_row(output: str) -> list[str]:
    """new, changed, unchanged, rejected, total from the printed summary table (whitespace collapsed)."""
    body = output.split("┃ total ┃", 1)[1]
    return [cell.strip() for cell in body.split("│")[1:6]]


def _count(env: dict[str, str], table: object) -> int:
    engine = make_engine(Settings(var_dir=Path(env["ARREARS_VAR_DIR"]), database_url=""))
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    engine.dispose()
    return n


def test_import_accounts_then_again(env: dict[str, str]) -> None:
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts.csv"))
    assert code == 0, out
    assert _counts_row(out) == ["30", "0", "0", "0", "30"] and "encoding: utf-8" in out
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts.csv"))
    assert code == 0 and "committed" in out
    assert _counts_row(out) == ["0", "0", "30", "0", "30"]
    assert _count(env, accounts) == 30 and _count(env, import_batches) == 2


def test_bad_rows_exit_2_with_each_problem_and_a_report(env: dict[str, str]) -> None:
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts_bad_rows.csv"))
    assert code == 2, out
    assert "7 rows rejected; nothing was imported" in out
    assert "row 3, field 'principal' = '-500.00': negative amounts are not accepted" in out
    assert "row 6, field 'account_id' = 'BAD-001': duplicate account_id: also in row 2" in out
    assert "row 5, field 'mobile' = '12345': not a valid phone number" in out
    report = Path(out.split("report: ")[1].split()[0].rstrip(")"))
    assert report.exists() and report.parent == Path(env["ARREARS_VAR_DIR"]) / "reports"
    assert _count(env, accounts) == 0 and _count(env, import_batches) == 0


def test_quarantine_report_option_and_dry_run(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "problems.csv"
    code, out = _run(
        env, "accounts", str(EXAMPLES / "accounts_bad_rows.csv"), "--quarantine", "--report", str(target)
    )
    assert code == 0, out
    assert (
        "quarantined" in out and "row 8, field 'product' = 'mortgage'" in out and f"report: {target}" in out
    )
    with target.open(encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == 8
    assert _count(env, accounts) == 2 and _count(env, import_rejects) == 7
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts.csv"), "--dry-run")
    assert code == 0 and "dry run: nothing was written" in out and _count(env, accounts) == 2


def test_other_layouts_encodings_and_kinds(env: dict[str, str]) -> None:
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts.csv"))
    assert code == 0, out
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts_gbk.csv"), "--encoding", "gbk")
    assert code == 0 and "encoding: gb18030" in out
    code, out = _run(env, "accounts", str(EXAMPLES / "accounts.xlsx"))
    assert code == 0 and "encoding: xlsx" in out
    code, out = _run(
        env,
        "accounts",
        str(EXAMPLES / "accounts_custom_layout.csv"),
        "--mapping",
        str(EXAMPLES / "mapping_example.yaml"),
    )
    assert code == 0, out
    assert _count(env, accounts) == 30 + 6 + 5 + 3
    code, out = _run(env, "contacts", str(EXAMPLES / "contacts.csv"))
    assert code == 0, out
    code, out = _run(env, "payments", str(EXAMPLES / "payments.csv"))
    assert code == 0, out
    assert _count(env, payments) == 9 and _count(env, contact_points) > 14


def test_file_level_errors(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out = _run(env, "accounts", str(empty))
    assert code == 2 and "the file is empty (0 bytes)" in out
    code, out = _run(env, "payments", str(EXAMPLES / "accounts.csv"))
    assert code == 2 and "missing required column(s) reference, paid_on, amount" in out
    code, out = _run(env, "accounts", str(tmp_path / "missing.csv"))
    assert code == 2 and "does not exist" in out
    code, out = _run(env, "contacts", str(EXAMPLES / "contacts.csv"))
    assert code == 2 and "unknown customer: import the accounts file first" in out
