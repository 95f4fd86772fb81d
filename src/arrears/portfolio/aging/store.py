"""Aging persistence: paged reads, TEMP staging tables, and the set-based statements that write a page.

Active accounts are read in id order (keyset pages; each query is complete, so reads and writes can
share one connection and transaction). What the rules decided for a page is bulk-loaded into TEMP
tables and applied with a handful of INSERT ... SELECT / UPDATE ... FROM statements, bounded to the
page's id range, that run unchanged on SQLite (3.33+) and PostgreSQL.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import IO, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select

from arrears.core.tables import Id, UtcDateTime
from arrears.portfolio.aging.rules import DueLine
from arrears.portfolio.aging.sql import (
    bulk_load,
    checked_once,
    copy_text,
    date_reader,
    fetch_all,
    from_day_number,
)
from arrears.portfolio.store import accounts, accruals, aging_runs, bucket_history, cases, due_items

ADVISORY_LOCK_KEY = 0x41474E47  # "AGNG": one aging run at a time on PostgreSQL
HISTORY_KEEP, HISTORY_FIRST, HISTORY_MOVE = 0, 1, 2

_staging = MetaData()
stage_accounts = Table(
    "aging_stage_accounts",
    _staging,
    Column("id", Id, primary_key=True, autoincrement=False),
    Column("new_dpd", Integer, nullable=False),
    Column("new_bucket", String(8), nullable=False),
    Column("fee_add", BigInteger, nullable=False),
    Column("penalty_add", BigInteger, nullable=False),
    Column("late_fee_day", Integer),  # day number of the newest cycle charged now, NULL when none
    Column("history", Integer, nullable=False),  # HISTORY_KEEP | HISTORY_FIRST | HISTORY_MOVE
    Column("debtor_id", BigInteger, nullable=False),
    Column("needs_case", Integer, nullable=False),  # 1: delinquent and not in a live case
    prefixes=["TEMPORARY"],
)
stage_accruals = Table(
    "aging_stage_accruals",
    _staging,
    Column("account_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period_day", Integer, nullable=False),  # day number of accruals.period_date
    Column("days", Integer, nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)

_STAGING_TABLES = (stage_accounts, stage_accruals)
_STAGE_COLUMNS = tuple(c.name for c in stage_accounts.columns)

# Looked up only for accounts that have a case. During a first run every case_id is NULL while the run
# inserts (uncommitted) cases: a lookup the planner turned into a scan of that growing table, once per
# account, made reading pages quadratic.
_CASE_STATUS = case(
    (accounts.c.case_id.is_(None), None),
    else_=select(cases.c.status).where(cases.c.id == accounts.c.case_id).scalar_subquery(),
)
_ACCOUNTS_PAGE = (
    select(
        accounts.c.id, accounts.c.currency, accounts.c.dpd, accounts.c.bucket, accounts.c.penalty_through,
        accounts.c.late_fee_through, accounts.c.due_day, accounts.c.grace_days, accounts.c.late_fee_minor,
        accounts.c.penalty_rate_ppm, accounts.c.penalty_basis, accounts.c.day_count, accounts.c.debtor_id,
        _CASE_STATUS,  # NULL when the account has no case
    )
    .where(accounts.c.status == "active", accounts.c.id > bindparam("after"))
    .order_by(accounts.c.id)
    .limit(bindparam("size"))
)
_OVERDUE_ITEMS = select(
    due_items.c.account_id, due_items.c.due_date, due_items.c.amount_minor, due_items.c.paid_minor,
    due_items.c.principal_minor,
).where(
    due_items.c.account_id.between(bindparam("lo"), bindparam("hi")),
    due_items.c.due_date < bindparam("as_of", type_=Date),
    due_items.c.paid_minor < due_items.c.amount_minor,
)
_OPEN_HISTORY = select(bucket_history.c.account_id, bucket_history.c.bucket).where(
    bucket_history.c.account_id.between(bindparam("lo"), bindparam("hi")), bucket_history.c.left_on.is_(None)
)


@dataclass(slots=True)
class Chunk:
    """One page of active accounts (raw rows in _ACCOUNTS_PAGE order), their overdue items, open history."""

    accounts: list[tuple[Any, ...]]
    items: dict[int, list[DueLine]]  # account id -> its unpaid items due before as_of
    open_bucket: dict[int, str]  # account id -> bucket of its open bucket_history row


def chunks(conn: Connection, as_of: date, size: int) -> Iterator[Chunk]:
    """Active accounts in id order, `size` at a time; penalty/late-fee dates already parsed."""
    to_date = date_reader(conn)
    after = 0
    while True:
        raw = fetch_all(conn, _ACCOUNTS_PAGE, {"after": after, "size": size})
        if not raw:
            return
        rows = [
            (r[0], r[1], r[2], r[3], r[4] and to_date(r[4]), r[5] and to_date(r[5]), *r[6:]) for r in raw
        ]
        lo, hi = rows[0][0], rows[-1][0]
        items: dict[int, list[DueLine]] = {}
        for account_id, due, amount, paid, principal in fetch_all(
            conn, _OVERDUE_ITEMS, {"lo": lo, "hi": hi, "as_of": as_of}
        ):
            line = DueLine(to_date(due), amount, paid, principal)
            found = items.get(account_id)
            if found is None:
                items[account_id] = [line]
            else:
                found.append(line)
        open_bucket = dict(fetch_all(conn, _OPEN_HISTORY, {"lo": lo, "hi": hi}))  # type: ignore[arg-type]
        yield Chunk(rows, items, open_bucket)
        after = hi


def lock_and_open_run(conn: Connection, as_of: date, started_at: datetime) -> int:
    """Serialise aging runs (advisory lock / SQLite write lock) and record the run's start; its id."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
    stmt = insert(aging_runs).values(as_of=as_of, started_at=started_at).returning(aging_runs.c.id)
    return int(conn.execute(stmt).scalar_one())


def latest_as_of(conn: Connection, other_than: int) -> date | None:
    """The as_of of the newest completed run (other than the one in progress)."""
    stmt = select(func.max(aging_runs.c.as_of)).where(
        aging_runs.c.finished_at.is_not(None), aging_runs.c.id != other_than
    )
    value: date | None = conn.execute(stmt).scalar()
    return value


def finish_run(conn: Connection, run_id: int, finished_at: datetime, counts: dict[str, int]) -> None:
    """Write the run's counts and totals."""
    stmt = update(aging_runs).where(aging_runs.c.id == run_id).values(finished_at=finished_at, **counts)
    conn.execute(stmt)


def recent_runs(conn: Connection, limit: int) -> list[dict[str, Any]]:
    """The newest completed runs, newest first."""
    stmt = (
        select(aging_runs).where(aging_runs.c.finished_at.is_not(None))
        .order_by(aging_runs.c.id.desc()).limit(limit)
    )
    return [dict(row._mapping) for row in conn.execute(stmt)]


def count_active(conn: Connection) -> int:
    """Number of active accounts (the progress total)."""
    return int(conn.execute(select(func.count()).where(accounts.c.status == "active")).scalar_one())


def create_staging(conn: Connection) -> None:
    """Create (afresh) the TEMP staging tables on this connection."""
    for table in _STAGING_TABLES:
        table.drop(conn, checkfirst=True)
        table.create(conn)


def drop_staging(conn: Connection) -> None:
    """Drop the TEMP staging tables."""
    for table in _STAGING_TABLES:
        table.drop(conn, checkfirst=True)


@dataclass(slots=True)
class AgedPage:
    """What aging decided for one page, ready to write."""

    span: tuple[int, int]  # first and last account id of the page
    accounts: list[tuple[Any, ...]] = field(default_factory=list)  # rows of stage_accounts
    accruals: list[tuple[Any, ...]] = field(default_factory=list)  # rows of stage_accruals
    moved: list[int] = field(default_factory=list)  # accounts whose open bucket_history row closes
    accounts_text: bytes | None = None  # `accounts` in COPY text format, when encoded (see encode_for_copy)


def encode_for_copy(page: AgedPage) -> None:
    """Encode the page's stage_accounts rows in COPY text format (PostgreSQL), in the aging thread, so
    the writer thread only sends bytes and its connection waits less for Python between statements."""
    lines = []
    for account_id, dpd, bucket, fees, penalty, cycle, history, debtor_id, needs_case in page.accounts:
        newest = "\\N" if cycle is None else cycle  # NULL
        lines.append(f"{account_id}\t{dpd}\t{bucket}\t{fees}\t{penalty}\t{newest}\t{history}\t"
                     f"{debtor_id}\t{needs_case}\n")
    page.accounts_text = "".join(lines).encode()


def apply_chunk(
    conn: Connection, page: AgedPage, as_of: date, now: datetime, *, ledger_at_end: bool = False
) -> int:
    """Write one aged page: cases, account state, bucket history, accruals; the number of cases opened.

    Runs on the run's transaction: the staging tables are emptied, loaded in bulk, then applied with
    set-based statements bounded to the page's id range. With `ledger_at_end` the page's new
    bucket_history and accrual rows are left to the run's Ledger (see write_ledger).
    """
    lo, hi = page.span
    _empty_staging(conn)
    if page.accounts_text is not None:
        copy_text(conn, stage_accounts, _STAGE_COLUMNS, io.BytesIO(page.accounts_text))
    else:
        bulk_load(conn, stage_accounts, page.accounts)
    if not ledger_at_end:
        bulk_load(conn, stage_accruals, page.accruals)
    s = stage_accounts
    # Cases and account state first: the foreign-key checks of the history and accrual rows inserted
    # after them then find each account row already locked by this transaction's own update, instead of
    # locking (and so rewriting) it once more.
    opened = _open_cases(conn, as_of, now)
    live_case = (
        select(cases.c.id).where(cases.c.debtor_id == s.c.debtor_id, cases.c.status != "closed")
        .correlate(s).scalar_subquery()
    )
    conn.execute(
        update(accounts).where(accounts.c.id.between(lo, hi), accounts.c.id == s.c.id).values(
            dpd=s.c.new_dpd,
            bucket=s.c.new_bucket,
            aged_as_of=as_of,
            fees_minor=accounts.c.fees_minor + s.c.fee_add,
            penalty_minor=accounts.c.penalty_minor + s.c.penalty_add,
            penalty_through=case(
                (s.c.penalty_add > 0, literal(as_of, Date)), else_=accounts.c.penalty_through
            ),
            late_fee_through=func.coalesce(from_day_number(s.c.late_fee_day), accounts.c.late_fee_through),
            case_id=case((s.c.needs_case == 1, func.coalesce(live_case, accounts.c.case_id)),
                         else_=accounts.c.case_id),
            updated_at=now,
        )
    )
    conn.execute(  # the page's unchanged accounts: only the date they were last aged
        update(accounts).where(
            accounts.c.id.between(lo, hi), accounts.c.status == "active",
            or_(accounts.c.aged_as_of.is_(None), accounts.c.aged_as_of != as_of),
        ).values(aged_as_of=as_of)
    )
    if page.moved:
        conn.execute(
            update(bucket_history)
            .where(bucket_history.c.account_id.in_(page.moved), bucket_history.c.left_on.is_(None))
            .values(left_on=as_of)
        )
    if ledger_at_end:
        return opened
    entering = select(s.c.id, s.c.new_bucket, s.c.new_dpd).where(s.c.history != HISTORY_KEEP).order_by(s.c.id)
    _insert_history(conn, entering, as_of)
    _insert_accruals(conn, stage_accruals, as_of)
    return opened


_HISTORY_COLUMNS = ("account_id", "bucket", "entered_on", "dpd_at_entry")
_ACCRUAL_COLUMNS = ("account_id", "kind", "period_date", "days", "amount_minor", "as_of")


class Ledger:
    """A run's new bucket_history and accrual rows on PostgreSQL, spooled page by page (in account order)
    to temporary files in COPY text format and copied into their tables at the end (see write_ledger).

    COPY inserts the rows in batches (one heap WAL record per filled page rather than per row) and the
    run needs no TEMP table and no INSERT ... SELECT in between. The files are small next to the tables
    (about 30 bytes a row) and stay in memory up to a few megabytes."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of.isoformat()
        self.history: IO[bytes] = _spool()
        self.accruals: IO[bytes] = _spool()
        self.history_rows = 0
        self.accrual_rows = 0
        self._days: dict[int, str] = {}  # day number -> ISO date

    def add(self, page: AgedPage) -> None:
        """Spool a page's new bucket_history rows (history FIRST or MOVE) and its accrual rows."""
        as_of = self.as_of
        # page.accounts rows: (id, dpd, bucket, fees, penalty, newest cycle, history, debtor, needs_case)
        history = [f"{r[0]}\t{r[2]}\t{as_of}\t{r[1]}\n" for r in page.accounts if r[6] != HISTORY_KEEP]
        days = self._days
        lines = []
        for account_id, kind, day, covered, amount in page.accruals:
            text = days.get(day)
            if text is None:
                text = days[day] = date.fromordinal(day).isoformat()
            lines.append(f"{account_id}\t{kind}\t{text}\t{covered}\t{amount}\t{as_of}\n")
        self.history.write("".join(history).encode())
        self.accruals.write("".join(lines).encode())
        self.history_rows += len(history)
        self.accrual_rows += len(lines)

    def close(self) -> None:
        """Delete the spool files."""
        self.history.close()
        self.accruals.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def _spool() -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=8 << 20, prefix="arrears-aging-")  # noqa: SIM115


def write_ledger(conn: Connection, ledger: Ledger) -> None:
    """Copy the run's spooled ledger into bucket_history and accruals (PostgreSQL).

    When a table gets more new rows than it holds (a first run), its foreign keys are checked once by
    a join rather than by a lookup per row (see checked_once).
    """
    with checked_once(conn, bucket_history, ledger.history_rows):
        copy_text(conn, bucket_history, _HISTORY_COLUMNS, ledger.history)
    with checked_once(conn, accruals, ledger.accrual_rows):
        copy_text(conn, accruals, _ACCRUAL_COLUMNS, ledger.accruals)


def _insert_history(conn: Connection, entering: Select[Any], as_of: date) -> None:
    """Open a bucket_history row for each (account id, bucket, dpd) selected."""
    account_id, bucket, dpd = entering.subquery().c
    conn.execute(insert(bucket_history).from_select(
        ["account_id", "bucket", "entered_on", "dpd_at_entry"],
        select(account_id, bucket, literal(as_of, Date), dpd),
    ))


def _insert_accruals(conn: Connection, source: Table, as_of: date) -> None:
    """Insert the staged accrual rows, in the order of the unique key."""
    a = source.c
    rows = select(
        a.account_id, a.kind, from_day_number(a.period_day), a.days, a.amount_minor, literal(as_of, Date)
    ).order_by(a.account_id, a.kind, a.period_day)
    conn.execute(insert(accruals).from_select(
        ["account_id", "kind", "period_date", "days", "amount_minor", "as_of"], rows,
    ))


def _empty_staging(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("TRUNCATE aging_stage_accounts, aging_stage_accruals")
    else:
        conn.execute(stage_accounts.delete())
        conn.execute(stage_accruals.delete())


def _open_cases(conn: Connection, as_of: date, now: datetime) -> int:
    """Open a case for every debtor with a staged account that needs one and no live case yet."""
    s = stage_accounts
    live = exists().where(cases.c.debtor_id == s.c.debtor_id, cases.c.status != "closed")
    debtors = (
        select(s.c.debtor_id, literal("open"), literal(as_of, Date), literal(now, UtcDateTime),
               literal(now, UtcDateTime))
        .where(s.c.needs_case == 1, ~live)
        .distinct()
    )
    columns = ["debtor_id", "status", "opened_on", "created_at", "updated_at"]
    stmt = insert(cases).from_select(columns, debtors).execution_options(preserve_rowcount=True)
    return int(conn.execute(stmt).rowcount)


def _balance() -> Any:
    a = accounts.c
    return a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor


def close_paid_cases(conn: Connection, as_of: date, now: datetime) -> int:
    """Close (reason 'paid') every live case whose debtor's accounts all have zero balance; the count."""
    of_debtor = accounts.c.debtor_id == cases.c.debtor_id
    owing = or_(_balance() > 0, and_(accounts.c.status == "active", accounts.c.dpd > 0))
    stmt = update(cases).where(
        cases.c.status != "closed",
        exists().where(of_debtor, _balance() == 0),  # cheap pre-filter: some account is paid off
        ~exists().where(of_debtor, owing),
    ).values(status="closed", close_reason="paid", closed_on=as_of, updated_at=now)
    return int(conn.execute(stmt).rowcount)
