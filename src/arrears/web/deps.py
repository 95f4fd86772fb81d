"""FastAPI dependencies: the runtime, the request's language, the acting user."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import Unauthenticated
from arrears.core.i18n import normalise_language
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE, principal_for_token, session_for_cookie


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


def get_principal(request: Request) -> Principal:
    """The acting user: a bearer token (API) or a session cookie (pages); 401 when neither is valid.

    Pages use the cookie; state-changing page requests must also carry the session's CSRF token
    (checked by the users package's middleware).
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    rt = get_runtime(request)
    now = rt.clock.now()
    auth = request.headers.get("authorization", "")
    with rt.engine.connect() as conn:
        if auth.lower().startswith("bearer "):
            principal = principal_for_token(conn, auth[7:].strip(), now)
            if principal is None:
                raise Unauthenticated("invalid, expired or revoked bearer token")
        else:
            cookie = request.cookies.get(SESSION_COOKIE)
            found = session_for_cookie(conn, cookie, now) if cookie else None
            if found is None:
                raise Unauthenticated("log in first: no valid session or bearer token")
            principal, request.state.csrf_token = found
    request.state.principal = principal
    return principal


def requires(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency that resolves the user and checks one permission (403 otherwise).

    The permission is kept on the dependency (`.permission`) so the authorization-matrix test can read
    what every route demands. Services check again: this is the entry point's early refusal.
    """

    def dependency(request: Request) -> Principal:
        principal = get_principal(request)
        require(principal, permission)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"requires_{permission.value.replace('.', '_')}"
    return dependency
