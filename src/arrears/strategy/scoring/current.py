"""Tonight's raw facts for scoring, fast: one set-based query per account-id range on the raw DBAPI cursor.

The database joins each account to its debtor and to per-range aggregates of payments, calls and bucket
history, and returns dates as day numbers (date.toordinal()), so a range of 100,000 accounts comes back
as plain tuples and turns into numpy columns without a Python loop per value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from arrears.strategy.scoring.features import RawData

_DAY = {
    "postgresql": "cast(coalesce(({x} - date '0001-01-01') + 1, -1) as bigint)",
    "sqlite": "coalesce(cast(julianday({x}) - 1721424.5 as integer), -1)",
}

_SQL = """
select a.id, a.debtor_id,
       case a.product when 'credit_card' then 0 when 'consumer_loan' then 1
                      when 'business_receivable' then 2 else 3 end,
       case when d.kind = 'company' then 1 else 0 end, a.dpd,
       a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor,
       {open_day}, {source_last_day},
       cast(coalesce(p.n_total, 0) as bigint), cast(coalesce(p.n_90, 0) as bigint),
       cast(coalesce(p.amount_90, 0) as bigint), {paid_last_day},
       case d.contactability when 'lost' then 0 when 'semi_lost' then 1 else 2 end,
       cast(coalesce(c.n, 0) as bigint), cast(coalesce(c.rpcs, 0) as bigint), cast(coalesce(e.n, 0) as bigint)
from accounts a
join debtors d on d.id = a.debtor_id
left join (
    select account_id,
           sum(case when paid_on <= {t} then 1 else 0 end) as n_total,
           sum(case when paid_on > {t90} and paid_on <= {t} then 1 else 0 end) as n_90,
           sum(case when paid_on > {t90} and paid_on <= {t} then amount_minor else 0 end) as amount_90,
           max(case when paid_on <= {t} then paid_on end) as last_paid
    from payments
    where account_id between {lo} and {hi} and status = 'posted'
    group by account_id
) p on p.account_id = a.id
left join {calls} c on c.debtor_id = a.debtor_id
left join (
    select account_id, count(*) as n from bucket_history
    where account_id between {lo} and {hi} and bucket = 'M1' and entered_on <= {t}
    group by account_id
) e on e.account_id = a.id
where a.id between {lo} and {hi} and a.status = 'active'
"""  # noqa: S608  (placeholders only; values travel as parameters)

# calls and right-party contacts per debtor in the 30 days up to the day (inline, or a run's temp table)
_CALLS = """(
    select debtor_id, count(*) as n, sum(case when outcome = 'connected_rpc' then 1 else 0 end) as rpcs
    from contact_attempts
    where started_at >= {since} and started_at < {until}{only}
    group by debtor_id
)"""  # noqa: S608
_IN_RANGE = " and debtor_id in (select debtor_id from accounts where id between {lo} and {hi})"
CALLS_TABLE = "score_calls"
PRODUCT_NAMES = np.array(["credit_card", "consumer_loan", "business_receivable", "other"])
CONTACTABILITY_NAMES = np.array(["lost", "semi_lost", "contactable"])

_COMPILED: dict[tuple[str, str | None], str] = {}


def _marks(dialect: str) -> dict[str, str]:
    mark = "%({})s" if dialect == "postgresql" else ":{}"
    return {n: mark.format(n) for n in ("t", "t90", "lo", "hi", "since", "until")}


def _sql(dialect: str, calls: str | None = None) -> str:
    key = (dialect, calls)
    if key not in _COMPILED:
        day = _DAY.get(dialect, _DAY["postgresql"])
        marks = _marks(dialect)
        inline = _CALLS.format(only=_IN_RANGE.format(**marks), **marks)
        _COMPILED[key] = _SQL.format(
            open_day=day.format(x="a.open_date"), source_last_day=day.format(x="a.last_payment_date"),
            paid_last_day=day.format(x="p.last_paid"), calls=calls or inline, **marks,
        )
    return _COMPILED[key]


def calls_table(conn: Connection, t: date) -> str:
    """Count every debtor's calls of the 30 days up to day t once, into a temporary table; its name."""
    dialect = conn.dialect.name
    marks = _marks(dialect)
    conn.exec_driver_sql(f"drop table if exists {CALLS_TABLE}")
    conn.exec_driver_sql(f"create temporary table {CALLS_TABLE} as select * from "  # noqa: S608
                         + _CALLS.format(only="", **marks) + " counted", _params(dialect, 0, 0, t))
    conn.exec_driver_sql(f"create index ix_{CALLS_TABLE}_debtor on {CALLS_TABLE} (debtor_id)")
    if dialect == "postgresql":
        conn.exec_driver_sql(f"analyze {CALLS_TABLE}")
    return CALLS_TABLE


def drop_calls_table(conn: Connection, name: str) -> None:
    """Drop the run's temporary table."""
    conn.exec_driver_sql(f"drop table if exists {name}")


def _params(dialect: str, lo: int, hi: int, t: date) -> dict[str, Any]:
    until = datetime.combine(t + timedelta(days=1), time(0), tzinfo=UTC)
    since = until - timedelta(days=30)
    values: dict[str, Any] = {"t": t, "t90": t - timedelta(days=90), "lo": lo, "hi": hi,
                              "since": since, "until": until}
    if dialect == "sqlite":  # what UtcDateTime and Date store there
        values.update(t=t.isoformat(), t90=values["t90"].isoformat(),
                      since=since.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
                      until=until.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"))
    return values


def read_current(conn: Connection, lo: int, hi: int, t: date, calls: str | None = None) -> RawData:
    """Raw facts of the active accounts with ids lo..hi as they stand on day t (scoring).

    `calls`: a table made by calls_table for the same day (else the calls are counted per range).
    """
    dialect = conn.dialect.name
    if dialect == "postgresql":  # binary results: numbers arrive as numbers, no text to parse
        cursor = conn.connection.driver_connection.cursor(binary=True)  # type: ignore[union-attr]
    else:
        cursor = conn.connection.cursor()
    try:
        cursor.execute(_sql(dialect, calls), _params(dialect, lo, hi, t))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    n = len(rows)
    if n:
        table = np.array(rows, dtype=np.int64)  # every column is an integer (see _SQL)
        table = table[np.argsort(table[:, 0], kind="stable")]  # by account id
    else:
        table = np.zeros((0, 16), dtype=np.int64)
    col = table.T
    t_day = t.toordinal()
    source_last, table_last = col[7], col[11]
    last_paid = np.where(source_last <= t_day, np.maximum(source_last, table_last), table_last)
    return RawData(
        account_id=col[0].copy(), debtor_id=col[1].copy(), product=PRODUCT_NAMES[col[2]],
        is_company=col[3].copy(), dpd=col[4].copy(), balance_minor=col[5].astype(np.float64),
        open_day=col[6].copy(), last_paid_day=last_paid, payments_total=col[8].copy(),
        payments_90d=col[9].copy(), paid_90d_minor=col[10].astype(np.float64),
        broken_promises=np.zeros(n, dtype=np.int64), contactability=CONTACTABILITY_NAMES[col[12]],
        attempts_30d=col[13].copy(), rpcs_30d=col[14].copy(), episodes=col[15].copy(), as_of_day=t_day,
    )
