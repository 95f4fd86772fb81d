"""zh-CN and English: language negotiation, the catalog, and that every visible text is translated."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from arrears.core.i18n import LANGUAGES, LOCALE_DIR, gettext, normalise_language
from arrears.web.labels import LABELS, LANGUAGE_NAMES, SORT_LABELS, label
from arrears.web.templating import TEMPLATE_DIR

PO_DIR = LOCALE_DIR / "zh_CN" / "LC_MESSAGES"
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _catalog() -> dict[str, str]:
    merged: dict[str, str] = {}
    for po in sorted(PO_DIR.glob("*.po")):
        with po.open("rb") as fh:
            merged.update(
                {m.id: m.string for m in read_po(fh, locale="zh_CN") if m.id and isinstance(m.id, str)}
            )
    return merged


def _template_messages() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(Path(TEMPLATE_DIR).glob("*.html")):
        with path.open("rb") as fh:
            for _line, _func, message, _comments in babel_extract(fh, ("_", "gettext"), [], {}):
                if isinstance(message, str):
                    found.add((path.name, message))
    return found


@pytest.mark.parametrize(
    ("raw", "language"),
    [("zh", "zh-CN"), ("zh_CN", "zh-CN"), ("zh-Hans", "zh-CN"), ("ZH-TW", "zh-CN"), ("en", "en"),
     ("en-US", "en"), ("EN_gb", "en"), (" en ", "en"), ("fr", "zh-CN"), ("", "zh-CN"), (None, "zh-CN")],
)
def test_normalise_language(raw: str | None, language: str) -> None:
    assert normalise_language(raw) == language


def test_normalise_language_honours_the_default() -> None:
    assert normalise_language("de", default="en") == "en"
    assert normalise_language(None, default="en") == "en"


def test_english_is_the_source_language_and_chinese_translates() -> None:
    assert gettext("en", "Debtors") == "Debtors"
    assert gettext("zh-CN", "Debtors") == "债务人"
    assert gettext("zh", "Outstanding") == "欠款余额"
    assert gettext("zh-CN", "a text nobody translated") == "a text nobody translated"


def test_templates_use_translatable_texts() -> None:
    assert len(_template_messages()) > 100


def test_every_template_text_has_a_chinese_translation() -> None:
    catalog = _catalog()
    missing = sorted({f"{name}: {msg!r}" for name, msg in _template_messages() if not catalog.get(msg)})
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_every_label_has_a_chinese_translation() -> None:
    catalog = _catalog()
    texts = set(LABELS.values()) | set(SORT_LABELS.values())
    missing = sorted(t for t in texts if not catalog.get(t))
    assert not missing, f"untranslated labels: {missing}"


def test_translations_keep_their_placeholders() -> None:
    for msgid, msgstr in _catalog().items():
        if msgstr:
            assert sorted(_PLACEHOLDER.findall(msgid)) == sorted(_PLACEHOLDER.findall(msgstr)), msgid


def test_catalog_has_no_duplicate_message_ids() -> None:
    ids = [
        i for po in sorted(PO_DIR.glob("*.po"))
        for i in re.findall(r'^msgid "(.+)"$', po.read_text(encoding="utf-8"), flags=re.MULTILINE)
    ]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates


def test_labels_fall_back_to_the_code() -> None:
    assert label("credit_card") == "Credit card"
    assert label("some_new_code") == "some_new_code"
    assert label(None) == ""


def test_every_language_has_a_name_in_its_own_script() -> None:
    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    assert LANGUAGE_NAMES["zh-CN"] == "中文"
