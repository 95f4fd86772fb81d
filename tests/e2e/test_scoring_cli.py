"""`arrears model train/list/activate`, `arrears score`, `arrears contactability refresh` and `arrears
best-time` through the real Typer app, on a demo portfolio in a temporary SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from arrears import cli


def _register() -> None:
    if not any(getattr(g, "name", None) == "model" for g in cli.app.registered_groups):
        cli._register()


def test_model_lifecycle_on_the_demo(tmp_path: Path) -> None:
    _register()
    runner = CliRunner()
    env = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}

    def run(*args: str) -> str:
        result = runner.invoke(cli.app, list(args), env=env)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    run("init")
    refused = runner.invoke(cli.app, ["model", "train", "--as-of", "2026-03-31"], env=env)
    assert refused.exit_code == 2 and "too little history" in refused.output
    assert "default scorecard is in force" in run("model", "list")
    run("demo", "--debtors", "700", "--seed", "11", "--as-of", "2026-03-31")

    trained = run("model", "train", "--as-of", "2026-03-31", "--activate")
    assert "model version 1 (hist_gradient_boosting) stored and activated" in trained
    assert "AUC" in trained and "KS" in trained and "Calibration by decile" in trained
    listed = json.loads(run("model", "list", "--json"))
    assert listed[0]["version"] == 1 and listed[0]["status"] == "active" and listed[0]["auc"] > 0.6

    scored = json.loads(run("score", "--as-of", "2026-03-31", "--json"))
    assert scored["model_version"] == "model-1" and scored["scored"] > 500
    assert sum(scored["by_band"].values()) == scored["scored"]

    second = json.loads(run("model", "train", "--as-of", "2026-03-31", "--kind", "logistic", "--json"))
    assert second["version"] == 2 and not second["activated"]
    assert "model version 2 is active" in run("model", "activate", "2")
    assert "model version 1 is active" in run("model", "activate", "1")  # rollback
    assert "default scorecard is in force" in run("model", "activate", "scorecard")
    missing = runner.invoke(cli.app, ["model", "activate", "9"], env=env)
    assert missing.exit_code == 2 and "not found" in missing.output
    assert runner.invoke(cli.app, ["model", "activate", "x"], env=env).exit_code == 2

    counts = json.loads(run("contactability", "refresh", "--json"))
    assert counts["contactable"] + counts["semi_lost"] + counts["lost"] == 700
    rates = json.loads(run("best-time", "refresh", "--json"))
    assert rates["segments"] >= 2
    shown = run("best-time", "show", "1", "--date", "2026-03-30")
    assert "09:00 *" in shown and "advisory" in shown
