"""The fields of an accounts file: their parsers, the normalised columns and the record the writer takes."""

from __future__ import annotations

import unicodedata
from typing import Any, Final

from arrears.portfolio.importing import aliases as al
from arrears.portfolio.importing import columns as cl
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.schemas import FieldSpec
from arrears.portfolio.model import DEFAULT_ALLOCATION_ORDER
from arrears.portfolio.rules import is_known_zone, parse_region
from arrears.settings import Settings

# The normalised record's tuples use the column names of the tables they are written to.
DEBTOR_COLUMNS = ("external_id", "kind", "name", "name_latin", "id_type", "id_number", "occupation",
                  "employer", "preferred_language", "timezone", "timezone_source", "address", "region",
                  "is_key_account", "row_hash")
ACCOUNT_COLUMNS = ("external_id", "product", "sub_type", "currency", "open_date", "due_day", "grace_days",
                   "late_fee_minor", "penalty_rate_ppm", "penalty_basis", "day_count", "allocation_order",
                   "credit_limit_minor", "principal_minor", "interest_minor", "fees_minor", "penalty_minor",
                   "last_payment_date", "last_payment_minor", "row_hash")
DUE_COLUMNS = ("due_date", "amount_minor", "principal_minor")  # the one due item of an overdue account
CONTACT_COLUMNS = ("customer_id", "channel", "value", "timezone")
REQUIRED = ("account_id", "customer_id", "customer_name", "product", "principal")
AMOUNTS = (
    "credit_limit",
    "principal",
    "interest",
    "fees",
    "penalty",
    "overdue_amount",
    "late_fee",
    "last_payment_amount",
)
_DEFAULT_ORDER = ",".join(DEFAULT_ALLOCATION_ORDER)
_CURRENCY_WORDS = {
    "人民币": "CNY",
    "rmb": "CNY",
    "元": "CNY",
    "¥": "CNY",
    "美元": "USD",
    "港币": "HKD",
    "港元": "HKD",
    "欧元": "EUR",
    "日元": "JPY",
    "英镑": "GBP",
}
_ZONE_WORDS = {"北京时间": "Asia/Shanghai", "beijing": "Asia/Shanghai", "china": "Asia/Shanghai"}


def parse_currency(raw: Any) -> str:
    """An ISO 4217 code ('CNY'), also from 人民币, RMB, 元, 美元, 港币..."""
    text = unicodedata.normalize("NFKC", vl.as_text(raw)).strip()
    code = _CURRENCY_WORDS.get(text.lower()) or text.upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise vl.BadValue("not a currency code (e.g. CNY, USD, HKD)")
    return code


def parse_zone(raw: Any) -> str:
    """An IANA time zone name such as Asia/Shanghai."""
    text = vl.as_text(raw)
    zone = _ZONE_WORDS.get(text.lower(), text)
    if not is_known_zone(zone):
        raise vl.BadValue("unknown time zone (use an IANA name such as Asia/Shanghai)")
    return zone


def parse_region_cell(raw: Any) -> str:
    """The debtor's country as an ISO 3166 code (CN, HK...), from a code, a name or a province."""
    found = parse_region(vl.as_text(raw))
    if found is None:
        raise vl.BadValue("unknown country or region (use an ISO code such as CN or HK)")
    return found


def parse_product(raw: Any) -> tuple[str, str | None]:
    """A product and the loan sub-type its name implies (工薪贷 -> consumer_loan, salary)."""
    key = al.alias_key(vl.as_text(raw))
    product = al.PRODUCTS.get(key)
    if product is None:
        raise vl.BadValue(
            "unknown product (accepted: credit_card, consumer_loan, business_receivable, "
            "信用卡, 消费贷, 应收账款, 工薪贷, 精英贷, 助商贷)"
        )
    return product, al.PRODUCT_SUB_TYPES.get(key)


def parse_id_type(raw: Any) -> str:
    """An identity document type: resident_id, passport, uscc... (unknown words kept, lower case)."""
    text = vl.as_text(raw)
    found = al.ID_TYPES.get(al.alias_key(text))
    if found:
        return found
    if len(text) > 32:
        raise vl.BadValue("longer than 32 characters")
    return text.lower()


def parse_id_number(raw: Any) -> str:
    """An identity number: NFKC, upper case (the check letter X), no spaces."""
    text = vl.nfkc(vl.as_text(raw)).replace(" ", "").upper()
    if len(text) > 64:
        raise vl.BadValue("longer than 64 characters")
    return text


def parse_day_count(raw: Any) -> int:
    """360 or 365 (also 'ACT/360', '365天')."""
    text = vl.nfkc(vl.as_text(raw)).upper().replace("ACT/", "").rstrip("天")
    if text.endswith(".0"):
        text = text[:-2]
    if text not in ("360", "365"):
        raise vl.BadValue("day count must be 360 or 365")
    return int(text)


def iso_date(raw: Any) -> str:
    """A date as its ISO text (ISO dates compare correctly as strings)."""
    return vl.parse_date(raw).isoformat()


def account_specs(settings: Settings) -> list[FieldSpec]:
    """The field parsers of an accounts file (amounts stay raw until the row's currency is known)."""
    region = settings.default_region

    def phone(raw: Any) -> str:
        return vl.parse_phone(raw, region)

    return [
        FieldSpec("account_id", vl.parse_external_id, column=cl.id_column),
        FieldSpec("customer_id", vl.parse_external_id, column=cl.id_column),
        FieldSpec("customer_type", al.choice(al.CUSTOMER_TYPES, "customer type"), cached=True),
        FieldSpec("customer_name", vl.text_parser(200), column=cl.text_column(200)),
        FieldSpec("name_latin", vl.text_parser(200), column=cl.text_column(200)),
        FieldSpec("id_type", parse_id_type, cached=True),
        FieldSpec("id_number", parse_id_number, column=cl.id_column),
        FieldSpec("occupation", vl.text_parser(120), cached=True),
        FieldSpec("employer", vl.text_parser(200), cached=True),
        FieldSpec("language", al.choice(al.LANGUAGES, "language"), cached=True),
        FieldSpec("timezone", parse_zone, cached=True),
        FieldSpec("address", vl.text_parser(1000), column=cl.text_column(1000)),
        FieldSpec("region", parse_region_cell, cached=True),
        FieldSpec("key_account", vl.parse_bool, cached=True),
        FieldSpec("mobile", phone, column=cl.cn_mobile_column if region == "CN" else None),
        FieldSpec("email", vl.parse_email),
        FieldSpec("product", parse_product, cached=True),
        FieldSpec("sub_type", al.choice(al.SUB_TYPES, "loan sub-type"), cached=True),
        FieldSpec("currency", parse_currency, cached=True),
        FieldSpec("open_date", iso_date, cached=True),
        FieldSpec("overdue_since", iso_date, cached=True),
        FieldSpec("last_payment_date", iso_date, cached=True),
        FieldSpec("due_day", lambda raw: vl.parse_int(raw, 0, 31), cached=True),
        FieldSpec("grace_days", lambda raw: vl.parse_int(raw, 0, 365), cached=True),
        FieldSpec("penalty_rate", vl.parse_rate_ppm, cached=True),
        FieldSpec("penalty_basis", al.choice(al.PENALTY_BASES, "penalty basis"), cached=True),
        FieldSpec("day_count", parse_day_count, cached=True),
        FieldSpec("allocation_order", al.parse_allocation_order, cached=True),
        *(FieldSpec(name, None) for name in AMOUNTS),
    ]


# One valid account row, normalised: (row number, debtor, account, due item or None, the debtor's own contact
# points), a plain tuple (cheap to build and to send from the parser process). The tuples follow
# DEBTOR_COLUMNS, ACCOUNT_COLUMNS (each ending with its row_hash), DUE_COLUMNS and CONTACT_COLUMNS.
AccountRecord = tuple[int, tuple[Any, ...], tuple[Any, ...], tuple[Any, ...] | None, list[tuple[Any, ...]]]
ROW: Final = 0
DEBTOR: Final = 1
ACCOUNT: Final = 2
DUE: Final = 3
CONTACTS: Final = 4
