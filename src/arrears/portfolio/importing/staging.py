"""Bulk database access for imports: COPY on PostgreSQL, executemany on SQLite, behind one interface.

- `insert` appends rows to a table (COPY ... FROM STDIN in CSV format on PostgreSQL);
- `create`/`load`/`clear` manage TEMP staging tables for set-based UPDATE ... FROM and upserts;
- `existing` looks keys up in one round trip; `allocate` reserves primary keys for rows about to be
  inserted, so children can reference parents without joins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

# Portable column types: (PostgreSQL, SQLite).
TYPES = {
    "text": ("text", "TEXT"),
    "int": ("integer", "INTEGER"),
    "big": ("bigint", "INTEGER"),
    "date": ("date", "TEXT"),
}


class Staging:
    """Bulk operations on one connection, inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self._columns: dict[str, tuple[str, ...]] = {}
        self._next_id: dict[str, int] = {}
        self._sequences: dict[str, str] = {}

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append rows (tuples in `columns` order) to a table."""
        if not rows:
            return
        if self.postgres:
            cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                # text COPY, each row formatted by the driver (in C): no CSV text built in Python
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    write = copy.write_row
                    for row in rows:
                        write(row)
            finally:
                cursor.close()
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608  (our names)
            self.conn.exec_driver_sql(sql, [tuple(r) for r in rows])

    def allocate(self, table: str, count: int) -> list[int]:
        """Reserve `count` new primary keys of `table` (a sequence on PostgreSQL; on SQLite the import's
        transaction holds the write lock, so counting on from max(id) is safe)."""
        if count <= 0:
            return []
        if self.postgres:
            seq = self._sequences.get(table)
            if seq is None:
                seq = self.conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}
                ).scalar_one()
                self._sequences[table] = seq
            ids = self.conn.execute(  # one array, not a row per id
                text("SELECT array_agg(nextval(CAST(:s AS regclass))) FROM generate_series(1, :n)"),
                {"s": seq, "n": count},
            ).scalar_one()
            return list(ids)
        start = self._next_id.get(table)
        if start is None:
            start = (self.conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0) + 1  # noqa: S608
        self._next_id[table] = start + count
        return list(range(start, start + count))

    def create(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create (or recreate empty) a TEMP table with (column, portable type) pairs."""
        pick = 0 if self.postgres else 1
        cols = ", ".join(f"{c} {TYPES[t][pick]}" for c, t in columns)
        self.drop(name)
        self.conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols})")
        self._columns[name] = tuple(c for c, _ in columns)

    def load(self, name: str, rows: Sequence[Sequence[Any]]) -> None:
        """Append rows to a staging table (and refresh its statistics on PostgreSQL)."""
        self.insert(name if self.postgres else f"temp.{name}", self._columns[name], rows)
        if self.postgres and rows:
            self.conn.exec_driver_sql(f"ANALYZE {name}")

    def clear(self, name: str) -> None:
        """Empty a staging table for the next batch."""
        sql = f"TRUNCATE {name}" if self.postgres else f"DELETE FROM temp.{name}"  # noqa: S608
        self.conn.exec_driver_sql(sql)

    def drop(self, name: str) -> None:
        """Remove a staging table."""
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {'' if self.postgres else 'temp.'}{name}")

    def existing(
        self, table: str, key: str, values: str, keys: Sequence[Any], where: str = ""
    ) -> dict[Any, tuple[Any, ...]]:
        """Map each of `keys` found in table.key to its `values` columns (one round trip)."""
        if not keys:
            return {}
        extra = f" AND {where}" if where else ""
        # the keys travel as one JSON text (much cheaper to send than a driver-built array of 10,000)
        if self.postgres:
            cast = "bigint" if isinstance(keys[0], int) else "text"
            listed = f"SELECT CAST(value AS {cast}) FROM jsonb_array_elements_text(CAST(:keys AS jsonb))"  # noqa: S608
        else:
            listed = "SELECT value FROM json_each(:keys)"
        sql = text(f"SELECT {key}, {values} FROM {table} WHERE {key} IN ({listed}){extra}")  # noqa: S608
        cursor = self.conn.execute(sql, {"keys": json.dumps(list(keys), ensure_ascii=False)})
        return {row[0]: tuple(row[1:]) for row in cursor}
