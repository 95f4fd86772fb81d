"""`arrears report ...` through the real Typer app on a seeded SQLite database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from arrears import cli, migrate
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.runtime import Runtime
from arrears.settings import Settings
from tests.integration.reporting_seed import NOW, seed_day


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    var = tmp_path_factory.mktemp("report-cli")
    settings = Settings(var_dir=var, database_url="")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    seed_day(Runtime(settings=settings, engine=engine, clock=FixedClock(NOW)))
    engine.dispose()
    cli._register()
    environment = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(var)}
    refreshed = CliRunner().invoke(
        cli.app, ["report", "refresh", "--as-of", "2026-03-31", "--from", "2026-03-28"], env=environment
    )
    assert refreshed.exit_code == 0, refreshed.output
    assert "report summaries rebuilt for 2026-03-28 to 2026-03-31 (4 days)" in refreshed.output
    yield environment


def _run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli.app, ["report", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_kpis_table_by_team(env: dict[str, str]) -> None:
    out = _run(env, "kpis", "--from", "2026-03-30", "--to", "2026-03-30", "--by", "team")
    assert "North" in out and "South" in out and "Total" in out
    assert "57.1%" in out  # connect rate of the day: 4 / 7


def test_kpis_csv_to_stdout_and_xlsx_to_file(env: dict[str, str], tmp_path: Path) -> None:
    out = _run(env, "kpis", "--from", "2026-03-30", "--to", "2026-03-30", "--by", "bucket", "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "Bucket" and [r[0] for r in rows[1:]] == ["M1", "M2", "M3", "Total"]
    target = tmp_path / "kpis.xlsx"
    _run(
        env,
        "kpis",
        "--from",
        "2026-03-30",
        "--to",
        "2026-03-30",
        "--by",
        "collector",
        "--format",
        "xlsx",
        "--out",
        str(target),
        "--lang",
        "zh-CN",
    )
    ws = load_workbook(target).active
    assert ws.cell(1, 1).value == "催收员" and ws.cell(2, 1).value == "C1"


def test_rolls_trend_cohorts(env: dict[str, str]) -> None:
    assert "Roll rates" in _run(env, "rolls", "--from", "2026-01", "--to", "2026-02")
    assert "2026-03-29" in _run(env, "trend", "--from", "2026-03-29", "--to", "2026-03-31")
    assert "Recovery curves" in _run(env, "cohorts", "--from", "2025-12", "--to", "2026-03")


def test_arms_without_data_says_so(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli.app,
        ["report", "arms", "--experiment", "nothing", "--from", "2026-03-30", "--to", "2026-03-30"],
        env=env,
    )
    assert result.exit_code == 1 and "No activity for experiment nothing" in result.output


def test_bad_options_are_refused(env: dict[str, str]) -> None:
    runner = CliRunner()
    by = runner.invoke(cli.app, ["report", "kpis", "--by", "planet"], env=env)
    assert by.exit_code == 2 and "planet" in by.output
    xlsx = runner.invoke(cli.app, ["report", "kpis", "--format", "xlsx"], env=env)
    assert xlsx.exit_code == 2 and "--out" in xlsx.output
    period = runner.invoke(cli.app, ["report", "kpis", "--from", "2026-03-31", "--to", "2026-03-01"], env=env)
    assert period.exit_code == 2
    arm = runner.invoke(
        cli.app, ["report", "kpis", "--by", "arm", "--from", "2026-03-01", "--to", "2026-03-02"], env=env
    )
    assert arm.exit_code == 2 and "experiment" in arm.output
