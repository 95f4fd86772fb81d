"""Row validation without a database: accounts, contacts and payments into normalised records."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from arrears.core.errors import InputRejected
from arrears.portfolio.importing.account_fields import (
    ACCOUNT,
    ACCOUNT_COLUMNS,
    CONTACTS,
    DEBTOR,
    DEBTOR_COLUMNS,
    DUE,
    ROW,
)
from arrears.portfolio.importing.account_rows import AccountRows
from arrears.portfolio.importing.contact_rows import ContactRows
from arrears.portfolio.importing.headers import plan_columns
from arrears.portfolio.importing.payment_rows import PaymentRows
from arrears.settings import Settings

TODAY = date(2026, 3, 31)
SETTINGS = Settings(database_url="sqlite://", environment="test")
A = {name: i for i, name in enumerate(ACCOUNT_COLUMNS)}
D = {name: i for i, name in enumerate(DEBTOR_COLUMNS)}


def _accounts(
    rows: list[dict[str, str]], validator: AccountRows | None = None
) -> tuple[list[Any], list[Any]]:
    headers = sorted({k for r in rows for k in r})
    if validator is None:
        validator = AccountRows(plan_columns("accounts", headers), SETTINGS, TODAY, "t.csv")
    return validator.validate(
        [i + 2 for i in range(len(rows))], [[r.get(h, "") for h in headers] for r in rows]
    )


def _row(**values: str) -> dict[str, str]:
    base = {
        "account_id": "A1",
        "customer_id": "C1",
        "customer_name": "张三",
        "product": "信用卡",
        "principal": "1,000.00",
    }
    return {**base, **values}


def _problems(rejected: list[Any]) -> list[tuple[int, str, str]]:
    return [(p.row, p.field, p.reason) for _, _, problems in rejected for p in problems]


def test_a_minimal_row_gets_the_defaults() -> None:
    records, rejected = _accounts([_row()])
    assert rejected == []
    (rec,) = records
    a, d = rec[ACCOUNT], rec[DEBTOR]
    assert rec[ROW] == 2 and a[A["external_id"]] == "A1" and d[D["external_id"]] == "C1"
    assert (
        a[A["product"]] == "credit_card" and a[A["currency"]] == "CNY" and a[A["principal_minor"]] == 100000
    )
    assert a[A["interest_minor"]] == 0 and a[A["day_count"]] == 360 and rec[DUE] is None
    assert a[A["allocation_order"]] == "fees,penalty,interest,principal"
    assert d[D["kind"]] == "person" and d[D["preferred_language"]] == "zh-CN"
    assert (d[D["timezone"]], d[D["timezone_source"]]) == ("Asia/Shanghai", "default")
    assert len(a[-1]) == 32 and len(d[-1]) == 32 and rec[CONTACTS] == []


def test_overdue_rows_carry_their_due_item() -> None:
    records, _ = _accounts(
        [
            _row(
                overdue_since="2026/1/5",
                overdue_amount="¥300",
                principal="200",
                interest="150",
                penalty_rate="18%",
                sub_type="",
                mobile="138 1234 5678",
            )
        ]
    )
    a = records[0][ACCOUNT]
    assert records[0][DUE] == ("2026-01-05", 30000, 20000) and a[A["penalty_rate_ppm"]] == 180000
    assert records[0][CONTACTS] == [("C1", "phone", "+8613812345678", "Asia/Shanghai")]


def test_loan_names_imply_the_sub_type() -> None:
    records, _ = _accounts([_row(product="助商贷")])
    assert records[0][ACCOUNT][A["product"]] == "consumer_loan"
    assert records[0][ACCOUNT][A["sub_type"]] == "small_business"


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"principal": ""}, "principal", "required value is empty"),
        ({"customer_name": ""}, "customer_name", "required value is empty"),
        ({"principal": "-1"}, "principal", "negative"),
        ({"principal": "1.234"}, "principal", "more decimals than CNY"),
        ({"interest": "abc"}, "interest", "not a number"),
        ({"overdue_since": "2026-02-30", "overdue_amount": "1"}, "overdue_since", "no such date"),
        ({"overdue_since": "2026-01-01"}, "overdue_amount", "required when overdue_since is given"),
        ({"overdue_amount": "5"}, "overdue_since", "required when overdue_amount is given"),
        ({"overdue_since": "2026-04-01", "overdue_amount": "5"}, "overdue_since", "in the future"),
        ({"overdue_since": "2026-01-01", "overdue_amount": "0"}, "overdue_amount", "more than 0"),
        (
            {"overdue_since": "2026-01-01", "overdue_amount": "5000"},
            "overdue_amount",
            "more than the balance",
        ),
        (
            {"overdue_since": "2020-01-01", "overdue_amount": "5", "open_date": "2021-01-01"},
            "overdue_since",
            "before the account was opened",
        ),
        ({"mobile": "12345"}, "mobile", "not a valid phone number"),
        ({"product": "mortgage"}, "product", "unknown product"),
        ({"sub_type": "salary"}, "sub_type", "consumer loans only"),
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        ({"region": "Atlantis"}, "region", "unknown country"),
        ({"currency": "元元"}, "currency", "not a currency code"),
        ({"allocation_order": "fees,interest"}, "allocation_order", "each once"),
        ({"day_count": "364"}, "day_count", "360 or 365"),
        ({"penalty_rate": "300%"}, "penalty_rate", "above 100%"),
        ({"last_payment_amount": "5"}, "last_payment_date", "required when last_payment_amount"),
        ({"email": "nobody"}, "email", "not an e-mail"),
        ({"account_id": "6.22E+15"}, "account_id", "scientific notation"),
    ],
)
def test_bad_rows_name_the_field_and_reason(values: dict[str, str], field: str, reason: str) -> None:
    records, rejected = _accounts([_row(**values)])
    assert records == []
    problems = _problems(rejected)
    assert any(f == field and reason in r for _, f, r in problems), problems
    assert rejected[0][0] == 2


def test_one_bad_value_does_not_hide_the_others() -> None:
    _, rejected = _accounts([_row(principal="x", interest="-1", mobile="1")])
    assert {f for _, f, _ in _problems(rejected)} == {"principal", "interest", "mobile"}


def test_duplicate_account_ids_name_both_rows_across_batches() -> None:
    validator = AccountRows(plan_columns("accounts", sorted(_row())), SETTINGS, TODAY, "t.csv")
    _accounts([_row(), _row(account_id="A2")], validator)
    _, rejected = _accounts([_row(account_id="A2")], validator)
    assert _problems(rejected) == [(2, "account_id", "duplicate account_id: also in row 3")]


def test_one_customer_must_have_one_set_of_details() -> None:
    records, rejected = _accounts(
        [_row(), _row(account_id="A2", product="工薪贷"), _row(account_id="A3", customer_name="张四")]
    )
    assert [r[ACCOUNT][0] for r in records] == ["A1", "A2"]
    assert _problems(rejected) == [
        (
            4,
            "customer_id",
            "customer C1 is also in row 2 with different details "
            "(name, identity, address...); the rows of one customer must agree",
        )
    ]


@pytest.mark.parametrize(
    ("values", "zone", "source"),
    [
        ({"timezone": "Europe/London"}, "Europe/London", "given"),
        ({"address": "香港九龙弥敦道1号"}, "Asia/Hong_Kong", "address"),
        ({"address": "广东省深圳市南山区"}, "Asia/Shanghai", "address"),
        ({"region": "SG"}, "Asia/Singapore", "address"),
        ({"mobile": "+852 9123 4567"}, "Asia/Hong_Kong", "phone"),
        ({"mobile": "+65 8123 4567"}, "Asia/Singapore", "phone"),
        ({"mobile": "+44 7911 123456"}, "Asia/Shanghai", "default"),  # UK mobiles span several zones
        ({"mobile": "+1 212 555 0123", "region": "US"}, "America/New_York", "phone"),
        ({}, "Asia/Shanghai", "default"),
    ],
)
def test_debtor_time_zone_and_its_source(values: dict[str, str], zone: str, source: str) -> None:
    records, rejected = _accounts([_row(**values)])
    assert rejected == []
    d = records[0][DEBTOR]
    assert (d[D["timezone"]], d[D["timezone_source"]]) == (zone, source)


def test_row_hash_follows_the_normalised_values() -> None:
    (a,), _ = _accounts([_row(principal="1000")])
    (b,), _ = _accounts([_row(principal="¥1,000.00")])
    (c,), _ = _accounts([_row(principal="1000.01")])
    assert a[ACCOUNT][-1] == b[ACCOUNT][-1] != c[ACCOUNT][-1]
    assert a[DEBTOR][-1] == c[DEBTOR][-1]


def _contacts(rows: list[dict[str, str]], limit: int = 10) -> tuple[list[Any], list[Any], ContactRows]:
    headers = sorted({k for r in rows for k in r})
    validator = ContactRows(plan_columns("contacts", headers), SETTINGS, TODAY, "c.csv", limit)
    records, rejected = validator.validate(
        [i + 2 for i in range(len(rows))], [[r.get(h, "") for h in headers] for r in rows]
    )
    return records, rejected, validator


def _contact(**values: str) -> dict[str, str]:
    base = {
        "customer_id": "C1",
        "relationship": "配偶",
        "contact_name": "李四",
        "value": "139 0000 1111",
        "source": "本人提供",
        "consent": "本人同意",
    }
    return {**base, **values}


def test_contacts_are_normalised() -> None:
    records, rejected, _ = _contacts(
        [
            _contact(),
            _contact(relationship="本人", contact_name="", value="A@B.CN"),
            _contact(
                relationship="单位",
                value="北京市朝阳区建国路1号",
                source="合同约定",
                consent="合同约定",
                channel="",
            ),
        ]
    )
    assert rejected == []
    phone, email, address = records
    assert (phone.relationship, phone.channel, phone.value, phone.timezone) == (
        "spouse",
        "phone",
        "+8613900001111",
        "Asia/Shanghai",
    )
    assert (phone.source, phone.consent, phone.status) == ("debtor_provided", "debtor_gave", "unverified")
    assert (email.relationship, email.channel, email.value) == ("self", "email", "A@b.cn")
    assert (address.relationship, address.channel, address.source) == ("employer", "address", "contract")


@pytest.mark.parametrize(
    "source", ["通讯录", "手机通讯录导入", "address_book", "Call Log", "phonebook", "通话记录"]
)
def test_address_book_sources_are_refused_with_the_reason(source: str) -> None:
    _, rejected, _ = _contacts([_contact(source=source)])
    (problem,) = rejected[0][2]
    assert problem.field == "source" and "address book" in problem.reason and "lawful" in problem.reason


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"contact_name": ""}, "contact_name", "required for anyone but the debtor"),
        ({"value": "12345"}, "value", "not a valid phone"),
        ({"relationship": "neighbour"}, "relationship", "unknown relationship"),
        ({"consent": "maybe"}, "consent", "unknown consent"),
        ({"source": ""}, "source", "required value is empty"),
        ({"consent_date": "2027-01-01"}, "consent_date", "in the future"),
    ],
)
def test_bad_contact_rows(values: dict[str, str], field: str, reason: str) -> None:
    _, rejected, _ = _contacts([_contact(**values)])
    assert any(p.field == field and reason in p.reason for p in rejected[0][2]), rejected


def test_duplicate_contacts_name_both_rows() -> None:
    _, rejected, _ = _contacts(
        [
            _contact(contact_id="K1"),
            _contact(contact_id="K1", value="13900002222"),
            _contact(value="+86 13900001111"),
        ]
    )
    assert [(p.row, p.field) for _, _, ps in rejected for p in ps] == [(3, "contact_id"), (4, "value")]
    assert "also in row 2" in rejected[0][2][0].reason and "also in row 2" in rejected[1][2][0].reason


def test_too_many_third_party_contacts_refuse_the_file() -> None:
    rows = [_contact(value=f"1390000{i:04d}", relationship="朋友") for i in range(11)]
    _, rejected, validator = _contacts(rows)
    assert rejected == []
    with pytest.raises(InputRejected, match="more than 10 third-party contacts") as caught:
        validator.check_file()
    assert caught.value.problems[0].reason == "11 third-party contacts for one debtor (limit 10)"
    _, _, small = _contacts(rows[:10])
    small.check_file()
    _, _, strict = _contacts(rows[:3], limit=2)
    with pytest.raises(InputRejected):
        strict.check_file()


def test_company_roles_do_not_count_as_third_parties() -> None:
    rows = [_contact(value=f"1390000{i:04d}", relationship="财务") for i in range(15)]
    _, _, validator = _contacts(rows)
    validator.check_file()


def _payments(rows: list[dict[str, str]]) -> tuple[list[Any], list[Any]]:
    headers = sorted({k for r in rows for k in r})
    validator = PaymentRows(plan_columns("payments", headers), SETTINGS, TODAY, "p.csv")
    return validator.validate(
        [i + 2 for i in range(len(rows))], [[r.get(h, "") for h in headers] for r in rows]
    )


def _payment(**values: str) -> dict[str, str]:
    return {"reference": "T1", "account_id": "A1", "paid_on": "2026年3月1日", "amount": "1,200.50", **values}


def test_payments_are_normalised() -> None:
    (rec,), rejected = _payments([_payment(channel="微信")])
    assert rejected == []
    assert (rec.reference, rec.account_id, rec.paid_on, rec.amount_minor, rec.channel) == (
        "T1",
        "A1",
        date(2026, 3, 1),
        120050,
        "wechat_pay",
    )
    assert rec.currency is None and rec.assumed_currency == "CNY"


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"amount": "0"}, "amount", "more than 0"),
        ({"amount": "-5"}, "amount", "negative"),
        ({"amount": ""}, "amount", "required"),
        ({"paid_on": "2026-04-01"}, "paid_on", "in the future"),
        ({"paid_on": "2026-02-30"}, "paid_on", "no such date"),
        ({"channel": "pigeon"}, "channel", "unknown payment"),
        ({"amount": "12.345"}, "amount", "more decimals"),
    ],
)
def test_bad_payment_rows(values: dict[str, str], field: str, reason: str) -> None:
    _, rejected = _payments([_payment(**values)])
    assert any(p.field == field and reason in p.reason for p in rejected[0][2]), rejected


def test_duplicate_payment_references() -> None:
    records, rejected = _payments([_payment(), _payment(amount="5")])
    assert len(records) == 1 and rejected[0][2][0].reason == "duplicate payment reference: also in row 2"
