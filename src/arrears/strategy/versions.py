"""Treatment versions in the caller's transaction: store an upload, activate it, read the one in force.

Uploading keeps the file's exact text and checksum; activating moves the pointer, records who, when and
why (treatment_activations and the audit trail) and brings the experiments table in line. Nothing here
begins a transaction: the service (or the nightly run) owns it, so a refused file writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from arrears.core.access import SYSTEM, Principal
from arrears.core.errors import Conflict, NotFound
from arrears.strategy import store as st
from arrears.strategy.model import Strategy
from arrears.strategy.treatments import DEFAULT_FILE, checksum, parse
from arrears.users import audit


@dataclass(frozen=True, slots=True)
class InForce:
    """The strategy in force and its stored version id."""

    strategy: Strategy
    version_id: int


@lru_cache(maxsize=16)
def _parsed(text_sum: str, text: str, file: str, buckets: tuple[str, ...]) -> Strategy:
    return parse(text, file, buckets, check_policy=False)


def parse_stored(row: Any, buckets: Sequence[str]) -> Strategy:
    """A stored version's strategy (validated when uploaded; parsed again, cached by checksum)."""
    return _parsed(row.checksum, row.yaml_text, row.file_name or f"version {row.id}", tuple(buckets))


def store_upload(
    conn: Connection,
    principal: Principal,
    text: str,
    file_name: str,
    reason: str,
    buckets: Sequence[str],
    now: datetime,
) -> tuple[int, Strategy, bool]:
    """Validate and store a file (idempotent by content); (version id, strategy, newly stored)."""
    strategy = parse(text, file_name, buckets)
    digest = checksum(text)
    existing = st.version_by_name(conn, strategy.name, strategy.version)
    if existing is not None:
        if existing.checksum != digest:
            raise Conflict(
                f"treatment {strategy.label} is already stored with different content "
                f"(version {existing.id}); give the changed file a new version"
            )
        return int(existing.id), strategy, False
    new_id = conn.execute(
        st.treatment_versions.insert()
        .values(
            name=strategy.name,
            version=strategy.version,
            title=strategy.title[:200],
            file_name=file_name[:400],
            checksum=digest,
            yaml_text=text,
            warnings=list(strategy.warnings),
            status="validated",
            uploaded_by=principal.username,
            uploaded_at=now,
            upload_reason=reason,
        )
        .returning(st.treatment_versions.c.id)
    ).scalar_one()
    audit.record(
        conn,
        principal,
        "treatment.upload",
        "treatment_version",
        new_id,
        {
            "name": strategy.name,
            "version": strategy.version,
            "checksum": digest,
            "file": file_name,
            "reason": reason,
            "warnings": len(strategy.warnings),
        },
        now,
    )
    return int(new_id), strategy, True


def activate(
    conn: Connection,
    principal: Principal,
    version_id: int,
    reason: str,
    buckets: Sequence[str],
    now: datetime,
    today: date,
) -> Strategy:
    """Put a stored version in force (re-validated against today's policy first); experiments follow it."""
    row = st.version_row(conn, version_id)
    if row is None:
        raise NotFound(f"treatment version {version_id} not found")
    strategy = parse(
        row.yaml_text, row.file_name or f"version {version_id}", buckets
    )  # policy may have changed
    current = st.active_version_row(conn)
    previous = int(current.id) if current is not None else None
    v = st.treatment_versions
    if previous is not None and previous != version_id:
        conn.execute(v.update().where(v.c.id == previous).values(status="retired"))
    conn.execute(
        v.update()
        .where(v.c.id == version_id)
        .values(
            status="active",
            activated_by=principal.username,
            activated_at=now,
            warnings=list(strategy.warnings),
        )
    )
    pointer = {
        "version_id": version_id,
        "activated_at": now,
        "activated_by": principal.username,
        "reason": reason,
    }
    if current is None:
        conn.execute(st.strategy_active.insert().values(slot="treatments", **pointer))
    else:
        conn.execute(
            st.strategy_active.update().where(st.strategy_active.c.slot == "treatments").values(**pointer)
        )
    conn.execute(
        st.treatment_activations.insert().values(
            version_id=version_id,
            previous_version_id=previous,
            activated_at=now,
            activated_by=principal.username,
            reason=reason,
        )
    )
    _sync_experiments(conn, strategy, version_id, now, today)
    audit.record(
        conn,
        principal,
        "treatment.activate",
        "treatment_version",
        version_id,
        {
            "name": strategy.name,
            "version": strategy.version,
            "previous_version_id": previous,
            "reason": reason,
            "experiments": [e.name for e in strategy.experiments],
        },
        now,
    )
    return strategy


def _sync_experiments(
    conn: Connection, strategy: Strategy, version_id: int, now: datetime, today: date
) -> None:
    e = st.experiments
    existing = {r.name: r for r in conn.execute(select(e))}
    live = {x.name for x in strategy.experiments}
    for x in strategy.experiments:
        arms = [{"arm": a.name, "percent": a.percent, "path": a.path} for a in x.arms]
        if x.name in existing:
            conn.execute(
                e.update()
                .where(e.c.name == x.name)
                .values(
                    path=x.path,
                    arms=arms,
                    status="running",
                    version_id=version_id,
                    ended_on=None,
                    updated_at=now,
                )
            )
        else:
            conn.execute(
                e.insert().values(
                    name=x.name,
                    path=x.path,
                    arms=arms,
                    status="running",
                    version_id=version_id,
                    started_on=today,
                    updated_at=now,
                )
            )
        names = [a.name for a in x.arms]
        conn.execute(
            st.arm_assignments.delete().where(  # an arm that no longer exists: its accounts re-draw
                st.arm_assignments.c.experiment == x.name, st.arm_assignments.c.arm.not_in(names)
            )
        )
    for name, row in existing.items():
        if name not in live and row.status == "running":
            conn.execute(
                e.update().where(e.c.name == name).values(status="ended", ended_on=today, updated_at=now)
            )


def in_force(conn: Connection, buckets: Sequence[str], now: datetime, today: date) -> InForce:
    """The strategy in force; on first use the packaged default is activated (as the system, recorded)."""
    row = st.active_version_row(conn)
    if row is None:
        text = DEFAULT_FILE.read_text(encoding="utf-8")
        version_id, _, _ = store_upload(
            conn, SYSTEM, text, DEFAULT_FILE.name, "packaged default strategy", buckets, now
        )
        strategy = activate(
            conn, SYSTEM, version_id, "no strategy was active: the packaged default", buckets, now, today
        )
        return InForce(strategy, version_id)
    return InForce(parse_stored(row, buckets), int(row.id))
