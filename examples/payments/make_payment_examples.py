"""Regenerate the payment-channel samples that are awkward to edit by hand
(run: python examples/payments/make_payment_examples.py).

- alipay_bill.csv: the Alipay merchant statement (支付宝业务明细), GB18030/GBK, '#' lines around the rows,
  values padded with tabs, a refund row (skipped) and the totals block;
- bank_statement.xlsx: a bank statement workbook with a title row above the header, native dates and numbers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent

ALIPAY_HEADER = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
                 "终端号,对方账户,"
                 "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                 "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")
ALIPAY_ROWS = [
    ("2026032622001412345678901234", "ZFB20260326000011", "交易", "贷款还款", "2026-03-26 10:01:02",
     "2026-03-26 10:01:05", "138****8000", "2150.00", "LN-2001"),
    ("2026032822001412345678905678", "ZFB20260328000012", "交易", "信用卡还款", "2026-03-28 16:30:00",
     "2026-03-28 16:30:02", "139****5678", "650.00", "还款CC-1005"),
    ("2026032922001412345678909999", "ZFB20260329000013", "退款", "贷款还款", "2026-03-29 09:00:00",
     "2026-03-29 09:00:01", "137****0000", "500.00", "LN-2009"),
]


def alipay() -> None:
    """The Alipay statement in GB18030."""
    lines = ["#支付宝业务明细查询", "#账号：[20885021234567890156]",
             "#起始日期：[2026年03月01日 00:00:00]   终止日期：[2026年03月31日 00:00:00]",
             "#-----------------------------------------业务明细列表----------------------------------------",
             ALIPAY_HEADER]
    for trade, order, kind, goods, created, done, payer, amount, memo in ALIPAY_ROWS:
        cells = [f"{trade}\t", f"{order}\t", f"{kind}\t", f"{goods}\t", created, done, "", "", "", "",
                 f"{payer}\t", amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", "",
                 "-0.60", "0.00", memo]
        lines.append(",".join(cells))
    lines += ["#" + "-" * 41 + "业务明细列表结束" + "-" * 36,
              "#交易合计：2笔，商家实收共2800.00元，商家优惠共0.00元", "#退款合计：1笔，商家实收共-500.00元",
              "#导出时间：[2026年03月31日 09:00:00]"]
    (HERE / "alipay_bill.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))


def bank_xlsx() -> None:
    """A bank statement workbook: a title row, then the header, native dates and numbers."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "对账单"
    ws.append(["招商银行 账户交易明细 2026年3月"])
    ws.append(["交易日期", "交易流水号", "借方金额", "贷方金额", "币种", "对方户名", "附言"])
    ws.append([date(2026, 3, 24), "X2026032400021", None, 2400, "CNY", "赵**", "LN-2006 还款"])
    ws.append([date(2026, 3, 25), "X2026032500022", None, 1999.5, "CNY", "朱**", "LN-2008"])
    ws.append([])
    ws.append([date(2026, 3, 26), "X2026032600023", 12.5, None, "CNY", "本行", "短信费"])
    wb.save(HERE / "bank_statement.xlsx")


if __name__ == "__main__":
    alipay()
    bank_xlsx()
