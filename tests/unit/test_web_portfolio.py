"""The portfolio's web layer without a database: response models, sort whitelist, page helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from starlette.requests import Request

from arrears.core.money import Money
from arrears.portfolio import service
from arrears.portfolio.api import DebtorRowOut, DebtorSort, MoneyOut, PortfolioSummaryOut
from arrears.portfolio.pages import _choice, _page_number, is_partial
from arrears.portfolio.views import BucketLine, DebtorPage, DebtorRow, PortfolioSummary
from arrears.settings import Settings


def _row(i: int) -> DebtorRow:
    return DebtorRow(id=i, external_id=f"D{i}", kind="person", name="张*", phone="+86 138****5678",
                     timezone="Asia/Shanghai", accounts=1, max_dpd=45, buckets=("M2",),
                     products=("credit_card",), outstanding=(Money.from_minor(1073456, "CNY"),),
                     case_status="open")


def test_money_out_is_a_decimal_string_and_minor_units() -> None:
    out = MoneyOut.model_validate(Money.from_minor(1073456, "CNY"))
    assert out.model_dump() == {"currency": "CNY", "amount": "10734.56", "minor": 1073456}
    assert MoneyOut.model_validate(Money.from_minor(0, "CNY")).amount == "0.00"
    assert MoneyOut.model_validate(Money.from_minor(10**14, "JPY")).amount == "100000000000000"


def test_money_out_never_emits_a_float() -> None:
    dumped = DebtorRowOut.model_validate(_row(1)).model_dump(mode="json")
    assert dumped["outstanding"] == [{"currency": "CNY", "amount": "10734.56", "minor": 1073456}]
    assert not any(isinstance(v, float) for v in dumped["outstanding"][0].values())


def test_the_api_sort_enum_is_the_service_whitelist() -> None:
    assert tuple(s.value for s in DebtorSort) == service.SORT_KEYS
    assert service.DEFAULT_SORT in service.SORT_KEYS


def test_summary_model_from_the_read_model() -> None:
    summary = PortfolioSummary(
        as_of=datetime(2026, 3, 31, 10, tzinfo=UTC), debtors=0, accounts=0, open_cases=0, balances=(),
        buckets=(BucketLine("WO", 181, None, 0, ()),), products=(), last_aging_run=None, recent_imports=(),
    )
    assert summary.is_empty
    out = PortfolioSummaryOut.model_validate(summary).model_dump()
    assert out["buckets"] == [
        {"bucket": "WO", "dpd_from": 181, "dpd_to": None, "accounts": 0, "outstanding": []},
    ]


@pytest.mark.parametrize(
    ("total", "page", "shown", "pages", "first", "last"),
    [(0, 1, 0, 1, 0, 0), (5, 1, 5, 1, 1, 5), (51, 2, 25, 3, 26, 50), (51, 3, 1, 3, 51, 51)],
)
def test_debtor_page_positions(total: int, page: int, shown: int, pages: int, first: int, last: int) -> None:
    result = DebtorPage(items=tuple(_row(i) for i in range(shown)), total=total, page=page, page_size=25,
                        sort="-dpd")
    assert (result.pages, result.first, result.last) == (pages, first, last)


def test_pages_forgive_bad_filter_values() -> None:
    assert _choice("M2", ("M0", "M2")) == "M2"
    assert _choice(" M2 ", ("M0", "M2")) == "M2"
    assert _choice("'; drop table debtors; --", ("M0", "M2")) is None
    assert _choice(None, ("M0",)) is None
    assert _page_number("3") == 3
    assert _page_number("-4") == 1
    assert _page_number("x") == 1
    assert _page_number(None) == 1
    assert _page_number("99999999999") == 100_000


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "GET", "path": "/debtors", "query_string": b"", "headers": raw})


def test_partial_only_for_htmx_requests_that_are_not_history_restores() -> None:
    assert is_partial(_request({"HX-Request": "true"}))
    assert not is_partial(_request({}))
    assert not is_partial(_request({"HX-Request": "true", "HX-History-Restore-Request": "true"}))


def test_bucket_labels_follow_the_configured_thresholds() -> None:
    rt = SimpleNamespace(settings=Settings(bucket_thresholds=[30, 60, 90]))
    assert service.buckets_of(rt) == ("M0", "M1", "M2", "M3", "WO")  # type: ignore[arg-type]
    rt = SimpleNamespace(settings=Settings())
    assert service.buckets_of(rt) == ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO")  # type: ignore[arg-type]
