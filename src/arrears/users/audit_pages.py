"""The audit page: the trail, filterable, newest first, and the hash chain's status (audit.read)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from arrears.core.access import Permission, Principal
from arrears.core.errors import InputRejected
from arrears.runtime import Runtime
from arrears.users import audit_service
from arrears.users.audit_store import AuditFilter
from arrears.web.deps import get_runtime, requires
from arrears.web.templating import render, url_with

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
_READ = requires(Permission.AUDIT_READ)


def _text(value: str | None, longest: int) -> str | None:
    value = (value or "").strip()
    return value if value and len(value) <= longest and all(ord(c) >= 32 for c in value) else None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


def _seq(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 18 else None


def _is_partial(request: Request) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, principal: Principal = Depends(_READ), rt: Runtime = Depends(get_runtime),
    entity_type: str | None = None, entity_id: str | None = None, actor: str | None = None,
    action: str | None = None, since: str | None = None, until: str | None = None, before: str | None = None,
) -> HTMLResponse:
    """The trail with filters (bad values are dropped, pages forgive); htmx asks for the rows only."""
    zone = ZoneInfo(rt.settings.default_timezone)
    filters: dict[str, Any] = {
        "entity_type": _text(entity_type, 32), "entity_id": _text(entity_id, 64), "actor": _text(actor, 64),
        "action": _text(action, 65), "since": _day(since), "until": _day(until),
    }
    f = AuditFilter(
        entity_type=filters["entity_type"], entity_id=filters["entity_id"], actor=filters["actor"],
        action=filters["action"],
        since=datetime.combine(filters["since"], time(0), tzinfo=zone) if filters["since"] else None,
        until=(datetime.combine(filters["until"] + timedelta(days=1), time(0), tzinfo=zone)
               if filters["until"] else None),
        before_seq=_seq(before),
    )
    problem = None
    try:
        page = audit_service.list_records(rt, principal, f, PAGE_SIZE)
    except InputRejected as exc:
        problem = "; ".join(p.reason for p in exc.problems) or str(exc)
        page = audit_service.list_records(rt, principal, AuditFilter(), PAGE_SIZE)
    shown = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}
    next_url = (url_with(request, **{**{k: None for k in filters}, **shown, "before": page.next_before_seq,
                                     "lang": None})
                if page.next_before_seq else None)
    context: dict[str, Any] = dict(
        nav="audit", page=page, filters={k: shown.get(k, "") for k in filters}, problem=problem,
        next_url=next_url, details_json=_details_json, role_labels=_role_labels(),
    )
    if _is_partial(request):
        response = render(request, "users_audit_rows.html", **context)
    else:
        actions = audit_service.known_actions(rt, principal)
        response = render(request, "users_audit.html", actions=actions, **context)
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/audit/chain", response_class=HTMLResponse)
def chain_status(request: Request, principal: Principal = Depends(_READ),
                 rt: Runtime = Depends(get_runtime)) -> HTMLResponse:
    """The hash chain's status: intact with its head, or the first broken record and why."""
    report = audit_service.verify_chain(rt, principal)
    template = "users_audit_chain.html" if _is_partial(request) else "users_audit_chain_page.html"
    return render(request, template, nav="audit", report=report)


def _role_labels() -> dict[str, str]:
    """Role code -> English label (translated in the template), as the user pages name them."""
    from arrears.users.pages import ROLE_LABELS

    return {role.value: text for role, text in ROLE_LABELS.items()}


def _details_json(details: dict[str, Any]) -> str:
    """Details as compact JSON for display (escaped by the template like every other value)."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True)
