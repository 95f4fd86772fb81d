"""The objection library: common objections and what a good answer does, in zh-CN and English (plain Python).

Managers edit the library on a page; collectors open an answer with one click during a call. The seed follows
the domain brief ("Common objections, and what a good answer does").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arrears.core.errors import FieldProblem

KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_TITLE = 120
MAX_ANSWER = 2000


@dataclass(frozen=True, slots=True)
class Objection:
    """One objection with its suggested answer in both languages."""

    key: str
    title_zh: str
    title_en: str
    answer_zh: str
    answer_en: str
    position: int = 0
    active: bool = True
    id: int | None = None

    def title(self, language: str) -> str:
        """The objection as the collector hears it, in the page's language."""
        return self.title_en if language.lower().startswith("en") else self.title_zh

    def answer(self, language: str) -> str:
        """The suggested answer in the page's language."""
        return self.answer_en if language.lower().startswith("en") else self.answer_zh


SEED: tuple[Objection, ...] = (
    Objection("already_paid", "我已经还过了", "I already paid",
              "请问是哪天还的、金额多少、通过什么渠道、交易流水号是多少？我先记录下来，核实到账后再为您确认。",
              "When did you pay, how much, through which channel, and what is the transfer reference? "
              "I will record it and confirm once we have verified the payment."),
    Objection("pay_soon", "我很快就还", "I'll pay soon",
              "好的，我们把它定下来：您具体哪一天、还多少、通过哪个渠道还款？",
              "Good, let us pin it down: on which date, how much, and through which channel will you pay?"),
    Objection("busy", "我现在很忙", "I'm busy",
              "只占用您两分钟；如果现在不方便，您看什么时间给您回电合适？",
              "This takes two minutes; if now is not convenient, what time should I call you back?"),
    Objection("spouse_pays", "我爱人会还", "My spouse will pay",
              "好的，我可以把还款金额和还款渠道告诉您，方便您转告安排还款。",
              "Fine: I can give you the amount and the payment channels so the payment can be arranged."),
    Objection("need_statement", "我要一份账单", "I need a statement",
              "我们会把账单发给您，账单上列明欠款明细；可以通过银行转账、微信支付或支付宝还款。",
              "We will send you a statement with the breakdown; you can pay by bank transfer, WeChat Pay or "
              "Alipay."),
    Objection("not_mine", "这不是我消费的 / 被盗刷", "Not my spending / fraud",
              "欺诈申诉我们非常重视：我会登记调查，调查期间暂停催收，请提供相关情况。",
              "We take a fraud claim seriously: I will open an investigation and collection is on hold "
              "meanwhile; please tell me what happened."),
    Objection("why_now", "为什么这个时候打电话？", "Why are you calling now?",
              "我们只在规定允许的联系时间内致电；如果现在不方便，可以约定其他时间。",
              "We only call within the contact hours the rules allow; if now is not convenient we can agree "
              "another time."),
    Objection("late_fee", "为什么有滞纳金？", "Why is there a late fee?",
              "滞纳金是按合同条款计算的，每个逾期周期收取一次；它是系统计算的，不是我个人决定的。",
              "The late fee is set by your contract, charged once per missed cycle; it is computed, not "
              "something I decide."),
    Objection("cannot_pay", "我还不起", "I can't pay",
              "我理解。您现在能先还多少？我可以在权限内为您申请分期方案，超出权限的我会上报审批。",
              "I understand. How much can you pay now? I can offer a plan within my authority and ask for "
              "approval above it."),
    Objection("stop_calling", "别再打了", "Stop calling me",
              "我会记录您的要求；如您希望停止电话联系，我会按规定登记，并告知其他联系方式。",
              "I will record your request; if you want calls to stop I will register it as the rules "
              "require and tell you the other ways to reach us."),
)


def check(title_zh: str, title_en: str, answer_zh: str, answer_en: str, key: str | None = None) -> list[
        FieldProblem]:
    """Problems with an objection's fields (each text required and bounded; a key is a short identifier)."""
    problems: list[FieldProblem] = []
    if key is not None and not KEY.match(key):
        problems.append(FieldProblem(0, "key", key, "2-40 characters: a-z, 0-9 and _, a letter first"))
    for name, value, limit in (("title_zh", title_zh, MAX_TITLE), ("title_en", title_en, MAX_TITLE),
                               ("answer_zh", answer_zh, MAX_ANSWER), ("answer_en", answer_en, MAX_ANSWER)):
        if not value.strip():
            problems.append(FieldProblem(0, name, value, "required"))
        elif len(value) > limit:
            problems.append(FieldProblem(0, name, value[:40], f"at most {limit} characters"))
    return problems


def ordered(items: list[Objection], include_inactive: bool = False) -> list[Objection]:
    """The library in display order (position, then key); inactive ones only when asked."""
    shown = [o for o in items if include_inactive or o.active]
    return sorted(shown, key=lambda o: (o.position, o.key))
