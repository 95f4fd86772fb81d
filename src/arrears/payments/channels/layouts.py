"""The channel-file layouts: column names (Chinese and English) and what makes a row a payment.

- bank: a bank's credit statement (CSV or XLSX export): 交易日期 / 交易流水号 / 贷方金额 / 币种 / 附言.
- wechat_pay: the WeChat Pay merchant bill (微信支付账单, CSV; values prefixed with a backtick; a
  summary block after the rows). Only 交易状态 SUCCESS rows are payments; 商户数据包 carries the account.
- alipay: the Alipay merchant account statement (支付宝业务明细, CSV, often GBK; '#' lines around the
  rows). Only 业务类型 交易 rows are payments; 备注 carries the account.
- b2b_remittance: a company's remittance advice: one payment reference covering several invoices,
  one line per invoice (the invoice number is the receivable account's number).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Cells = dict[str, str]


@dataclass(frozen=True)
class Layout:
    """A file layout: its fields' header aliases, the required ones and how a row becomes a payment."""

    name: str
    channel: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    row: Callable[[int, Cells], dict[str, str] | None]

    def describe(self) -> str:
        """The layout and its required headers, for error messages."""
        return f"{self.name}: " + ", ".join(self.columns[k][0] for k in self.required)


def _bank(_row: int, c: Cells) -> dict[str, str] | None:
    amount = c.get("amount", "")
    if not amount and c.get("debit"):
        return {"reference": c.get("reference", ""), "paid_on": "", "amount": "",
                "skip": "a debit, not a payment"}
    return {"reference": c.get("reference", ""), "paid_on": c.get("paid_on", ""), "amount": amount,
            "currency": c.get("currency", ""), "account": c.get("account", "") + " " + c.get("memo", "")}


_SUMMARY = re.compile(r"^(总|#|合计|汇总)")


def _wechat(_row: int, c: Cells) -> dict[str, str] | None:
    when = c.get("paid_on", "")
    if _SUMMARY.match(when) or not re.match(r"^\d{4}", when):
        return None  # the summary block (总交易单数, 总交易额 ...) after the rows
    status = c.get("status", "").upper()
    ref = c.get("merchant_ref") or c.get("reference", "")
    if status and status != "SUCCESS":
        return {"reference": ref, "paid_on": "", "amount": "", "skip": f"交易状态 {status}: not a payment"}
    return {"reference": ref, "paid_on": when, "amount": c.get("amount", ""),
            "currency": c.get("currency", "") or "CNY",
            "account": c.get("account", "") + " " + c.get("memo", "")}


def _alipay(_row: int, c: Cells) -> dict[str, str] | None:
    ref = c.get("reference", "")
    if ref.startswith("#") or not ref:
        return None  # '#---- 业务明细列表结束', '#交易合计' and the like
    kind = c.get("kind", "")
    if kind and kind != "交易":
        return {"reference": ref, "paid_on": "", "amount": "", "skip": f"业务类型 {kind}: not a payment"}
    return {"reference": ref, "paid_on": c.get("paid_on") or c.get("created", ""), "amount": c.get("amount",
                                                                                                   ""),
            "currency": "CNY", "account": c.get("account", "") + " " + c.get("memo", "")}


def _b2b(_row: int, c: Cells) -> dict[str, str] | None:
    remittance, invoice = c.get("reference", ""), c.get("account", "")
    return {"reference": f"{remittance}/{invoice}" if remittance and invoice else remittance,
            "paid_on": c.get("paid_on", ""), "amount": c.get("amount", ""), "currency": c.get("currency", ""),
            "account": invoice}


LAYOUTS: dict[str, Layout] = {
    "wechat_pay": Layout(
        "wechat_pay", "wechat_pay",
        {"paid_on": ("交易时间",), "reference": ("微信订单号",), "merchant_ref": ("商户订单号",),
         "status": ("交易状态",), "currency": ("货币种类",), "amount": ("订单金额", "应结订单金额"),
         "account": ("商户数据包",), "memo": ("商品名称",)},
        ("paid_on", "reference", "status", "amount"), _wechat),
    "alipay": Layout(
        "alipay", "alipay",
        {"reference": ("支付宝交易号",), "merchant_ref": ("商户订单号",), "kind": ("业务类型",),
         "created": ("创建时间",), "paid_on": ("完成时间",),
         "amount": ("订单金额（元）", "订单金额(元)", "商家实收（元）"),
         "account": ("备注",), "memo": ("商品名称",)},
        ("reference", "kind", "amount"), _alipay),
    "b2b_remittance": Layout(
        "b2b_remittance", "b2b_remittance",
        {"reference": ("Payment reference", "付款编号", "汇款编号", "Remittance reference"),
         "paid_on": ("Payment date", "付款日期"), "account": ("Invoice number", "发票号", "发票号码"),
         "amount": ("Amount paid", "付款金额", "本次付款金额"), "currency": ("Currency", "币种"),
         "payer": ("Payer", "付款方", "付款单位")},
        ("reference", "paid_on", "account", "amount"), _b2b),
    "bank": Layout(
        "bank", "bank_transfer",
        {"paid_on": ("交易日期", "入账日期", "记账日期", "Value date", "Date", "Transaction date"),
         "reference": ("交易流水号", "流水号", "交易参考号", "Reference", "Transaction ID"),
         "amount": ("贷方金额", "收入金额", "入账金额", "Credit", "Credit amount", "Amount"),
         "debit": ("借方金额", "支出金额", "Debit"), "currency": ("币种", "Currency"),
         "account": ("贷款账号", "还款账号", "Account", "Account number"),
         "memo": ("附言", "摘要", "用途", "Memo", "Remark", "Narrative")},
        ("paid_on", "reference", "amount"), _bank),
}
