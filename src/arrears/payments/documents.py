"""The written confirmation of an arrangement (promise, plan, settlement, waiver) and statements, in zh-CN
and English (pure text builders; the service stores them as `arrangement_documents`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from arrears.core.money import Money

CHANNELS: dict[str, tuple[str, str]] = {
    "bank_transfer": ("银行转账", "bank transfer"),
    "wechat_pay": ("微信支付", "WeChat Pay"),
    "alipay": ("支付宝", "Alipay"),
    "cheque": ("支票", "cheque"),
    "cash": ("现金", "cash"),
    "card": ("银行卡", "card"),
    "b2b_remittance": ("企业汇款", "company remittance"),
    "direct_debit": ("自动扣款", "direct debit"),
}
HOW_TO_PAY: dict[str, tuple[str, str]] = {
    "bank_transfer": ("请转账至贷款合同所列的还款账户，附言注明账号尾号 {ref}。",
                      "Transfer to the repayment account named in your contract, "
                      "quoting account ending {ref}."),
    "wechat_pay": ("请在微信中进入官方服务号“还款”页面，输入账号尾号 {ref} 完成支付。",
                   "In WeChat, open the official service account's Repay page "
                   "and enter account ending {ref}."),
    "alipay": ("请在支付宝中搜索官方还款服务，输入账号尾号 {ref} 完成支付。",
               "In Alipay, search for the official repayment service and enter account ending {ref}."),
    "cheque": ("请将支票寄至合同所列地址，背面注明账号尾号 {ref}。",
               "Send the cheque to the address in your contract, writing account ending {ref} on the back."),
}
DEFAULT_HOW = ("请通过合同所列的官方渠道还款，并注明账号尾号 {ref}；切勿向个人账户付款。",
               "Pay only through the official channels in your contract, quoting account ending {ref}; "
               "never pay into a personal account.")


def channel_names(channel: str) -> tuple[str, str]:
    """The channel's name in Chinese and English."""
    return CHANNELS.get(channel, (channel, channel.replace("_", " ")))


def account_tail(external_id: str | None) -> str:
    """The last four characters of an account number (the rest is never printed)."""
    text = external_id or ""
    return text[-4:] if len(text) >= 4 else text


def _how(channel: str, ref: str) -> tuple[str, str]:
    zh, en = HOW_TO_PAY.get(channel, DEFAULT_HOW)
    return zh.format(ref=ref), en.format(ref=ref)


def _when(day: date, at: time | None) -> tuple[str, str]:
    if at is None:
        return f"{day.year}年{day.month}月{day.day}日", day.isoformat()
    hhmm = at.strftime("%H:%M")
    return f"{day.year}年{day.month}月{day.day}日 {hhmm}", f"{day.isoformat()} {hhmm}"


@dataclass(frozen=True, slots=True)
class Text:
    """One document in both languages."""

    zh: str
    en: str


def promise_confirmation(amount: Money, due_on: date, due_time: time | None, channel: str,
                         account_ref: str, promise_id: int, awaiting_approval: bool) -> Text:
    """The written confirmation of a promise to pay: amount, date, channel and how to pay."""
    when_zh, when_en = _when(due_on, due_time)
    ch_zh, ch_en = channel_names(channel)
    how_zh, how_en = _how(channel, account_ref)
    zh = (f"还款承诺确认（编号 P{promise_id}）\n您承诺于 {when_zh} 前通过{ch_zh}还款 {amount.format()}。\n"
          f"{how_zh}\n")
    en = (f"Promise to pay confirmation (ref P{promise_id})\nYou promised to pay {amount.format()} "
          f"by {when_en} through {ch_en}.\n{how_en}\n")
    if awaiting_approval:
        zh += "该安排需经主管审批，审批结果将另行通知。\n"
        en += "This arrangement needs a supervisor's approval; we will confirm the decision.\n"
    return Text(zh, en)


def plan_confirmation(plan_id: int, schedule: Sequence[tuple[date, Money]], channel: str, account_ref: str,
                      max_missed: int) -> Text:
    """The confirmation of a payment plan: every instalment, and when the plan would break."""
    how_zh, how_en = _how(channel, account_ref)
    lines_zh = [f"  第{i}期：{d.year}年{d.month}月{d.day}日 {m.format()}"
                for i, (d, m) in enumerate(schedule, 1)]
    lines_en = [f"  {i}. {d.isoformat()}  {m.format()}" for i, (d, m) in enumerate(schedule, 1)]
    zh = (f"分期还款计划确认（编号 L{plan_id}）\n" + "\n".join(lines_zh)
          + f"\n累计 {max_missed} 期未按时足额还款，计划将终止。\n{how_zh}\n")
    en = (f"Payment plan confirmation (ref L{plan_id})\n" + "\n".join(lines_en)
          + f"\nThe plan ends if {max_missed} instalments are missed.\n{how_en}\n")
    return Text(zh, en)


def settlement_confirmation(settlement_id: int, balance: Money, amount: Money, due_on: date, channel: str,
                            account_ref: str) -> Text:
    """The settlement offer/agreement: pay this amount by this date and the rest is forgiven."""
    how_zh, how_en = _how(channel, account_ref)
    forgiven = balance - amount
    zh = (f"和解还款确认（编号 S{settlement_id}）\n当前欠款 {balance.format()}。"
          f"如于 {_when(due_on, None)[0]} 前"
          f"足额还款 {amount.format()}，余下 {forgiven.format()} 予以减免，账户结清。\n{how_zh}\n")
    en = (f"Settlement confirmation (ref S{settlement_id})\nYou owe {balance.format()}. If {amount.format()} "
          f"is paid in full by {due_on.isoformat()}, the remaining {forgiven.format()} is waived and the "
          f"account is settled.\n{how_en}\n")
    return Text(zh, en)


def waiver_confirmation(waiver_id: int, parts: dict[str, Money], total: Money) -> Text:
    """The confirmation of a waiver (减免): what was forgiven, by component."""
    names = {"fees": ("滞纳金及费用", "fees"), "penalty": ("罚息", "penalty interest"),
             "interest": ("利息", "interest"), "principal": ("本金", "principal")}
    zh_parts = "、".join(f"{names[k][0]} {v.format()}" for k, v in parts.items() if not v.is_zero())
    en_parts = ", ".join(f"{names[k][1]} {v.format()}" for k, v in parts.items() if not v.is_zero())
    return Text(f"减免确认（编号 W{waiver_id}）\n已减免 {total.format()}：{zh_parts}。\n",
                f"Waiver confirmation (ref W{waiver_id})\nWaived {total.format()}: {en_parts}.\n")


def statement(account_ref: str, as_of: date, parts: dict[str, Money], credit: Money,
              arrangements: Sequence[str]) -> Text:
    """A balance statement as of a date, with the arrangements in force."""
    names = {"principal": ("本金", "Principal"), "interest": ("利息", "Interest"),
             "fees": ("费用", "Fees"), "penalty": ("罚息", "Penalty interest")}
    total = sum((v for v in parts.values()), Money.zero(credit.currency))
    zh = [f"账户对账单（账号尾号 {account_ref}，截至 {as_of.isoformat()}）"]
    en = [f"Account statement (account ending {account_ref}, as of {as_of.isoformat()})"]
    for key, (n_zh, n_en) in names.items():
        zh.append(f"  {n_zh}：{parts[key].format()}")
        en.append(f"  {n_en}: {parts[key].format()}")
    zh.append(f"  合计欠款：{total.format()}")
    en.append(f"  Total owed: {total.format()}")
    if not credit.is_zero():
        zh.append(f"  溢缴款（可退还或抵扣）：{credit.format()}")
        en.append(f"  Credit held (refundable or set off): {credit.format()}")
    for item in arrangements:
        zh.append(f"  安排：{item}")
        en.append(f"  Arrangement: {item}")
    return Text("\n".join(zh) + "\n", "\n".join(en) + "\n")
