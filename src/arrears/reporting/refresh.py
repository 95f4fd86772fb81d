"""The set-based statements that rebuild the reporting summaries for a roll month or a cohort (days: days.py).

Each statement is one INSERT ... SELECT (dialect-neutral SQLAlchemy Core, the same SQL on SQLite and
PostgreSQL) after a DELETE of what it replaces, so a refresh is idempotent. Day boundaries are computed
by the caller in the reporting time zone and passed as aware UTC instants.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.engine import Connection

from arrears.portfolio.store import accounts, bucket_history, cases, payments
from arrears.reporting import sources
from arrears.reporting.rules import add_months
from arrears.reporting.store import (
    report_arms,
    report_cohorts,
    report_debtor_accounts,
    report_rolls,
)

ADVISORY_LOCK_KEY = 0x52505254  # "RPRT": one refresh at a time on PostgreSQL
COHORT_HORIZON = 12  # months a recovery curve follows a cohort

_ZERO = literal_column("0", BigInteger)
_ONE = literal_column("1", BigInteger)
_NONE = literal_column("''", String)


def inserted(conn: Connection, statement: Any) -> int:
    """Run an INSERT ... SELECT; the rows it wrote (SQLite says -1 after a WITH: ask changes())."""
    count = int(conn.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)
    if count < 0 and conn.dialect.name == "sqlite":
        count = int(conn.exec_driver_sql("select changes()").scalar() or 0)
    return max(count, 0)


def lock(conn: Connection) -> None:
    """Serialise refreshes (PostgreSQL advisory lock for this transaction; SQLite serialises writers)."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
        # few, large statements: JIT compiling costs more than it saves; sorts and hashes of a week's
        # facts should stay in memory
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '128MB'")


def rebuild_debtor_accounts(conn: Connection) -> None:
    """Credit debtor-level events to each debtor's lowest-id account."""
    conn.execute(delete(report_debtor_accounts))
    conn.execute(
        insert(report_debtor_accounts).from_select(
            ["debtor_id", "account_id"],
            select(accounts.c.debtor_id, func.min(accounts.c.id)).group_by(accounts.c.debtor_id),
        )
    )
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE report_debtor_accounts")  # the planner must know its size now


def rebuild_arms(conn: Connection) -> None:
    """The experiments and arms accounts are assigned to, with how many accounts each."""
    conn.execute(delete(report_arms))
    arms = sources.arm_table(conn)
    if arms is None:
        return
    conn.execute(
        insert(report_arms).from_select(
            ["experiment", "arm", "accounts"],
            select(arms.c.experiment, arms.c.arm, func.count()).group_by(arms.c.experiment, arms.c.arm),
        )
    )


def with_arms(conn: Connection, facts: Any, on_day: Any, columns: Sequence[str]) -> Any:
    """Each fact once for everyone (experiment '') and once per arm its account was in by on_day.

    `on_day` is a date or a column of `facts` holding each fact's day.
    """
    base = [facts.c[c] for c in columns]
    everyone = select(*base, _NONE.label("experiment"), _NONE.label("arm"))
    arms = sources.arm_table(conn)
    if arms is None:
        return everyone.subquery("keyed")
    assigned = sources.col(arms, "assigned_on")
    on = arms.c.account_id == facts.c.account_id
    if assigned is not None:
        on = and_(on, assigned <= on_day)
    per_arm = select(*base, arms.c.experiment, arms.c.arm).select_from(facts.join(arms, on))
    return union_all(everyone, per_arm).subquery("keyed")


def refresh_rolls(conn: Connection, month: date) -> int:
    """Rebuild the roll matrix for the cycle from the first of `month` to the first of the next month."""
    conn.execute(delete(report_rolls).where(report_rolls.c.month == month))
    snapshot, later = month, add_months(month, 1)
    b1, b2 = bucket_history.alias("b1"), bucket_history.alias("b2")
    pairs = (
        select(b1.c.account_id, b1.c.bucket.label("from_bucket"), b2.c.bucket.label("to_bucket"))
        .select_from(
            b1.join(
                b2,
                and_(
                    b2.c.account_id == b1.c.account_id, sources.covers(b2.c.entered_on, b2.c.left_on, later)
                ),
            )
        )
        .where(sources.covers(b1.c.entered_on, b1.c.left_on, snapshot))
        .cte("pairs")
    )
    keyed = with_arms(conn, pairs, snapshot, ["account_id", "from_bucket", "to_bucket"])
    dims = [
        keyed.c.from_bucket,
        keyed.c.to_bucket,
        accounts.c.product,
        cases.c.team_id,
        keyed.c.experiment,
        keyed.c.arm,
    ]
    query = (
        select(literal(month), *dims, func.count())
        .select_from(
            keyed.join(accounts, accounts.c.id == keyed.c.account_id).outerjoin(
                cases, cases.c.id == accounts.c.case_id
            )
        )
        .group_by(*dims)
    )
    return inserted(
        conn,
        insert(report_rolls).from_select(
            ["month", "from_bucket", "to_bucket", "product", "team_id", "experiment", "arm", "accounts"],
            query,
        ),
    )


def _month_index(column: Any) -> Any:
    return cast(extract("year", column), Integer) * 12 + cast(extract("month", column), Integer) - 1


def refresh_cohort(
    conn: Connection, cohort: date, first_delinquent: str, horizon: int = COHORT_HORIZON
) -> int:
    """Rebuild one cohort's recovery rows: episodes entering `first_delinquent` in the cohort month."""
    conn.execute(delete(report_cohorts).where(report_cohorts.c.cohort == cohort))
    bh, pay = bucket_history, payments
    episodes = (
        select(bh.c.id.label("episode"), bh.c.account_id, bh.c.entered_on)
        .where(
            bh.c.bucket == first_delinquent,
            bh.c.entered_on >= cohort,
            bh.c.entered_on < add_months(cohort, 1),
        )
        .cte("episodes")
    )
    base = cohort.year * 12 + cohort.month - 1
    offset = (_month_index(pay.c.paid_on) - base).label("months_since")
    paid = (
        select(episodes.c.episode, episodes.c.account_id, offset, pay.c.amount_minor)
        .select_from(
            episodes.join(
                pay, and_(pay.c.account_id == episodes.c.account_id, pay.c.paid_on >= episodes.c.entered_on)
            )
        )
        .where(pay.c.paid_on < add_months(cohort, horizon + 1), sources.posted_payment(pay))
        .cte("paid")
    )
    first = (
        select(paid.c.account_id, func.min(paid.c.months_since).label("months_since"))
        .group_by(paid.c.episode, paid.c.account_id)
        .subquery("first")
    )
    rows = union_all(
        select(
            episodes.c.account_id,
            literal_column("0", Integer).label("months_since"),
            _ONE.label("entered"),
            _ZERO.label("first_payers"),
            _ZERO.label("collected_minor"),
        ),
        select(first.c.account_id, first.c.months_since, _ZERO, _ONE, _ZERO),
        select(paid.c.account_id, paid.c.months_since, _ZERO, _ZERO, cast(paid.c.amount_minor, BigInteger)),
    ).cte("rows")
    last_day = add_months(cohort, 1) - timedelta(days=1)  # in the arm by the end of the cohort month
    keyed = with_arms(
        conn, rows, last_day, ["account_id", "months_since", "entered", "first_payers", "collected_minor"]
    )
    dims = [
        keyed.c.months_since,
        accounts.c.product,
        cases.c.team_id,
        keyed.c.experiment,
        keyed.c.arm,
        accounts.c.currency,
    ]
    query = (
        select(
            literal(cohort),
            *dims,
            func.sum(keyed.c.entered),
            func.sum(keyed.c.first_payers),
            func.sum(keyed.c.collected_minor),
        )
        .select_from(
            keyed.join(accounts, accounts.c.id == keyed.c.account_id).outerjoin(
                cases, cases.c.id == accounts.c.case_id
            )
        )
        .group_by(*dims)
    )
    return inserted(
        conn,
        insert(report_cohorts).from_select(
            [
                "cohort",
                "months_since",
                "product",
                "team_id",
                "experiment",
                "arm",
                "currency",
                "entered",
                "first_payers",
                "collected_minor",
            ],
            query,
        ),
    )
