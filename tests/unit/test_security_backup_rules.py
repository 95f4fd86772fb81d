"""Backup rules without a database (files, paths, PostgreSQL refused); the frozen guard SQL matches."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest

from arrears.core.clock import FixedClock
from arrears.core.errors import ConfigError, NotFound
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.users import audit_store, backup
from arrears.users.backup_cli import _size

VERSIONS = Path(backup.__file__).resolve().parents[1] / "migrations" / "versions"
MIGRATION = VERSIONS / "0002_audit_append_only.py"


def test_the_sqlite_path_of_the_settings(tmp_path: Path) -> None:
    assert backup.sqlite_path(Settings(database_url="", var_dir=tmp_path)) == tmp_path / "arrears.db"
    assert backup.sqlite_path(Settings(database_url="sqlite:////srv/a.db")) == Path("/srv/a.db")
    assert backup.sqlite_path(Settings(database_url="sqlite:///rel/b.db?timeout=5")) == Path("rel/b.db")


@pytest.mark.parametrize("url", ["postgresql://u@h:5432/arrears", "postgresql+psycopg://u@h/arrears"])
def test_postgres_is_refused_with_the_procedure(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        backup.sqlite_path(Settings(database_url=url))
    assert "pg_dump -Fc" in str(caught.value) and "docs/operations.md" in str(caught.value)


def test_an_in_memory_database_is_refused() -> None:
    with pytest.raises(ConfigError, match="in-memory"):
        backup.sqlite_path(Settings(database_url="sqlite:///:memory:"))


def test_the_default_target_is_named_after_the_clock(tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    settings = Settings(database_url="", var_dir=tmp_path)
    rt = Runtime(settings=settings, engine=create_engine("sqlite://"),
                 clock=FixedClock(datetime(2026, 3, 31, 10, 4, 5, tzinfo=UTC)))
    assert backup.default_target(rt) == tmp_path / "backups" / "arrears-20260331-100405.db"


def test_files_that_are_not_sqlite_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "x.db"
    text.write_text("SQLite format 2 but not really", encoding="utf-8")
    with pytest.raises(ConfigError, match="not an SQLite database"):
        backup.check_file(text)
    with pytest.raises(NotFound):
        backup.check_file(tmp_path / "missing.db")
    with pytest.raises(NotFound):
        backup.check_file(tmp_path)  # a folder is not a backup


def test_sizes_read_well() -> None:
    assert _size(900) == "900 B"
    assert _size(2048) == "2.0 KiB"
    assert _size(5 * 1024 * 1024) == "5.0 MiB"
    assert _size(3 * 1024**4) == "3072.0 GiB"


def _migration() -> object:
    spec = importlib.util.spec_from_file_location("migration_0002", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0002_installs_the_same_guard_as_the_code() -> None:
    m = _migration()
    assert m.revision == "0002" and m.down_revision == "0001"  # type: ignore[attr-defined]
    assert tuple(m.SQLITE_UP) == audit_store.SQLITE_GUARD  # type: ignore[attr-defined]
    assert tuple(m.SQLITE_DOWN) == audit_store.SQLITE_UNGUARD  # type: ignore[attr-defined]
    assert set(audit_store.POSTGRES_GUARD) <= set(m.POSTGRES_UP)  # type: ignore[attr-defined]
    assert tuple(m.POSTGRES_DOWN) == audit_store.POSTGRES_UNGUARD  # type: ignore[attr-defined]


def test_the_guard_refuses_update_delete_and_truncate() -> None:
    pg = " ".join(audit_store.POSTGRES_GUARD)
    assert "BEFORE UPDATE OR DELETE ON audit_log" in pg and "BEFORE TRUNCATE ON audit_log" in pg
    lite = " ".join(audit_store.SQLITE_GUARD)
    assert "BEFORE UPDATE ON audit_log" in lite and "BEFORE DELETE ON audit_log" in lite
    assert "RAISE(ABORT" in lite
    # no '%' or ':' placeholders that a DDL or text() construct could misread
    assert all("%" not in s and ":" not in s.replace("::", "") for s in audit_store.SQLITE_GUARD)
