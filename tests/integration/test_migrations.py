"""Alembic migrations run on SQLite and PostgreSQL and produce exactly the tables the code declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from arrears import migrate
from arrears.runtime import Runtime
from arrears.schema import metadata


def test_schema_is_at_head_and_matches_the_code(runtime: Runtime) -> None:
    assert migrate.current_revision(runtime.engine) == migrate.head_revision()
    with runtime.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == [], f"migrations and store.py tables disagree: {diff}"


def test_sqlite_upgrade_downgrade_upgrade_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine)
    assert "accounts" in inspect(engine).get_table_names()
    migrate.downgrade(engine, "base")
    assert "accounts" not in inspect(engine).get_table_names()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_postgres_round_trip_in_its_own_schema(pg_database_url: str) -> None:
    engine = create_engine(pg_database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("drop schema if exists roundtrip cascade; create schema roundtrip")
    scoped = create_engine(pg_database_url, connect_args={"options": "-csearch_path=roundtrip"})
    migrate.upgrade(scoped)
    assert "accounts" in inspect(scoped).get_table_names(schema="roundtrip")
    migrate.downgrade(scoped, "base")
    assert "accounts" not in inspect(scoped).get_table_names(schema="roundtrip")
    migrate.upgrade(scoped)
    assert migrate.current_revision(scoped) == migrate.head_revision()
    scoped.dispose()
    with engine.begin() as conn:
        conn.exec_driver_sql("drop schema roundtrip cascade")
    engine.dispose()
