"""Jinja2 environment for pages: autoescaping, gettext for zh-CN/English, masking and money filters."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from arrears.core import masking
from arrears.core.i18n import translations
from arrears.core.money import Money
from arrears.web.deps import get_language

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _money(minor: int | None, currency: str = "CNY") -> str:
    if minor is None:
        return "—"
    return Money.from_minor(minor, currency).format()


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
    return env


def render(request: Request, template: str, **context: Any) -> HTMLResponse:
    """Render a page in the request's language; sets the language cookie when ?lang= was given."""
    language = get_language(request)
    env = environment()
    t = translations(language)
    tpl = env.get_template(template)
    html = tpl.render(
        request=request, lang=language,
        gettext=t.gettext, ngettext=t.ngettext, _=t.gettext, **context,
    )
    response = HTMLResponse(html)
    if request.query_params.get("lang"):
        response.set_cookie("lang", language, httponly=True, samesite="lax", max_age=3600 * 24 * 365)
    return response
