"""The run's spooled ledger (PostgreSQL's end-of-run COPY): exactly the new bucket_history rows and the
accrual rows of each page, in COPY text format, in page order."""

from __future__ import annotations

from datetime import date

from arrears.portfolio.aging.store import (
    HISTORY_FIRST,
    HISTORY_KEEP,
    HISTORY_MOVE,
    AgedPage,
    Ledger,
    encode_for_copy,
    stage_accounts,
)

AS_OF = date(2026, 3, 31)


def _page(span: tuple[int, int], accounts: list[tuple[object, ...]],
          accruals: list[tuple[object, ...]]) -> AgedPage:
    return AgedPage(span, accounts=accounts, accruals=accruals)


def _lines(spool: object) -> list[list[str]]:
    spool.seek(0)  # type: ignore[attr-defined]
    return [line.split("\t") for line in spool.read().decode().splitlines()]  # type: ignore[attr-defined]


def test_pages_are_spooled_in_copy_text_format() -> None:
    # stage_accounts rows: (id, dpd, bucket, fees, penalty, newest cycle, history, debtor, needs_case)
    first = _page((1, 3), [
        (1, 80, "M3", 7_500, 120, date(2026, 3, 10).toordinal(), HISTORY_FIRST, 10, 1),
        (2, 0, "M0", 0, 0, None, HISTORY_KEEP, 10, 0),  # bucket unchanged: no history row
        (3, 31, "M2", 0, 0, None, HISTORY_MOVE, 11, 0),
    ], [
        (1, "late_fee", date(2026, 1, 10).toordinal(), 0, 2_500),
        (1, "late_fee", date(2026, 2, 10).toordinal(), 0, 2_500),
        (1, "penalty", AS_OF.toordinal(), 80, 120),
    ])
    second = _page((7, 7), [(7, 1, "M1", 0, 5, None, HISTORY_FIRST, 12, 1)],
                   [(7, "penalty", AS_OF.toordinal(), 1, 5)])
    with Ledger(AS_OF) as ledger:
        ledger.add(first)
        ledger.add(_page((4, 6), [], []))  # a page that changed nothing
        ledger.add(second)
        assert (ledger.history_rows, ledger.accrual_rows) == (3, 4)
        assert _lines(ledger.history) == [
            ["1", "M3", "2026-03-31", "80"], ["3", "M2", "2026-03-31", "31"], ["7", "M1", "2026-03-31", "1"]]
        assert _lines(ledger.accruals) == [
            ["1", "late_fee", "2026-01-10", "0", "2500", "2026-03-31"],
            ["1", "late_fee", "2026-02-10", "0", "2500", "2026-03-31"],
            ["1", "penalty", "2026-03-31", "80", "120", "2026-03-31"],
            ["7", "penalty", "2026-03-31", "1", "5", "2026-03-31"],
        ]
        files = (ledger.history, ledger.accruals)
    assert all(f.closed for f in files)


def test_an_empty_run_spools_nothing() -> None:
    with Ledger(AS_OF) as ledger:
        ledger.add(_page((1, 2), [(1, 0, "M0", 0, 0, None, HISTORY_KEEP, 1, 0)], []))
        assert (ledger.history_rows, ledger.accrual_rows) == (0, 0)
        assert _lines(ledger.history) == [] and _lines(ledger.accruals) == []


def test_staged_accounts_are_encoded_for_copy_with_nulls() -> None:
    page = _page((1, 2), [
        (1, 80, "M3", 7_500, 120, date(2026, 3, 10).toordinal(), HISTORY_FIRST, 10, 1),
        (2, 0, "M0", 0, 0, None, HISTORY_KEEP, 10, 0),  # no cycle charged: late_fee_day NULL
    ], [])
    assert page.accounts_text is None
    encode_for_copy(page)
    assert page.accounts_text is not None
    lines = [line.split("\t") for line in page.accounts_text.decode().splitlines()]
    assert [len(line) for line in lines] == [len(stage_accounts.columns)] * 2
    assert lines == [
        ["1", "80", "M3", "7500", "120", str(date(2026, 3, 10).toordinal()), "1", "10", "1"],
        ["2", "0", "M0", "0", "0", "\\N", "0", "10", "0"],
    ]
