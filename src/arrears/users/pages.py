"""Pages: log in, log out, change one's password, and the user administration page (administrators).

Cookies: the session cookie is HttpOnly, SameSite=Lax, and Secure when the request came over HTTPS
(`request.url.scheme`, which uvicorn sets from X-Forwarded-Proto only for trusted proxies, or an
`X-Forwarded-Proto: https` header: that header can only make the cookie stricter, never weaker).
The login form itself carries a double-submit token (a short-lived cookie and a hidden field) against
login CSRF; every other unsafe request is checked against the session's CSRF token (web.deps).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from arrears.core.access import Permission, Principal, Role
from arrears.core.errors import ArrearsError, InputRejected
from arrears.runtime import Runtime
from arrears.users import login as logins
from arrears.users import service
from arrears.users.model import AccountLocked, TooManyAttempts
from arrears.users.principals import SESSION_COOKIE
from arrears.users.rules import MAX_PASSWORD, MIN_PASSWORD, safe_next
from arrears.web.deps import get_principal, get_runtime, public, requires, resolve_principal
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "arrears_login_csrf"
_MANAGE = requires(Permission.USERS_MANAGE)

ROLE_LABELS = {
    Role.COLLECTOR: "Collector",
    Role.TEAM_LEAD: "Team lead",
    Role.MANAGER: "Manager",
    Role.STRATEGY_ANALYST: "Strategy analyst",
    Role.COMPLIANCE_OFFICER: "Compliance officer",
    Role.ADMINISTRATOR: "Administrator",
    Role.AGENCY_USER: "Agency user",
}


def is_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly or through a proxy that says so)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def client_ip(request: Request) -> str:
    """The client's address as the server sees it (a trusted proxy's X-Forwarded-For via uvicorn)."""
    return request.client.host if request.client else "unknown"


def _login_page(
    request: Request,
    status_code: int = 200,
    error: str | None = None,
    username: str = "",
    next_url: str = "/",
    **extra: Any,
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "users_login.html",
        status_code=status_code,
        nav="login",
        error=error,
        username=username,
        next_url=safe_next(next_url),
        login_csrf=token,
        **extra,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/login",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_form(request: Request, next: str | None = None) -> Response:  # noqa: A002 (the query name)
    """The login form (a logged-in visitor goes straight on)."""
    try:
        resolve_principal(request)
        return RedirectResponse(safe_next(next), status_code=303)
    except ArrearsError:
        return _login_page(request, next_url=next or "/")


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_submit(
    request: Request,
    rt: Runtime = Depends(get_runtime),
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=4 * MAX_PASSWORD),
    next: str = Form("/", max_length=2000),  # noqa: A002
    login_csrf: str = Form("", max_length=200),
) -> Response:
    """Check the credentials; on success set the session cookie and go to `next` (a local path only)."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(login_csrf.encode(), expected.encode()):
        return _login_page(request, 403, "expired", username, next)
    try:
        session = logins.login(rt, username, password, client_ip(request))
    except TooManyAttempts as exc:
        return _login_page(request, 429, "rate_limited", username, next, until=exc.until)
    except AccountLocked as exc:
        return _login_page(request, 401, "locked", username, next, until=exc.until)
    except ArrearsError:
        return _login_page(request, 401, "invalid", username, next)
    target = safe_next(next)
    if target == "/" and session.principal.role in (Role.COLLECTOR, Role.AGENCY_USER):
        target = "/desk"  # a collector's home is the desk
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, session.token, httponly=True, samesite="lax", secure=is_https(request), path="/"
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, _principal: Principal = Depends(get_principal), rt: Runtime = Depends(get_runtime)
) -> Response:
    """End the session (POST with the CSRF token) and go to the login page."""
    logins.logout(rt, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, principal: Principal = Depends(get_principal)) -> HTMLResponse:
    """The form to change one's own password."""
    return render(request, "users_password.html", nav="account", me=principal, min_length=MIN_PASSWORD)


@router.post("/account/password", response_class=HTMLResponse)
def password_submit(
    request: Request,
    principal: Principal = Depends(get_principal),
    rt: Runtime = Depends(get_runtime),
    current_password: str = Form("", max_length=4 * MAX_PASSWORD),
    new_password: str = Form("", max_length=4 * MAX_PASSWORD),
    repeat_password: str = Form("", max_length=4 * MAX_PASSWORD),
) -> HTMLResponse:
    """Change one's own password (the current one, the new one twice)."""
    problems: list[str] = []
    if new_password != repeat_password:
        problems.append("The two new passwords differ.")
    else:
        try:
            service.change_password(rt, principal, current_password, new_password)
        except InputRejected as exc:
            problems.extend(p.reason for p in exc.problems)
    return render(
        request,
        "users_password.html",
        status_code=422 if problems else 200,
        nav="account",
        me=principal,
        min_length=MIN_PASSWORD,
        problems=problems,
        changed=not problems,
    )


def _admin_page(
    request: Request, rt: Runtime, principal: Principal, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    return render(
        request,
        "users_admin.html",
        status_code=status_code,
        nav="users",
        users=service.list_users(rt, principal),
        teams=service.list_teams(rt, principal),
        agencies=service.list_agencies(rt, principal),
        roles=list(Role),
        role_labels=ROLE_LABELS,
        me=principal,
        now=rt.clock.now(),
        min_length=MIN_PASSWORD,
        **extra,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(
    request: Request, principal: Principal = Depends(_MANAGE), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """Every user (role, team or agency, state) and the form to add one."""
    return _admin_page(request, rt, principal)


def _optional_id(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


@router.post("/admin/users", response_class=HTMLResponse)
def admin_create_user(
    request: Request,
    principal: Principal = Depends(_MANAGE),
    rt: Runtime = Depends(get_runtime),
    username: str = Form("", max_length=200),
    display_name: str = Form("", max_length=200),
    role: str = Form("", max_length=32),
    team_id: str = Form("", max_length=20),
    agency_id: str = Form("", max_length=20),
    password: str = Form("", max_length=4 * MAX_PASSWORD),
) -> HTMLResponse:
    """Add a user; the page comes back with the new user listed, or with the reasons it was refused."""
    form = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "team_id": team_id,
        "agency_id": agency_id,
    }
    try:
        created = service.create_user(
            rt,
            principal,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            team_id=_optional_id(team_id),
            agency_id=_optional_id(agency_id),
        )
    except InputRejected as exc:
        return _admin_page(
            request, rt, principal, 422, form=form, problems=[p.reason for p in exc.problems] or [str(exc)]
        )
    except ArrearsError as exc:
        return _admin_page(request, rt, principal, exc.status_code, form=form, problems=[str(exc)])
    return _admin_page(request, rt, principal, 201, created=created)


def _user_action(
    request: Request, rt: Runtime, principal: Principal, user_id: str, action: str
) -> HTMLResponse:
    number = _optional_id(user_id)
    try:
        if number is None:
            raise InputRejected("no such user")
        done = {"deactivate": service.deactivate, "activate": service.activate, "unlock": service.unlock}[
            action
        ](rt, principal, number)
    except ArrearsError as exc:
        return _admin_page(request, rt, principal, exc.status_code, problems=[str(exc)])
    return _admin_page(request, rt, principal, done_user=done, done_action=action)


@router.post("/admin/users/{user_id}/deactivate", response_class=HTMLResponse)
def admin_deactivate(
    request: Request,
    user_id: str,
    principal: Principal = Depends(_MANAGE),
    rt: Runtime = Depends(get_runtime),
) -> HTMLResponse:
    """Deactivate a user (their sessions end and tokens are revoked)."""
    return _user_action(request, rt, principal, user_id, "deactivate")


@router.post("/admin/users/{user_id}/activate", response_class=HTMLResponse)
def admin_activate(
    request: Request,
    user_id: str,
    principal: Principal = Depends(_MANAGE),
    rt: Runtime = Depends(get_runtime),
) -> HTMLResponse:
    """Reactivate a user."""
    return _user_action(request, rt, principal, user_id, "activate")


@router.post("/admin/users/{user_id}/unlock", response_class=HTMLResponse)
def admin_unlock(
    request: Request,
    user_id: str,
    principal: Principal = Depends(_MANAGE),
    rt: Runtime = Depends(get_runtime),
) -> HTMLResponse:
    """Lift a login lockout."""
    return _user_action(request, rt, principal, user_id, "unlock")
