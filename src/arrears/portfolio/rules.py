"""Pure portfolio rules: a debtor's time zone and country from what a file tells (no I/O but tzdata)."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib import resources

# Countries with several zones where one is the legal time everywhere (China keeps Beijing time).
_PRIMARY_ZONE = {"CN": "Asia/Shanghai"}

_CN_PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
)
_CN_PROVINCES_LATIN = (
    "beijing",
    "tianjin",
    "shanghai",
    "chongqing",
    "hebei",
    "shanxi",
    "liaoning",
    "jilin",
    "heilongjiang",
    "jiangsu",
    "zhejiang",
    "anhui",
    "fujian",
    "jiangxi",
    "shandong",
    "henan",
    "hubei",
    "hunan",
    "guangdong",
    "hainan",
    "sichuan",
    "guizhou",
    "yunnan",
    "shaanxi",
    "gansu",
    "qinghai",
    "inner mongolia",
    "guangxi",
    "tibet",
    "ningxia",
    "xinjiang",
    "shenzhen",
    "guangzhou",
    "hangzhou",
    "wuhan",
    "chengdu",
    "nanjing",
)
# Place words that name a country (checked before the provinces: 香港 is not mainland China).
_PLACE_COUNTRY = {
    "香港": "HK",
    "hong kong": "HK",
    "澳门": "MO",
    "macau": "MO",
    "macao": "MO",
    "台湾": "TW",
    "taiwan": "TW",
    "新加坡": "SG",
    "singapore": "SG",
    "马来西亚": "MY",
    "malaysia": "MY",
    "日本": "JP",
    "japan": "JP",
    "韩国": "KR",
    "korea": "KR",
    "美国": "US",
    "united states": "US",
    "usa": "US",
    "英国": "GB",
    "united kingdom": "GB",
    "澳大利亚": "AU",
    "加拿大": "CA",
    "德国": "DE",
    "法国": "FR",
    "泰国": "TH",
    "越南": "VN",
    "印度尼西亚": "ID",
    "菲律宾": "PH",
    "中国": "CN",
    "china": "CN",
    "prc": "CN",
}


@cache
def _zone_tab() -> dict[str, list[str]]:
    """Country code -> IANA zones, from the tzdata package's zone.tab."""
    out: dict[str, list[str]] = {}
    text = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        out.setdefault(parts[0], []).append(parts[2])
    return out


@cache
def _country_names() -> dict[str, str]:
    """Lower-case country names and codes -> ISO 3166 alpha-2, from tzdata's iso3166.tab."""
    text = resources.files("tzdata.zoneinfo").joinpath("iso3166.tab").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        code, name = line.split("\t", 1)
        out[code.lower()] = code
        out[name.strip().lower()] = code
    return out


@cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name tzdata knows."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def is_known_zone(name: str) -> bool:
    """True when the name is an IANA time zone (Asia/Shanghai, Europe/London, UTC...)."""
    return name in known_zones()


def parse_region(raw: str) -> str | None:
    """An ISO 3166 country code from a code, an English name, a Chinese name or a Chinese province."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    lowered = text.lower()
    found = _PLACE_COUNTRY.get(lowered) or _country_names().get(lowered)
    if found:
        return found
    if any(text.startswith(p) for p in _CN_PROVINCES) or lowered in _CN_PROVINCES_LATIN:
        return "CN"
    return None


_PROVINCE_SET = frozenset(_CN_PROVINCES)


def region_from_address(address: str) -> str | None:
    """The country an address is in, when it names one, or a Chinese province or big city."""
    if address[:2] in _PROVINCE_SET or address[:3] in _PROVINCE_SET:
        return "CN"
    text = unicodedata.normalize("NFKC", address).strip()
    if not text:
        return None
    lowered = text.lower()
    for word, code in _PLACE_COUNTRY.items():
        if word in lowered and code != "CN":
            return code
    if (
        any(p in text for p in _CN_PROVINCES)
        or "中国" in text
        or any(p in lowered for p in _CN_PROVINCES_LATIN)
    ):
        return "CN"
    return None


@lru_cache(maxsize=1024)
def zone_for_region(region: str | None) -> str | None:
    """The time zone of a country when it has one (or one legal one); None for multi-zone countries."""
    if not region:
        return None
    if region in _PRIMARY_ZONE:
        return _PRIMARY_ZONE[region]
    zones = _zone_tab().get(region, [])
    return zones[0] if len(zones) == 1 else None


def zone_for_phone(e164: str) -> str | None:
    """The time zone of a phone number's area when it has exactly one (+86: Asia/Shanghai)."""
    if e164.startswith("+86"):
        return "Asia/Shanghai"
    return _zone_for_phone(e164)


@lru_cache(maxsize=20_000)
def _zone_for_phone(e164: str) -> str | None:
    import phonenumbers
    from phonenumbers import timezone as phone_tz

    try:
        zones = phone_tz.time_zones_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


def choose_timezone(
    given: str | None, region: str | None, phone: str | None, default: str
) -> tuple[str, str]:
    """The debtor's zone and where it came from: given, address (country), phone, or the default."""
    if given:
        return given, "given"
    by_region = zone_for_region(region)
    if by_region:
        return by_region, "address"
    by_phone = zone_for_phone(phone) if phone else None
    if by_phone:
        return by_phone, "phone"
    return default, "default"
