"""Strategy use cases: validate, upload and activate treatment files; experiments; reassign cases;
run the nightly steps and read their record. Each takes the acting principal and checks its permission.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from arrears.core.access import Permission, Principal, Role, require
from arrears.core.clock import today
from arrears.core.errors import FieldProblem, Forbidden, InputRejected, NotFound
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.aging.rules import bucket_labels
from arrears.portfolio.reads import account_scope
from arrears.portfolio.store import accounts, cases
from arrears.runtime import Runtime
from arrears.strategy import jobs, versions
from arrears.strategy import store as st
from arrears.strategy.allocation import apply_moves
from arrears.strategy.allocation_plan import Move
from arrears.strategy.caseviews import cases_of_team
from arrears.strategy.model import BatchStep, MoveReason
from arrears.strategy.treatments import parse
from arrears.users import audit
from arrears.users.store import users
from arrears.worklist.store import work_items

MIN_REASON = 3
ASSIGNABLE_ROLES = (Role.COLLECTOR.value, Role.TEAM_LEAD.value)


@dataclass
class Validation:
    """The outcome of checking a treatment file (nothing stored)."""

    valid: bool
    file: str
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    message: str = ""


def _buckets(rt: Runtime) -> tuple[str, ...]:
    return bucket_labels(rt.settings.bucket_thresholds)


def _reason(reason: str | None, what: str = "reason") -> str:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise InputRejected(
            f"a {what} is required (at least {MIN_REASON} characters): it is kept with the change",
            [FieldProblem(0, what, text, f"at least {MIN_REASON} characters")],
        )
    return text[:2000]


def validate(rt: Runtime, principal: Principal, text: str, file_name: str = "upload.yaml") -> Validation:
    """Check a treatment file against the schema and the contact policy; store nothing."""
    require(principal, Permission.STRATEGY_READ)
    try:
        strategy = parse(text, file_name, _buckets(rt))
    except InputRejected as exc:
        return Validation(False, file_name, list(exc.problems), [], None, str(exc))
    return Validation(
        True, file_name, [], list(strategy.warnings), strategy.summary(), f"{strategy.label}: valid"
    )


def _version_dict(row: Any, active_id: int | None, with_text: bool = False) -> dict[str, Any]:
    out = {k: row._mapping[k] for k in row._mapping if k != "yaml_text"}
    out["in_force"] = active_id == int(row.id)
    out["label"] = f"{row.name}@{row.version}"
    if with_text:
        out["yaml_text"] = row.yaml_text
    return out


def upload(
    rt: Runtime,
    principal: Principal,
    text: str,
    file_name: str,
    reason: str | None = None,
    *,
    activate: bool = False,
) -> dict[str, Any]:
    """Store a validated treatment file (and put it in force when asked); refused whole on any problem."""
    require(principal, Permission.STRATEGY_MANAGE)
    why = _reason(reason) if activate else (reason or "").strip()
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        version_id, strategy, _ = versions.store_upload(
            conn, principal, text, file_name, why, _buckets(rt), now
        )
        if activate:
            versions.activate(conn, principal, version_id, why, _buckets(rt), now, today(rt.clock))
        row = st.version_row(conn, version_id)
        active = st.active_version_row(conn)
    return _version_dict(row, int(active.id) if active else None)


def activate(rt: Runtime, principal: Principal, version_id: int, reason: str | None) -> dict[str, Any]:
    """Put a stored version in force (re-checked against the policy first; the old one stays on failure)."""
    require(principal, Permission.STRATEGY_MANAGE)
    why = _reason(reason)
    with rt.engine.begin() as conn:
        versions.activate(conn, principal, version_id, why, _buckets(rt), rt.clock.now(), today(rt.clock))
        row = st.version_row(conn, version_id)
    return _version_dict(row, version_id)


def list_versions(rt: Runtime, principal: Principal) -> dict[str, Any]:
    """Every stored version (newest first), the one in force and the activation history."""
    require(principal, Permission.STRATEGY_READ)
    with rt.engine.connect() as conn:
        active = st.active_version_row(conn)
        active_id = int(active.id) if active else None
        return {
            "in_force": None
            if active is None
            else {
                "id": active_id,
                "label": f"{active.name}@{active.version}",
                "since": active.in_force_since,
                "by": active.in_force_by,
                "reason": active.in_force_reason,
            },
            "versions": [_version_dict(r, active_id) for r in st.version_rows(conn)],
            "activations": [dict(r._mapping) for r in st.activation_rows(conn)],
        }


def show_version(rt: Runtime, principal: Principal, version_id: int | None = None) -> dict[str, Any]:
    """One version with its text and parsed summary (the one in force when no id is given)."""
    require(principal, Permission.STRATEGY_READ)
    with rt.engine.connect() as conn:
        active = st.active_version_row(conn)
        active_id = int(active.id) if active else None
        row = st.version_row(conn, version_id if version_id is not None else (active_id or 0))
    if row is None:
        if version_id is None:
            raise NotFound(
                "no treatment version is in force yet (the nightly run activates the packaged default)"
            )
        raise NotFound(f"treatment version {version_id} not found")
    out = _version_dict(row, active_id, with_text=True)
    out["summary"] = versions.parse_stored(row, _buckets(rt)).summary()
    return out


def list_experiments(rt: Runtime, principal: Principal) -> list[dict[str, Any]]:
    """Every experiment with its arms and how many accounts each arm holds."""
    require(principal, Permission.STRATEGY_READ)
    with rt.engine.connect() as conn:
        counts = st.arm_counts(conn)
        out = []
        for r in st.experiment_rows(conn):
            arms = [{**a, "accounts": counts.get((r.name, a["arm"]), 0)} for a in (r.arms or [])]
            out.append(
                {
                    "name": r.name,
                    "path": r.path,
                    "status": r.status,
                    "version_id": r.version_id,
                    "started_on": r.started_on,
                    "ended_on": r.ended_on,
                    "arms": arms,
                    "accounts": sum(a["accounts"] for a in arms),
                }
            )
    return out


def account_treatment(rt: Runtime, principal: Principal, account_id: int) -> dict[str, Any]:
    """An account's current treatment (path, step, next action, arm), within the principal's scope."""
    require(principal, Permission.PORTFOLIO_READ)
    t = st.account_treatments
    query = select(t).join(accounts, accounts.c.id == t.c.account_id).where(t.c.account_id == account_id)
    scope = account_scope(principal)
    if scope is not None:
        query = query.where(scope)
    with rt.engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"account {account_id} has no current treatment (or is not in your scope)")
    return dict(row._mapping)


# --- allocation --------------------------------------------------------------------------------------------


def _case_in_scope(principal: Principal, row: Any) -> None:
    if not principal.sees_all_teams and (principal.team_id is None or row.team_id != principal.team_id):
        raise NotFound(f"case {row.id} not found")


def reassign(
    rt: Runtime, principal: Principal, case_id: int, to_user: str | int, reason: str | None
) -> dict[str, Any]:
    """Give a case to another collector (a team lead only within the own team); recorded and audited."""
    require(principal, Permission.WORK_MANAGE)
    why = _reason(reason)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        case = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if case is None:
            raise NotFound(f"case {case_id} not found")
        _case_in_scope(principal, case)
        if case.status not in ("open", "on_hold"):
            raise InputRejected(
                f"case {case_id} is {case.status}: only open or on-hold cases are reassigned",
                [FieldProblem(0, "case", str(case_id), f"status {case.status}")],
            )
        u = users.c
        by_id = isinstance(to_user, int) or (str(to_user).isdigit() and len(str(to_user)) <= 18)
        query = (
            select(users).where(u.id == int(to_user))
            if by_id
            else select(users).where(u.username == str(to_user))
        )
        target = conn.execute(query).first()
        if (
            target is None
            or not target.active
            or target.role not in ASSIGNABLE_ROLES
            or target.team_id is None
        ):
            raise InputRejected(
                f"{to_user} is not an active collector or team lead with a team",
                [FieldProblem(0, "to", str(to_user), "not an active collector with a team")],
            )
        if not principal.sees_all_teams and target.team_id != principal.team_id:
            raise Forbidden("a team lead may reassign only within the own team")
        if target.id == case.collector_id and target.team_id == case.team_id:
            return {"case_id": case_id, "moved": False, "collector_id": target.id, "team_id": target.team_id}
        move = Move(
            case_id, case.team_id, int(target.team_id), case.collector_id, int(target.id), MoveReason.MANUAL
        )
        apply_moves(conn, [move], None, now, uuid.uuid4().hex, principal.username, note=why)
        w = work_items.c
        conn.execute(
            work_items.update()
            .where(w.case_id == case_id, w.status == "open")
            .values(collector_id=target.id, team_id=target.team_id, updated_at=now)
        )
        audit.record(
            conn,
            principal,
            "case.reassign",
            "case",
            case_id,
            {
                "from_collector_id": case.collector_id,
                "to_collector_id": int(target.id),
                "from_team_id": case.team_id,
                "to_team_id": int(target.team_id),
                "reason": why,
            },
            now,
        )
    return {"case_id": case_id, "moved": True, "collector_id": int(target.id), "team_id": int(target.team_id)}


def case_moves(rt: Runtime, principal: Principal, case_id: int) -> list[dict[str, Any]]:
    """A case's allocation history, newest first."""
    require(principal, Permission.WORK_MANAGE)
    with rt.engine.connect() as conn:
        case = conn.execute(select(cases).where(cases.c.id == case_id)).first()
        if case is None:
            raise NotFound(f"case {case_id} not found")
        _case_in_scope(principal, case)
        return [dict(r._mapping) for r in st.moves_for_case(conn, case_id)]


def team_cases(
    rt: Runtime,
    principal: Principal,
    team_id: int | None = None,
    limit: int = 100,
    collector_id: int | None = None,
) -> dict[str, Any]:
    """Live cases of a team (a team lead: the own team) with their collector and treatment, by value."""
    require(principal, Permission.WORK_MANAGE)
    if not principal.sees_all_teams:
        team_id = principal.team_id
    with rt.engine.connect() as conn:
        return cases_of_team(conn, team_id, collector_id, limit)


# --- the nightly run ---------------------------------------------------------------------------------------


def run_batch(
    rt: Runtime,
    principal: Principal,
    as_of: date | None = None,
    steps: list[str] | None = None,
    force: bool = False,
    progress: Progress = no_progress,
    run_id: int | None = None,
) -> jobs.RunSummary:
    """Run or resume the nightly steps for a date (default: today)."""
    require(principal, Permission.BATCH_RUN)
    return jobs.run_nightly(
        rt,
        principal,
        as_of or jobs.default_as_of(rt),
        steps=jobs.parse_steps(steps),
        force=force,
        progress=progress,
        run_id=run_id,
    )


def queue_batch(
    rt: Runtime, principal: Principal, as_of: date | None, steps: list[str] | None, force: bool
) -> tuple[int, date, list[BatchStep]]:
    """Record a run to start in the background; (run id, date, steps)."""
    require(principal, Permission.BATCH_RUN)
    day = as_of or jobs.default_as_of(rt)
    jobs.check_as_of(rt, day)
    chosen = jobs.parse_steps(steps)
    return jobs.queue_run(rt, principal, day, chosen, force), day, chosen


def allocate(
    rt: Runtime, principal: Principal, as_of: date | None = None, progress: Progress = no_progress
) -> jobs.RunSummary:
    """Run the allocation step now for a date (repeated even if the night already did)."""
    return run_batch(rt, principal, as_of, [BatchStep.ALLOCATION.value], force=True, progress=progress)


def list_runs(rt: Runtime, principal: Principal, limit: int = 50) -> list[dict[str, Any]]:
    """Nightly runs, newest first."""
    require(principal, Permission.STRATEGY_READ)
    with rt.engine.connect() as conn:
        return [dict(r._mapping) for r in st.run_rows(conn, limit)]


def get_run(rt: Runtime, principal: Principal, run_id: int) -> dict[str, Any]:
    """One run with the step records of its date."""
    require(principal, Permission.STRATEGY_READ)
    with rt.engine.connect() as conn:
        row = st.run_row(conn, run_id)
        if row is None:
            raise NotFound(f"nightly run {run_id} not found")
        out = dict(row._mapping)
        out["date_steps"] = [dict(s._mapping) for s in st.step_rows(conn, row.as_of)]
    return out


def latest_runs_by_date(rt: Runtime, principal: Principal, limit: int = 14) -> list[dict[str, Any]]:
    """Per date, the step records (for the runs page)."""
    require(principal, Permission.STRATEGY_READ)
    s = st.batch_steps
    with rt.engine.connect() as conn:
        days = [
            d
            for (d,) in conn.execute(
                select(s.c.as_of).group_by(s.c.as_of).order_by(func.max(s.c.as_of).desc()).limit(limit)
            )
        ]
        return [{"as_of": d, "steps": [dict(r._mapping) for r in st.step_rows(conn, d)]} for d in days]
