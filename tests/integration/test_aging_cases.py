"""Aging keeps cases in step: a delinquent account belongs to its debtor's live case; paid-off cases close."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from arrears.portfolio.aging.service import age_portfolio
from arrears.portfolio.store import accounts, cases, due_items
from arrears.runtime import Runtime
from tests.integration.aging_seed import account, case, debtor, state

AS_OF = date(2026, 3, 31)
LATE = (date(2026, 3, 1), 10_000)  # an unpaid item: 30 DPD
PAID = (date(2026, 3, 1), 10_000, 10_000)
ZERO = {"principal_minor": 0}


def _case(rt: Runtime, case_id: int) -> tuple[object, ...]:
    with rt.engine.connect() as conn:
        row = conn.execute(select(cases).where(cases.c.id == case_id)).one()
    return row.status, row.close_reason, row.closed_on


def _live_cases(rt: Runtime, debtor_id: int) -> list[tuple[object, ...]]:
    with rt.engine.connect() as conn:
        rows = conn.execute(select(cases.c.id, cases.c.status, cases.c.opened_on)
                            .where(cases.c.debtor_id == debtor_id, cases.c.status != "closed"))
        return [tuple(r) for r in rows]


def test_cases_are_opened_linked_held_and_closed(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d1 = debtor(conn, "new")  # delinquent, no case: one is opened, only the late account joins it
        late1 = account(conn, d1, "late1", LATE)
        late2 = account(conn, d1, "late2", (date(2026, 2, 1), 5_000))
        current = account(conn, d1, "current", PAID)
        d2 = debtor(conn, "held")  # delinquent under an on-hold case: joins it, the case stays on hold
        held_case = case(conn, d2, "on_hold")
        held = account(conn, d2, "held", LATE)
        d3 = debtor(conn, "paid")  # open case, everything paid and zero balance: closed
        paid_case = case(conn, d3, "open")
        account(conn, d3, "paid", PAID, **ZERO, case_id=paid_case)
        d4 = debtor(conn, "placed")  # placed with an agency and paid off: closed too
        placed_case = case(conn, d4, "placed")
        account(conn, d4, "placed", PAID, **ZERO, case_id=placed_case)
        d5 = debtor(conn, "cured")  # cured (0 DPD) but still owes principal: the case stays open
        cured_case = case(conn, d5, "open")
        account(conn, d5, "cured", PAID, case_id=cured_case)
        d6 = debtor(conn, "again")  # an old closed case and a new delinquency: a new case
        old_case = case(conn, d6, "closed", opened_on=date(2025, 6, 1))
        again = account(conn, d6, "again", LATE, case_id=old_case)

    summary = age_portfolio(runtime, AS_OF)

    assert (summary.cases_opened, summary.cases_closed) == (2, 2)
    [(new_case, status, opened_on)] = _live_cases(runtime, d1)
    assert (status, opened_on) == ("open", AS_OF)
    [(again_case, _, _)] = _live_cases(runtime, d6)
    assert again_case != old_case
    with runtime.engine.connect() as conn:
        assert state(conn, late1).case_id == new_case and state(conn, late2).case_id == new_case
        assert state(conn, current).case_id is None
        assert state(conn, held).case_id == held_case
        assert state(conn, again).case_id == again_case
    assert _case(runtime, held_case) == ("on_hold", None, None)
    assert _case(runtime, paid_case) == ("closed", "paid", AS_OF)
    assert _case(runtime, placed_case) == ("closed", "paid", AS_OF)
    assert _case(runtime, cured_case) == ("open", None, None)
    assert _case(runtime, old_case) == ("closed", "paid", date(2025, 6, 1))

    rerun = age_portfolio(runtime, AS_OF)
    assert (rerun.cases_opened, rerun.cases_closed) == (0, 0)


def test_a_case_closes_once_every_account_of_the_debtor_is_paid(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        a = account(conn, d, "A", LATE)
        b = account(conn, d, "B", (date(2026, 3, 20), 10_000))
    first = age_portfolio(runtime, date(2026, 3, 30))
    [(case_id, _, _)] = _live_cases(runtime, d)
    assert first.cases_opened == 1
    with runtime.engine.begin() as conn:  # A is paid off; B still owes
        conn.execute(update(due_items).where(due_items.c.account_id == a).values(paid_minor=10_000))
        conn.execute(update(accounts).where(accounts.c.id == a).values(principal_minor=0))
    assert age_portfolio(runtime, AS_OF).cases_closed == 0
    with runtime.engine.begin() as conn:  # and now B
        conn.execute(update(due_items).where(due_items.c.account_id == b).values(paid_minor=10_000))
        conn.execute(update(accounts).where(accounts.c.id == b).values(principal_minor=0))
    assert age_portfolio(runtime, AS_OF).cases_closed == 1
    assert _case(runtime, case_id) == ("closed", "paid", AS_OF)


def test_an_unchanged_delinquent_account_without_a_live_case_gets_one(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = debtor(conn, "D")
        a = account(conn, d, "A", LATE)
    age_portfolio(runtime, AS_OF)
    [(case_id, _, _)] = _live_cases(runtime, d)
    with runtime.engine.begin() as conn:  # someone closes the case by hand; the account stays as it was
        conn.execute(update(cases).where(cases.c.id == case_id).values(status="closed", closed_on=AS_OF))
    rerun = age_portfolio(runtime, AS_OF)  # nothing about the account changes, yet it needs a live case
    assert rerun.cases_opened == 1
    [(new_case, _, _)] = _live_cases(runtime, d)
    with runtime.engine.connect() as conn:
        assert state(conn, a).case_id == new_case != case_id
