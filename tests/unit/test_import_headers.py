"""Header recognition (Chinese and English) and YAML mapping files."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.core.errors import InputRejected
from arrears.portfolio.importing import aliases as al
from arrears.portfolio.importing.headers import FIELDS, header_key, header_score, load_mapping, plan_columns

ACCOUNT_MINIMUM = ["account_id", "customer_id", "customer_name", "product", "principal"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("账号", "account_id"),
        ("合同号", "account_id"),
        ("借据号", "account_id"),
        ("客户号", "customer_id"),
        ("客户编号", "customer_id"),
        ("姓名", "customer_name"),
        ("客户姓名", "customer_name"),
        ("公司名称", "customer_name"),
        ("证件号码", "id_number"),
        ("身份证号", "id_number"),
        ("手机", "mobile"),
        ("手机号码", "mobile"),
        ("联系电话", "mobile"),
        ("产品", "product"),
        ("产品类型", "product"),
        ("币种", "currency"),
        ("本金", "principal"),
        ("剩余本金", "principal"),
        ("利息", "interest"),
        ("费用", "fees"),
        ("滞纳金", "fees"),
        ("罚息", "penalty"),
        ("逾期起始日", "overdue_since"),
        ("最早逾期日", "overdue_since"),
        ("首次逾期日期", "overdue_since"),
        ("逾期金额", "overdue_amount"),
        ("还款日", "due_day"),
        ("账单日", "due_day"),
        ("宽限期", "grace_days"),
        ("开户日期", "open_date"),
        ("放款日", "open_date"),
        ("Account ID", "account_id"),
        ("ACCOUNT_ID", "account_id"),
        ("account-id", "account_id"),
        ("Customer Name", "customer_name"),
        ("ｐｒｉｎｃｉｐａｌ", "principal"),
        ("本金（元）", "principal"),
        ("Principal (CNY)", "principal"),
        ("*account_id", "account_id"),
        ("Overdue Since", "overdue_since"),
        ("E-mail", "email"),
    ],
)
def test_account_headers_are_recognised(header: str, field: str) -> None:
    plan = plan_columns(
        "accounts",
        [*ACCOUNT_MINIMUM, header]
        if field not in ACCOUNT_MINIMUM
        else [header, *[h for h in ACCOUNT_MINIMUM if h != field]],
    )
    assert plan.index[field] == (len(ACCOUNT_MINIMUM) if field not in ACCOUNT_MINIMUM else 0)
    assert plan.warnings == []


@pytest.mark.parametrize(
    ("kind", "header", "field"),
    [
        ("payments", "交易流水号", "reference"),
        ("payments", "流水号", "reference"),
        ("payments", "还款日期", "paid_on"),
        ("payments", "交易日期", "paid_on"),
        ("payments", "还款金额", "amount"),
        ("payments", "金额", "amount"),
        ("payments", "渠道", "channel"),
        ("payments", "账号", "account_id"),
        ("contacts", "关系", "relationship"),
        ("contacts", "联系人姓名", "contact_name"),
        ("contacts", "联系方式", "value"),
        ("contacts", "来源", "source"),
        ("contacts", "授权", "consent"),
    ],
)
def test_payment_and_contact_headers(kind: str, header: str, field: str) -> None:
    from arrears.portfolio.importing.headers import _lookup

    assert _lookup(kind)[header_key(header)] == field


def test_no_alias_means_two_fields_within_a_kind() -> None:
    for kind, fields in FIELDS.items():
        seen: dict[str, str] = {}
        for name, (_required, aliases) in fields.items():
            for alias in (name, name.replace("_", " "), *aliases):
                key = header_key(alias)
                assert seen.setdefault(key, name) == name, f"{kind}: {alias!r} means {seen[key]} and {name}"


def test_missing_required_columns_are_listed_with_the_headers_seen() -> None:
    with pytest.raises(InputRejected) as caught:
        plan_columns("accounts", ["账号", "姓名", "Notes"], file="x.csv")
    message = str(caught.value)
    assert "customer_id, product, principal" in message and "'账号', '姓名', 'Notes'" in message
    assert {p.field for p in caught.value.problems} == {"customer_id", "product", "principal"}
    assert all(p.row == 1 and p.file == "x.csv" for p in caught.value.problems)


def test_unknown_and_duplicate_columns_are_warnings() -> None:
    plan = plan_columns("accounts", [*ACCOUNT_MINIMUM, "Branch", "手机", "联系电话", ""])
    assert plan.index["mobile"] == 6
    assert any("'Branch' is not recognised" in w for w in plan.warnings)
    assert any("'联系电话' also means mobile" in w for w in plan.warnings)
    assert len(plan.warnings) == 2


def test_unknown_kind() -> None:
    with pytest.raises(InputRejected, match="unknown import kind"):
        plan_columns("invoices", ["a"])


def test_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "columns:\n  Loan Ref: account_id\n  Borrower No: customer_id\n  Who: customer_name\n"
        "  Kind: product\n  Outstanding: principal\n  Branch: ignore\nencoding: gbk\n"
        "defaults:\n  currency: HKD\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path, "accounts")
    assert mapping.encoding == "gbk" and mapping.defaults == {"currency": "HKD"}
    plan = plan_columns(
        "accounts", ["Loan Ref", "Borrower No", "who", "KIND", "Outstanding", "Branch"], mapping
    )
    assert plan.index == {"account_id": 0, "customer_id": 1, "customer_name": 2, "product": 3, "principal": 4}
    assert plan.warnings == [] and plan.has("currency")


def test_a_mapping_default_satisfies_a_required_column(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("defaults:\n  product: credit_card\n", encoding="utf-8")
    plan = plan_columns(
        "accounts",
        ["account_id", "customer_id", "customer_name", "principal"],
        load_mapping(path, "accounts"),
    )
    assert plan.defaults == {"product": "credit_card"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("columns:\n  A: not_a_field\n", "fields that do not exist"),
        ("- a\n- b\n", "YAML dictionary"),
        ("colums:\n  A: account_id\n", "unknown keys"),
        ("columns: [unclosed\n", "not a readable YAML"),
        ("defaults:\n  colour: red\n", "fields that do not exist"),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputRejected, match=reason):
        load_mapping(path, "accounts")


def test_header_score_finds_the_header_below_a_title() -> None:
    score = header_score("accounts")
    assert score(["逾期账户清单"]) == 0
    assert score(["借据号", "客户编号", "姓名", "本金"]) == 4


def test_alias_tables() -> None:
    assert al.PRODUCTS[al.alias_key("信用卡")] == "credit_card"
    assert al.PRODUCTS[al.alias_key("Credit Card")] == "credit_card"
    assert al.PRODUCT_SUB_TYPES[al.alias_key("助商贷")] == "small_business"
    assert al.RELATIONSHIPS[al.alias_key("老板")] == "owner"
    assert al.RELATIONSHIPS[al.alias_key("法人")] == "owner"
    assert al.PAYMENT_CHANNELS[al.alias_key("微信")] == "wechat_pay"
    assert al.SOURCES[al.alias_key("合同约定")] == "contract"
    assert al.is_forbidden_source("手机通讯录") and al.is_forbidden_source("Address Book")
    assert al.is_forbidden_source("call_log") and not al.is_forbidden_source("本人提供")
    assert al.parse_allocation_order("罚息、利息、本金、费用") == "penalty,interest,principal,fees"
    with pytest.raises(ValueError, match="each once"):
        al.parse_allocation_order("fees,fees,interest,principal")
    with pytest.raises(ValueError, match="means both"):
        al.build({"a": ["x"], "b": ["X"]})
