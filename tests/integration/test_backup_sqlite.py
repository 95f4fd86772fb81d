"""`arrears backup create|restore` on SQLite (online backup API, verified copies); PostgreSQL refused."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from arrears import migrate
from arrears.core.access import SYSTEM, Role
from arrears.core.clock import FixedClock
from arrears.core.errors import ConfigError, Conflict, Forbidden, InputRejected
from arrears.db import make_engine
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.users import audit_service, backup
from arrears.users.audit_store import guard_installed
from tests.authkit import make_user
from tests.security_kit import append, run_cli, seed_debtor, tamper


@pytest.fixture
def rt(tmp_path: Path, clock: FixedClock) -> Iterator[Runtime]:
    """A fresh migrated SQLite database of its own under tmp_path/var (restores replace it)."""
    settings = Settings(database_url="", var_dir=tmp_path / "var", environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    runtime = Runtime(settings=settings, engine=engine, clock=clock)
    seed_debtor(runtime)
    append(runtime, 3)
    yield runtime
    engine.dispose()


def _debtor_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("select count(*) from debtors").fetchone()[0])


def test_create_writes_a_verified_self_contained_copy(rt: Runtime) -> None:
    result = backup.create_backup(rt, SYSTEM)
    assert result.path == rt.settings.var_dir / "backups" / "arrears-20260331-100000.db"
    assert result.integrity == "ok" and result.chain_intact and result.audit_checked == 3
    assert result.revision == migrate.head_revision()
    assert result.sha256 == hashlib.sha256(result.path.read_bytes()).hexdigest()
    assert result.size == result.path.stat().st_size
    assert result.path.with_name(result.path.name + ".sha256").read_text().split() == [result.sha256,
                                                                                      result.path.name]
    assert not result.path.with_name(result.path.name + "-wal").exists()
    with closing(sqlite3.connect(result.path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert _debtor_count(result.path) == 1


def test_create_sees_committed_data_only_while_a_writer_is_busy(rt: Runtime) -> None:
    with rt.engine.connect() as writer:
        writer.execute(text("begin"))
        seed_conn = writer
        seed_conn.execute(debtors.insert().values(
            external_id="D-pending", kind="person", name="未提交", timezone="Asia/Shanghai",
            timezone_source="default", row_hash="h", created_at=rt.clock.now(), updated_at=rt.clock.now()))
        result = backup.create_backup(rt, SYSTEM)
        writer.rollback()
    assert _debtor_count(result.path) == 1


def test_create_refuses_an_existing_file_and_accepts_a_folder(rt: Runtime, tmp_path: Path) -> None:
    taken = tmp_path / "taken.db"
    taken.write_bytes(b"x")
    with pytest.raises(Conflict):
        backup.create_backup(rt, SYSTEM, taken)
    folder = tmp_path / "shelf"
    folder.mkdir()
    assert backup.create_backup(rt, SYSTEM, folder).path == folder / "arrears-20260331-100000.db"


def test_only_administrators_back_up(rt: Runtime) -> None:
    with pytest.raises(Forbidden):
        backup.create_backup(rt, make_user(rt, Role.MANAGER))
    with pytest.raises(Forbidden):
        backup.restore_backup(rt, make_user(rt, Role.MANAGER), Path("x.db"), confirmed=True)


def test_cli_create_prints_path_size_and_checksum(rt: Runtime, tmp_path: Path) -> None:
    target = tmp_path / "nightly.db"
    result = run_cli(rt, "backup", "create", str(target))
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert str(target) in result.output and digest in result.output
    assert f"{target.stat().st_size} bytes" in result.output and "chain intact (3 records)" in result.output
    with rt.engine.connect() as conn:
        head = conn.exec_driver_sql("select seq, hash from audit_log order by seq desc limit 1").one()
    assert f"anchor   {head.seq}:{head.hash}" in result.output
    assert run_cli(rt, "audit", "verify", "--anchor", f"{head.seq}:{head.hash}").exit_code == 0


def test_cli_create_warns_when_the_chain_is_broken(rt: Runtime, tmp_path: Path) -> None:
    tamper(rt, "update audit_log set actor = 'x' where seq = 2")
    result = run_cli(rt, "backup", "create", str(tmp_path / "evidence.db"))
    assert result.exit_code == 1 and "broken at seq 2" in " ".join(result.output.split())
    assert (tmp_path / "evidence.db").exists()  # a faithful copy is kept: it is evidence


def test_restore_brings_back_the_backup_and_keeps_the_current_database(rt: Runtime) -> None:
    saved = backup.create_backup(rt, SYSTEM).path
    seed_debtor(rt, name="李娜")
    append(rt, 2)
    result = run_cli(rt, "backup", "restore", str(saved), "--yes")
    assert result.exit_code == 0, result.output
    database = backup.sqlite_path(rt.settings)
    with rt.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(debtors)).scalar_one() == 1
        assert guard_installed(conn)
    report = audit_service.verify_chain(rt, SYSTEM)
    assert report.intact and report.checked == 3
    kept = database.with_name(database.name + ".before-restore")
    assert kept.exists() and _debtor_count(kept) == 2
    assert f"kept as {kept}" in result.output and "audit chain intact (3 records)" in result.output
    again = backup.restore_backup(rt, SYSTEM, saved, confirmed=True)  # a second restore keeps both copies
    assert again.previous_saved_as is not None and again.previous_saved_as != kept
    assert again.previous_saved_as.name.endswith(".before-restore")


def test_restore_needs_yes(rt: Runtime) -> None:
    saved = backup.create_backup(rt, SYSTEM).path
    seed_debtor(rt, name="李娜")
    result = run_cli(rt, "backup", "restore", str(saved))
    assert result.exit_code == 2 and "--yes" in result.output
    assert _debtor_count(backup.sqlite_path(rt.settings)) == 2
    with pytest.raises(InputRejected, match="--yes"):
        backup.restore_backup(rt, SYSTEM, saved, confirmed=False)


def _refused(rt: Runtime, path: Path, message: str) -> None:
    before = _debtor_count(backup.sqlite_path(rt.settings))
    result = run_cli(rt, "backup", "restore", str(path), "--yes")
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output
    assert _debtor_count(backup.sqlite_path(rt.settings)) == before


def test_restore_refuses_a_file_that_is_not_a_database(rt: Runtime, tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("debtor,amount\n1,2\n", encoding="utf-8")
    _refused(rt, junk, "not an SQLite database")
    _refused(rt, tmp_path / "absent.db", "no such file")


def test_restore_refuses_a_database_that_is_not_arrears(rt: Runtime, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("create table debtors (id integer primary key)")
        conn.commit()
    _refused(rt, other, "not an Arrears database")


def test_restore_refuses_a_newer_schema_revision(rt: Runtime) -> None:
    saved = backup.create_backup(rt, SYSTEM).path
    with closing(sqlite3.connect(saved)) as conn:
        conn.execute("update alembic_version set version_num = '9999'")
        conn.commit()
    _refused(rt, saved, "newer than this code")


def test_restore_refuses_a_corrupt_file(rt: Runtime) -> None:
    saved = backup.create_backup(rt, SYSTEM).path
    data = bytearray(saved.read_bytes())
    page = 4096
    for offset in range(page * 2, min(len(data), page * 6)):  # scribble over b-tree pages, keep the header
        data[offset] = 0xA5
    saved.write_bytes(bytes(data))
    before = _debtor_count(backup.sqlite_path(rt.settings))
    result = run_cli(rt, "backup", "restore", str(saved), "--yes")
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "malformed" in said or "integrity_check" in said, said
    assert _debtor_count(backup.sqlite_path(rt.settings)) == before


def test_restore_refuses_a_broken_chain_unless_accepted(rt: Runtime) -> None:
    tamper(rt, "update audit_log set details = '{}' where seq = 1")
    saved = backup.create_backup(rt, SYSTEM).path
    with pytest.raises(ConfigError, match="broken at seq 1"):
        backup.restore_backup(rt, SYSTEM, saved, confirmed=True)
    done = backup.restore_backup(rt, SYSTEM, saved, confirmed=True, accept_broken_chain=True)
    assert not done.result.chain_intact


def test_restore_upgrades_an_older_schema(rt: Runtime, tmp_path: Path) -> None:
    saved = backup.create_backup(rt, SYSTEM).path
    old = make_engine(Settings(database_url=f"sqlite:///{saved}", var_dir=tmp_path))
    migrate.downgrade(old, "0001")
    old.dispose()
    done = backup.restore_backup(rt, SYSTEM, saved, confirmed=True)
    assert done.upgraded_from == "0001" and done.result.revision == migrate.head_revision()
    with rt.engine.connect() as conn:
        assert guard_installed(conn)


def test_postgres_is_refused_with_a_pointer_to_the_procedure(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("the refusal is about PostgreSQL")
    result = run_cli(runtime, "backup", "create")
    assert result.exit_code == 2
    assert "pg_dump" in result.output and "docs/operations.md" in " ".join(result.output.split())
    restore = run_cli(runtime, "backup", "restore", "x.db", "--yes")
    assert restore.exit_code == 2 and "pg_restore" in restore.output
