"""FastAPI dependencies: the runtime, the request's language."""

from __future__ import annotations

from fastapi import Request

from arrears.core.i18n import normalise_language
from arrears.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The app's runtime (settings, engine, clock)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_language(request: Request) -> str:
    """Language from ?lang=, then the 'lang' cookie, then Accept-Language, then the default."""
    rt = get_runtime(request)
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    if not chosen:
        accept = request.headers.get("accept-language", "")
        chosen = accept.split(",")[0] if accept else None
    return normalise_language(chosen, rt.settings.default_language)
