"""The PostgreSQL bulk paths of an aging run: the end-of-run COPY of the ledger refuses a duplicate charge
like a statement would (the whole run rolled back, the constraints in place), and reading pages looks a
case up only for accounts that have one (a first run's uncommitted cases are never scanned per account)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.engine import Connection

from arrears.core.errors import Conflict
from arrears.portfolio.aging import sql
from arrears.portfolio.aging import store as st
from arrears.portfolio.aging.service import age_portfolio
from arrears.portfolio.store import accruals, aging_runs, bucket_history, cases
from arrears.runtime import Runtime
from tests.integration.aging_seed import account, case, charges, count, debtor, state

AS_OF = date(2026, 3, 31)


def _foreign_keys(conn: Connection, table: str) -> list[tuple[Any, ...]]:
    if conn.dialect.name != "postgresql":
        return []
    return [tuple(r) for r in conn.execute(text(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"), {"t": table})]


def test_a_duplicate_charge_in_a_bulk_first_run_rolls_everything_back(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql, "BULK_MIN_ROWS", 1)  # foreign keys dropped around the COPY on PostgreSQL
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        clash = account(conn, d, "A", (date(2026, 3, 1), 1_000), late_fee_minor=500)
        other = account(conn, debtor(conn, "E"), "B", (date(2026, 1, 10), 50_000), late_fee_minor=2_500)
        # a charge the watermark does not know of: the run's own late fee for Mar 1 collides with it
        conn.execute(insert(accruals).values(account_id=clash, kind="late_fee", period_date=date(2026, 3, 1),
                                             amount_minor=500, as_of=date(2026, 3, 2)))
        before = {t: _foreign_keys(conn, t) for t in ("accruals", "bucket_history")}
    with pytest.raises(Conflict, match="rolled back"):
        age_portfolio(runtime, AS_OF)
    with runtime.engine.connect() as conn:
        assert (count(conn, aging_runs), count(conn, bucket_history), count(conn, cases)) == (0, 0, 0)
        assert len(charges(conn, clash)) == 1 and charges(conn, other) == []
        row = state(conn, other)
        assert (row.dpd, row.fees_minor, row.case_id) == (0, 0, None)
        assert {t: _foreign_keys(conn, t) for t in ("accruals", "bucket_history")} == before
        assert all(fk[2] for fks in before.values() for fk in fks)


def test_page_reads_give_the_case_status_only_where_there_is_a_case(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d1, d2, d3 = debtor(conn, "1"), debtor(conn, "2"), debtor(conn, "3")
        none = account(conn, d1, "none", (date(2026, 3, 1), 1_000))
        live = account(conn, d2, "live", (date(2026, 3, 1), 1_000), case_id=case(conn, d2, "on_hold"))
        shut = account(conn, d3, "shut", (date(2026, 3, 1), 1_000), case_id=case(conn, d3, "closed"))
    with runtime.engine.connect() as conn:
        (page,) = st.chunks(conn, AS_OF, 10)
    assert {row[0]: row[-1] for row in page.accounts} == {none: None, live: "on_hold", shut: "closed"}


def test_accounts_without_a_case_never_look_one_up(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("query plans: PostgreSQL only")
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        for i in range(5):
            account(conn, d, f"A{i}", (date(2026, 3, 1), 1_000))
    with runtime.engine.connect() as conn:
        compiled = st._ACCOUNTS_PAGE.compile(dialect=conn.dialect)
        params = compiled.construct_params({"after": 0, "size": 100})
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + compiled.string, params).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    subplans = [n for n in _nodes(plan[0]["Plan"]) if n.get("Parent Relationship") == "SubPlan"]
    assert subplans, "the case lookup is a correlated subplan"
    assert [n["Actual Loops"] for n in subplans] == [0] * len(subplans)  # never executed


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found
