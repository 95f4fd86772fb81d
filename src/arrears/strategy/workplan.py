"""The nightly 'work items' step: tomorrow's calls, messages, skip tracing and reviews, one plan per date.

Reads the accounts whose next action falls on the work day (and those with a pending promise), in
debtor order, streamed; per debtor the actions due are merged by kind and channel (a debtor with two
accounts gets one call, carrying the more valuable account and the expected recovery of both). Each
item is due at a good local hour (timing.HourPicker), carries priority = expected recovery x chance of
contact, the case's team and collector (the team queue while the collector is away), the treatment
and the arm. `worklist.planning.replace_planned_work` swaps the date's open batch items for the new
plan, so a rerun for the same date leaves the same plan and no duplicates. The contact policy itself is
judged when the queue hands an item out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, null, select
from sqlalchemy.engine import Connection, Row

from arrears.core.progress import Progress, no_progress
from arrears.portfolio.store import accounts, cases, debtors
from arrears.strategy import store as st
from arrears.strategy.assign import _promises, _scores
from arrears.strategy.model import QUIET_STEPS, Channel, Path, Step, Strategy
from arrears.strategy.rules import Due, actions_for, expected_recovery, priority, promise_work, step_work
from arrears.strategy.timing import HourPicker
from arrears.users.store import users
from arrears.worklist.model import PlannedWork, WorkKind, WorkStatus
from arrears.worklist.planning import replace_planned_work
from arrears.worklist.rules import serve_class
from arrears.worklist.store import work_items

CHUNK_DEBTORS = 5000
TIMED = (Channel.CALL, Channel.SMS, Channel.EMAIL)
STEP_TEXT = {
    Step.CONTACT: ("催收", "collection"),
    Step.UNREACHABLE: ("联系不上，重试", "unreachable, retry"),
    Step.LOST: ("失联修复", "skip tracing"),
    Step.PROMISE: ("承诺还款跟进", "promise follow-up"),
    Step.WRITE_OFF: ("核销候选审查", "write-off candidate review"),
    Step.PLACEMENT: ("应委外但无可用机构，请审查", "due for placement but no agency can take it: review"),
}


@dataclass
class _Agg:
    """One (kind, channel) a debtor is due for tonight, over the accounts asking for it."""

    due: Due
    row: Row[Any]
    best: int = 0  # the expected recovery of `row`, the most valuable account asking for it
    expected: int = 0


def _query(as_of: date, work_date: date) -> Any:
    t, a, d, c, u = st.account_treatments, accounts, debtors, cases, users
    scores, promises = _scores(), _promises()
    balance = a.c.principal_minor + a.c.interest_minor + a.c.fees_minor + a.c.penalty_minor - a.c.credit_minor
    cols: list[Any] = [
        t.c.account_id,
        t.c.debtor_id,
        t.c.case_id,
        t.c.path,
        t.c.step,
        t.c.entered_on,
        t.c.treatment,
        t.c.arm,
        a.c.bucket,
        a.c.dpd,
        a.c.product,
        balance.label("balance"),
        d.c.timezone,
        d.c.kind,
        d.c.contactability,
        c.c.team_id,
        c.c.collector_id,
        u.c.active.label("collector_active"),
    ]
    joined = (
        t.join(a, a.c.id == t.c.account_id)
        .join(d, d.c.id == t.c.debtor_id)
        .outerjoin(c, c.c.id == t.c.case_id)
        .outerjoin(u, u.c.id == c.c.collector_id)
    )
    if scores is not None:
        joined = joined.outerjoin(scores, scores.c.account_id == t.c.account_id)
        cols.append(scores.c.probability)
    else:
        cols.append(null().label("probability"))
    if promises is not None:
        pending = (
            select(promises.c.debtor_id, func.min(promises.c.due_on).label("due_on"))
            .where(promises.c.status == "pending")
            .group_by(promises.c.debtor_id)
            .subquery("pending")
        )
        joined = joined.outerjoin(pending, pending.c.debtor_id == t.c.debtor_id)
        cols.append(pending.c.due_on.label("promise_due"))
    else:
        cols.append(null().label("promise_due"))
    w = work_items
    # the work day's end in the latest time zone (UTC-12): a follow-up due by then covers the day
    end = datetime.combine(work_date + timedelta(days=1), time(12), UTC)
    live = and_(w.c.source == "promise", w.c.status.in_(("open", "leased")))  # uncorrelated: hashed sets
    reminded = t.c.debtor_id.in_(
        select(w.c.debtor_id).where(live, w.c.kind == WorkKind.PROMISE_REMINDER.value)
    )
    followed = t.c.debtor_id.in_(
        select(w.c.debtor_id).where(live, w.c.kind == WorkKind.PROMISE_FOLLOWUP.value, w.c.due_at < end)
    )
    cols.append(case((reminded, literal(1)), else_=literal(0)).label("promise_reminded"))
    cols.append(case((followed, literal(1)), else_=literal(0)).label("promise_followed"))
    return (
        select(*cols)
        .select_from(joined)
        .where(
            (t.c.next_action_on == work_date) | (t.c.step == Step.PROMISE.value),
            t.c.step.not_in([s.value for s in QUIET_STEPS]),
            a.c.agency_id.is_(None),
        )
        .order_by(t.c.debtor_id, t.c.account_id)
    )


def _dues(strategy: Strategy, row: Row[Any], work_date: date) -> list[Due]:
    step = Step(row.step)
    days_in = (work_date - row.entered_on).days
    if step is Step.PROMISE:
        try:
            path = strategy.path(row.path)
        except KeyError:  # no path, or one a version activated since tonight's treatments step dropped
            return []
        dues = promise_work(path.promise, days_in, row.promise_due, work_date)
        skip = {WorkKind.PROMISE_REMINDER} if row.promise_reminded else set()
        if row.promise_followed:
            skip.add(WorkKind.PROMISE_FOLLOWUP)
        return [d for d in dues if d.kind not in skip]  # the payments domain queued its own already
    return step_work(actions_for(strategy, row.path, step), days_in)


def _reason(path: Path | None, row: Row[Any], due: Due) -> str:
    zh, en = STEP_TEXT.get(Step(row.step), ("", ""))
    if due.kind is WorkKind.PROMISE_REMINDER:
        zh, en = f"承诺还款提醒（{due.note[-10:]} 到期）", f"promise reminder ({due.note})"
    title_zh, title_en = (path.title_zh, path.title_en) if path else ("升级处理", "escalation")
    return (
        f"{title_zh}：{zh} · {row.bucket} · 逾期 {row.dpd} 天 / "
        f"{title_en}: {en} · {row.bucket} · {row.dpd} DPD"
    )


#: the work_items columns a batch item fills: PlannedWork's fields (checked below) and the stored extras
ITEM_COLUMNS = (
    "debtor_id",
    "kind",
    "due_at",
    "reason",
    "source",
    "case_id",
    "account_id",
    "channel",
    "collector_id",
    "team_id",
    "priority",
    "expected_recovery_minor",
    "not_after",
    "plan_date",
    "treatment",
    "arm",
)
ROW_COLUMNS = (*ITEM_COLUMNS, "serve_class", "status", "created_at", "updated_at")
if not set(ITEM_COLUMNS) <= {f.name for f in fields(PlannedWork)}:  # pragma: no cover - a contract drift
    raise ImportError("worklist.model.PlannedWork no longer has the fields the nightly plan writes")
WRITE_CHUNK = 50_000
Item = tuple[Any, ...]


class Planner:
    """Turns the streamed rows into work_items rows (PlannedWork's shape), debtor by debtor."""

    def __init__(self, conn: Connection, strategy: Strategy, as_of: date, now: datetime) -> None:
        self.strategy, self.as_of, self.now = strategy, as_of, now
        self.work_date = as_of + timedelta(days=1)
        self.picker = HourPicker(conn, self.work_date)
        self.away = st.absence_days(conn, self.work_date)
        self.kinds: Counter[str] = Counter()
        self.debtors = 0
        self.accounts = 0
        self._reasons: dict[tuple[Any, ...], str] = {}
        self._paths: dict[str | None, Path | None] = {None: None}
        for p in strategy.paths:
            self._paths[p.id] = p
        self._serve = {(k, c): serve_class(k, c.value) for k in WorkKind for c in Channel}

    def debtor_items(self, rows: list[Row[Any]]) -> Iterator[Item]:
        """The items of one debtor's due rows."""
        aggs: dict[tuple[WorkKind, Channel], _Agg] = {}
        for row in rows:
            self.accounts += 1
            exp = expected_recovery(int(row.balance or 0), row.probability)
            for due in _dues(self.strategy, row, self.work_date):
                agg = aggs.get((due.kind, due.channel))
                if agg is None:
                    agg = aggs[(due.kind, due.channel)] = _Agg(due, row, best=exp)
                elif exp > agg.best:
                    agg.row, agg.best = row, exp
                agg.due = agg.due if agg.due.per_day >= due.per_day else due
                agg.expected += exp
        if aggs:
            self.debtors += 1
        for (kind, channel), agg in aggs.items():
            yield from self._items(kind, channel, agg)

    def _reason(self, row: Row[Any], due: Due) -> str:
        key = (row.path, row.step, row.bucket, row.dpd, due.kind, due.note)
        text = self._reasons.get(key)
        if text is None:
            text = self._reasons[key] = _reason(self._paths.get(row.path), row, due)
        return text

    def _items(self, kind: WorkKind, channel: Channel, agg: _Agg) -> Iterator[Item]:
        row, due = agg.row, agg.due
        if channel in TIMED:
            hours, rate = self.picker.pick(
                int(row.debtor_id), f"{row.product}/{row.kind}", due.window, due.per_day
            )
            prio = priority(agg.expected, rate, str(row.contactability))
        else:
            hours, prio = [due.window.start // 60], float(agg.expected)
        collector = row.collector_id
        if collector is not None and (not row.collector_active or collector in self.away):
            collector = None  # away today: the team queue serves it
        label = (row.treatment or f"escalation@{self.strategy.version}")[:64]
        zone = str(row.timezone)
        reason, end, serve = self._reason(row, due), self.picker.day_end(zone), self._serve[(kind, channel)]
        self.kinds[kind.value] += len(hours)
        for hour in hours:
            yield (
                row.debtor_id,
                kind.value,
                self.picker.due_at(zone, hour),
                reason,
                "batch",
                row.case_id,
                row.account_id,
                channel.value,
                collector,
                row.team_id,
                prio,
                agg.expected,
                end,
                self.as_of,
                label,
                row.arm,
                serve,
                WorkStatus.OPEN.value,
                self.now,
                self.now,
            )

    def items(self, result: Any, progress: Progress) -> Iterator[Item]:
        """Every item, reading the debtors' own best-time history chunk by chunk."""
        chunk: list[list[Row[Any]]] = []
        current: list[Row[Any]] = []
        for part in result.partitions():
            for row in part:
                if current and row.debtor_id != current[0].debtor_id:
                    chunk.append(current)
                    current = []
                    if len(chunk) >= CHUNK_DEBTORS:
                        yield from self._flush(chunk, progress)
                        chunk = []
                current.append(row)
        if current:
            chunk.append(current)
        yield from self._flush(chunk, progress)

    def _flush(self, chunk: list[list[Row[Any]]], progress: Progress) -> Iterator[Item]:
        self.picker.load_history([int(rows[0].debtor_id) for rows in chunk])
        for rows in chunk:
            yield from self.debtor_items(rows)
        progress(self.accounts, None, "work items")


def write_plan(conn: Connection, plan_date: date, rows: Iterable[Item], now: datetime) -> int:
    """Replace the date's planned batch work: `replace_planned_work` removes the date's open batch items
    (its idempotency contract), then the new rows are written in bulk (COPY on PostgreSQL) in chunks, in
    the form `planning.add_work` writes (PlannedWork's fields, serve class from `worklist.rules`, open)."""
    replace_planned_work(conn, plan_date, (), now)
    written, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= WRITE_CHUNK:  # a COPY between two fetches of the streamed read, never inside one
            written += st.bulk_insert(conn, work_items, ROW_COLUMNS, chunk)
            chunk = []
    return written + st.bulk_insert(conn, work_items, ROW_COLUMNS, chunk)


def plan_work(
    conn: Connection, strategy: Strategy, as_of: date, now: datetime, progress: Progress = no_progress
) -> dict[str, Any]:
    """Run the work-items step for a date in the caller's transaction; its counts."""
    st.analyze(conn, ("account_treatments", "work_items"))
    planner = Planner(conn, strategy, as_of, now)
    work_date = planner.work_date
    result = conn.execute(_query(as_of, work_date).execution_options(stream_results=True, yield_per=10_000))
    written = write_plan(conn, as_of, planner.items(result, progress), now)
    w = work_items.c
    expired = conn.execute(  # earlier nights' batch work nobody took, past its day: expired, not deleted
        work_items.update()
        .where(w.source == "batch", w.status == WorkStatus.OPEN.value)
        .where(w.plan_date < as_of, w.not_after <= now)
        .values(status=WorkStatus.EXPIRED.value, updated_at=now)
    ).rowcount
    return {
        "items": written,
        "expired": int(expired or 0),
        "by_kind": dict(sorted(planner.kinds.items())),
        "debtors": planner.debtors,
        "accounts": planner.accounts,
        "work_date": work_date.isoformat(),
        "hours_from": planner.picker.source,
    }
