"""Scoring tables: the latest score per account and the stored, versioned models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Float,
    Index,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection, Row

from arrears.compliance.store import contact_attempts
from arrears.core.tables import Id, UtcDateTime, metadata

# The latest propensity-to-pay score of each active account, rewritten by every scoring run (a million
# rows a night by COPY): deliberately no foreign key and no secondary index, whose per-row checks would
# cost more than the scoring itself; a deleted account's score goes at the next run, which replaces every
# account-id range whole. Read it joined to accounts.
account_scores = Table(
    "account_scores",
    metadata,
    Column("account_id", Id, primary_key=True, autoincrement=False),
    Column("probability", Float, nullable=False),  # chance of a payment within 30 days: not money
    Column("band", String(1), nullable=False),  # A (most likely to pay) .. E
    Column("reasons", JSON, nullable=False),  # reason codes, strongest first
    Column("model_version", String(40), nullable=False),  # "model-<n>" or "scorecard-<name>-<version>"
    Column("scored_on", Date, nullable=False),
    CheckConstraint("probability >= 0 and probability <= 1", name="probability"),
    CheckConstraint("band in ('A','B','C','D','E')", name="band"),
)

# Trained models. The payload is a pickle of our own training output, verified by SHA-256 on load:
# the database is trusted (whoever can write it can already change every balance), the checksum only
# catches corruption and partial writes. Never load a payload that came from elsewhere.
model_versions = Table(
    "model_versions",
    metadata,
    Column("version", Id, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),  # hist_gradient_boosting | logistic
    Column("status", String(12), nullable=False, server_default="trained"),  # trained | active | retired
    Column("trained_at", UtcDateTime, nullable=False),
    Column("trained_by", String(64), nullable=False),
    Column("as_of", Date, nullable=False),  # the last snapshot date of the training history
    Column("params", JSON, nullable=False),
    Column("metrics", JSON, nullable=False),  # auc, ks, brier, reliability table, counts
    Column("features", JSON, nullable=False),  # the ordered feature list
    Column("payload", LargeBinary, nullable=False),
    Column("checksum", String(64), nullable=False),  # sha256 of payload
    Column("activated_at", UtcDateTime),
    Column("activated_by", String(64)),
    CheckConstraint("status in ('trained','active','retired')", name="status"),
)
# At most one active model.
Index("uq_model_versions_one_active", model_versions.c.status, unique=True,
      sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'"))


# --- queries ---------------------------------------------------------------------------------------------

def active_model_row(conn: Connection) -> Row[Any] | None:
    """The active model's row (with its payload), if any."""
    return conn.execute(select(model_versions).where(model_versions.c.status == "active")).first()


def model_row(conn: Connection, version: int) -> Row[Any] | None:
    """One model version's row."""
    return conn.execute(select(model_versions).where(model_versions.c.version == version)).first()


def model_rows(conn: Connection) -> list[Row[Any]]:
    """Every model version, newest first, without payloads."""
    cols = [c for c in model_versions.c if c.name != "payload"]
    return list(conn.execute(select(*cols).order_by(model_versions.c.version.desc())))


def set_active(conn: Connection, version: int | None, now: datetime, actor: str) -> None:
    """Make one version the active model (None: no model, the scorecard); the previous one is retired."""
    conn.execute(update(model_versions).where(model_versions.c.status == "active").values(status="retired"))
    if version is not None:
        conn.execute(update(model_versions).where(model_versions.c.version == version)
                     .values(status="active", activated_at=now, activated_by=actor))


@dataclass(frozen=True, slots=True)
class ScoreRows:
    """One range's scores, column-wise (reasons already as JSON text)."""

    account_id: Any  # numpy int64
    probability: Any  # numpy float64
    band: Any  # numpy str
    reasons: Any  # numpy object (str)
    model_version: str
    scored_on: date


def replace_scores(conn: Connection, lo: int, hi: int, rows: ScoreRows) -> None:
    """Replace the scores of accounts lo..hi by these rows (COPY on PostgreSQL)."""
    conn.execute(delete(account_scores).where(account_scores.c.account_id.between(lo, hi)))
    if len(rows.account_id) == 0:
        return
    if conn.dialect.name == "postgresql":
        # our own values only: ids, numbers, band letters, JSON of fixed reason codes (no tab or backslash)
        tail = f"\t{rows.model_version}\t{rows.scored_on.isoformat()}\n"
        block = "".join(f"{a}\t{p!r}\t{b}\t{r}{tail}" for a, p, b, r in zip(
            rows.account_id.tolist(), rows.probability.tolist(), rows.band.tolist(), rows.reasons.tolist(),
            strict=True))
        raw = conn.connection.driver_connection
        names = ", ".join(c.name for c in account_scores.columns)
        with raw.cursor() as cur, cur.copy(f"COPY account_scores ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            copy.write(block)
        return
    conn.execute(insert(account_scores), [
        {"account_id": a, "probability": p, "band": b, "reasons": json.loads(r),
         "model_version": rows.model_version, "scored_on": rows.scored_on}
        for a, p, b, r in zip(rows.account_id.tolist(), rows.probability.tolist(), rows.band.tolist(),
                              rows.reasons.tolist(), strict=True)])


# The incremental refreshes (contactability, best time) look for the attempts recorded since their last
# run and those leaving their windows: these two indexes on the compliance package's contact history
# let them do so without reading the whole history every night.
Index("ix_contact_attempts_created_at", contact_attempts.c.created_at)
Index("ix_contact_attempts_started_at", contact_attempts.c.started_at)

# Watermarks of the incremental nightly refreshes (contactability, best time): what was counted up to when.
refresh_marks = Table(
    "refresh_marks",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("detail", JSON, nullable=False),
)


def get_mark(conn: Connection, name: str) -> tuple[datetime, dict[str, Any]] | None:
    """A refresh's watermark and the parameters it was taken with, if it ran before."""
    row = conn.execute(select(refresh_marks.c.at, refresh_marks.c.detail)
                       .where(refresh_marks.c.name == name)).first()
    return None if row is None else (row.at, dict(row.detail or {}))


def set_mark(conn: Connection, name: str, at: datetime, detail: dict[str, Any]) -> None:
    """Record a refresh's watermark."""
    conn.execute(delete(refresh_marks).where(refresh_marks.c.name == name))
    conn.execute(insert(refresh_marks).values(name=name, at=at, detail=detail))


@contextmanager
def batch_settings(conn: Connection, work_mem: str = "128MB") -> Iterator[None]:
    """On PostgreSQL, for one batch step: room to sort and hash in memory, no JIT; restored afterwards."""
    if conn.dialect.name != "postgresql":
        yield
        return
    old = conn.execute(text("select current_setting('work_mem'), current_setting('jit')")).one()
    conn.execute(text("select set_config('work_mem', :m, true), set_config('jit', 'off', true)"),
                 {"m": work_mem})
    try:
        yield
    finally:
        conn.execute(text("select set_config('work_mem', :m, true), set_config('jit', :j, true)"),
                     {"m": old[0], "j": old[1]})
