"""Pages: an account's money (balances as of a date, ledger, payments, arrangements), the approvals inbox
with its decision form, and printable documents (confirmations, statements)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from arrears.core.access import Permission, Principal
from arrears.core.errors import ArrearsError, NotFound
from arrears.payments import arrangements
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)
_READ = requires(Permission.PORTFOLIO_READ)
_APPROVE = requires(Permission.ARRANGEMENT_APPROVE)


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None
    return day if day is None or date(1990, 1, 1) <= day <= date(2200, 12, 31) else None


def _external(value: str) -> str:
    if not value or len(value) > 64 or any(ord(c) < 32 for c in value):
        raise NotFound("no such account")
    return value


@router.get("/accounts/{external_id}/money", response_class=HTMLResponse)
def money_page(request: Request, external_id: str, as_of: str | None = None,
               rt: Runtime = Depends(get_runtime),
               principal: Principal = Depends(_READ)) -> HTMLResponse:
    """Balances by component as of a date (rebuilt from the ledger), the ledger, payments, arrangements."""
    try:
        view = arrangements.money_view(rt, principal, _external(external_id), _day(as_of))
    except NotFound:
        return render(request, "not_found.html", status_code=404, nav="debtors")
    return render(request, "payments_money.html", nav="debtors", v=view)


@router.get("/accounts/{external_id}/statement", response_class=HTMLResponse)
def statement_page(request: Request, external_id: str, as_of: str | None = None,
                   rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_READ)) -> HTMLResponse:
    """A printable balance statement in zh-CN and English."""
    try:
        doc = arrangements.statement(rt, principal, _external(external_id), _day(as_of))
    except NotFound:
        return render(request, "not_found.html", status_code=404, nav="debtors")
    return render(request, "payments_document.html", nav="debtors", doc=doc, title_kind="statement")


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str, rt: Runtime = Depends(get_runtime),
                  principal: Principal = Depends(_READ)) -> HTMLResponse:
    """A printable arrangement confirmation in zh-CN and English."""
    try:
        if not document_id.isdigit() or len(document_id) > 18:
            raise NotFound("no such document")
        doc = arrangements.document(rt, principal, int(document_id))
    except NotFound:
        return render(request, "not_found.html", status_code=404, nav="debtors")
    return render(request, "payments_document.html", nav="debtors", doc=doc, title_kind=doc["kind"])


@router.get("/approvals", response_class=HTMLResponse)
def approvals_page(request: Request, status: str = "pending", done: str | None = None,
                   rt: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(_APPROVE)) -> HTMLResponse:
    """The approval inbox: requests you may decide, each with a decision form (a reason is required)."""
    status = status if status in ("pending", "approved", "rejected", "cancelled") else "pending"
    rows = arrangements.inbox(rt, principal, status)
    return render(request, "payments_approvals.html", nav="approvals", rows=rows, status=status,
                  done=done if done in ("approved", "rejected", "recorded") else None, problem=None)


@router.post("/approvals/{approval_id}/decide", response_class=HTMLResponse, response_model=None)
def decide_page(request: Request, approval_id: str, decision: str = Form(...), reason: str = Form(""),
                rt: Runtime = Depends(get_runtime),
                principal: Principal = Depends(_APPROVE)) -> HTMLResponse | RedirectResponse:
    """Record a decision from the inbox; problems (own request, no reason, level) are shown on the page."""
    problem: str | None = None
    result: dict[str, Any] = {}
    try:
        if not approval_id.isdigit() or len(approval_id) > 18:
            raise NotFound("no such approval request")
        result = arrangements.decide(rt, principal, int(approval_id), approve=decision == "approve",
                                     reason=reason[:1000])
    except ArrearsError as exc:
        problem = str(exc)
    if problem is None:
        status = result.get("status")
        done = status if status in ("approved", "rejected") else "recorded"
        return RedirectResponse(f"/approvals?done={done}", status_code=303)
    rows = arrangements.inbox(rt, principal, "pending")
    return render(request, "payments_approvals.html", status_code=422, nav="approvals", rows=rows,
                  status="pending", done=None, problem=problem)
