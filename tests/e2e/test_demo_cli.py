"""`arrears init` then `arrears demo` through the real Typer app on a fresh SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from arrears import cli


def test_init_then_demo_then_demo_if_empty(tmp_path: Path) -> None:
    cli._register()
    runner = CliRunner()
    env = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}

    init = runner.invoke(cli.app, ["init"], env=env)
    assert init.exit_code == 0, init.output

    demo = runner.invoke(cli.app, ["demo", "--debtors", "100", "--seed", "7"], env=env)
    assert demo.exit_code == 0, demo.output
    assert "debtors" in demo.output and "100" in demo.output
    assert "credit cards" in demo.output and "Buckets" in demo.output
    assert (tmp_path / "arrears.db").exists()
    assert not any((tmp_path / "demo").iterdir())  # the generated files are removed after loading

    again = runner.invoke(cli.app, ["demo", "--if-empty"], env=env)
    assert again.exit_code == 0, again.output
    assert "already holds" in again.output

    refused = runner.invoke(cli.app, ["demo", "--debtors", "10"], env=env)
    assert refused.exit_code == 2
    assert "already holds 100 debtors" in refused.output

    bad = runner.invoke(cli.app, ["demo", "--as-of", "31/03/2026"], env=env)
    assert bad.exit_code != 0


def test_demo_runs_last_night_so_a_collector_has_work_today(tmp_path: Path) -> None:
    cli._register()
    runner = CliRunner()
    env = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}
    assert runner.invoke(cli.app, ["init"], env=env).exit_code == 0

    demo = runner.invoke(cli.app, ["demo", "--debtors", "300", "--seed", "7"], env=env)
    assert demo.exit_code == 0, demo.output
    assert "Nightly run 1 as of" in demo.output and "completed" in demo.output

    nxt = runner.invoke(cli.app, ["queue", "next", "--collector", "collector.zh"], env=env)
    answer = json.loads(nxt.output)
    # the wall clock decides whether a call is allowed right now (house hours); either way there is work
    assert answer["status"] in ("leased", "nothing_allowed"), nxt.output
    assert answer["status"] == "leased" or answer["examined"] > 0, nxt.output


def test_demo_without_the_night_leaves_the_queue_empty(tmp_path: Path) -> None:
    cli._register()
    runner = CliRunner()
    env = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}
    assert runner.invoke(cli.app, ["init"], env=env).exit_code == 0

    demo = runner.invoke(cli.app, ["demo", "--debtors", "50", "--seed", "7", "--no-nightly"], env=env)
    assert demo.exit_code == 0, demo.output
    assert "Nightly run" not in demo.output
    nxt = runner.invoke(cli.app, ["queue", "next", "--collector", "collector.zh"], env=env)
    assert nxt.exit_code == 1 and "queue_empty" in nxt.output, nxt.output
