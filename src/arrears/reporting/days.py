"""Rebuild the daily summaries for a run of days in one pass: the cube, the payment facts, collector time.

The days' bounds (local midnight to midnight in the reporting time zone, as UTC instants) become a range
filter on each source (served by an index on its time column) and a CASE that names each event's day, so
a week of days costs one scan of the accounts, cases and bucket history instead of seven, and the planner
sees plain ranges it can estimate. Each statement is one dialect-neutral INSERT ... SELECT after a DELETE
of the days it replaces, so a refresh is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Select,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.engine import Connection

from arrears.compliance.store import contact_attempts
from arrears.portfolio.store import accounts, bucket_history, cases, payments
from arrears.reporting import sources
from arrears.reporting.model import MEASURES
from arrears.reporting.refresh import inserted, with_arms
from arrears.reporting.store import (
    report_collector_days,
    report_daily,
    report_debtor_accounts,
    report_payments,
)
from arrears.users.store import users
from arrears.worklist.store import work_items

_ZERO = literal_column("0", BigInteger)
_ONE = literal_column("1", BigInteger)
_NULL = literal_column("NULL", BigInteger)


@dataclass(frozen=True)
class Days:
    """Consecutive days with their bounds as aware instants (each day ends where the next starts)."""

    bounds: Sequence[tuple[date, datetime, datetime]]

    @property
    def first(self) -> date:
        """The first day."""
        return self.bounds[0][0]

    @property
    def last(self) -> date:
        """The last day."""
        return self.bounds[-1][0]

    def within(self, moment: Any) -> Any:
        """The moment falls on one of the days."""
        return and_(moment >= self.bounds[0][1], moment < self.bounds[-1][2])

    def on_date(self, column: Any) -> Any:
        """A date column falls on one of the days."""
        return and_(column >= self.first, column <= self.last)

    def day_of(self, moment: Any) -> Any:
        """Which day a moment (already known to be within) falls on."""
        if len(self.bounds) == 1:
            return literal(self.first, Date)
        whens = [(moment < end, literal(day, Date)) for day, _, end in self.bounds[:-1]]
        return case(*whens, else_=literal(self.last, Date))

    def start_of(self, day: Any) -> Any:
        """The start of a day given as a date expression."""
        return case(*((day == d, literal(s)) for d, s, _ in self.bounds), else_=None)

    def end_of(self, day: Any) -> Any:
        """The end of a day given as a date expression."""
        return case(*((day == d, literal(e)) for d, _, e in self.bounds), else_=None)


def clear(conn: Connection, days: Days) -> None:
    """Delete what the refresh will rebuild for these days."""
    for table in (report_daily, report_payments, report_collector_days):
        conn.execute(delete(table).where(table.c.day >= days.first, table.c.day <= days.last))


def collector_days(conn: Connection, days: Days) -> int:
    """Collector time per collector and day: first attempt start to last attempt end."""
    if "collector_id" not in contact_attempts.c:
        return 0
    a = contact_attempts
    collector, day = a.c.collector_id, days.day_of(a.c.started_at)
    rows = conn.execute(
        select(
            day,
            collector,
            users.c.team_id,
            func.min(a.c.started_at),
            func.max(sources.attempt_end()),
            func.count(),
        )
        .select_from(a.outerjoin(users, users.c.id == collector))
        .where(days.within(a.c.started_at), sources.is_attempt(), collector.is_not(None))
        .group_by(day, collector, users.c.team_id)
    ).all()
    values = [
        {
            "day": r[0],
            "collector_id": r[1],
            "team_id": r[2],
            "first_at": r[3],
            "last_at": max(r[3], r[4]),
            "attempts": r[5],
            "ms": (max(r[3], r[4]) - r[3]) // timedelta(milliseconds=1),
        }
        for r in rows
    ]
    if values:
        conn.execute(insert(report_collector_days), values)
    return len(values)


def _fact(day: Any, account_id: Any, team_id: Any, collector_id: Any, **measures: Any) -> list[Any]:
    """A fact row's columns in the fixed order every source shares (absent measures are 0)."""
    unknown = set(measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"unknown measures {sorted(unknown)}")
    return [
        day.label("day"),
        account_id.label("account_id"),
        team_id.label("team_id"),
        collector_id.label("collector_id"),
        *(cast(measures.get(m, _ZERO), BigInteger).label(m) for m in MEASURES),
    ]


def _attempt_facts(days: Days) -> Select[Any]:
    a, dm, cd = contact_attempts, report_debtor_accounts, report_collector_days
    # the account: the attempt's own, else its work item's, else the debtor's lowest-id account
    wi = work_items.alias("attempt_item")
    own, item_ref = sources.attempt_account_id(), sources.col(a, "work_item_id")
    candidates = [c for c in (own, wi.c.account_id if item_ref is not None else None) if c is not None]
    account = func.coalesce(*candidates, dm.c.account_id) if candidates else dm.c.account_id
    collector, day = sources.attempt_collector_id(), days.day_of(a.c.started_at)
    joined = a.outerjoin(dm, dm.c.debtor_id == a.c.debtor_id)
    if item_ref is not None:
        joined = joined.outerjoin(wi, wi.c.id == item_ref)
    joined = joined.outerjoin(users, users.c.id == collector).outerjoin(
        cd, and_(cd.c.day == day, cd.c.collector_id == collector)
    )
    return (
        select(
            *_fact(
                day,
                account,
                users.c.team_id,
                collector,
                attempts=_ONE,
                answered=case((a.c.connected, 1), else_=0),
                rpc=case((sources.is_rpc(), 1), else_=0),
                collector_ms=func.coalesce(cd.c.ms // cd.c.attempts, 0),
            )
        )
        .select_from(joined)
        .where(days.within(a.c.started_at), sources.is_attempt())
    )


def _planned_facts(days: Days) -> Select[Any]:
    wi, dm, a = work_items, report_debtor_accounts, contact_attempts
    account = func.coalesce(wi.c.account_id, dm.c.account_id)
    day = days.day_of(wi.c.due_at)
    planned = (
        select(
            day.label("day"),
            account.label("account_id"),
            wi.c.debtor_id,
            func.max(wi.c.team_id).label("team_id"),
            func.max(wi.c.collector_id).label("collector_id"),
        )
        .select_from(wi.outerjoin(dm, dm.c.debtor_id == wi.c.debtor_id))
        .where(days.within(wi.c.due_at), wi.c.status != "cancelled", wi.c.kind.in_(sources.CONTACT_KINDS))
        .group_by(day, account, wi.c.debtor_id)
        .subquery("planned")
    )
    attempted = exists().where(
        a.c.debtor_id == planned.c.debtor_id,
        a.c.started_at >= days.start_of(planned.c.day),
        a.c.started_at < days.end_of(planned.c.day),
        sources.is_attempt(),
    )
    return select(
        *_fact(
            planned.c.day,
            planned.c.account_id,
            planned.c.team_id,
            planned.c.collector_id,
            planned=_ONE,
            planned_attempted=case((attempted, 1), else_=0),
        )
    )


def _promise_facts(conn: Connection, days: Days) -> list[Select[Any]]:
    p = sources.promises_table(conn)
    if p is None:
        return []
    creator = sources.col(p, "collector_id")
    who = creator if creator is not None else _NULL
    team = users.c.team_id if creator is not None else _NULL
    source = p.outerjoin(users, users.c.id == creator) if creator is not None else p
    status = p.c.status
    made = (
        select(
            *_fact(
                days.day_of(p.c.created_at),
                p.c.account_id,
                team,
                who,
                promises_made=_ONE,
                promised_minor=p.c.amount_minor,
            )
        )
        .select_from(source)
        .where(days.within(p.c.created_at), status.not_in(sources.NOT_TAKEN), p.c.account_id.is_not(None))
    )
    due = (
        select(
            *_fact(
                p.c.due_on,
                p.c.account_id,
                team,
                who,
                promises_due=_ONE,
                promises_kept=case((status == sources.KEPT, 1), else_=0),
                promises_partly_kept=case((status == sources.PARTLY_KEPT, 1), else_=0),
                promises_broken=case((status == sources.BROKEN, 1), else_=0),
            )
        )
        .select_from(source)
        .where(days.on_date(p.c.due_on), status.in_(sources.JUDGED), p.c.account_id.is_not(None))
    )
    return [made, due]


def _paid(days: Days) -> tuple[Any, Any]:
    """Posted payments on the days with the account's case (team and collector): (FROM, WHERE)."""
    source = payments.join(accounts, accounts.c.id == payments.c.account_id).outerjoin(
        cases, cases.c.id == accounts.c.case_id
    )
    return source, and_(days.on_date(payments.c.paid_on), sources.posted_payment(payments))


def _payment_facts(days: Days) -> Select[Any]:
    source, where = _paid(days)
    return (
        select(
            *_fact(
                payments.c.paid_on,
                payments.c.account_id,
                cases.c.team_id,
                cases.c.collector_id,
                payments=_ONE,
                collected_minor=payments.c.amount_minor,
            )
        )
        .select_from(source)
        .where(where)
    )


def _bucket_on(day: Any) -> Any:
    bh = bucket_history
    return and_(bh.c.account_id == accounts.c.id, sources.covers(bh.c.entered_on, bh.c.left_on, day))


def _anything_on(conn: Connection, days: Days) -> bool:
    """Whether any attempt, work item, promise or payment falls on the days (quiet days cost nothing)."""
    probes = [
        exists().where(days.within(contact_attempts.c.started_at)),
        exists().where(days.within(work_items.c.due_at)),
        exists().where(days.on_date(payments.c.paid_on)),
    ]
    p = sources.promises_table(conn)
    if p is not None:
        probes += [exists().where(days.within(p.c.created_at)), exists().where(days.on_date(p.c.due_on))]
    return any(conn.execute(select(probe)).scalar() for probe in probes)


DIMENSIONS = ["day", "account_id", "team_id", "collector_id", "product", "bucket", "currency"]
CUBE_COLUMNS = [
    "day",
    "team_id",
    "collector_id",
    "product",
    "bucket",
    "experiment",
    "arm",
    "currency",
    *MEASURES,
]
PAYMENT_COLUMNS = [
    "payment_id",
    "day",
    "account_id",
    "team_id",
    "collector_id",
    "product",
    "bucket",
    "currency",
    "amount_minor",
]


def refresh_days(conn: Connection, bounds: Sequence[tuple[date, datetime, datetime]]) -> tuple[int, int]:
    """Rebuild the cube, payment facts and collector time of these consecutive days; (cube rows, payments)."""
    if not bounds:
        return 0, 0
    days = Days(bounds)
    clear(conn, days)
    if not _anything_on(conn, days):
        return 0, 0
    collector_days(conn, days)
    parts = [_attempt_facts(days), _planned_facts(days), *_promise_facts(conn, days), _payment_facts(days)]
    facts = union_all(*parts).cte("facts")
    # the account's dimensions are looked up once per fact, before the facts are repeated per arm
    enriched = (
        select(
            facts.c.day,
            facts.c.account_id,
            func.coalesce(facts.c.team_id, cases.c.team_id).label("team_id"),
            facts.c.collector_id,
            accounts.c.product,
            func.coalesce(bucket_history.c.bucket, accounts.c.bucket).label("bucket"),
            accounts.c.currency,
            *(facts.c[m] for m in MEASURES),
        )
        .select_from(
            facts.join(accounts, accounts.c.id == facts.c.account_id)
            .outerjoin(cases, cases.c.id == accounts.c.case_id)
            .outerjoin(bucket_history, _bucket_on(facts.c.day))
        )
        .cte("enriched")
    )
    keyed = with_arms(conn, enriched, enriched.c.day, [*DIMENSIONS, *MEASURES])
    dims = [
        keyed.c[d]
        for d in ("day", "team_id", "collector_id", "product", "bucket", "experiment", "arm", "currency")
    ]
    query = select(*dims, *(func.sum(keyed.c[m]) for m in MEASURES)).group_by(*dims)
    cube = inserted(conn, insert(report_daily).from_select(CUBE_COLUMNS, query))
    source, where = _paid(days)
    paid_rows = (
        select(
            payments.c.id.label("payment_id"),
            payments.c.paid_on.label("day"),
            payments.c.account_id,
            cases.c.team_id,
            cases.c.collector_id,
            accounts.c.product,
            func.coalesce(bucket_history.c.bucket, accounts.c.bucket).label("bucket"),
            accounts.c.currency,
            payments.c.amount_minor,
        )
        .select_from(source.outerjoin(bucket_history, _bucket_on(payments.c.paid_on)))
        .where(where)
        .cte("paid_rows")
    )
    paid_keyed = with_arms(conn, paid_rows, paid_rows.c.day, PAYMENT_COLUMNS)
    paid = inserted(
        conn,
        insert(report_payments).from_select(
            [*PAYMENT_COLUMNS, "experiment", "arm"],
            select(*(paid_keyed.c[c] for c in (*PAYMENT_COLUMNS, "experiment", "arm"))),
        ),
    )
    return cube, paid
