"""Synthetic identity numbers and phone numbers with valid check digits and numbering plans."""

from __future__ import annotations

import random
from datetime import date

import phonenumbers

from arrears.portfolio.demo.reference import MOBILE_PREFIXES, US_AREA_CODES, ForeignZone

_RID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def resident_id_check(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a resident identity number's first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _RID_WEIGHTS, strict=True))
    return _RID_CHECK[total % 11]


def resident_id(rng: random.Random, division: str, born: date, male: bool) -> str:
    """An 18-character resident-id-shaped number: division, birth date, sequence (odd = male), check."""
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{division}{born:%Y%m%d}{seq:03d}"
    return body + resident_id_check(body)


def resident_id_is_valid(number: str) -> bool:
    """True when an 18-character resident identity number's check character matches."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return resident_id_check(number[:17]) == number[17]


def _org_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and a MOD 11 check."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc_check(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def uscc(rng: random.Random, division: str) -> str:
    """An 18-character unified social credit code of an enterprise (91...) registered in a division."""
    body = "91" + division + _org_code(rng)
    return body + uscc_check(body)


def uscc_is_valid(code: str) -> bool:
    """True when a unified social credit code has 18 characters of its alphabet and a matching check."""
    if len(code) != 18 or any(c not in _USCC_ALPHABET for c in code):
        return False
    return uscc_check(code[:17]) == code[17]


def cn_mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number (national form)."""
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def as_e164_cn(national: str) -> str:
    """The E.164 form of a mainland number given nationally (area code without its trunk 0, or mobile)."""
    return "+86" + national


def cn_landline(rng: random.Random, area_code: str) -> str:
    """An E.164 mainland fixed-line number in an area (7 or 8 local digits, as the area's plan has it)."""
    for _ in range(50):
        length = 8 if rng.random() < 0.8 else 7
        local = rng.choice("2345678") + f"{rng.randrange(10 ** (length - 1)):0{length - 1}d}"
        candidate = as_e164_cn(area_code + local)
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, None)):
            return candidate
    raise RuntimeError(f"no valid fixed-line number drawn for area {area_code}")  # pragma: no cover


def _foreign_candidate(rng: random.Random, zone: ForeignZone) -> str:
    digits = "0123456789"
    if zone.region == "HK":
        return "+852" + rng.choice("569") + "".join(rng.choice(digits) for _ in range(7))
    if zone.region == "SG":
        return "+65" + rng.choice("89") + "".join(rng.choice(digits) for _ in range(7))
    if zone.region == "GB":
        return "+447" + rng.choice("45789") + "".join(rng.choice(digits) for _ in range(8))
    area = rng.choice(US_AREA_CODES.get(zone.timezone, ("212",)))
    exchange = rng.randrange(201, 999)
    exchange = 556 if exchange == 555 else exchange  # 555 numbers are fictional
    return "+1" + area + str(exchange) + "".join(rng.choice(digits) for _ in range(4))


def foreign_mobile(rng: random.Random, zone: ForeignZone) -> str:
    """An E.164 number valid in the zone's country (drawn until phonenumbers accepts it)."""
    for _ in range(50):
        candidate = _foreign_candidate(rng, zone)
        number = phonenumbers.parse(candidate, None)
        in_region = phonenumbers.region_code_for_number(number) == zone.region
        if in_region and phonenumbers.is_valid_number(number):
            return candidate
    raise RuntimeError(f"no valid number drawn for {zone.region}")  # pragma: no cover
