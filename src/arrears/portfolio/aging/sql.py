"""Dialect helpers for the aging run's bulk paths: raw-cursor reads, COPY/executemany loads, day numbers.

The hot reads go straight to the DBAPI cursor (compiled from Core statements once per dialect), so no
per-row Row object or type processor is built; dates then arrive as `date` from psycopg and as ISO text
from sqlite3, and `date_reader()` says which. Staged dates travel as day numbers (`date.toordinal()`)
and `from_day_number()` turns them back into DATEs inside the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import IO, Any

from sqlalchemy import Date, Table, func, insert, literal, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class from_day_number(FunctionElement[date]):  # noqa: N801  (reads like the SQL function it renders)
    """SQL expression: a proleptic ordinal (0001-01-01 is 1, as date.toordinal()) as a DATE."""

    type = Date()
    inherit_cache = True
    name = "from_day_number"


@compiles(from_day_number)
def _from_day_number_pg(element: from_day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(DATE '0001-01-01' + CAST({compiler.process(element.clauses, **kw)} - 1 AS INTEGER))"


@compiles(from_day_number, "sqlite")
def _from_day_number_sqlite(element: from_day_number, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)} + 1721424.5)"


def date_reader(conn: Connection) -> Callable[[Any], date]:
    """How to turn a raw DATE value of this connection's driver into a date."""
    if conn.dialect.name == "sqlite":
        return date.fromisoformat
    return _same


def _same(value: Any) -> Any:
    return value


_COMPILED: dict[tuple[Select[Any], str], Any] = {}


def fetch_all(conn: Connection, stmt: Select[Any], params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Run a (module-level, reused) Core SELECT on the raw DBAPI cursor; plain tuples, no Row objects."""
    key = (stmt, conn.dialect.name)
    compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = _COMPILED[key] = stmt.compile(dialect=conn.dialect)
    values = compiled.construct_params(params)
    args: Any
    if compiled.positiontup is not None:  # qmark (sqlite): positional, dates as ISO text
        args = [_sqlite_param(values[name]) for name in compiled.positiontup]
    else:
        args = values
    cursor = conn.connection.cursor()
    try:
        cursor.execute(compiled.string, args)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _sqlite_param(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def bulk_load(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Append rows (tuples in column order) fast: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    names = [c.name for c in table.columns]
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(str(insert(table).compile(dialect=conn.dialect)), list(rows))


def copy_text(conn: Connection, table: Table, columns: Sequence[str], source: IO[bytes]) -> None:
    """COPY a file of rows in PostgreSQL's text format (from its start) into `table`'s `columns`.

    A constraint violation surfaces as SQLAlchemy's IntegrityError, as it would from a statement.
    """
    import psycopg
    from psycopg import sql

    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    source.seek(0)
    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            while block := source.read(1 << 20):
                copy.write(block)
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc


BULK_MIN_ROWS = 50_000  # below this, per-row foreign-key checks cost too little to bother
_LOCK_WAIT = "5s"  # how long checked_once waits for its table locks before checking row by row


@contextmanager
def checked_once(conn: Connection, table: Table, rows: int) -> Iterator[None]:
    """Around inserting `rows` new rows into `table`: on PostgreSQL, when they outnumber the rows already
    there (a first run), drop the table's foreign keys and add them back afterwards.

    Adding a foreign key validates every row with one join, instead of a trigger per inserted row
    looking its parent up (about half the cost of such an insert). All of it is one transaction, so
    nothing is ever left unchecked, and a failing check rolls the run back. The cost is a brief
    exclusive lock on the table and the tables it references, until commit; when that lock is not
    granted within a few seconds (busy tables), the rows are simply checked one by one.
    """
    if conn.dialect.name != "postgresql" or rows < BULK_MIN_ROWS or _holds_at_least(conn, table, rows):
        yield
        return
    keys = conn.execute(
        text("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
             "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"),
        {"t": table.name},
    ).all()
    if not keys:
        yield
        return
    quoted = conn.dialect.identifier_preparer.quote
    savepoint = conn.begin_nested()
    try:
        waited = conn.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
        conn.execute(text("SELECT set_config('lock_timeout', :w, true)"), {"w": _LOCK_WAIT})
        for name, _ in keys:
            conn.exec_driver_sql(f"ALTER TABLE {quoted(table.name)} DROP CONSTRAINT {quoted(name)}")
        conn.execute(text("SELECT set_config('lock_timeout', :w, true)"), {"w": waited})
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) not in ("55P03", "40P01"):  # lock not available, deadlock
            raise
        savepoint.rollback()  # also undoes the lock_timeout change
        yield
        return
    yield
    for name, definition in keys:
        conn.exec_driver_sql(f"ALTER TABLE {quoted(table.name)} ADD CONSTRAINT {quoted(name)} {definition}")
    savepoint.commit()


def _holds_at_least(conn: Connection, table: Table, rows: int) -> bool:
    """Whether `table` has at least `rows` rows (counts no further than that)."""
    limited = select(literal(1)).select_from(table).limit(rows).subquery()
    return int(conn.execute(select(func.count()).select_from(limited)).scalar_one()) >= rows
