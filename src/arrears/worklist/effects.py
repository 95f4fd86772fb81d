"""What a recorded attempt changes, inside the caller's transaction: contact-point hygiene, holds and
declarations from raised flags, the work item's fate, a call-back, the collection note. No commits here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from arrears.compliance.flagdetail import check_detail
from arrears.compliance.language.detector import check_text
from arrears.compliance.language.model import Finding, worst_severity
from arrears.compliance.language.store import collection_notes
from arrears.compliance.model import HoldKind
from arrears.compliance.store import debtor_flags
from arrears.core.access import Principal
from arrears.core.errors import FieldProblem, InputRejected
from arrears.portfolio.store import contact_points
from arrears.users import audit
from arrears.worklist.model import RaisedFlag, WorkStatus
from arrears.worklist.rules import (
    CALL_CHANNEL,
    FAMILY_RELATIONSHIPS,
    FLAG_HOLDS,
    NO_FAMILY_CHANNELS,
    NextWork,
)
from arrears.worklist.store import work_items

MAX_NOTE = 20_000


def save_note(
    conn: Connection, debtor_id: int, text: str, author: str, third_party: bool, now: datetime
) -> tuple[int, list[Finding]]:
    """Language-check a call note and store it with its findings (a note is never refused for its words)."""
    if len(text) > MAX_NOTE:
        raise InputRejected("note refused", [FieldProblem(0, "note", text[:60], f"longer than {MAX_NOTE}")])
    findings = check_text(text, kind="note", third_party=third_party)
    note_id = conn.execute(
        insert(collection_notes)
        .values(
            debtor_id=debtor_id,
            author=author[:120],
            kind="note",
            third_party=third_party,
            text=text,
            findings=[f.as_dict() for f in findings],
            worst_severity=worst_severity(findings),
            created_at=now,
        )
        .returning(collection_notes.c.id)
    ).scalar_one()
    return int(note_id), findings


def set_point_status(conn: Connection, point_id: int, status: str, now: datetime) -> None:
    """Invalid, wrong-party or do-not-contact: the point is never offered again."""
    conn.execute(
        update(contact_points).where(contact_points.c.id == point_id).values(status=status, updated_at=now)
    )


def verify_point(conn: Connection, point_id: int, now: datetime) -> bool:
    """A right-party contact proves an unverified number; True when its status changed."""
    changed = conn.execute(
        update(contact_points)
        .where(
            contact_points.c.id == point_id,
            contact_points.c.status == "unverified",
        )
        .values(status="valid", last_verified_at=now, updated_at=now)
    ).rowcount
    return bool(changed)


def check_flag_details(flags: list[RaisedFlag], details: dict[str, dict[str, Any]]) -> None:
    """Refuse flag details the compliance rules could not read (InputRejected naming the key path)."""
    problems: list[FieldProblem] = []
    for name in details:
        if name not in {f.value for f in flags}:
            problems.append(
                FieldProblem(0, f"flag_details.{name}", name, "detail for a flag that is not raised")
            )
    for flag in flags:
        kind = FLAG_HOLDS.get(flag)
        if kind is None or flag is RaisedFlag.NO_FAMILY_CONTACT:
            continue
        for path, value, why in check_detail(kind, details.get(flag.value, {}), f"flag_details.{flag.value}"):
            problems.append(FieldProblem(0, path, value, why))
    if problems:
        raise InputRejected(f"flag refused: {problems[0].field}: {problems[0].reason}", problems)


def raise_flags(
    conn: Connection,
    principal: Principal,
    debtor_id: int,
    flags: list[RaisedFlag],
    details: dict[str, dict[str, Any]],
    point_id: int | None,
    reason: str,
    now: datetime,
) -> tuple[list[int], list[str]]:
    """Set the holds and declarations the flags ask for (audited); returns hold ids and notes."""
    hold_ids: list[int] = []
    notes: list[str] = []
    for flag in flags:
        kind = FLAG_HOLDS[flag]
        if flag is RaisedFlag.WRONG_NUMBER:
            if point_id is not None:
                set_point_status(conn, point_id, "wrong_party", now)
            continue
        assert kind is not None
        if flag is RaisedFlag.NO_FAMILY_CONTACT:
            family = (
                conn.execute(
                    select(contact_points.c.id).where(
                        contact_points.c.debtor_id == debtor_id,
                        contact_points.c.relationship.in_(sorted(FAMILY_RELATIONSHIPS)),
                    )
                )
                .scalars()
                .all()
            )
            if not family:
                notes.append("no_family_contact: no family contact point on file")
            for fam in family:
                detail = {"channels": list(NO_FAMILY_CHANNELS), "declaration": "no_family_contact"}
                hold_ids.append(_hold(conn, principal, debtor_id, kind, detail, int(fam), reason, now))
            continue
        hold_ids.append(
            _hold(conn, principal, debtor_id, kind, details.get(flag.value, {}), None, reason, now)
        )
    return hold_ids, notes


def _hold(
    conn: Connection,
    principal: Principal,
    debtor_id: int,
    kind: HoldKind,
    detail: dict[str, Any],
    point_id: int | None,
    reason: str,
    now: datetime,
) -> int:
    hold_id = int(
        conn.execute(
            insert(debtor_flags)
            .values(
                debtor_id=debtor_id,
                kind=kind.value,
                contact_point_id=point_id,
                detail=detail,
                set_by=principal.username[:64],
                set_at=now,
                reason=reason,
                created_at=now,
            )
            .returning(debtor_flags.c.id)
        ).scalar_one()
    )
    audit.record(
        conn,
        principal,
        "hold.set",
        "debtor",
        debtor_id,
        {
            "hold_id": hold_id,
            "kind": kind.value,
            "contact_point_id": point_id,
            "reason": reason,
            "via": "attempt",
        },
        now,
    )
    return hold_id


def cancel_call_work(conn: Connection, debtor_id: int, now: datetime, by: str) -> int:
    """A hold stops collection: the debtor's open call work is cancelled."""
    return (
        conn.execute(
            update(work_items)
            .where(
                work_items.c.debtor_id == debtor_id,
                work_items.c.status == WorkStatus.OPEN.value,
                work_items.c.channel == CALL_CHANNEL,
            )
            .values(status=WorkStatus.CANCELLED.value, done_at=now, done_by=by[:64], updated_at=now)
        ).rowcount
        or 0
    )


def settle_item(
    conn: Connection, item_id: int, fate: NextWork, due: datetime | None, now: datetime, by: str
) -> dict[str, Any]:
    """After an attempt: the item is done, retried later, or retried now on another number."""
    values: dict[str, Any] = {
        "attempt_count": work_items.c.attempt_count + 1,
        "last_attempt_at": now,
        "updated_at": now,
    }
    if fate is NextWork.DONE:
        values.update(status=WorkStatus.DONE.value, done_at=now, done_by=by[:64])
    else:
        values.update(due_at=due or now)
        if fate is NextWork.OTHER_POINT:
            values.update(contact_point_id=None)
    conn.execute(update(work_items).where(work_items.c.id == item_id).values(**values))
    status = WorkStatus.DONE.value if fate is NextWork.DONE else WorkStatus.OPEN.value
    return {
        "id": item_id,
        "status": status,
        "next": fate.value,
        "due_at": None if fate is NextWork.DONE else (due or now).isoformat(),
    }
