"""Masking of personal data for pages and logs (138****5678, 1101**********1234)."""

from __future__ import annotations


def mask_phone(e164: str) -> str:
    """Keep the first three and last four digits of the national number: +86 138****5678."""
    if not e164:
        return ""
    digits = e164.lstrip("+")
    country, national = _split_country(e164, digits)
    if len(national) <= 7:
        masked = national[:2] + "*" * max(0, len(national) - 4) + national[-2:]
    else:
        masked = national[:3] + "*" * (len(national) - 7) + national[-4:]
    return f"+{country} {masked}" if country else masked


def _split_country(e164: str, digits: str) -> tuple[str, str]:
    if digits.startswith("86") or not e164.startswith("+"):
        return ("86", digits[2:]) if digits.startswith("86") else ("", digits)
    import phonenumbers  # only for numbers outside China, where country codes vary in length

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "", digits
    code = str(parsed.country_code)
    return code, digits[len(code) :]


def mask_identity(number: str) -> str:
    """Keep the first four and last four characters of an identity number."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:1] + "*" * (len(number) - 2) + number[-1:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain: z***@example.com."""
    local, _, domain = email.partition("@")
    if not domain:
        return mask_identity(email)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """Keep the family name (first character for Chinese names, first word otherwise)."""
    if not name:
        return ""
    if " " in name:
        first, *rest = name.split(" ")
        return first + " " + " ".join("*" * len(p) for p in rest)
    return name[:1] + "*" * (len(name) - 1)
