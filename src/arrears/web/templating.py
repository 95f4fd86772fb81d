"""Jinja2 environment for pages: autoescaping, gettext for zh-CN/English, masking and money filters."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from arrears.core import masking
from arrears.core.i18n import LANGUAGES, translations
from arrears.core.money import Money
from arrears.web.deps import get_language, get_runtime
from arrears.web.labels import LANGUAGE_NAMES, label

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _money(minor: int | None, currency: str = "CNY") -> str:
    if minor is None:
        return "—"
    return Money.from_minor(minor, currency).format()


def _percent_ppm(ppm: int | None) -> str:
    """An annual rate in parts per million as a percentage: 180000 -> '18%', 182500 -> '18.25%'."""
    if ppm is None:
        return "—"
    pct = (Decimal(ppm) / Decimal(10_000)).normalize()
    return f"{pct:f}%"


def _number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


@pass_context
def _label(context: Context, code: str | None) -> str:
    """A stored code's label, translated into the page's language."""
    if code is None or code == "":
        return "—"
    translate = context.get("_")
    text = label(code)
    return translate(text) if callable(translate) else text


@pass_context
def _when(context: Context, moment: datetime | None, with_zone: bool = False) -> str:
    """An aware moment in the display time zone (the setting), minutes precision."""
    if moment is None:
        return "—"
    zone = str(context.get("display_tz") or "UTC")
    shown = moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
    return f"{shown} ({zone})" if with_zone else shown


def url_with(request: Request, **changes: Any) -> str:
    """The request's path and query with some parameters replaced (None or '' removes one)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: str(v) for k, v in changes.items() if v not in (None, "")})
    query = urlencode(params)
    return request.url.path + ("?" + query if query else "")


@cache
def environment() -> Environment:
    """The shared Jinja2 environment (templates are read-only data, safe to share across requests)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mask_phone"] = masking.mask_phone
    env.filters["mask_identity"] = masking.mask_identity
    env.filters["mask_email"] = masking.mask_email
    env.filters["mask_name"] = masking.mask_name
    env.filters["money"] = _money
    env.filters["number"] = _number
    env.filters["percent_ppm"] = _percent_ppm
    env.filters["label"] = _label
    env.filters["when"] = _when
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the request's language; sets the language cookie when ?lang= was given."""
    language = get_language(request)
    env = environment()
    t = translations(language)
    tpl = env.get_template(template)
    lang_links = [(code, LANGUAGE_NAMES[code], url_with(request, lang=code)) for code in LANGUAGES]
    html = tpl.render(
        request=request, lang=language, lang_links=lang_links,
        display_tz=get_runtime(request).settings.default_timezone,
        gettext=t.gettext, ngettext=t.ngettext, _=t.gettext, **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang"):
        response.set_cookie("lang", language, httponly=True, samesite="lax", max_age=3600 * 24 * 365)
    return response
