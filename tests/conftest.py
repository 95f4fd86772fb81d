"""Shared fixtures: settings, a fixed clock, and migrated SQLite and PostgreSQL databases.

PostgreSQL and the browser are optional locally; with ARREARS_REQUIRE_ALL_TIERS=1 (set by `make test`
and CI) a missing one fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from arrears import migrate
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.runtime import Runtime
from arrears.schema import metadata
from arrears.settings import Settings

REQUIRE_ALL = os.environ.get("ARREARS_REQUIRE_ALL_TIERS") == "1"
PG_ADMIN_URL = os.environ.get("ARREARS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def missing(reason: str) -> None:
    """Skip locally, fail when every tier is required."""
    if REQUIRE_ALL:
        pytest.fail(f"required test tier unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at 2026-03-31 10:00 UTC."""
    return FixedClock(datetime(2026, 3, 31, 10, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test process, dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        missing(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}")
    name = f"arrears_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


def _truncate(engine: Engine) -> None:
    from arrears.users.audit_store import guard_suspended  # audit_log refuses DELETE/TRUNCATE otherwise

    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn, guard_suspended(conn):
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"truncate {names} restart identity cascade"))
        else:
            for t in tables:
                conn.execute(text(f'delete from "{t}"'))


@pytest.fixture(scope="session")
def _sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Engine]]:
    var = tmp_path_factory.mktemp("var")
    settings = Settings(database_url="", var_dir=var, environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    yield settings, engine
    engine.dispose()


@pytest.fixture(scope="session")
def _pg_engine(
    pg_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Settings, Engine]]:
    var = tmp_path_factory.mktemp("var")
    settings = Settings(database_url=pg_database_url, var_dir=var, environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    yield settings, engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def runtime(request: pytest.FixtureRequest, clock: FixedClock) -> Iterator[Runtime]:
    """A migrated, empty database on each backend, with the fixed clock."""
    fixture = "_sqlite_engine" if request.param == "sqlite" else "_pg_engine"
    settings, engine = request.getfixturevalue(fixture)
    _truncate(engine)
    yield Runtime(settings=settings, engine=engine, clock=clock)


@pytest.fixture
def sqlite_runtime(_sqlite_engine: tuple[Settings, Engine], clock: FixedClock) -> Runtime:
    """A migrated, empty SQLite database only (for tests where the backend does not matter)."""
    settings, engine = _sqlite_engine
    _truncate(engine)
    return Runtime(settings=settings, engine=engine, clock=clock)
