"""The Jinja2 environment and its filters: autoescaping, labels, times, numbers, rates, URLs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request

from arrears.core.i18n import translations
from arrears.web.templating import TEMPLATE_DIR, environment, url_with


def _request(path: str = "/debtors", query: str = "") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(),
                    "headers": [], "scheme": "http", "server": ("test", 80)})


def test_html_templates_are_autoescaped() -> None:
    env = environment()
    assert env.autoescape("page.html") is True
    html = env.from_string("<p>{{ name }}</p>").render(name="<script>alert(1)</script>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_page_template_parses() -> None:
    env = environment()
    names = sorted(p.name for p in Path(TEMPLATE_DIR).glob("*.html"))
    assert {"base.html", "home.html", "debtors.html", "debtor.html", "_debtor_results.html"} <= set(names)
    for name in names:
        env.get_template(name)


def test_label_filter_translates_the_code_label() -> None:
    env = environment()
    tpl = env.from_string("{{ code|label }}")
    assert tpl.render(code="credit_card", _=translations("en").gettext) == "Credit card"
    assert tpl.render(code="credit_card", _=translations("zh-CN").gettext) == "信用卡"
    assert tpl.render(code="brand_new", _=translations("zh-CN").gettext) == "brand_new"
    assert tpl.render(code=None, _=translations("en").gettext) == "—"


def test_when_filter_shows_the_display_time_zone() -> None:
    env = environment()
    moment = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    assert env.from_string("{{ m|when }}").render(m=moment, display_tz="Asia/Shanghai") == "2026-03-31 18:00"
    shown = env.from_string("{{ m|when(true) }}").render(m=moment, display_tz="America/New_York")
    assert shown == "2026-03-31 06:00 (America/New_York)"
    assert env.from_string("{{ m|when }}").render(m=None) == "—"


def test_number_money_and_rate_filters() -> None:
    env = environment()
    assert env.from_string("{{ n|number }}").render(n=1234567) == "1,234,567"
    assert env.from_string("{{ n|money('CNY') }}").render(n=123456) == "CNY 1,234.56"
    assert env.from_string("{{ n|money }}").render(n=None) == "—"
    assert env.from_string("{{ p|percent_ppm }}").render(p=180_000) == "18%"
    assert env.from_string("{{ p|percent_ppm }}").render(p=182_500) == "18.25%"
    assert env.from_string("{{ p|percent_ppm }}").render(p=0) == "0%"


def test_masking_filters_are_available() -> None:
    env = environment()
    assert env.from_string("{{ p|mask_phone }}").render(p="+8613812345678") == "+86 138****5678"
    assert env.from_string("{{ i|mask_identity }}").render(i="110105199001011234") == "1101**********1234"


def test_url_with_replaces_and_removes_parameters() -> None:
    request = _request("/debtors", "q=%E5%BC%A0&bucket=M2&page=3")
    assert url_with(request, lang="en") == "/debtors?q=%E5%BC%A0&bucket=M2&page=3&lang=en"
    assert url_with(request, page=4) == "/debtors?q=%E5%BC%A0&bucket=M2&page=4"
    assert url_with(request, q=None, bucket="", page=None) == "/debtors"
    assert url_with(_request("/"), lang="zh-CN") == "/?lang=zh-CN"
