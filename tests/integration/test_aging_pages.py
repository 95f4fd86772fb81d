"""A run over several pages (read ahead and written behind on PostgreSQL) gives the one-page result;
bad contract terms stop the run with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from arrears.core.errors import ConfigError
from arrears.portfolio.aging import service
from arrears.portfolio.aging.service import age_portfolio
from arrears.portfolio.store import accruals, aging_runs, cases
from arrears.runtime import Runtime
from tests.integration.aging_seed import account, count, debtor, history, state

AS_OF = date(2026, 3, 31)


def test_many_small_pages(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CHUNK_SIZE", 2)
    with runtime.engine.begin() as conn:
        shared = debtor(conn, "shared")  # its accounts fall on different pages: still one case
        ids = [account(conn, shared, "S1", (date(2026, 3, 1), 1_000), late_fee_minor=100)]
        for n in range(5):
            item = (date(2026, 3, 25 - n), 1_000, 1_000 * (n % 2))  # odd ones paid
            ids.append(account(conn, debtor(conn, f"D{n}"), f"A{n}", item))
        ids.append(account(conn, shared, "S2", (date(2026, 1, 1), 1_000), late_fee_minor=100))
    summary = age_portfolio(runtime, AS_OF)
    # S1: 30 DPD, 1 fee; A0 6, A2 8, A4 10 DPD; A1, A3 paid; S2: 89 DPD, fees Jan 1, Feb 1, Mar 1
    assert summary.accounts_aged == 7 and summary.first_aged == 7
    assert summary.buckets == {"M0": 2, "M1": 4, "M2": 0, "M3": 1, "M4": 0, "M5": 0, "M6": 0, "WO": 0}
    assert (summary.late_fees, summary.late_fees_minor, summary.cases_opened) == (4, 400, 4)
    with runtime.engine.connect() as conn:
        shared_cases = conn.execute(select(cases.c.id).where(cases.c.debtor_id == shared)).scalars().all()
        assert len(shared_cases) == 1
        assert state(conn, ids[0]).case_id == state(conn, ids[-1]).case_id == shared_cases[0]
        assert [state(conn, i).dpd for i in ids] == [30, 6, 0, 8, 0, 10, 89]
        assert all(len(history(conn, i)) == 1 for i in ids)
    again = age_portfolio(runtime, AS_OF)
    assert (again.late_fees, again.penalty_minor, again.cases_opened, again.bucket_moves) == (0, 0, 0, 0)


def test_bad_terms_stop_the_run(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        good = account(conn, d, "good", (date(2026, 3, 1), 1_000), late_fee_minor=100)
        account(conn, d, "bad", (date(2026, 3, 1), 1_000), day_count=364)
    with pytest.raises(ConfigError, match="day_count must be 360 or 365"):
        age_portfolio(runtime, AS_OF)
    with runtime.engine.connect() as conn:
        assert state(conn, good).aged_as_of is None
        assert (count(conn, accruals), count(conn, aging_runs), count(conn, cases)) == (0, 0, 0)
