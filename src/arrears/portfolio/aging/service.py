"""Aging use cases: age the whole portfolio as of a date (the nightly run's first step), list past runs.

A run is ONE transaction. Active accounts are read in id-ordered pages (keyset), aged with the pure rules
(rules.py, the only implementation of them), and each page is written set-based: bulk-loaded into TEMP
staging tables (COPY on PostgreSQL, executemany on SQLite), then applied with a few INSERT ... SELECT /
UPDATE ... FROM statements. Any error rolls everything back (the aging_runs row included), so a failed
run is simply repeated. Runs are serialised: a transaction-scoped advisory lock on PostgreSQL, the
write lock (taken by the run's first statement) on SQLite.

On PostgreSQL the run's new bucket_history and accrual rows are spooled to files and COPYed in at the
end, one COPY per table. When a table gets more new rows than it already holds (a first run over a
fresh portfolio), its foreign keys are dropped before that COPY and added back (validated) after it,
inside the run's transaction: one join instead of a trigger per row. Meanwhile readers of accounts wait
for the commit (seconds); if the locks are not granted within 5 s, the rows are checked one by one.

Idempotency: a rerun for the same as_of adds nothing (penalty_through = as_of stops the interest, the
late-fee watermark late_fee_through and the (account, kind, period_date) unique key stop fees, and the
buckets match the open bucket_history rows). An as_of earlier than the latest completed run is refused
(Conflict): fees and interest are already charged past it and aging only moves forward; an as_of after
the clock's UTC date is refused too (InputRejected).

Cases: a delinquent account (DPD > 0) not in a live case joins its debtor's live case (any status but
closed; on_hold and placed cases are left as they are), and a debtor without one gets a new open case.
A live case is closed (reason 'paid') once every account of the debtor has a zero balance and none is
delinquent. Only active accounts are aged; the others keep their state.

A first run charges each account's whole current delinquency (every missed cycle, interest from each
due date). An import that brings balances which already include those charges should set the
accounts' penalty_through and late_fee_through to the source system's cut-over date.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from arrears.core.access import SYSTEM, Permission, Principal, require
from arrears.core.clock import today
from arrears.core.errors import ConfigError, Conflict, FieldProblem, InputRejected
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.aging import rules
from arrears.portfolio.aging import store as st
from arrears.portfolio.aging.pipeline import Behind, behind, prefetched
from arrears.portfolio.model import ContractTerms, PenaltyBasis
from arrears.runtime import Runtime

CHUNK_SIZE = 25_000
T = TypeVar("T")


@dataclass
class CurrencyTotals:
    """Money charged by a run in one currency (minor units)."""

    late_fees: int = 0
    late_fees_minor: int = 0
    penalty_accruals: int = 0
    penalty_minor: int = 0


@dataclass
class AgingSummary:
    """What one aging run did."""

    run_id: int
    as_of: date
    accounts_aged: int
    buckets: dict[str, int]  # distribution of active accounts after the run, in bucket order
    bucket_moves: int  # accounts whose bucket changed (first agings are not moves)
    moves: dict[str, int]  # "M1>M2" -> accounts
    first_aged: int  # accounts aged for the first time (their first bucket_history row)
    late_fees: int
    late_fees_minor: int  # summed over currencies; see by_currency
    penalty_accruals: int
    penalty_minor: int
    cases_opened: int
    cases_closed: int
    duration_s: float
    by_currency: dict[str, CurrencyTotals] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (dates as ISO strings)."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return out


@dataclass
class _Tally:
    buckets: Counter[str] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)
    by_currency: dict[str, CurrencyTotals] = field(default_factory=dict)
    aged: int = 0
    first: int = 0
    opened: int = 0


def age_portfolio(
    rt: Runtime, as_of: date, *, progress: Progress = no_progress, principal: Principal = SYSTEM
) -> AgingSummary:
    """Age every active account as of a date: DPD, bucket, history, late fees, penalty, cases."""
    require(principal, Permission.AGING_RUN)
    clock_today = today(rt.clock)
    if as_of > clock_today:
        raise InputRejected(
            f"as_of {as_of.isoformat()} is after today ({clock_today.isoformat()} UTC); "
            "aging cannot run ahead of the clock",
            [FieldProblem(0, "as_of", as_of.isoformat(), "after today")],
        )
    started = time.perf_counter()
    thresholds = tuple(rt.settings.bucket_thresholds)
    try:
        with rt.engine.begin() as conn:
            run_id = st.lock_and_open_run(conn, as_of, rt.clock.now())
            latest = st.latest_as_of(conn, other_than=run_id)
            if latest is not None and as_of < latest:
                raise Conflict(
                    f"as_of {as_of.isoformat()} is before the latest aging run ({latest.isoformat()}): "
                    "fees and penalty interest are already charged past it; aging only moves forward"
                )
            tally = _age_pages(rt, conn, as_of, thresholds, progress)
            progress(tally.aged, tally.aged, "closing paid cases")
            closed = st.close_paid_cases(conn, as_of, rt.clock.now())
            summary = _summary(run_id, as_of, thresholds, tally, closed, started)
            st.finish_run(conn, run_id, rt.clock.now(), _run_counts(summary))
    except IntegrityError as exc:
        first_line = str(exc.orig).splitlines()[0] if exc.orig else str(exc)
        raise Conflict(
            f"aging as of {as_of.isoformat()} was rolled back: a charge it computed already exists "
            f"(late_fee_through or penalty_through out of step with accruals?): {first_line}"
        ) from exc
    progress(tally.aged, tally.aged, "done")
    return summary


def recent_runs(rt: Runtime, limit: int = 20) -> list[dict[str, Any]]:
    """The newest completed aging runs, newest first."""
    with rt.engine.connect() as conn:
        return st.recent_runs(conn, limit)


def _age_pages(
    rt: Runtime, conn: Connection, as_of: date, thresholds: Sequence[int], progress: Progress,
) -> _Tally:
    """Age the active accounts page by page, writing each page on the run's connection (one transaction).

    On PostgreSQL the pages are read ahead on a second connection and written behind in a thread, so
    the server reads and writes while Python ages; their bucket history and accrual rows are spooled
    to files and copied in at the end, once the reader is done (see store.Ledger, store.write_ledger).
    SQLite runs in this thread only: sqlite3 releases the GIL for every row it steps, so threads beside
    the CPU-bound loop queue for the GIL (a convoy) and end up slower than doing one thing at a time.
    """
    st.create_staging(conn)
    total = st.count_active(conn)
    progress(0, total, "aging accounts")
    tally = _Tally()
    terms_cache: dict[tuple[Any, ...], ContractTerms] = {}
    now = rt.clock.now()

    ledger_at_end = conn.dialect.name == "postgresql"

    def write(page: st.AgedPage) -> None:
        tally.opened += st.apply_chunk(conn, page, as_of, now, ledger_at_end=ledger_at_end)

    with (st.Ledger(as_of) if ledger_at_end else nullcontext(None)) as ledger:
        with _pages(rt, conn, as_of) as pages, _writer(conn, write) as writer:
            for chunk in pages:
                page = _age_chunk(chunk, as_of, thresholds, terms_cache, tally)
                if ledger is not None:
                    ledger.add(page)
                    st.encode_for_copy(page)
                writer.submit(page)
                progress(tally.aged, total, "aging accounts")
        if ledger is not None:
            progress(tally.aged, total, "writing bucket history and accruals")
            st.write_ledger(conn, ledger)
    st.drop_staging(conn)
    return tally


def _pages(rt: Runtime, conn: Connection, as_of: date) -> AbstractContextManager[Iterator[st.Chunk]]:
    """Pages of accounts: read ahead on a second connection on PostgreSQL (it sees committed data, and
    the run writes only pages already read), else on the run's own connection."""
    if conn.dialect.name != "postgresql":
        return nullcontext(st.chunks(conn, as_of, CHUNK_SIZE))

    def produce() -> Iterator[st.Chunk]:
        with rt.engine.connect() as reader:
            yield from st.chunks(reader, as_of, CHUNK_SIZE)

    return prefetched(produce)


class _Inline(Generic[T]):
    """The Behind interface, done at once in this thread."""

    def __init__(self, handle: Callable[[T], None]) -> None:
        self.submit = handle


def _writer(conn: Connection, handle: Callable[[T], None]) -> AbstractContextManager[Behind[T] | _Inline[T]]:
    """Write pages behind in a thread on PostgreSQL, inline on SQLite."""
    if conn.dialect.name == "postgresql":
        return behind(handle)
    return nullcontext(_Inline(handle))


def _age_chunk(
    chunk: st.Chunk, as_of: date, thresholds: Sequence[int],
    terms_cache: dict[tuple[Any, ...], ContractTerms], tally: _Tally,
) -> st.AgedPage:
    """Age one chunk with the pure rules; what to write for it."""
    page = st.AgedPage((chunk.accounts[0][0], chunk.accounts[-1][0]))
    stage_rows = page.accounts
    accrual_rows = page.accruals
    as_of_day = as_of.toordinal()
    items_of = chunk.items
    open_bucket = chunk.open_bucket
    buckets = tally.buckets
    age_account = rules.age_account
    not_late = rules.NOT_LATE
    for row in chunk.accounts:
        (account_id, currency, old_dpd, old_bucket, penalty_through, late_fee_through,
         due_day, grace, fee, rate, basis, day_count, debtor_id, case_status) = row
        lines = items_of.get(account_id)
        if lines:
            key = (currency, grace, fee, rate, basis, day_count, due_day)
            terms = terms_cache.get(key)
            if terms is None:
                terms = terms_cache[key] = _terms(account_id, key)
            aging = age_account(lines, as_of, terms, thresholds,
                                penalty_through=penalty_through, late_fee_through=late_fee_through)
        else:
            aging = not_late
        bucket = aging.bucket
        buckets[bucket] += 1
        previous = open_bucket.get(account_id)
        if previous is None:
            history = st.HISTORY_FIRST
            tally.first += 1
        elif previous != bucket:
            history = st.HISTORY_MOVE
            tally.moves[f"{previous}>{bucket}"] += 1
            page.moved.append(account_id)
        else:
            history = st.HISTORY_KEEP
        cycles = aging.late_fee_cycles
        fees = aging.late_fee_minor * len(cycles)
        penalty = aging.penalty_minor
        needs_case = 1 if aging.dpd > 0 and (case_status is None or case_status == "closed") else 0
        if history or fees or penalty or needs_case or aging.dpd != old_dpd or bucket != old_bucket:
            newest_cycle = cycles[-1].toordinal() if cycles else None
            stage_rows.append(
                (account_id, aging.dpd, bucket, fees, penalty, newest_cycle, history, debtor_id, needs_case)
            )
        if fees or penalty:
            totals = tally.by_currency.get(currency)
            if totals is None:
                totals = tally.by_currency[currency] = CurrencyTotals()
            for cycle in cycles:
                accrual_rows.append((account_id, "late_fee", cycle.toordinal(), 0, aging.late_fee_minor))
            totals.late_fees += len(cycles)
            totals.late_fees_minor += fees
            if penalty:
                accrual_rows.append((account_id, "penalty", as_of_day, aging.penalty_days, penalty))
                totals.penalty_accruals += 1
                totals.penalty_minor += penalty
    tally.aged += len(chunk.accounts)
    return page


def _terms(account_id: int, key: tuple[Any, ...]) -> ContractTerms:
    currency, grace, fee, rate, basis, day_count, due_day = key
    try:
        penalty_basis = PenaltyBasis(basis)
    except ValueError:
        raise ConfigError(f"account {account_id}: unknown penalty_basis {basis!r}") from None
    if day_count not in (360, 365):
        raise ConfigError(f"account {account_id}: day_count must be 360 or 365, not {day_count}")
    if grace < 0 or fee < 0 or rate < 0 or not 0 <= due_day <= 31:
        raise ConfigError(f"account {account_id}: negative grace, fee or rate, or due_day outside 0..31")
    return ContractTerms(currency=currency, grace_days=grace, late_fee_minor=fee, penalty_rate_ppm=rate,
                         penalty_basis=penalty_basis, day_count=day_count, due_day=due_day)


def _summary(
    run_id: int, as_of: date, thresholds: Sequence[int], tally: _Tally,
    closed: int, started: float,
) -> AgingSummary:
    labels = rules.bucket_labels(thresholds)
    by_currency = dict(sorted(tally.by_currency.items()))
    return AgingSummary(
        run_id=run_id,
        as_of=as_of,
        accounts_aged=tally.aged,
        buckets={label: tally.buckets.get(label, 0) for label in labels},
        bucket_moves=sum(tally.moves.values()),
        moves=dict(sorted(tally.moves.items())),
        first_aged=tally.first,
        late_fees=sum(t.late_fees for t in by_currency.values()),
        late_fees_minor=sum(t.late_fees_minor for t in by_currency.values()),
        penalty_accruals=sum(t.penalty_accruals for t in by_currency.values()),
        penalty_minor=sum(t.penalty_minor for t in by_currency.values()),
        cases_opened=tally.opened,
        cases_closed=closed,
        duration_s=round(time.perf_counter() - started, 3),
        by_currency=by_currency,
    )


def _run_counts(summary: AgingSummary) -> dict[str, int]:
    return {
        "accounts_aged": summary.accounts_aged,
        "bucket_moves": summary.bucket_moves,
        "late_fees": summary.late_fees,
        "late_fees_minor": summary.late_fees_minor,
        "penalty_minor": summary.penalty_minor,
        "cases_opened": summary.cases_opened,
        "cases_closed": summary.cases_closed,
    }
