"""The debtor page's unmask form: POST /debtors/{id}/unmask shows clear values after a reason (audited)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from arrears.core.access import Permission, Principal
from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.users import unmask as service
from arrears.web.deps import get_runtime, requires
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)


def _id(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) <= 18 else None


@router.get("/debtors/{debtor_id}/unmask")
def unmask_get(debtor_id: str, _principal: Principal = Depends(requires(Permission.PORTFOLIO_READ))
               ) -> RedirectResponse:
    """Nothing to show without a reason: back to the debtor page (e.g. after switching language)."""
    ident = _id(debtor_id)
    return RedirectResponse(f"/debtors/{ident}" if ident else "/debtors", status_code=303)


@router.post("/debtors/{debtor_id}/unmask", response_class=HTMLResponse)
def unmask_form(
    request: Request, debtor_id: str, principal: Principal = Depends(requires(Permission.PII_UNMASK)),
    rt: Runtime = Depends(get_runtime), fields: list[str] = Form(default_factory=list),
    reason: str = Form(""), contact_point_id: str = Form(""),
) -> HTMLResponse:
    """Show the chosen personal data in clear; htmx gets the result fragment, a plain form a whole page."""
    partial = request.headers.get("hx-request") == "true"
    template = "users_unmask_result.html" if partial else "users_unmask.html"
    ident = _id(debtor_id)
    try:
        if ident is None:
            raise NotFound(f"debtor {debtor_id!r} not found")
        result = service.unmask(rt, principal, ident, fields, reason, _id(contact_point_id))
    except InputRejected as exc:
        problems = exc.problems or [FieldProblem(0, "", "", str(exc))]
        # htmx swaps only successful responses: the form's error goes back as 200 for it
        return render(request, template, status_code=200 if partial else 422, debtor_id=ident,
                      problems=problems, result=None, nav="debtors")
    except NotFound:
        return render(request, "not_found.html", status_code=404, nav="debtors")
    return render(request, template, debtor_id=ident, problems=[], result=result, nav="debtors")
