"""The permission matrix by role, the principal built from a users row, and the CSRF check on its own."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from arrears.core.access import ROLE_PERMISSIONS, Permission, Principal, Role
from arrears.users.model import CsrfRejected
from arrears.users.principals import principal_from_row, token_digest
from arrears.web.deps import check_csrf, public, requires

P = Permission


@pytest.mark.parametrize(("role", "allowed", "refused"), [
    (Role.COLLECTOR, {P.PORTFOLIO_READ, P.WORK_QUEUE, P.NOTE_WRITE, P.HOLD_SET, P.PROMISE_CREATE},
     {P.PORTFOLIO_IMPORT, P.AGING_RUN, P.PII_UNMASK, P.HOLD_LIFT, P.USERS_MANAGE, P.AUDIT_READ,
      P.PAYMENT_POST}),
    (Role.TEAM_LEAD, {P.WORK_MANAGE, P.ARRANGEMENT_APPROVE, P.REPORTS_READ, P.PII_UNMASK},
     {P.PAYMENT_POST, P.USERS_MANAGE, P.STRATEGY_MANAGE, P.RULESET_MANAGE}),
    (Role.MANAGER, {P.PAYMENT_POST, P.PORTFOLIO_IMPORT, P.AGING_RUN, P.HOLD_LIFT, P.AUDIT_READ},
     {P.USERS_MANAGE, P.RULESET_MANAGE, P.STRATEGY_MANAGE, P.CLOCK_SET}),
    (Role.STRATEGY_ANALYST, {P.STRATEGY_MANAGE, P.STRATEGY_READ, P.REPORTS_READ},
     {P.HOLD_SET, P.NOTE_WRITE, P.WORK_QUEUE, P.PII_UNMASK, P.PAYMENT_POST, P.USERS_MANAGE}),
    (Role.COMPLIANCE_OFFICER, {P.HOLD_LIFT, P.RULESET_MANAGE, P.TEMPLATE_MANAGE, P.AUDIT_READ, P.PII_UNMASK},
     {P.PAYMENT_POST, P.WORK_QUEUE, P.STRATEGY_MANAGE, P.USERS_MANAGE}),
    (Role.AGENCY_USER, {P.PORTFOLIO_READ, P.WORK_QUEUE, P.NOTE_WRITE, P.PROMISE_CREATE},
     {P.PII_UNMASK, P.REPORTS_READ, P.DECISIONS_READ, P.AUDIT_READ, P.WORK_MANAGE, P.STRATEGY_READ}),
])
def test_what_each_role_may_and_may_not_do(role: Role, allowed: set[Permission],
                                           refused: set[Permission]) -> None:
    granted = ROLE_PERMISSIONS[role]
    assert allowed <= granted, sorted(allowed - granted)
    assert not refused & granted, sorted(refused & granted)


def test_only_administrators_manage_users_and_every_other_permission_is_somebody_s_job() -> None:
    holders = {p: {r for r, perms in ROLE_PERMISSIONS.items() if p in perms} for p in Permission}
    assert holders[P.USERS_MANAGE] == {Role.ADMINISTRATOR}
    assert holders[P.CLOCK_SET] == {Role.ADMINISTRATOR}
    shared = [p for p in Permission if p not in (P.USERS_MANAGE, P.CLOCK_SET)]
    assert all(holders[p] - {Role.ADMINISTRATOR} for p in shared)


def test_principal_from_a_users_row_carries_role_and_scope() -> None:
    row = SimpleNamespace(id=7, username="li.wei", role="team_lead", team_id=3, agency_id=None,
                          display_name="Li Wei")
    principal = principal_from_row(row)
    assert principal == Principal(7, "li.wei", Role.TEAM_LEAD, team_id=3, display_name="Li Wei")
    assert principal.can(P.WORK_MANAGE) and not principal.sees_all_teams


def test_tokens_are_stored_as_sha256_digests() -> None:
    assert token_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_requires_carries_its_permission_for_the_matrix_and_public_is_marked() -> None:
    dependency = requires(P.AGING_RUN)
    assert dependency.permission is P.AGING_RUN  # type: ignore[attr-defined]
    assert dependency.__name__ == "requires_aging_run"
    assert public.public is True  # type: ignore[attr-defined]


def _request(method: str, *, via: str | None, expected: str | None, headers: dict[str, str] | None = None,
             body: bytes = b"") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request({"type": "http", "method": method, "path": "/x", "headers": raw, "query_string": b""},
                      receive)
    request.state.auth_via = via
    request.state.csrf_token = expected
    return request


def _check(request: Request) -> None:
    asyncio.run(check_csrf(request))


def test_csrf_is_checked_only_for_unsafe_cookie_requests() -> None:
    _check(_request("GET", via="session", expected="tok"))
    _check(_request("POST", via="token", expected=None))  # bearer tokens are exempt
    _check(_request("POST", via="session", expected="tok", headers={"X-CSRF-Token": "tok"}))
    form = {"content-type": "application/x-www-form-urlencoded"}
    _check(_request("POST", via="session", expected="tok", headers=form, body=b"a=1&csrf_token=tok"))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        with pytest.raises(CsrfRejected):
            _check(_request(method, via="session", expected="tok"))
    with pytest.raises(CsrfRejected):
        _check(_request("POST", via="session", expected="tok", headers={"X-CSRF-Token": "tok2"}))
    with pytest.raises(CsrfRejected):
        _check(_request("POST", via="session", expected="tok", headers=form, body=b"csrf_token=nope"))
    with pytest.raises(CsrfRejected):  # a session without a token never matches an empty one
        _check(_request("POST", via="session", expected="", headers={"X-CSRF-Token": ""}))
