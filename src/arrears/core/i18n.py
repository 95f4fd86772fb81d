"""zh-CN and English: gettext catalogs (Babel .po files under arrears/locale), loaded once per process."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("zh-CN", "en")


def normalise_language(value: str | None, default: str = "zh-CN") -> str:
    """Map 'zh', 'zh_CN', 'zh-Hans', 'en-US'... onto a supported language."""
    if not value:
        return default
    v = value.strip().lower().replace("_", "-")
    if v.startswith("zh"):
        return "zh-CN"
    if v.startswith("en"):
        return "en"
    return default


@cache
def translations(language: str) -> NullTranslations:
    """The gettext translations for a language; English is the source language."""
    if normalise_language(language) == "en":
        return NullTranslations()
    # messages.po holds the shared kernel's strings; each domain keeps its own <domain>.po beside it
    # (payments.po, worklist.po, ...), merged here into one catalog.
    folder = LOCALE_DIR / "zh_CN" / "LC_MESSAGES"
    merged: Translations | None = None
    for po in sorted(folder.glob("*.po"), key=lambda p: (p.name != "messages.po", p.name)):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale="zh_CN")
        buf = BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        part = Translations(buf)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged or NullTranslations()


def gettext(language: str, message: str) -> str:
    """Translate one message into the language."""
    return translations(normalise_language(language)).gettext(message)
