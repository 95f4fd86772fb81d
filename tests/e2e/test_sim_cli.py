"""`arrears sim run` on the command line: the summary table, the report files, clear errors; and the HTML
report drawn by ECharts in real headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from arrears import cli
from tests.conftest import missing
from tests.e2e.test_pages_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sim" / "default.yaml"


def _register() -> None:
    if not any(getattr(g, "name", None) == "sim" for g in cli.app.registered_groups):
        cli._register()


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default example, cut down to 60 debtors over 3 days, run through the CLI once."""
    _register()
    out = tmp_path_factory.mktemp("sim-out")
    env = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(out / "var")}
    result = CliRunner().invoke(
        cli.app,
        [
            "sim",
            "run",
            "--config",
            str(EXAMPLE),
            "--debtors",
            "60",
            "--days",
            "3",
            "--out",
            str(out),
            "--lang",
            "zh-CN",
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    (out / "stdout.txt").write_text(result.output, encoding="utf-8")
    return out


def test_cli_prints_the_summary_and_writes_the_files(report_dir: Path) -> None:
    output = (report_dir / "stdout.txt").read_text(encoding="utf-8")
    assert "资产组合模拟" in output
    for arm in ("default", "oldest-first", "largest-balance-first"):
        assert arm in output
    assert "report.html" in output and "kpis.json" in output
    data = json.loads((report_dir / "kpis.json").read_text(encoding="utf-8"))
    assert [a["arm"] for a in data["arms"]] == ["default", "oldest-first", "largest-balance-first"]
    assert len(data["baseline_comparison"]) == 2
    assert {t["kpi"] for t in data["field_targets"]} == {
        "calls_per_recovery",
        "recovered_per_account",
        "rpc_rate",
        "kept_rate",
    }
    assert data["counts"]["attempts"] > 0 and data["counts"]["refused"] == 0
    lines = (report_dir / "kpis.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4


def test_a_bad_file_names_the_field(tmp_path: Path) -> None:
    _register()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "debtors: 1000\nshift: {start: '25:00'}\narms: [{name: a, ordering: random}]\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli.app,
        ["sim", "run", "--config", str(bad), "--out", str(tmp_path / "o")],
        env={"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert "shift.start" in result.output and "arms.0.ordering" in result.output
    assert not (tmp_path / "o").exists()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT_MS)
        yield b
        b.close()


@pytest.mark.browser
def test_report_draws_its_charts(report_dir: Path, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((report_dir / "report.html").as_uri())
    expect(page.locator("h1")).to_contain_text("资产组合模拟")
    expect(page.locator("#summary tr")).to_have_count(4)
    charts = page.locator("div.chart")
    assert charts.count() >= 6  # six, plus one per experiment of the strategy with data
    for i in range(charts.count()):
        expect(charts.nth(i).locator("canvas")).to_have_count(1)
    assert errors == []
    page.close()
