"""Header recognition: which column holds which canonical field, from Chinese and English headers
or a YAML mapping file `{columns: {"My Header": account_id}, encoding: gb18030, defaults: {currency: CNY}}`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from arrears.core.errors import FieldProblem, InputRejected

KINDS = ("accounts", "contacts", "payments")

# fmt: off
_ACCOUNT_ID = ["账号", "账户号", "账户", "合同号", "合同编号", "借据号", "借据编号", "贷款账号", "卡号",
               "信用卡号", "账户编号", "贷款编号", "account", "account no", "account number", "loan id",
               "loan no", "contract no"]
_CUSTOMER_ID = ["客户号", "客户编号", "客户id", "客户代码", "借款人编号", "客户编码", "customer no",
                "customer number", "client id", "debtor id", "customer code"]
_CURRENCY = ["币种", "货币", "币别", "ccy"]

# canonical field -> (required, header aliases)
FIELDS: dict[str, dict[str, tuple[bool, list[str]]]] = {
    "accounts": {
        "account_id": (True, _ACCOUNT_ID),
        "customer_id": (True, _CUSTOMER_ID),
        "customer_type": (False, ["客户类型", "客户性质", "客户类别", "debtor type", "customer kind"]),
        "customer_name": (True, ["姓名", "客户姓名", "客户名称", "借款人", "借款人姓名", "借款人名称",
                                 "公司名称", "企业名称", "持卡人", "持卡人姓名", "户名", "name",
                                 "debtor name", "company name"]),
        "name_latin": (False, ["拼音", "姓名拼音", "英文名", "英文姓名", "english name", "latin name",
                               "pinyin"]),
        "id_type": (False, ["证件类型", "id type", "document type"]),
        "id_number": (False, ["证件号码", "证件号", "身份证号", "身份证号码", "身份证", "统一社会信用代码",
                              "id no", "national id", "document number"]),
        "occupation": (False, ["职业", "行业", "所属行业", "industry", "job"]),
        "employer": (False, ["工作单位", "单位名称", "雇主", "所在单位", "employer name"]),
        "language": (False, ["语言", "语种", "preferred language"]),
        "timezone": (False, ["时区", "time zone", "tz"]),
        "address": (False, ["地址", "住址", "家庭地址", "通讯地址", "居住地址", "联系地址", "注册地址",
                            "办公地址"]),
        "region": (False, ["国家", "国家/地区", "国家地区", "地区", "国别", "country"]),
        "key_account": (False, ["重点客户", "大客户", "是否重点客户", "vip", "is key account"]),
        "mobile": (False, ["手机", "手机号", "手机号码", "联系电话", "电话", "移动电话", "本人电话",
                           "本人手机", "phone", "cell", "telephone", "mobile phone", "mobile number"]),
        "email": (False, ["邮箱", "电子邮箱", "电子邮件", "e-mail", "mail"]),
        "product": (True, ["产品", "产品类型", "产品名称", "业务类型", "业务品种", "product type"]),
        "sub_type": (False, ["子产品", "产品子类", "贷款类型", "贷款品种", "loan type", "subtype"]),
        "currency": (False, _CURRENCY),
        "open_date": (False, ["开户日期", "开户日", "放款日", "放款日期", "发卡日期", "合同日期", "签约日期",
                              "起息日", "opened", "opened on", "disbursement date", "loan date"]),
        "credit_limit": (False, ["额度", "授信额度", "信用额度", "limit"]),
        "principal": (True, ["本金", "剩余本金", "本金余额", "欠款本金", "outstanding principal",
                             "principal balance"]),
        "interest": (False, ["利息", "欠息", "应收利息", "interest balance"]),
        "fees": (False, ["费用", "滞纳金", "手续费", "费用合计", "fee", "late fees"]),
        "penalty": (False, ["罚息", "penalty interest"]),
        "overdue_since": (False, ["逾期起始日", "最早逾期日", "首次逾期日期", "逾期日期", "逾期开始日期",
                                  "逾期起始日期", "最早未还款日", "oldest due date", "delinquent since",
                                  "overdue date"]),
        "overdue_amount": (False, ["逾期金额", "逾期总额", "逾期欠款", "欠款金额", "past due amount",
                                   "amount overdue"]),
        "due_day": (False, ["还款日", "账单日", "每月还款日", "statement day", "billing day", "payment day"]),
        "grace_days": (False, ["宽限期", "宽限天数", "宽限期天数", "grace period"]),
        "late_fee": (False, ["滞纳金标准", "每期滞纳金", "逾期费标准", "late fee amount"]),
        "penalty_rate": (False, ["罚息利率", "罚息率", "罚息年利率", "逾期利率", "penalty interest rate"]),
        "penalty_basis": (False, ["罚息基数", "罚息计算基数", "计息基数"]),
        "day_count": (False, ["计息天数", "计息基础", "年计息天数", "day basis", "day count basis"]),
        "allocation_order": (False, ["还款顺序", "冲账顺序", "还款冲抵顺序", "payment order"]),
        "last_payment_date": (False, ["最后还款日", "最后还款日期", "最近还款日期", "上次还款日期",
                                      "last paid on"]),
        "last_payment_amount": (False, ["最后还款金额", "最近还款金额", "上次还款金额", "last payment"]),
    },
    "contacts": {
        "contact_id": (False, ["联系人编号", "联系人id", "联系方式编号", "contact no"]),
        "customer_id": (True, _CUSTOMER_ID),
        "relationship": (True, ["关系", "与客户关系", "与借款人关系", "联系人关系", "关系类型", "relation",
                                "role"]),
        "contact_name": (False, ["联系人姓名", "联系人", "联系人名称", "姓名", "name"]),
        "channel": (False, ["联系方式类型", "渠道", "类型", "type"]),
        "value": (True, ["联系方式", "号码", "电话", "手机", "手机号", "手机号码", "联系电话", "邮箱", "地址",
                         "contact", "phone", "number"]),
        "source": (True, ["来源", "信息来源", "数据来源", "获取来源", "获取方式"]),
        "consent": (True, ["授权", "同意", "授权方式", "同意方式", "联系授权", "授权类型"]),
        "consent_date": (False, ["授权日期", "同意日期", "consented on"]),
        "status": (False, ["状态", "联系状态", "号码状态"]),
        "last_verified": (False, ["最后核实日期", "核实日期", "最后验证日期", "verified on"]),
    },
    "payments": {
        "reference": (True, ["交易流水号", "流水号", "交易号", "交易编号", "凭证号", "支票号", "参考号",
                             "ref", "transaction id", "txn id", "transaction reference"]),
        "account_id": (True, _ACCOUNT_ID),
        "paid_on": (True, ["还款日期", "交易日期", "付款日期", "入账日期", "到账日期", "支付日期",
                           "payment date", "date", "transaction date"]),
        "amount": (True, ["还款金额", "金额", "交易金额", "付款金额", "实还金额", "入账金额",
                          "payment amount"]),
        "currency": (False, _CURRENCY),
        "channel": (False, ["渠道", "还款渠道", "支付方式", "还款方式", "付款方式", "method",
                            "payment method"]),
    },
}
# fmt: on

_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")
_DROP = str.maketrans("", "", " _-./:*\u3000\t")


def header_key(text: str) -> str:
    """Comparison form of a header: NFKC, lower case, no units in brackets, spaces, underscores, dashes."""
    normal = unicodedata.normalize("NFKC", text).strip().lower()
    return _BRACKETS.sub("", normal).translate(_DROP)


@cache
def _lookup(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, (_required, aliases) in FIELDS[kind].items():
        for alias in (name, name.replace("_", " "), *aliases):
            out.setdefault(header_key(alias), name)
    return out


@dataclass(frozen=True)
class Mapping:
    """A user's layout description: header -> field (None = ignore), forced encoding, default values."""

    columns: dict[str, str | None] = field(default_factory=dict)
    encoding: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)


def load_mapping(path: Path, kind: str) -> Mapping:
    """Read and check a YAML mapping file for one kind of import."""
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputRejected(
            f"{where}: not a readable YAML mapping file ({exc.__class__.__name__}: {exc})"
        ) from exc
    if not isinstance(data, dict):
        raise InputRejected(f"{where}: a mapping file is a YAML dictionary with columns, encoding, defaults")
    unknown = set(data) - {"columns", "encoding", "defaults"}
    if unknown:
        raise InputRejected(f"{where}: unknown keys {sorted(unknown)} (allowed: columns, encoding, defaults)")
    fields = FIELDS[kind]
    columns_raw = data.get("columns") or {}
    defaults_raw = data.get("defaults") or {}
    if not isinstance(columns_raw, dict) or not isinstance(defaults_raw, dict):
        raise InputRejected(f"{where}: 'columns' and 'defaults' must be dictionaries")
    problems = []
    columns: dict[str, str | None] = {}
    for header, target in columns_raw.items():
        name = None if target in (None, "", "ignore", "-") else str(target).strip()
        if name is not None and name not in fields:
            problems.append(
                FieldProblem(
                    0,
                    "columns",
                    f"{header}: {target}",
                    f"not a {kind} field (fields: {', '.join(fields)})",
                    where,
                )
            )
        columns[header_key(str(header))] = name
    for name in defaults_raw:
        if name not in fields:
            problems.append(FieldProblem(0, "defaults", str(name), f"not a {kind} field", where))
    if problems:
        raise InputRejected(f"{where}: the mapping names fields that do not exist", problems)
    encoding = data.get("encoding")
    return Mapping(
        columns=columns,
        encoding=str(encoding) if encoding else None,
        defaults={str(k): v for k, v in defaults_raw.items() if v is not None},
    )


@dataclass
class ColumnPlan:
    """Where each canonical field is found in the file's rows, and what fills the absent ones."""

    kind: str
    headers: list[str]
    index: dict[str, int]
    defaults: dict[str, Any]
    warnings: list[str]

    def has(self, name: str) -> bool:
        """True when the field comes from a column or a mapping default."""
        return name in self.index or name in self.defaults


def header_score(kind: str, mapping: Mapping | None = None) -> Callable[[list[str]], int]:
    """How many distinct fields of `kind` a candidate header row names (to find the header row)."""
    known = _lookup(kind)
    user = mapping.columns if mapping else {}

    def score(headers: list[str]) -> int:
        found = {user.get(k) or known.get(k) for k in map(header_key, headers)}
        found.discard(None)
        return len(found)

    return score


def plan_columns(kind: str, headers: list[str], mapping: Mapping | None = None, file: str = "") -> ColumnPlan:
    """Recognise the header row; refuse when required columns are missing, warn on unknown ones."""
    if kind not in FIELDS:
        raise InputRejected(f"unknown import kind {kind!r} (one of: {', '.join(KINDS)})")
    known = _lookup(kind)
    user = mapping.columns if mapping else {}
    index: dict[str, int] = {}
    warnings: list[str] = []
    for i, raw in enumerate(headers):
        title = str(raw or "").strip()
        key = header_key(title)
        if not key:
            continue
        if key in user:
            name = user[key]
            if name is None:
                continue
        else:
            name = known.get(key)
        if name is None:
            warnings.append(f"column {title!r} is not recognised and was ignored (map it with --mapping)")
        elif name in index:
            warnings.append(
                f"column {title!r} also means {name}; the first such column "
                f"({headers[index[name]]!r}) is used"
            )
        else:
            index[name] = i
    defaults = dict(mapping.defaults) if mapping else {}
    missing = [
        n for n, (required, _) in FIELDS[kind].items() if required and n not in index and n not in defaults
    ]
    if missing:
        seen = ", ".join(repr(str(h)) for h in headers if str(h or "").strip()) or "none"
        raise InputRejected(
            f"{file or 'file'}: missing required column(s) {', '.join(missing)} for {kind}; "
            f"headers seen: {seen}",
            [FieldProblem(1, n, "", "required column missing", file) for n in missing],
        )
    return ColumnPlan(
        kind=kind, headers=[str(h or "") for h in headers], index=index, defaults=defaults, warnings=warnings
    )
