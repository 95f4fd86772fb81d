"""Strategy tables: treatment versions and the active pointer, experiments and arm assignments, each
account's current treatment, allocation moves, collector absences, and the nightly run's record.

Queries take the service's connection (no transaction begins here). Bulk writes use COPY on PostgreSQL
and executemany on SQLite (`bulk_insert`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.engine import Connection, Row

from arrears.core.tables import Id, UtcDateTime, metadata
from arrears.strategy.model import MoveReason, RunStatus, Step, StepStatus
from arrears.users.store import users


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} in (" + ", ".join(repr(v) for v in values) + ")"


# Every uploaded treatment file, verbatim, with its checksum; never changed after upload except status.
treatment_versions = Table(
    "treatment_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(48), nullable=False),
    Column("version", String(24), nullable=False),
    Column("title", String(200), nullable=False, server_default=""),
    Column("file_name", String(400), nullable=False, server_default=""),
    Column("checksum", String(64), nullable=False),  # SHA-256 of yaml_text
    Column("yaml_text", Text, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("status", String(12), nullable=False, server_default="validated"),  # validated | active | retired
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", UtcDateTime, nullable=False),
    Column("upload_reason", Text, nullable=False, server_default=""),
    Column("activated_by", String(64)),
    Column("activated_at", UtcDateTime),
    UniqueConstraint("name", "version", name="uq_treatment_versions_name_version"),
    CheckConstraint("status in ('validated','active','retired')", name="status"),
)

# The version in force (one row per slot; the only slot today is 'treatments').
strategy_active = Table(
    "strategy_active",
    metadata,
    Column("slot", String(16), primary_key=True),
    Column("version_id", ForeignKey("treatment_versions.id"), nullable=False),
    Column("activated_at", UtcDateTime, nullable=False),
    Column("activated_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
)

# Every activation: who switched from which version to which, when and why.
treatment_activations = Table(
    "treatment_activations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("version_id", ForeignKey("treatment_versions.id"), nullable=False, index=True),
    Column("previous_version_id", ForeignKey("treatment_versions.id")),
    Column("activated_at", UtcDateTime, nullable=False),
    Column("activated_by", String(64), nullable=False),
    Column("reason", Text, nullable=False),
)

# Champion/challenger experiments as the versions in force defined them (reporting lists them by name).
experiments = Table(
    "experiments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(48), nullable=False, unique=True),
    Column("path", String(48), nullable=False),
    Column("arms", JSON, nullable=False),  # [{arm, percent, path}]
    Column("status", String(12), nullable=False, server_default="running"),  # running | ended
    Column("version_id", ForeignKey("treatment_versions.id"), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("status in ('running','ended')", name="status"),
)

# Which arm each account is in, per experiment: decided once from a stable hash, then kept.
arm_assignments = Table(
    "arm_assignments",
    metadata,
    Column(
        "account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    ),
    Column("experiment", String(48), primary_key=True),
    Column("arm", String(32), nullable=False),
    Column("assigned_on", Date, nullable=False),
    Index("ix_arm_assignments_experiment_arm", "experiment", "arm"),
)

# Each treated account's current treatment (replaced by the nightly run; accounts no longer treated leave).
account_treatments = Table(
    "account_treatments",
    metadata,
    Column(
        "account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    ),
    # copies refreshed every night (no foreign keys: a million referential checks a night buys nothing here)
    Column("debtor_id", BigInteger, nullable=False, index=True),
    Column("case_id", BigInteger, index=True),
    Column("path", String(48)),  # null: no path matched
    Column("base_path", String(48)),  # the path before the experiment's split
    Column("version_id", BigInteger),  # treatment_versions.id
    Column("treatment", String(80)),  # "<path>@<version>"
    Column("experiment", String(48)),
    Column("arm", String(32)),
    Column("step", String(16), nullable=False),
    Column("entered_on", Date, nullable=False),  # first work day of the current path and step
    Column("next_action_on", Date),  # the next work day an action falls due (null: none)
    Column("channel", String(16)),  # that action's channel
    Column("last_action_on", Date),  # the latest work day an action fell due
    Column("as_of", Date, nullable=False),  # the nightly run that last changed the row
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(_in("step", [s.value for s in Step]), name="step"),
    Index("ix_account_treatments_next_action", "next_action_on"),
    Index("ix_account_treatments_step", "step"),
)

# Every change of hands of a case: team, collector or agency, why, by whom and when.
allocation_moves = Table(
    "allocation_moves",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True),
    # teams, users and agencies are never deleted (deactivated): plain ids, so a first night's half a million
    # moves do not pay three referential checks each
    Column("from_team_id", BigInteger),
    Column("to_team_id", BigInteger),
    Column("from_collector_id", BigInteger),
    Column("to_collector_id", BigInteger),
    Column("from_agency_id", BigInteger),
    Column("to_agency_id", BigInteger),
    Column("reason", String(16), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("actor", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("as_of", Date),
    Column("batch_key", String(32), index=True),  # one allocation run's moves (applied to cases set-based)
    CheckConstraint(_in("reason", [r.value for r in MoveReason]), name="reason"),
)

# Planned absences beyond users.absent_until (e.g. booked leave): allocation treats both alike.
collector_absences = Table(
    "collector_absences",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("last_day >= first_day", name="days"),
)

# The nightly run: one row per invocation, and one row per (date, step) that a restart resumes from.
batch_runs = Table(
    "batch_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False, index=True),
    Column("status", String(12), nullable=False),
    Column("steps", JSON, nullable=False),  # the steps asked for
    Column("forced", Boolean, nullable=False, server_default="0"),
    Column("requested_by", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("seconds", Float),
    Column("summary", JSON, nullable=False),  # step -> {status, counts, seconds, error}
    Column("error", Text),
    CheckConstraint(_in("status", [s.value for s in RunStatus]), name="status"),
)

batch_steps = Table(
    "batch_steps",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("as_of", Date, nullable=False),
    Column("step", String(24), nullable=False),
    Column("status", String(12), nullable=False),
    Column("run_id", ForeignKey("batch_runs.id", ondelete="SET NULL")),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("seconds", Float),
    Column("counts", JSON, nullable=False),
    Column("error", Text),
    UniqueConstraint("as_of", "step", name="uq_batch_steps_as_of_step"),
    CheckConstraint(_in("status", [s.value for s in StepStatus]), name="status"),
)


# --- bulk writes -----------------------------------------------------------------------------------------


def bulk_insert(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]], chunk: int = 20_000
) -> int:
    """Insert many rows in the caller's transaction: COPY on PostgreSQL, executemany on SQLite."""
    count = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        names = ", ".join(columns)
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    batch: list[dict[str, Any]] = []
    insert = table.insert()
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= chunk:
            conn.execute(insert, batch)
            count += len(batch)
            batch = []
    if batch:
        conn.execute(insert, batch)
        count += len(batch)
    return count


def analyze(conn: Connection, tables: Sequence[str]) -> None:
    """Refresh PostgreSQL's statistics of tables an earlier step just rewrote (aging moves a million rows
    out of 'current'; plans made on the old figures pick nested loops over them). SQLite: nothing."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE " + ", ".join(tables))


# --- reads -----------------------------------------------------------------------------------------------


def active_version_row(conn: Connection) -> Row[Any] | None:
    """The treatment version in force with its activation, or None before the first activation."""
    v, a = treatment_versions, strategy_active
    return conn.execute(
        select(
            v,
            a.c.activated_at.label("in_force_since"),
            a.c.activated_by.label("in_force_by"),
            a.c.reason.label("in_force_reason"),
        )
        .join(a, a.c.version_id == v.c.id)
        .where(a.c.slot == "treatments")
    ).first()


def version_row(conn: Connection, version_id: int) -> Row[Any] | None:
    """One stored version by id."""
    return conn.execute(select(treatment_versions).where(treatment_versions.c.id == version_id)).first()


def version_by_name(conn: Connection, name: str, version: str) -> Row[Any] | None:
    """One stored version by its name and version."""
    v = treatment_versions
    return conn.execute(select(v).where(v.c.name == name, v.c.version == version)).first()


def version_rows(conn: Connection, limit: int = 200) -> list[Row[Any]]:
    """Stored versions, newest first (without their text)."""
    v = treatment_versions
    cols = [c for c in v.c if c.name != "yaml_text"]
    return list(conn.execute(select(*cols).order_by(v.c.uploaded_at.desc(), v.c.id.desc()).limit(limit)))


def activation_rows(conn: Connection, limit: int = 50) -> list[Row[Any]]:
    """Activations, newest first, with the version names."""
    t, v = treatment_activations, treatment_versions
    return list(
        conn.execute(
            select(t, v.c.name, v.c.version)
            .join(v, v.c.id == t.c.version_id)
            .order_by(t.c.activated_at.desc(), t.c.id.desc())
            .limit(limit)
        )
    )


def experiment_rows(conn: Connection) -> list[Row[Any]]:
    """Every experiment, running first."""
    e = experiments
    return list(conn.execute(select(e).order_by(e.c.status.desc(), e.c.name)))


def arm_counts(conn: Connection) -> dict[tuple[str, str], int]:
    """Accounts per (experiment, arm)."""
    a = arm_assignments
    rows = conn.execute(select(a.c.experiment, a.c.arm, func.count()).group_by(a.c.experiment, a.c.arm))
    return {(str(e), str(arm)): int(n) for e, arm, n in rows}


def step_row(conn: Connection, as_of: date, step: str) -> Row[Any] | None:
    """A nightly step's record for a date."""
    s = batch_steps
    return conn.execute(select(s).where(s.c.as_of == as_of, s.c.step == step)).first()


def step_rows(conn: Connection, as_of: date) -> list[Row[Any]]:
    """The step records of a date."""
    s = batch_steps
    return list(conn.execute(select(s).where(s.c.as_of == as_of).order_by(s.c.started_at, s.c.id)))


def run_rows(conn: Connection, limit: int = 50) -> list[Row[Any]]:
    """Nightly runs, newest first."""
    r = batch_runs
    return list(conn.execute(select(r).order_by(r.c.started_at.desc(), r.c.id.desc()).limit(limit)))


def run_row(conn: Connection, run_id: int) -> Row[Any] | None:
    """One nightly run."""
    return conn.execute(select(batch_runs).where(batch_runs.c.id == run_id)).first()


def record_step(
    conn: Connection,
    as_of: date,
    step: str,
    run_id: int | None,
    status: StepStatus,
    now: datetime,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    seconds: float | None = None,
) -> None:
    """Create or update a step's record for a date (running: a new attempt starts)."""
    s = batch_steps
    existing = step_row(conn, as_of, step)
    values: dict[str, Any] = {
        "status": status.value,
        "run_id": run_id,
        "counts": counts or {},
        "error": error,
    }
    if status is StepStatus.RUNNING:
        values.update(started_at=now, finished_at=None, seconds=None)
    else:
        values.update(finished_at=now, seconds=seconds)
    if existing is None:
        values.setdefault("started_at", now)
        conn.execute(s.insert().values(as_of=as_of, step=step, attempts=1, **values))
    else:
        if status is StepStatus.RUNNING:
            values["attempts"] = int(existing.attempts) + 1
        conn.execute(s.update().where(s.c.id == existing.id).values(**values))


def moves_for_case(conn: Connection, case_id: int, limit: int = 100) -> list[Row[Any]]:
    """A case's moves, newest first."""
    m = allocation_moves
    return list(
        conn.execute(
            select(m).where(m.c.case_id == case_id).order_by(m.c.at.desc(), m.c.id.desc()).limit(limit)
        )
    )


def absence_days(conn: Connection, on: date) -> dict[int, date]:
    """Collectors away on a day (users.absent_until or a booked absence): user id -> last day away."""
    out: dict[int, date] = {}
    for uid, until in conn.execute(
        select(users.c.id, users.c.absent_until).where(
            users.c.absent_until.is_not(None), users.c.absent_until >= on
        )
    ):
        out[int(uid)] = until
    a = collector_absences
    for uid, last in conn.execute(
        select(a.c.user_id, func.max(a.c.last_day))
        .where(a.c.first_day <= on, a.c.last_day >= on)
        .group_by(a.c.user_id)
    ):
        out[int(uid)] = max(last, out.get(int(uid), last))
    return out
