"""The documented PostgreSQL procedure works: pg_dump -Fc, pg_restore into a new database, audit verify."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from arrears import migrate
from arrears.core.access import SYSTEM
from arrears.runtime import Runtime
from arrears.users import audit_service
from arrears.users.audit_store import guard_installed
from tests.security_kit import append, run_cli, seed_debtor


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_pg_dump_and_pg_restore_keep_the_chain_and_the_guard(runtime: Runtime, tmp_path: Path) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL procedure of docs/operations.md")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")
    seed_debtor(runtime)
    append(runtime, 5)
    head = audit_service.verify_chain(runtime, SYSTEM)
    source = runtime.engine.url.render_as_string(hide_password=False)
    dump = tmp_path / "arrears.dump"
    subprocess.run(["pg_dump", "-Fc", "-d", _libpq(source), "-f", str(dump)], check=True, timeout=300)
    subprocess.run(["pg_restore", "--list", str(dump)], check=True, timeout=60, capture_output=True)

    name = f"arrears_restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(source).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}" template template0'))
    restored_url = make_url(source).set(database=name)
    try:
        subprocess.run(["pg_restore", "-d", _libpq(restored_url.render_as_string(hide_password=False)),
                        "--exit-on-error", "--no-owner", "-j", "2", str(dump)], check=True, timeout=300)
        restored = Runtime(settings=runtime.settings.model_copy(
            update={"database_url": restored_url.render_as_string(hide_password=False)}),
            engine=create_engine(restored_url), clock=runtime.clock)
        try:
            assert migrate.current_revision(restored.engine) == migrate.head_revision()
            report = audit_service.verify_chain(restored, SYSTEM, (head.head_seq or 0, head.head_hash or ""))
            assert report.intact and report.checked == 5
            with restored.engine.connect() as conn:
                assert guard_installed(conn)
            with pytest.raises(DBAPIError, match="append-only"), restored.engine.begin() as conn:
                conn.execute(text("delete from audit_log"))
            anchor = f"{head.head_seq}:{head.head_hash}"
            assert run_cli(restored, "audit", "verify", "--anchor", anchor).exit_code == 0
        finally:
            restored.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
