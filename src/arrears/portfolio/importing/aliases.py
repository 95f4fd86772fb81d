"""The words files use for coded values (Chinese and English) and the parsers that map them."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from arrears.portfolio.importing.values import BadValue, as_text

_DROP = str.maketrans("", "", " _-/.·\u3000")


def alias_key(text: str) -> str:
    """The comparison form of a coded value: NFKC, lower case, no spaces, underscores or dashes."""
    return unicodedata.normalize("NFKC", text).strip().lower().translate(_DROP)


def build(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """An alias -> canonical lookup from canonical -> aliases (the canonical name is an alias too)."""
    out: dict[str, str] = {}
    for canonical, words in table.items():
        for word in (canonical, *words):
            key = alias_key(word)
            if out.get(key, canonical) != canonical:
                raise ValueError(f"alias {word!r} means both {out[key]} and {canonical}")
            out[key] = canonical
    return out


# fmt: off
PRODUCTS = build({
    "credit_card": ["信用卡", "贷记卡", "准贷记卡", "卡", "card", "credit card", "cc"],
    "consumer_loan": ["消费贷", "消费贷款", "个人贷款", "个贷", "贷款", "现金贷", "loan", "personal loan",
                      "工薪贷", "精英贷", "助商贷"],
    "business_receivable": ["应收账款", "应收", "企业应收", "货款", "receivable", "receivables",
                            "business receivable", "trade receivable", "b2b", "invoice"],
})
# A product cell that names a loan type implies the sub-type too.
PRODUCT_SUB_TYPES = {alias_key(k): v for k, v in {
    "工薪贷": "salary", "精英贷": "professional", "助商贷": "small_business"}.items()}

SUB_TYPES = build({
    "salary": ["工薪贷", "工薪", "工薪类", "salary loan", "payroll"],
    "professional": ["精英贷", "精英", "professional loan", "elite"],
    "small_business": ["助商贷", "助商", "小微", "经营贷", "sme", "small business loan"],
})

CUSTOMER_TYPES = build({
    "person": ["个人", "自然人", "个人客户", "对私", "individual", "personal", "p"],
    "company": ["公司", "企业", "单位", "法人", "对公", "企业客户", "corporate", "business", "organisation",
                "organization", "c"],
})

RELATIONSHIPS = build({
    "self": ["本人", "自己", "借款人", "持卡人", "客户本人", "debtor", "borrower", "cardholder", "own"],
    "spouse": ["配偶", "夫妻", "丈夫", "妻子", "老公", "老婆", "husband", "wife", "partner"],
    "parent": ["父母", "父亲", "母亲", "爸爸", "妈妈", "father", "mother", "parents"],
    "relative": ["亲属", "亲戚", "兄弟", "姐妹", "兄弟姐妹", "子女", "儿子", "女儿", "家人", "sibling",
                 "brother", "sister", "child", "son", "daughter", "family"],
    "employer": ["单位", "工作单位", "雇主", "单位电话", "work", "company"],
    "colleague": ["同事", "coworker", "co-worker"],
    "friend": ["朋友", "好友"],
    "payables": ["应付", "应付账款", "应付会计", "付款联系人", "ap", "accounts payable"],
    "finance": ["财务", "财务部", "会计", "出纳", "财务负责人", "cfo", "accounting", "accounts"],
    "owner": ["法人", "老板", "法定代表人", "法人代表", "负责人", "boss", "legal representative",
              "proprietor"],
    "other_role": ["其他", "其它", "经办人", "联系人", "other", "contact person"],
})

SOURCES = build({
    "debtor_provided": ["本人提供", "客户提供", "借款人提供", "申请时提供", "申请表", "申请资料", "debtor",
                        "provided", "application", "debtor provided"],
    "contract": ["合同", "合同约定", "合同载明", "借款合同", "合同填写", "contract", "agreement"],
    "debtor_update": ["本人更新", "客户告知", "本人告知", "通话中告知", "催收中获得本人提供", "update",
                      "debtor told", "told by debtor"],
    "public_registry": ["公开信息", "工商登记", "企业信用信息公示系统", "公示系统", "工商", "registry",
                        "public", "public record", "company registry"],
})

# Where a harvested contact list would come from: refused, with the reason.
FORBIDDEN_SOURCE_WORDS = tuple(alias_key(w) for w in (
    "通讯录", "通话记录", "通话详单", "通话清单", "联系人列表", "手机联系人", "爬取", "抓取", "微信好友",
    "社交", "addressbook", "address book", "phonebook", "phone book", "contact list", "contacts list",
    "calllog", "call log", "call history", "call record", "device contacts", "scraped", "social media",
))
FORBIDDEN_SOURCE_REASON = (
    "contacts taken from a debtor's address book, call log or social network may not be imported: "
    "only contacts the debtor gave, the contract names or a public registry lists are lawful to contact"
)

CONSENTS = build({
    "debtor_gave": ["本人同意", "客户同意", "同意", "授权", "本人授权", "debtor consent", "consented", "yes",
                    "given", "debtor"],
    "contract_names": ["合同约定", "合同", "合同载明", "contract", "named in contract"],
    "public_record": ["公开", "公开信息", "公示", "public", "public information"],
})

CONTACT_STATUSES = build({
    "unverified": ["未核实", "未验证", "待核实", "new"],
    "valid": ["有效", "已核实", "正常", "verified", "ok"],
    "invalid": ["无效", "空号", "停机", "错误"],
    "wrong_party": ["非本人", "错号", "他人", "wrong number"],
    "do_not_contact": ["勿扰", "禁止联系", "拒绝联系", "停止联系", "dnc", "do not call"],
})

CONTACT_CHANNELS = build({
    "phone": ["电话", "手机", "座机", "手机号", "mobile", "tel", "telephone", "cell"],
    "email": ["邮箱", "电子邮件", "电子邮箱", "邮件", "e-mail", "mail"],
    "address": ["地址", "住址", "通讯地址", "家庭地址", "单位地址", "postal", "post"],
})

PAYMENT_CHANNELS = build({
    "bank_transfer": ["银行转账", "转账", "银行", "网银", "对公转账", "银行汇款", "汇款", "bank", "transfer",
                      "wire", "bank transfer"],
    "wechat_pay": ["微信", "微信支付", "wechat", "weixin", "wxpay"],
    "alipay": ["支付宝", "ali pay"],
    "cheque": ["支票", "check"],
    "cash": ["现金", "柜台现金"],
    "other": ["其他", "其它", "代扣", "自动扣款", "auto debit"],
})

PENALTY_BASES = build({
    "overdue_amount": ["逾期金额", "逾期总额", "amount", "overdue amount"],
    "overdue_principal": ["逾期本金", "principal", "overdue principal"],
})

LANGUAGES = build({
    "zh-CN": ["中文", "汉语", "简体中文", "普通话", "chinese", "zh", "zh_cn", "zh-hans", "cn", "mandarin"],
    "en": ["英文", "英语", "english", "en-us", "en-gb"],
})

ID_TYPES = build({
    "resident_id": ["身份证", "居民身份证", "身份证号", "id card", "resident id", "idcard"],
    "passport": ["护照"],
    "uscc": ["统一社会信用代码", "信用代码", "社会信用代码", "unified social credit code"],
    "business_license": ["营业执照", "营业执照号", "business licence"],
    "hk_macau_permit": ["港澳通行证", "港澳居民来往内地通行证", "回乡证"],
    "taiwan_permit": ["台胞证", "台湾居民来往大陆通行证"],
    "military_id": ["军官证", "士兵证"],
    "other": ["其他", "其它"],
})

COMPONENTS = build({
    "fees": ["费用", "滞纳金", "fee"],
    "penalty": ["罚息", "penalty interest"],
    "interest": ["利息"],
    "principal": ["本金"],
})
# fmt: on


def choice(table: Mapping[str, str], what: str) -> Callable[[Any], str]:
    """A parser for one coded column; unknown words get a reason that lists the accepted values."""
    accepted = ", ".join(sorted(set(table.values())))

    def parse(raw: Any) -> str:
        found = table.get(alias_key(as_text(raw)))
        if found is None:
            raise BadValue(f"unknown {what} (accepted: {accepted})")
        return found

    return parse


def is_forbidden_source(raw: str) -> bool:
    """True when a contact's source names an address book, call log or other harvested list."""
    key = alias_key(raw)
    return any(word in key for word in FORBIDDEN_SOURCE_WORDS)


def parse_allocation_order(raw: Any) -> str:
    """A payment allocation order: a permutation of fees, penalty, interest and principal."""
    text = unicodedata.normalize("NFKC", as_text(raw))
    for sep in "，、>;|/→ ":
        text = text.replace(sep, ",")
    parts = [COMPONENTS.get(alias_key(p)) for p in text.split(",") if p.strip()]
    if None in parts or sorted(p for p in parts if p) != sorted(set(COMPONENTS.values())):
        raise BadValue(
            "must list fees, penalty, interest and principal, each once, e.g. fees,penalty,interest,principal"
        )
    return ",".join(p for p in parts if p)
