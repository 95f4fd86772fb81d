"""Alembic environment: runs migrations on the connection the caller hands in, or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from arrears.schema import metadata

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from arrears.settings import Settings

    url = config.get_main_option("sqlalchemy.url") or Settings().effective_database_url
    engine = create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
