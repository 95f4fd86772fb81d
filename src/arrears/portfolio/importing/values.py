"""Parsers for the values real files contain: amounts, dates, phones, rates, flags, ids and text.

Each parser takes the raw cell (a string from CSV, or a native value from XLSX) and returns the
normalised value or raises `BadValue` with a reason a spreadsheet user understands. Hot paths (plain
ASCII amounts, ISO dates, plain Chinese mobiles) avoid regexes and Unicode normalisation.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import phonenumbers

from arrears.core.money import exponent


class BadValue(ValueError):
    """A cell that cannot be read as what its column means; the message is the reason."""


def nfkc(text: str) -> str:
    """Unicode NFKC (full-width digits and punctuation become ASCII), trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


def as_text(raw: Any) -> str:
    """Any cell value as trimmed text (XLSX integers without '.0', dates as ISO)."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


# ---------------------------------------------------------------- amounts

_CURRENCY_MARKS: tuple[tuple[str, str], ...] = (
    ("人民币", "CNY"),
    ("RMB", "CNY"),
    ("CNY", "CNY"),
    ("元", "CNY"),
    ("¥", "CNY"),
    ("US$", "USD"),
    ("USD", "USD"),
    ("美元", "USD"),
    ("HK$", "HKD"),
    ("HKD", "HKD"),
    ("港币", "HKD"),
    ("EUR", "EUR"),
    ("€", "EUR"),
    ("GBP", "GBP"),
    ("£", "GBP"),
    ("JPY", "JPY"),
    ("日元", "JPY"),
    ("$", "USD"),
)
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def parse_amount(raw: Any, currency: str) -> int:
    """A non-negative amount in minor units of `currency` ('¥1,234.50', '1,234.50元', 'RMB 1234.5')."""
    places = exponent(currency)
    if isinstance(raw, str):
        whole, dot, frac = raw.partition(".")
        if whole.isascii() and whole.isdigit() and (not dot or (frac.isdigit() and len(frac) <= places)):
            scale = 10**places
            return int(whole) * scale + (int(frac) * 10 ** (places - len(frac)) if frac else 0)
        return _amount_slow(raw, currency, places)
    if isinstance(raw, bool):
        raise BadValue("not an amount")
    if isinstance(raw, int):
        if raw < 0:
            raise BadValue("negative amounts are not accepted")
        return raw * 10**places
    if isinstance(raw, float):
        return _amount_slow(format(raw, ".15g"), currency, places)
    if isinstance(raw, Decimal):
        return _amount_slow(str(raw), currency, places)
    raise BadValue("not an amount")


def _amount_slow(raw: str, currency: str, places: int) -> int:
    text = nfkc(raw).replace(" ", "")
    if text.startswith(("-", "−", "(")) or text.endswith((")", "-")):
        raise BadValue("negative amounts are not accepted")
    found = None
    for mark, code in _CURRENCY_MARKS:
        if mark in text:
            found = found or code
            text = text.replace(mark, "")
    if found and found != currency:
        raise BadValue(f"amount is in {found} but the row's currency is {currency}")
    if text.startswith("-"):
        raise BadValue("negative amounts are not accepted")
    multiplier = 1
    if text.endswith("万"):
        text, multiplier = text[:-1], 10_000
    if "," in text:
        if not _GROUPED.fullmatch(text):
            raise BadValue("not a number (use '.' for decimals and ',' only between thousands)")
        text = text.replace(",", "")
    if not _PLAIN_NUMBER.fullmatch(text):
        if re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", text):
            raise BadValue("scientific notation is not accepted for amounts; format the column as a number")
        raise BadValue("not a number")
    value = Decimal(text) * multiplier
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise BadValue(f"more decimals than {currency} allows ({places})")
    return int(scaled)


def format_minor(minor: int, currency: str) -> str:
    """Minor units back to a plain decimal string ('123450' CNY -> '1234.50')."""
    places = exponent(currency)
    if places == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}"


# ---------------------------------------------------------------- dates

_EXCEL_EPOCH = date(1899, 12, 30)
_YMD = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{1,6})(?:\.\d+)?")
_MIN_YEAR, _MAX_YEAR = 1900, 2200


def parse_date(raw: Any) -> date:
    """A calendar date: ISO, '2026/3/5', '2026年3月5日', '20260305', Excel serials, XLSX dates."""
    if isinstance(raw, str):
        if len(raw) == 10 and raw[4] == "-" and raw[7] == "-" and raw.isascii():
            try:
                return _check_year(date.fromisoformat(raw))
            except ValueError:
                pass
        return _date_slow(raw)
    if isinstance(raw, datetime):
        return _check_year(raw.date())
    if isinstance(raw, date):
        return _check_year(raw)
    if isinstance(raw, bool):
        raise BadValue("not a date")
    if isinstance(raw, int | float):
        return _from_serial(Decimal(str(raw)))
    raise BadValue("not a date")


def _check_year(value: date) -> date:
    if not _MIN_YEAR <= value.year <= _MAX_YEAR:
        raise BadValue(f"year {value.year} is out of range")
    return value


def _make_date(y: str, m: str, d: str) -> date:
    try:
        return _check_year(date(int(y), int(m), int(d)))
    except ValueError as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue(f"no such date: {int(y):04d}-{int(m):02d}-{int(d):02d}") from None


def _date_slow(raw: str) -> date:
    text = nfkc(raw)
    if not text:
        raise BadValue("not a date")
    if m := _YMD.fullmatch(text):
        return _make_date(*m.groups())
    if m := _COMPACT.fullmatch(text):
        return _make_date(*m.groups())
    if m := _SERIAL.fullmatch(text):
        return _from_serial(Decimal(text))
    if re.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}", text):
        raise BadValue("ambiguous date (day and month order unknown); write it as YYYY-MM-DD")
    raise BadValue("not a date (expected YYYY-MM-DD, 2026/3/5, 2026年3月5日, 20260305 or an Excel date)")


def _from_serial(serial: Decimal) -> date:
    # Excel's day numbers: 1 = 1900-01-01 (with its phantom 1900-02-29); sensible range only.
    if not 10_000 <= serial <= 110_000:
        raise BadValue("not a date (a number that is not a plausible Excel date)")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


# ---------------------------------------------------------------- phones, e-mail

_MOBILE_CN = re.compile(r"1[3-9]\d{9}")
_PHONE_JUNK = str.maketrans("", "", " -()\u00a0.")


def parse_phone(raw: Any, region: str = "CN") -> str:
    """A phone number in E.164 ('+8613812345678'); plain CN mobiles skip the slow full parser."""
    text = as_text(raw)
    if region == "CN":
        if len(text) == 11 and _MOBILE_CN.fullmatch(text):
            return "+86" + text
        compact = text.translate(_PHONE_JUNK)
        for prefix in ("+86", "0086", "86"):
            if compact.startswith(prefix) and len(compact) == len(prefix) + 11:
                compact = compact[len(prefix) :]
                break
        if len(compact) == 11 and _MOBILE_CN.fullmatch(compact):
            return "+86" + compact
    return _phone_slow(text, region)


@lru_cache(maxsize=4096)
def _phone_slow(text: str, region: str) -> str:
    normal = nfkc(text)
    if not normal:
        raise BadValue("not a phone number")
    try:
        number = phonenumbers.parse(normal, region)
    except phonenumbers.NumberParseException:
        raise BadValue("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise BadValue("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>.]{2,}")


def parse_email(raw: Any) -> str:
    """An e-mail address, trimmed, with its domain lower-cased."""
    text = nfkc(as_text(raw))
    if not _EMAIL.fullmatch(text):
        raise BadValue("not an e-mail address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def looks_like_phone(text: str) -> bool:
    """True when a contact value is made only of phone characters (digits, +, -, brackets, spaces)."""
    normal = nfkc(text)
    digits = sum(ch.isdigit() for ch in normal)
    return digits >= 3 and all(ch.isdigit() or ch in "+-() ." for ch in normal)


# ---------------------------------------------------------------- numbers, rates, flags


def parse_int(raw: Any, low: int, high: int) -> int:
    """A whole number between low and high inclusive ('5', '5天', '5.0')."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = nfkc(as_text(raw)).rstrip("天日号")
        if text.endswith(".0"):
            text = text[:-2]
        if not (text.isascii() and text.isdigit()):
            raise BadValue("not a whole number")
        value = int(text)
    if not low <= value <= high:
        raise BadValue(f"must be between {low} and {high}")
    return value


_PPM = Decimal(1_000_000)


def parse_rate_ppm(raw: Any) -> int:
    """An annual rate as parts per million: '18%', '0.18' and '18' all mean 18% = 180000."""
    text = nfkc(as_text(raw)).replace(" ", "")
    percent = text.endswith("%")
    text = text.rstrip("%")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadValue("not a rate (write 18%, 0.18 or 18)") from None
    if not value.is_finite() or value < 0:
        raise BadValue("not a rate (write 18%, 0.18 or 18)")
    if percent or value >= 1:
        value = value / 100
    if value > 1:
        raise BadValue("rate above 100% a year")
    return int((value * _PPM).quantize(Decimal(1), rounding=ROUND_HALF_UP))


_TRUE = {"1", "true", "yes", "y", "t", "是", "√", "✓"}
_FALSE = {"0", "false", "no", "n", "f", "否", "×", "✗", ""}


def parse_bool(raw: Any) -> bool:
    """A yes/no flag: 1/0, true/false, yes/no, Y/N, 是/否."""
    if isinstance(raw, bool):
        return raw
    text = nfkc(as_text(raw)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue("not a yes/no value (use yes/no, true/false, 1/0, 是/否)")


# ---------------------------------------------------------------- ids and text

_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")


def parse_external_id(raw: Any) -> str:
    """An id from the source system: trimmed, NFKC; refuses ids Excel mangled into 1.23E+15."""
    if isinstance(raw, str) and raw.isascii():
        text = raw.strip()
    else:
        text = nfkc(as_text(raw))
    if not text:
        raise BadValue("empty id")
    if len(text) > 64:
        raise BadValue("id longer than 64 characters")
    if _SCIENTIFIC.fullmatch(text):
        raise BadValue(
            "id in scientific notation (Excel shortened it); format the column as text and export again"
        )
    return text


def text_parser(max_length: int):  # type: ignore[no-untyped-def]
    """A parser for free text up to max_length characters (trimmed, inner whitespace kept)."""

    def parse(raw: Any) -> str:
        text = raw.strip() if isinstance(raw, str) else as_text(raw)
        if len(text) > max_length:
            raise BadValue(f"longer than {max_length} characters")
        return text

    return parse
