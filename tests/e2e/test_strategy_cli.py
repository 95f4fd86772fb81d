"""`arrears batch run`, `strategy validate|activate|show`, `arrears allocate`, `arrears cases reassign`
through the real Typer app on a temp SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from arrears import cli
from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.portfolio.store import cases
from arrears.runtime import Runtime
from arrears.strategy.treatments import DEFAULT_FILE
from tests.authkit import make_team, make_user
from tests.e2e.conftest import NOW, build_app

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The seeded portfolio, the default strategy's zh-CN team with two collectors; the CLI's clock at NOW."""
    app, seeded, _ = build_app(tmp_path)
    rt: Runtime = app.state.runtime
    team = make_team(rt, "催收一组 Team A (zh-CN)")
    make_user(rt, Role.COLLECTOR, username="li.c", team_id=team, capacity=10)
    make_user(rt, Role.COLLECTOR, username="wu.c", team_id=team, capacity=10)
    make_user(rt, Role.TEAM_LEAD, username="lead.a", team_id=team)
    rt.engine.dispose()
    monkeypatch.setattr("arrears.runtime.SystemClock", lambda: FixedClock(NOW))
    if not any(g.name == "batch" for g in cli.app.registered_groups):
        cli._register()
    return {
        "vars": {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)},
        "seeded": seeded,
        "rt": rt,
        "tmp": tmp_path,
    }


def _run(env: dict[str, object], *args: str) -> object:
    return runner.invoke(cli.app, list(args), env=env["vars"])  # type: ignore[arg-type]


def test_validate_activate_and_show(env: dict[str, object]) -> None:
    tmp: Path = env["tmp"]  # type: ignore[assignment]
    good = _run(env, "strategy", "validate", str(DEFAULT_FILE))
    assert good.exit_code == 0 and "valid" in good.stdout  # type: ignore[attr-defined]
    bad_file = tmp / "bad.yaml"
    bad_file.write_text(
        DEFAULT_FILE.read_text(encoding="utf-8").replace("buckets: [M1]}", "buckets: [M9]}", 1),
        encoding="utf-8",
    )
    bad = _run(env, "strategy", "validate", str(bad_file))
    assert bad.exit_code == 2 and "unknown bucket 'M9'" in bad.output  # type: ignore[attr-defined]
    assert "paths[1].match.buckets[0]" in bad.output  # type: ignore[attr-defined]
    refused = _run(env, "strategy", "activate", str(bad_file), "--reason", "broken")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    done = _run(env, "strategy", "activate", str(DEFAULT_FILE), "--reason", "go live", "--as", "lead.a")
    assert done.exit_code == 2 and "strategy.manage" in done.output  # type: ignore[attr-defined]
    done = _run(env, "strategy", "activate", str(DEFAULT_FILE), "--reason", "go live")
    assert done.exit_code == 0 and "in force" in done.stdout  # type: ignore[attr-defined]
    shown = _run(env, "strategy", "show")
    assert shown.exit_code == 0 and "default@2026.1" in shown.stdout and "early-sms-first" in shown.stdout  # type: ignore[attr-defined]
    as_json = json.loads(_run(env, "strategy", "show", "--json").stdout)  # type: ignore[attr-defined]
    assert as_json["version"]["in_force"] and as_json["experiments"][0]["name"] == "early-sms-first"


def test_batch_run_resumes_and_prints_a_summary(env: dict[str, object]) -> None:
    out = _run(env, "batch", "run", "--as-of", "2026-03-31")
    assert out.exit_code == 0, out.output  # type: ignore[attr-defined]
    for step in ("aging", "promises", "contactability", "scores", "treatments", "allocation", "work_items"):
        assert step in out.stdout  # type: ignore[attr-defined]
    again = json.loads(_run(env, "batch", "run", "--as-of", "2026-03-31", "--json").stdout)  # type: ignore[attr-defined]
    assert all("already completed" in s["note"] for s in again["steps"])
    forced = json.loads(
        _run(
            env,
            "batch",
            "run",
            "--as-of",
            "2026-03-31",
            "--steps",
            "treatments,allocation",
            "--restart",
            "--json",
        ).stdout
    )  # type: ignore[attr-defined]
    assert [s["step"] for s in forced["steps"]] == ["treatments", "allocation"]
    assert forced["steps"][1]["counts"]["moves"] == 0
    runs = json.loads(_run(env, "batch", "runs", "--json").stdout)  # type: ignore[attr-defined]
    assert len(runs) == 3 and runs[0]["status"] == "completed"
    assert _run(env, "batch", "run", "--steps", "dessert").exit_code == 2  # type: ignore[attr-defined]
    assert _run(env, "batch", "run", "--as-of", "2026-13-01").exit_code == 2  # type: ignore[attr-defined]


def test_allocate_and_reassign(env: dict[str, object]) -> None:
    out = _run(env, "allocate", "--as-of", "2026-03-31", "--json")
    assert out.exit_code == 0, out.output  # type: ignore[attr-defined]
    rt: Runtime = env["rt"]  # type: ignore[assignment]
    seeded = env["seeded"]
    with rt.engine.connect() as conn:
        case_id, holder = conn.execute(
            select(cases.c.id, cases.c.collector_id).where(cases.c.debtor_id == seeded.zhang)
        ).one()  # type: ignore[attr-defined]
    assert holder is not None
    moved = _run(
        env,
        "cases",
        "reassign",
        str(case_id),
        "--to",
        "li.c",
        "--reason",
        "continuity",
        "--as",
        "lead.a",
        "--json",
    )
    assert moved.exit_code == 0, moved.output  # type: ignore[attr-defined]
    answer = json.loads(moved.stdout)  # type: ignore[attr-defined]
    assert answer["case_id"] == case_id
    refused = _run(env, "cases", "reassign", str(case_id), "--to", "li.c", "--reason", "")
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    unknown = _run(env, "cases", "reassign", "987654", "--to", "li.c", "--reason", "nothing there")
    assert unknown.exit_code == 2 and "not found" in unknown.output  # type: ignore[attr-defined]
