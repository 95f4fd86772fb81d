"""A dialer's CSV report of calls made outside Arrears: parsing (plain Python; every problem named by row
and field) and the import use case (one transaction: the whole file or nothing).

Columns (header names in English or Chinese, any order; extra columns are ignored):
    call_id (呼叫ID)      the dialer's id of the call: re-importing the same file adds nothing
    debtor (客户编号)      the debtor's external id
    phone (号码)           the number dialled (normalised to E.164, matched to the debtor's contact points)
    started_at (开始时间)  ISO 8601 with an offset, e.g. 2026-03-31T21:30:00+08:00
    ended_at (结束时间)    optional, same format
    outcome (结果)         one of the work queue's outcomes (no_answer, busy, voicemail, invalid_number,
                          wrong_party, third_party_reached, right_party_reached, ...) or a common synonym
    agent (坐席)           optional: the collector's username
    note (备注)            optional: language-checked and kept with the attempt
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import FieldProblem, InputRejected
from arrears.portfolio.importing.values import parse_phone
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from arrears.worklist.model import AttemptReport, AttemptSource, CallOutcome

COLUMNS: dict[str, tuple[str, ...]] = {
    "call_id": ("call_id", "callid", "id", "呼叫id", "通话id"),
    "debtor": ("debtor", "debtor_id", "debtor_external_id", "customer", "客户编号", "债务人编号"),
    "phone": ("phone", "number", "dialled", "dialed", "号码", "电话"),
    "started_at": ("started_at", "start", "start_time", "开始时间"),
    "ended_at": ("ended_at", "end", "end_time", "结束时间"),
    "outcome": ("outcome", "result", "disposition", "结果"),
    "agent": ("agent", "collector", "坐席", "催收员"),
    "note": ("note", "notes", "备注"),
}
REQUIRED = ("call_id", "debtor", "phone", "started_at", "outcome")
SYNONYMS = {
    "noanswer": CallOutcome.NO_ANSWER,
    "no answer": CallOutcome.NO_ANSWER,
    "未接": CallOutcome.NO_ANSWER,
    "无人接听": CallOutcome.NO_ANSWER,
    "占线": CallOutcome.BUSY,
    "语音信箱": CallOutcome.VOICEMAIL,
    "failed": CallOutcome.NETWORK_ERROR,
    "invalid": CallOutcome.INVALID_NUMBER,
    "空号": CallOutcome.INVALID_NUMBER,
    "wrong_number": CallOutcome.WRONG_PARTY,
    "错号": CallOutcome.WRONG_PARTY,
    "rpc": CallOutcome.RIGHT_PARTY_REACHED,
    "本人接听": CallOutcome.RIGHT_PARTY_REACHED,
    "third_party": CallOutcome.THIRD_PARTY_REACHED,
    "第三方接听": CallOutcome.THIRD_PARTY_REACHED,
    "ptp": CallOutcome.RIGHT_PARTY_REACHED,
}


@dataclass(frozen=True, slots=True)
class DialerRow:
    """One reported call, parsed."""

    row: int
    call_id: str
    debtor: str
    phone: str
    started_at: datetime
    ended_at: datetime | None
    outcome: CallOutcome
    agent: str | None
    note: str


def _header_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").lower()
        for col, aliases in COLUMNS.items():
            if key in aliases and col not in found:
                found[col] = i
    return found


def _moment(raw: str, row: int, name: str, problems: list[FieldProblem], file: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        problems.append(FieldProblem(row, name, raw, "not an ISO 8601 timestamp", file))
        return None
    if value.tzinfo is None:
        problems.append(FieldProblem(row, name, raw, "naive timestamp: add an offset such as +08:00", file))
        return None
    return value


def _outcome(raw: str) -> CallOutcome | None:
    key = raw.strip().lower()
    try:
        return CallOutcome(key)
    except ValueError:
        return SYNONYMS.get(key)


def parse_report(text: str, file: str = "", region: str = "CN") -> list[DialerRow]:
    """Every row of the report, or InputRejected naming each bad row and field (nothing is half-read)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise InputRejected(
            f"{file or 'report'}: empty file", [FieldProblem(0, "header", "", "empty file", file)]
        )
    cols = _header_map(header)
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        raise InputRejected(
            f"{file or 'report'}: missing columns {missing}",
            [FieldProblem(1, c, "", "required column missing", file) for c in missing],
        )
    rows: list[DialerRow] = []
    problems: list[FieldProblem] = []
    for n, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue

        def get(col: str, values: list[str] = values) -> str:
            i = cols.get(col)
            return values[i].strip() if i is not None and i < len(values) else ""

        before = len(problems)
        for col in REQUIRED:
            if not get(col):
                problems.append(FieldProblem(n, col, "", "required", file))
        phone = ""
        if get("phone"):
            try:
                phone = parse_phone(get("phone"), region)
            except ValueError as exc:
                problems.append(FieldProblem(n, "phone", get("phone"), str(exc), file))
        started = _moment(get("started_at"), n, "started_at", problems, file) if get("started_at") else None
        ended = _moment(get("ended_at"), n, "ended_at", problems, file) if get("ended_at") else None
        outcome = _outcome(get("outcome")) if get("outcome") else None
        if get("outcome") and outcome is None:
            allowed = ", ".join(o.value for o in CallOutcome)
            problems.append(
                FieldProblem(n, "outcome", get("outcome"), f"unknown outcome; use one of: {allowed}", file)
            )
        if len(problems) == before and started is not None and outcome is not None:
            rows.append(
                DialerRow(
                    n,
                    get("call_id")[:64],
                    get("debtor"),
                    phone,
                    started,
                    ended,
                    outcome,
                    get("agent") or None,
                    get("note"),
                )
            )
    if problems:
        raise InputRejected(f"{file or 'report'}: {len(problems)} problem(s); nothing imported", problems)
    return rows


def import_report(rt: Runtime, principal: Principal, path: Path) -> dict[str, Any]:
    """Record every call of a dialer report as an external attempt, judged at its start; violations marked."""
    from arrears.worklist.attempts import record_in
    from arrears.worklist.service import serialized

    require(principal, Permission.WORK_MANAGE)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected(
            f"{path.name}: cannot read as UTF-8 CSV: {exc}",
            [FieldProblem(0, "file", path.name, str(exc), path.name)],
        ) from None
    rows = sorted(
        parse_report(text, path.name, rt.settings.default_region), key=lambda r: (r.started_at, r.row)
    )
    now = rt.clock.now()
    summary: dict[str, Any] = {
        "file": path.name,
        "rows": len(rows),
        "recorded": 0,
        "duplicates": 0,
        "violations": 0,
        "violation_rows": [],
    }
    with serialized(rt) as conn:
        ids = {r.debtor for r in rows}
        query = select(debtors.c.external_id, debtors.c.id).where(debtors.c.external_id.in_(sorted(ids)))
        known = {str(ext): int(i) for ext, i in conn.execute(query)}
        unknown = [
            FieldProblem(r.row, "debtor", r.debtor, "no such debtor", path.name)
            for r in rows
            if r.debtor not in known
        ]
        if unknown:
            raise InputRejected(f"{path.name}: {len(unknown)} unknown debtor(s); nothing imported", unknown)
        for r in rows:
            report = AttemptReport(
                debtor_id=int(known[r.debtor]),
                outcome=r.outcome,
                started_at=r.started_at,
                ended_at=r.ended_at,
                phone=r.phone,
                note=r.note,
                external_ref=r.call_id,
                agent=r.agent,
            )
            try:
                out = record_in(conn, rt, principal, report, AttemptSource.DIALER, now)
            except InputRejected as exc:
                problems = [FieldProblem(r.row, p.field, p.value, p.reason, path.name) for p in exc.problems]
                raise InputRejected(
                    f"{path.name}: row {r.row}: {exc.message}; nothing imported",
                    problems or [FieldProblem(r.row, "row", "", exc.message, path.name)],
                ) from None
            if out.get("duplicate"):
                summary["duplicates"] += 1
                continue
            summary["recorded"] += 1
            if out["violation"]:
                summary["violations"] += 1
                summary["violation_rows"].append(
                    {
                        "row": r.row,
                        "call_id": r.call_id,
                        "attempt_id": out["attempt_id"],
                        "rules": [v["rule_id"] for v in out["violated_rules"]],
                    }
                )
    return summary
