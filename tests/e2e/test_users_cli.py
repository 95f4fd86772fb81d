"""`arrears users ...` through the real Typer app on a fresh SQLite database, and the token it prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from arrears import cli
from arrears.core.clock import SystemClock
from arrears.settings import Settings
from tests.authkit import PASSWORD


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An initialised empty SQLite database under tmp_path."""
    cli._register()
    environment = {"ARREARS_DATABASE_URL": "", "ARREARS_VAR_DIR": str(tmp_path)}
    assert CliRunner().invoke(cli.app, ["init"], env=environment).exit_code == 0
    yield environment


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    """Invoke `arrears ARGS`."""
    return CliRunner().invoke(cli.app, list(args), env=env, input=stdin)


def test_the_first_administrator_then_teams_agencies_and_users(env: dict[str, str]) -> None:
    weak = run(env, "users", "create-admin", "--username", "root", "--password-stdin", stdin="password123\n")
    assert weak.exit_code == 2 and "commonly used" in weak.output
    short = run(env, "users", "create-admin", "--username", "root", stdin="abc1\nabc1\n")  # prompted twice
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    mismatch = run(env, "users", "create-admin", "--username", "root", stdin=f"{PASSWORD}\nother-pass-1\n")
    assert mismatch.exit_code != 0
    made = run(env, "users", "create-admin", "--username", "Root", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    assert "administrator root created" in made.output and PASSWORD not in made.output
    assert run(env, "users", "teams", "--add", "East").exit_code == 0
    agencies = run(env, "users", "agencies", "--add", "acme", "--name", "Acme Collections")
    assert agencies.exit_code == 0 and "ACME" in agencies.output
    collector = run(env, "users", "add", "--username", "li.wei", "--role", "collector", "--team", "East",
                    "--password-stdin", stdin=f"{PASSWORD}\n")
    assert collector.exit_code == 0, collector.output
    outsider = run(env, "users", "add", "-u", "acme.sun", "-r", "agency_user", "-a", "acme", "--no-password")
    assert outsider.exit_code == 0, outsider.output
    no_team = run(env, "users", "add", "-u", "lone", "-r", "collector", "--no-password")
    assert no_team.exit_code == 2 and "needs a team" in no_team.output
    unknown = run(env, "users", "add", "-u", "lost", "-r", "collector", "--team", "Nowhere", "--no-password")
    assert unknown.exit_code == 2 and "no team 'Nowhere'" in unknown.output
    listed = run(env, "users", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["username"], r["role"], r["team"], r["agency"]) for r in rows] == [
        ("acme.sun", "agency_user", None, "Acme Collections"), ("li.wei", "collector", "East", None),
        ("root", "administrator", None, None)]
    table = run(env, "users", "list")
    assert table.exit_code == 0 and "li.wei" in table.output


def test_a_printed_token_opens_the_api_and_deactivation_closes_it(env: dict[str, str],
                                                                  tmp_path: Path) -> None:
    assert run(env, "users", "add", "-u", "wang", "-r", "manager", "--password-stdin",
               stdin=f"{PASSWORD}\n").exit_code == 0
    printed = run(env, "users", "token", "--username", "wang", "--days", "7", "--label", "dialer")
    assert printed.exit_code == 0, printed.output
    token = printed.stdout.strip().splitlines()[-1]
    from arrears.web.app import create_app

    app = create_app(Settings(var_dir=tmp_path, database_url="", environment="test"), SystemClock())
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/auth/me", headers=headers).json()["username"] == "wang"
        assert run(env, "users", "deactivate", "--username", "wang").exit_code == 0
        assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert run(env, "users", "token", "--username", "wang").exit_code == 2
    assert run(env, "users", "token", "--username", "nobody").exit_code == 2


def test_unlock_and_set_password(env: dict[str, str]) -> None:
    assert run(env, "users", "add", "-u", "zhou", "-r", "manager", "--no-password").exit_code == 0
    reset = run(env, "users", "set-password", "-u", "zhou", "--password-stdin", stdin="Fresh-pass-2026\n")
    assert reset.exit_code == 0 and "password of zhou set" in reset.output
    assert run(env, "users", "unlock", "-u", "zhou").exit_code == 0
    assert run(env, "users", "unlock", "-u", "ghost").exit_code == 2
