"""How the app answers a caller who is not logged in or not allowed, and the users package's wiring.

- API (/api/...): 401 JSON with `WWW-Authenticate: Bearer`; 403 JSON; 429 JSON with Retry-After.
- Pages: not logged in -> 303 to /login?next=<the page> (htmx requests get 401 with HX-Redirect, so
  the whole page goes to the login form, not a fragment); not allowed (role or CSRF) -> a 403 page.
"""

from __future__ import annotations

import math
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from arrears.core.errors import ArrearsError, Forbidden, Unauthenticated
from arrears.users.model import CsrfRejected, TooManyAttempts


def is_api(request: Request) -> bool:
    """Whether the request is for the REST API (JSON errors) rather than a page."""
    return request.url.path.startswith("/api/")


def _json(exc: ArrearsError) -> JSONResponse:
    return JSONResponse(
        status_code=exc.status_code, content={"error": type(exc).__name__, "detail": str(exc)}
    )


def _login_url(request: Request) -> str:
    current = request.headers.get("hx-current-url") if request.headers.get("hx-request") else None
    if current:
        from urllib.parse import urlsplit

        parts = urlsplit(current)
        target = parts.path + ("?" + parts.query if parts.query else "")
    elif request.method in ("GET", "HEAD"):
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
    else:
        target = "/"
    return "/login" if target in ("", "/") else "/login?next=" + quote(target, safe="/")


async def unauthenticated(request: Request, exc: Exception) -> Response:
    """401 JSON for the API; a redirect to the login page for pages."""
    assert isinstance(exc, ArrearsError)
    if is_api(request):
        response: Response = _json(exc)
        response.headers["WWW-Authenticate"] = 'Bearer realm="arrears"'
        return response
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": _login_url(request)})
    return RedirectResponse(_login_url(request), status_code=303)


async def forbidden(request: Request, exc: Exception) -> Response:
    """403 JSON for the API; a 403 page (translated) for pages."""
    assert isinstance(exc, ArrearsError)
    if is_api(request):
        return _json(exc)
    from arrears.web.templating import render

    return render(
        request, "users_forbidden.html", status_code=403, nav="", csrf_failed=isinstance(exc, CsrfRejected)
    )


async def too_many(request: Request, exc: Exception) -> Response:
    """429 with Retry-After (seconds)."""
    assert isinstance(exc, TooManyAttempts)
    runtime = request.app.state.runtime
    wait = max(1, math.ceil((exc.until - runtime.clock.now()).total_seconds()))
    response = _json(exc)
    response.headers["Retry-After"] = str(wait)
    return response


def install(app: FastAPI) -> None:
    """Register the auth error handlers and the users routers (pages and /api/v1)."""
    from arrears.users.api import router as users_api
    from arrears.users.pages import router as users_pages

    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(CsrfRejected, forbidden)
    app.add_exception_handler(TooManyAttempts, too_many)
    app.include_router(users_api, prefix="/api/v1")
    app.include_router(users_pages)
