"""A run that adds more ledger rows than the tables hold (a first run) checks their foreign keys once, by
a join, on PostgreSQL: same result, the constraints back in place, a missing parent still refused, and
row-by-row checks when the tables are busy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from arrears.core.clock import FixedClock
from arrears.portfolio.aging import sql
from arrears.portfolio.aging.service import age_portfolio
from arrears.portfolio.store import accruals, bucket_history
from arrears.runtime import Runtime
from tests.integration.aging_seed import account, charges, count, debtor, history, state

AS_OF = date(2026, 3, 31)


def _foreign_keys(conn: Connection, table: str) -> list[tuple[Any, ...]]:
    """(name, definition, validated) of a table's foreign keys on PostgreSQL; [] on SQLite."""
    if conn.dialect.name != "postgresql":
        return []
    return [tuple(r) for r in conn.execute(text(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"), {"t": table})]


def _seed(rt: Runtime) -> list[int]:
    with rt.engine.begin() as conn:
        d = debtor(conn, "D")
        return [
            account(conn, d, "late", (date(2026, 1, 10), 50_000), late_fee_minor=2_500,
                    penalty_rate_ppm=180_000),
            account(conn, d, "current", (date(2026, 3, 10), 10_000, 10_000)),
            account(conn, debtor(conn, "E"), "other", (date(2026, 3, 1), 20_000), late_fee_minor=1_000),
        ]


@pytest.fixture
def bulk(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every ledger insert counts as a bulk one; yields the constraint changes run."""
    monkeypatch.setattr(sql, "BULK_MIN_ROWS", 1)
    ddl: list[str] = []
    original = Connection.exec_driver_sql

    def spy(self: Connection, statement: str, *args: Any, **kwargs: Any) -> Any:
        if "CONSTRAINT" in statement:
            ddl.append(" ".join(statement.split()[:6]))
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "exec_driver_sql", spy)
    yield ddl


def test_first_run_in_bulk_gives_the_ledger_and_keeps_the_constraints(runtime: Runtime,
                                                                        bulk: list[str]) -> None:
    ids = _seed(runtime)
    with runtime.engine.connect() as conn:
        before = {t: _foreign_keys(conn, t) for t in ("accruals", "bucket_history")}
    summary = age_portfolio(runtime, AS_OF)
    # late: Jan 10, Feb 10, Mar 10 missed (80 DPD); other: Mar 1 missed (30 DPD)
    assert (summary.late_fees, summary.late_fees_minor, summary.first_aged) == (4, 8_500, 3)
    with runtime.engine.connect() as conn:
        assert [c[:2] for c in charges(conn, ids[0])] == [
            ("late_fee", date(2026, 1, 10)), ("late_fee", date(2026, 2, 10)), ("late_fee", date(2026, 3, 10)),
            ("penalty", AS_OF)]
        assert [h[:2] for h in history(conn, ids[1])] == [("M0", AS_OF)]
        assert state(conn, ids[2]).dpd == 30
        after = {t: _foreign_keys(conn, t) for t in ("accruals", "bucket_history")}
    assert after == before  # dropped and added back, validated, same definition
    if runtime.engine.dialect.name == "postgresql":
        assert all(fk[2] for fks in after.values() for fk in fks) and after["accruals"]
        assert bulk == [
            "ALTER TABLE bucket_history DROP CONSTRAINT fk_bucket_history_account_id_accounts",
            "ALTER TABLE bucket_history ADD CONSTRAINT fk_bucket_history_account_id_accounts",
            "ALTER TABLE accruals DROP CONSTRAINT fk_accruals_account_id_accounts",
            "ALTER TABLE accruals ADD CONSTRAINT fk_accruals_account_id_accounts"]
    else:
        assert bulk == []
    again = age_portfolio(runtime, AS_OF)
    assert (again.late_fees, again.penalty_minor) == (0, 0)


def test_a_row_without_its_account_is_still_refused(runtime: Runtime, bulk: list[str]) -> None:
    with runtime.engine.connect() as conn, pytest.raises(IntegrityError), conn.begin():
        with sql.checked_once(conn, accruals, 1):
            conn.execute(insert(accruals).values(account_id=987_654, kind="late_fee", period_date=AS_OF,
                                                 days=0, amount_minor=100, as_of=AS_OF))
    with runtime.engine.connect() as conn:
        assert count(conn, accruals) == 0
        if conn.dialect.name == "postgresql":
            assert _foreign_keys(conn, "accruals")
            assert [d.split()[3] for d in bulk] == ["DROP", "ADD"]  # the join, not the trigger, refused it


def test_busy_tables_are_checked_row_by_row(runtime: Runtime, bulk: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("table locks: PostgreSQL only")
    monkeypatch.setattr(sql, "_LOCK_WAIT", "200ms")
    ids = _seed(runtime)
    with runtime.engine.connect() as reader:
        reader.execute(select(bucket_history.c.id).limit(1)).all()  # an open transaction reading the ledger
        reader.execute(select(accruals.c.id).limit(1)).all()
        summary = age_portfolio(runtime, AS_OF)
        reader.rollback()
    assert summary.late_fees == 4
    assert [d.split()[3] for d in bulk] == ["DROP", "DROP"]  # each tried, timed out, rolled back
    with runtime.engine.connect() as conn:
        assert len(charges(conn, ids[0])) == 4
        assert _foreign_keys(conn, "accruals") and _foreign_keys(conn, "bucket_history")
        lock_wait = conn.execute(text("SELECT current_setting('lock_timeout')")).scalar_one()
    assert lock_wait == "0"  # the run's own lock wait did not leak into the pooled connection


def test_small_additions_do_not_touch_the_constraints(runtime: Runtime, bulk: list[str],
                                                       clock: FixedClock) -> None:
    _seed(runtime)
    age_portfolio(runtime, AS_OF)  # 4 fees + 1 penalty + 3 history rows
    bulk.clear()
    clock.advance(timedelta(days=1))
    nxt = age_portfolio(runtime, date(2026, 4, 1))  # 1 penalty row, 1 move (M1 > M2): fewer than there are
    assert (nxt.penalty_accruals, nxt.late_fees, nxt.bucket_moves) == (1, 0, 1)
    assert bulk == []
