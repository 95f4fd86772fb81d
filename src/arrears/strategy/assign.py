"""The nightly 'treatments' step, set-based: each delinquent account's path, arm, step and next action.

1. Accounts whose path runs an experiment and that have no arm yet are drawn into one (a stable hash
   per account and experiment, rules.assign_arm) and the draw is recorded; earlier draws are kept.
2. One INSERT ... SELECT ... ON CONFLICT computes every treatable account's path (the first matching
   path, or its arm's path), its step (hold > placed > write-off > placement > promise > lost >
   unreachable > contact), the first work day of that path and step, and the next action from a small
   table of (path, step, first day) combinations worked out in Python; unchanged rows are not written.
3. Accounts no longer treatable (paid, closed, current) leave the table.

Work days: the run as of D plans the work of D + 1. A rerun for the same date changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    MetaData,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from arrears.core.progress import Progress, no_progress
from arrears.portfolio.store import accounts, cases, debtors
from arrears.strategy import store as st
from arrears.strategy.model import Match, Step, Strategy
from arrears.strategy.rules import actions_for, assign_arm, next_and_last

_tmp = MetaData()
combos = Table(
    "strategy_tmp_combos",
    _tmp,
    Column("path", String(48), nullable=False),
    Column("step", String(16), nullable=False),
    Column("entered_on", Date, nullable=False),
    Column("next_action_on", Date),
    Column("channel", String(16)),
    Column("last_action_on", Date),
    prefixes=["TEMPORARY"],
)
COMPARED = (
    "debtor_id",
    "case_id",
    "path",
    "base_path",
    "version_id",
    "treatment",
    "experiment",
    "arm",
    "step",
    "entered_on",
    "next_action_on",
    "channel",
    "last_action_on",
)


def _scores() -> Table | None:
    try:
        from arrears.strategy.scoring.store import account_scores
    except ImportError:  # the scoring module is not installed: no score bands
        return None
    return account_scores


def _promises() -> Table | None:
    try:
        from arrears.payments.store import promises
    except ImportError:
        return None
    return promises


def match_clause(m: Match, scores: Table | None) -> ColumnElement[bool]:
    """SQL for a path's match on accounts a, debtors d and account_scores."""
    a, d = accounts.c, debtors.c
    conds: list[ColumnElement[bool]] = []
    if m.buckets is not None:
        conds.append(a.bucket.in_(sorted(m.buckets)))
    if m.products is not None:
        conds.append(a.product.in_(sorted(m.products)))
    if m.contactability is not None:
        conds.append(d.contactability.in_(sorted(m.contactability)))
    if m.bands is not None:
        conds.append(scores.c.band.in_(sorted(m.bands)) if scores is not None else literal(False))
    if m.debtor_kinds is not None:
        conds.append(d.kind.in_(sorted(m.debtor_kinds)))
    if m.key_account is not None:
        conds.append(d.is_key_account == (1 if m.key_account else 0))
    if m.min_dpd is not None:
        conds.append(a.dpd >= m.min_dpd)
    if m.max_dpd is not None:
        conds.append(a.dpd <= m.max_dpd)
    return and_(true(), *conds)


def candidates(strategy: Strategy) -> Any:
    """Subquery: every treatable account with its base path and step."""
    a, d, c = accounts, debtors, cases
    scores, promises = _scores(), _promises()
    case_dpd = (
        select(a.c.case_id.label("case_id"), func.max(a.c.dpd).label("dpd"))
        .where(a.c.status == "active", a.c.case_id.is_not(None))
        .group_by(a.c.case_id)
        .subquery("case_dpd")
    )
    base = case(*[(match_clause(p.match, scores), literal(p.id)) for p in strategy.paths], else_=null())
    esc = strategy.escalation
    placement = case_dpd.c.dpd > esc.in_house_max_dpd
    if not esc.place_key_accounts:
        placement = and_(placement, d.c.is_key_account == 0)
    whens: list[tuple[ColumnElement[bool], Any]] = [
        (c.c.status == "on_hold", Step.HOLD.value),
        (or_(a.c.agency_id.is_not(None), c.c.status == "placed"), Step.PLACED.value),
        (a.c.dpd > esc.write_off_after_dpd, Step.WRITE_OFF.value),
        (placement, Step.PLACEMENT.value),
    ]
    if promises is not None:
        pending = a.c.debtor_id.in_(  # uncorrelated: one hashed set, not a lookup per account
            select(promises.c.debtor_id).where(promises.c.status == "pending")
        )
        whens.append((pending, Step.PROMISE.value))
    whens += [
        (d.c.contactability == "lost", Step.LOST.value),
        (d.c.contactability == "semi_lost", Step.UNREACHABLE.value),
    ]
    step = case(*whens, else_=literal(Step.CONTACT.value))
    joined = (
        a.join(d, d.c.id == a.c.debtor_id)
        .join(c, c.c.id == a.c.case_id)
        .join(case_dpd, case_dpd.c.case_id == a.c.case_id)
    )
    if scores is not None:
        joined = joined.outerjoin(scores, scores.c.account_id == a.c.id)
    return (
        select(
            a.c.id.label("account_id"),
            a.c.debtor_id,
            a.c.case_id,
            base.label("base_path"),
            step.label("step"),
        )
        .select_from(joined)
        .where(a.c.status == "active", a.c.dpd > 0, c.c.status != "closed")
        .subquery("cand")
    )


def draw_arms(conn: Connection, strategy: Strategy, cand: Any, as_of: date) -> dict[str, int]:
    """Record an arm for every account entering an experiment's path without one; new draws per experiment."""
    aa = st.arm_assignments
    drawn: dict[str, int] = {}
    for e in strategy.experiments:
        fresh = select(cand.c.account_id).where(
            cand.c.base_path == e.path,
            ~exists().where(aa.c.account_id == cand.c.account_id, aa.c.experiment == e.name),
        )
        ids = [int(i) for i in conn.execute(fresh).scalars()]
        rows = ((i, e.name, assign_arm(i, e.name, e.arms), as_of) for i in ids)
        drawn[e.name] = st.bulk_insert(conn, aa, ("account_id", "experiment", "arm", "assigned_on"), rows)
    return drawn


def _fill_combos(conn: Connection, strategy: Strategy, work_date: date) -> int:
    """Next/last action of every (path, step, first day) that exists or can arise tonight."""
    t = st.account_treatments
    keys = {
        (p or "", s, e) for p, s, e in conn.execute(select(t.c.path, t.c.step, t.c.entered_on).distinct())
    }
    for path in [p.id for p in strategy.paths] + [""]:
        for s in Step:
            keys.add((path, s.value, work_date))
    rows = []
    for path, step, entered in keys:
        days_in = (work_date - entered).days
        acts = actions_for(strategy, path or None, Step(step))
        nxt, channel, last = next_and_last(acts, days_in)
        rows.append(
            {
                "path": path,
                "step": step,
                "entered_on": entered,
                "next_action_on": entered + timedelta(days=nxt) if nxt is not None else None,
                "channel": channel.value if channel else None,
                "last_action_on": entered + timedelta(days=last) if last is not None else None,
            }
        )
    conn.execute(text("DROP TABLE IF EXISTS strategy_tmp_combos"))
    combos.create(conn)
    if rows:
        conn.execute(combos.insert(), rows)
    return len(rows)


def _upsert(
    conn: Connection,
    strategy: Strategy,
    version_id: int,
    cand: Any,
    as_of: date,
    work_date: date,
    now: datetime,
) -> int:
    aa, old = st.arm_assignments, st.account_treatments.alias("old")
    exp_of = case(
        *[(cand.c.base_path == e.path, literal(e.name)) for e in strategy.experiments], else_=null()
    )
    arm_path = case(
        *[
            (and_(cand.c.base_path == e.path, aa.c.arm == a.name), literal(a.path))
            for e in strategy.experiments
            for a in e.arms
        ],
        else_=cand.c.base_path,
    )
    path = arm_path if strategy.experiments else cand.c.base_path
    chosen = (
        select(
            cand.c.account_id,
            cand.c.debtor_id,
            cand.c.case_id,
            cand.c.base_path,
            cand.c.step,
            path.label("path"),
            aa.c.experiment,
            aa.c.arm,
        )
        .select_from(
            cand.outerjoin(aa, and_(aa.c.account_id == cand.c.account_id, aa.c.experiment == exp_of))
        )
        .subquery("chosen")
    )
    same = and_(
        func.coalesce(old.c.path, "") == func.coalesce(chosen.c.path, ""), old.c.step == chosen.c.step
    )
    entered = case((same, old.c.entered_on), else_=literal(work_date, Date))
    dated = (
        select(chosen, entered.label("entered_on"))
        .select_from(chosen.outerjoin(old, old.c.account_id == chosen.c.account_id))
        .subquery("dated")
    )
    label = dated.c.path + literal("@" + strategy.version)
    final = (
        select(
            dated.c.account_id,
            dated.c.debtor_id,
            dated.c.case_id,
            dated.c.path,
            dated.c.base_path,
            literal(version_id).label("version_id"),
            label.label("treatment"),
            dated.c.experiment,
            dated.c.arm,
            dated.c.step,
            dated.c.entered_on,
            combos.c.next_action_on,
            combos.c.channel,
            combos.c.last_action_on,
            literal(as_of, Date).label("as_of"),
            literal(now, st.account_treatments.c.updated_at.type).label("updated_at"),
        )
        .select_from(
            dated.outerjoin(
                combos,
                and_(
                    combos.c.path == func.coalesce(dated.c.path, ""),
                    combos.c.step == dated.c.step,
                    combos.c.entered_on == dated.c.entered_on,
                ),
            )
        )
        .where(true())
    )
    t = st.account_treatments
    cols = [c.name for c in t.c]
    insert = (postgresql.insert(t) if conn.dialect.name == "postgresql" else sqlite.insert(t)).from_select(
        cols, final
    )
    changed = or_(*[t.c[c].is_distinct_from(insert.excluded[c]) for c in COMPARED])
    stmt = insert.on_conflict_do_update(
        index_elements=[t.c.account_id],
        set_={c: insert.excluded[c] for c in cols if c != "account_id"},
        where=changed,
    )
    return int(conn.execute(stmt.execution_options(preserve_rowcount=True)).rowcount or 0)


def _drop_untreated(conn: Connection) -> int:
    t, a, c = st.account_treatments, accounts, cases
    treatable = (
        select(a.c.id)
        .select_from(a.join(c, c.c.id == a.c.case_id))
        .where(a.c.id == t.c.account_id, a.c.status == "active", a.c.dpd > 0, c.c.status != "closed")
    )
    return int(conn.execute(t.delete().where(~treatable.exists())).rowcount or 0)  # an anti-join, not NOT IN


def assign_treatments(
    conn: Connection,
    strategy: Strategy,
    version_id: int,
    as_of: date,
    now: datetime,
    progress: Progress = no_progress,
) -> dict[str, Any]:
    """Run the treatments step for a date in the caller's transaction; its counts."""
    work_date = as_of + timedelta(days=1)
    st.analyze(conn, ("accounts", "cases", "debtors", "account_treatments", "arm_assignments"))
    cand = candidates(strategy)
    progress(0, 4, "treatments: arms")
    drawn = draw_arms(conn, strategy, cand, as_of)
    progress(1, 4, "treatments: cadence table")
    combos_n = _fill_combos(conn, strategy, work_date)
    progress(2, 4, "treatments: paths and steps")
    changed = _upsert(conn, strategy, version_id, cand, as_of, work_date, now)
    conn.execute(text("DROP TABLE IF EXISTS strategy_tmp_combos"))
    progress(3, 4, "treatments: leaving accounts")
    removed = _drop_untreated(conn)
    t = st.account_treatments
    by_step = {str(s): int(n) for s, n in conn.execute(select(t.c.step, func.count()).group_by(t.c.step))}
    by_path = {
        str(p or "-"): int(n) for p, n in conn.execute(select(t.c.path, func.count()).group_by(t.c.path))
    }
    due = int(
        conn.execute(select(func.count()).select_from(t).where(t.c.next_action_on == work_date)).scalar_one()
    )
    progress(4, 4, "treatments: done")
    return {
        "treated": sum(by_step.values()),
        "changed": changed,
        "removed": removed,
        "due_tomorrow": due,
        "arms_drawn": drawn,
        "by_step": by_step,
        "by_path": by_path,
        "combinations": combos_n,
        "unmatched": by_path.get("-", 0),
        "strategy": strategy.label,
    }
