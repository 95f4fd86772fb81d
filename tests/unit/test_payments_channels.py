"""Payment-channel files: the example bank, WeChat Pay, Alipay and B2B files parse; non-payments are skipped
with their reason; title lines are skipped; bad files are refused with the reason; documents' text."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from arrears.core.errors import InputRejected
from arrears.core.money import Money
from arrears.payments import channels, documents

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "payments"


def _payments(cf: channels.ChannelFile) -> list[channels.ChannelRow]:
    return [r for r in cf.rows if not r.skip]


def test_wechat_bill_with_backticks_bom_summary_and_a_refund() -> None:
    cf = channels.read(EXAMPLES / "wechat_bill.csv")
    assert cf.layout == "wechat_pay" and cf.encoding == "utf-8-sig" and not cf.problems
    paid = _payments(cf)
    assert [(r.reference, r.paid_on, r.amount_text) for r in paid] == [
        ("RP20260325000001", date(2026, 3, 25), "1200.00"), ("RP20260326000002", date(2026, 3, 26),
                                                             "1000.00")]
    assert "CC-1002" in paid[0].account_hint and paid[0].channel == "wechat_pay"
    assert [r.skip for r in cf.rows if r.skip] == ["交易状态 REFUND: not a payment"]


def test_alipay_bill_in_gbk_with_hash_lines() -> None:
    cf = channels.read(EXAMPLES / "alipay_bill.csv")
    assert cf.layout == "alipay" and cf.encoding == "gb18030"
    paid = _payments(cf)
    assert [r.reference for r in paid] == ["2026032622001412345678901234", "2026032822001412345678905678"]
    assert "LN-2001" in paid[0].account_hint and paid[1].paid_on == date(2026, 3, 28)
    assert any("退款" in r.skip for r in cf.rows)


def test_bank_statement_csv_and_xlsx_skip_debits() -> None:
    cf = channels.read(EXAMPLES / "bank_statement.csv")
    assert cf.layout == "bank" and len(_payments(cf)) == 3
    assert [r.skip for r in cf.rows if r.skip] == ["a debit, not a payment"]
    wb = channels.read(EXAMPLES / "bank_statement.xlsx")
    assert wb.layout == "bank" and [r.row for r in _payments(wb)] == [3, 4]  # title row 1, header row 2


def test_b2b_remittance_one_reference_per_invoice() -> None:
    cf = channels.read(EXAMPLES / "b2b_remittance.csv")
    assert [r.reference for r in cf.rows] == ["RA-20260327-01/AR-3001", "RA-20260327-01/AR-3002",
                                              "RA-20260328-07/AR-3003"]
    assert cf.rows[0].account_hint == "AR-3001" and cf.rows[0].amount_text == "10,000.00"


def test_a_forced_layout_that_does_not_fit_and_unknown_layouts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="no header row"):
        channels.read(EXAMPLES / "bank_statement.csv", layout="alipay")
    with pytest.raises(InputRejected, match="unknown payment file layout"):
        channels.read(EXAMPLES / "bank_statement.csv", layout="swift")
    other = tmp_path / "other.csv"
    other.write_text("name,phone\n张三,13800138000\n", encoding="utf-8")
    with pytest.raises(InputRejected, match="known payment file layout"):
        channels.read(other)


def test_bad_dates_are_problems_with_row_and_field() -> None:
    cf = channels.read(EXAMPLES / "bank_statement_bad.csv")
    assert [(p.row, p.field) for p in cf.problems] == [(6, "paid_on")]


def test_confirmation_texts_in_both_languages_never_print_the_whole_account_number() -> None:
    t = documents.promise_confirmation(Money.of("500", "CNY"), date(2026, 4, 3), time(15, 0), "alipay",
                                       documents.account_tail("LN000123"), 7, awaiting_approval=True)
    assert "支付宝" in t.zh and "2026年4月3日 15:00" in t.zh and "0123" in t.zh and "LN000123" not in t.zh
    assert "Alipay" in t.en and "approval" in t.en
    s = documents.statement("0123", date(2026, 3, 31), {k: Money.of("1", "CNY") for k in
                                                        ("principal", "interest", "fees", "penalty")},
                            Money.of("2", "CNY"), ["P1"])
    assert "CNY 4.00" in s.en and "溢缴款" in s.zh and "Arrangement: P1" in s.en
