"""FastAPI dependencies: the runtime, the request's language, the acting user."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import Unauthenticated
from arrears.core.i18n import normalise_language
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE


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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def resolve_principal(request: Request) -> Principal:
    """The acting user: a bearer token (API) or a session cookie (pages); 401 when neither is valid.

    Blocking (database); cached on `request.state` (principal, csrf_token, auth_via). Entry points use
    `get_principal` / `requires`, which also check CSRF.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from arrears.users.login import authenticate

    rt = get_runtime(request)
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        found = authenticate(rt, bearer=auth[7:].strip())
        if found is None:
            raise Unauthenticated("invalid, expired or revoked bearer token")
    elif auth:
        raise Unauthenticated("unsupported Authorization scheme: use 'Bearer <token>'")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        found = authenticate(rt, cookie=cookie) if cookie else None
        if found is None:
            raise Unauthenticated("log in first: no valid session or bearer token")
        request.state.csrf_token = found.csrf_token
    request.state.auth_via = found.via
    request.state.principal = found.principal
    return found.principal


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request authenticated by the session cookie without the session's CSRF token.

    The token comes in the `X-CSRF-Token` header (htmx sends it from <body hx-headers>) or the
    `csrf_token` form field. Bearer-token requests are exempt: a browser never adds that header itself.
    """
    if request.method in SAFE_METHODS or getattr(request.state, "auth_via", None) != "session":
        return
    expected = getattr(request.state, "csrf_token", None) or ""
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        from arrears.users.model import CsrfRejected

        raise CsrfRejected("missing or wrong CSRF token: reload the page and try again")


async def get_principal(request: Request) -> Principal:
    """Dependency: the logged-in user (any role), CSRF-checked for unsafe page requests."""
    principal = await run_in_threadpool(resolve_principal, request)
    await check_csrf(request)
    return principal


def requires(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that resolves the user, checks CSRF, and checks one permission (403 otherwise).

    The permission is kept on the dependency (`.permission`) so the authorization-matrix test can read
    what every route demands. Services check again: this is the entry point's early refusal.
    """

    async def dependency(request: Request) -> Principal:
        principal = await get_principal(request)
        require(principal, permission)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"requires_{permission.value.replace('.', '_')}"
    return dependency


def public(request: Request) -> None:
    """Marks a route as open to anyone (login, token login); the authorization-matrix test reads `.public`."""


public.public = True  # type: ignore[attr-defined]
