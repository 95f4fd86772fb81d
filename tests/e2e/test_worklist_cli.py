"""`arrears queue next|show|release` and `arrears attempts import-dialer` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from arrears import cli
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.portfolio.store import contact_points
from arrears.runtime import Runtime
from arrears.settings import Settings
from tests.e2e.conftest import NOW, build_app
from tests.integration.worklist_seed import debtor, desk, work

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """A migrated SQLite database with a desk and work; the CLI's clock stands at NOW."""
    app, _, settings = build_app(tmp_path, seed=False)
    rt: Runtime = app.state.runtime
    d = desk(rt)
    a = debtor(rt, 1, d.team, d.alice.user_id)
    work(rt, a, collector=d.alice.user_id, team=d.team)
    rt.engine.dispose()
    monkeypatch.setattr("arrears.runtime.SystemClock", lambda: FixedClock(NOW))
    if not any(g.name == "queue" for g in cli.app.registered_groups):
        cli._register()
    return {
        "vars": {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)},
        "desk": d,
        "a": a,
        "settings": settings,
    }


def test_queue_next_show_and_release(env: dict[str, object]) -> None:
    d, a = env["desk"], env["a"]
    user = d.alice.username  # type: ignore[attr-defined]
    got = runner.invoke(cli.app, ["queue", "next", "--collector", user], env=env["vars"])  # type: ignore[arg-type]
    assert got.exit_code == 0, got.output
    answer = json.loads(got.stdout)
    assert answer["status"] == "leased" and answer["debtor"]["id"] == a.id  # type: ignore[attr-defined]
    assert "+8613900010000" not in got.stdout
    shown = runner.invoke(cli.app, ["queue", "show", "--collector", user], env=env["vars"])  # type: ignore[arg-type]
    assert shown.exit_code == 0 and "1 open" in shown.stdout and "call D1" in shown.stdout
    team = runner.invoke(
        cli.app,
        ["queue", "show", "--team", str(d.team), "--json"],  # type: ignore[attr-defined]
        env=env["vars"],
    )  # type: ignore[arg-type]
    assert json.loads(team.stdout)["open"] == 1
    lease = str(answer["lease"]["id"])
    released = runner.invoke(cli.app, ["queue", "release", lease, "--collector", user], env=env["vars"])  # type: ignore[arg-type]
    assert released.exit_code == 0, released.output
    again = runner.invoke(cli.app, ["queue", "release", lease, "--collector", user], env=env["vars"])  # type: ignore[arg-type]
    assert again.exit_code == 2 and "already ended" in again.stderr
    nobody = runner.invoke(cli.app, ["queue", "next", "--collector", "nobody"], env=env["vars"])  # type: ignore[arg-type]
    assert nobody.exit_code == 2


def test_import_dialer_marks_violations(env: dict[str, object], tmp_path: Path) -> None:
    report = tmp_path / "dialer.csv"
    report.write_text(
        "call_id,debtor,phone,started_at,outcome\n"
        "N1,D1,13900010000,2026-03-30T22:30:00+08:00,no_answer\n"
        "N2,D1,13900010000,2026-03-31T10:30:00+08:00,invalid_number\n",
        encoding="utf-8",
    )
    got = runner.invoke(cli.app, ["attempts", "import-dialer", str(report)], env=env["vars"])  # type: ignore[arg-type]
    assert got.exit_code == 1, got.output  # recorded, with a violation to look at
    summary = json.loads(got.stdout)
    assert summary["recorded"] == 2 and summary["violations"] == 1
    assert (
        summary["violation_rows"][0]["call_id"] == "N1"
        and "cn.night" in summary["violation_rows"][0]["rules"]
    )
    engine = make_engine(env["settings"])  # type: ignore[arg-type]
    with engine.connect() as conn:
        status = conn.execute(
            select(contact_points.c.status).where(contact_points.c.id == env["a"].mobile)
        ).scalar_one()  # type: ignore[attr-defined]
    engine.dispose()
    assert status == "invalid"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "call_id,debtor,phone,started_at,outcome\nB1,D1,13900010000,yesterday,busy\n", encoding="utf-8"
    )
    refused = runner.invoke(cli.app, ["attempts", "import-dialer", str(bad)], env=env["vars"])  # type: ignore[arg-type]
    assert refused.exit_code == 2 and "started_at" in refused.stderr


def test_settings_carry_the_lease_time() -> None:
    assert Settings().lease_minutes == 15
    assert Settings(lease_minutes=5).lease_minutes == 5
    with pytest.raises(ValueError):
        Settings(lease_minutes=0)
