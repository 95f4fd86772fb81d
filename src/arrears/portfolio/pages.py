"""Portfolio pages: the overview, the debtor list (htmx live filtering) and the one view of a debtor."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from arrears.core.access import Permission, Principal
from arrears.core.errors import NotFound
from arrears.portfolio import service
from arrears.portfolio.model import CaseStatus, Product
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires
from arrears.web.labels import SORT_LABELS
from arrears.web.templating import render, url_with

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 25
_READ = requires(Permission.PORTFOLIO_READ)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: Runtime = Depends(get_runtime),
         principal: Principal = Depends(_READ)) -> HTMLResponse:
    """The portfolio overview: KPI tiles, buckets, products, recent imports and aging runs (in scope)."""
    summary = service.portfolio_summary(rt, principal)
    most = max((line.accounts for line in summary.buckets), default=0)
    return render(request, "home.html", nav="home", summary=summary, bucket_max=most)


def _choice(value: str | None, allowed: tuple[str, ...]) -> str | None:
    """The value when it is one of the allowed ones, else None (pages forgive, the API refuses)."""
    value = (value or "").strip()
    return value if value in allowed else None


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or "1"), 100_000))
    except ValueError:
        return 1


def is_partial(request: Request) -> bool:
    """True for an htmx request that wants only a fragment (not a history restore)."""
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


@router.get("/debtors", response_class=HTMLResponse)
def debtors_page(
    request: Request, rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_READ),
    q: str | None = None, bucket: str | None = None,
    product: str | None = None, status: str | None = None, sort: str | None = None, page: str | None = None,
) -> HTMLResponse:
    """The searchable, filterable debtor list; htmx requests get the results fragment only."""
    filters: dict[str, Any] = {
        "q": (q or "").strip()[:100],
        "bucket": _choice(bucket, service.buckets_of(rt)),
        "product": _choice(product, tuple(p.value for p in Product)),
        "status": _choice(status, tuple(s.value for s in CaseStatus)),
        "sort": _choice(sort, service.SORT_KEYS) or service.DEFAULT_SORT,
    }
    result = service.list_debtors(rt, principal, q=filters["q"] or None, bucket=filters["bucket"],
                                  product=filters["product"], status=filters["status"],
                                  page=_page_number(page), page_size=PAGE_SIZE, sort=filters["sort"])
    base = {k: v for k, v in filters.items() if v and not (k == "sort" and v == service.DEFAULT_SORT)}

    def page_url(number: int) -> str:
        """The list URL for another page with the same filters."""
        return url_with(request, **{**{k: None for k in filters}, **base, "page": number, "lang": None})

    context: dict[str, Any] = dict(
        nav="debtors", result=result, filters=filters, page_url=page_url, buckets=service.buckets_of(rt),
        products=[p.value for p in Product], statuses=[s.value for s in CaseStatus],
        sort_labels=SORT_LABELS,
    )
    if is_partial(request):
        response = render(request, "_debtor_fragment.html", oob=True, **context)
    else:
        response = render(request, "debtors.html", **context)
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/debtors/{debtor_id}", response_class=HTMLResponse)
def debtor_page(request: Request, debtor_id: str, rt: Runtime = Depends(get_runtime),
                principal: Principal = Depends(_READ)) -> HTMLResponse:
    """The one view of a debtor (masked): local time, accounts, contacts, cases; 404 when out of scope."""
    try:
        if not debtor_id.isdigit() or len(debtor_id) > 18:
            raise NotFound(f"debtor {debtor_id!r} not found")
        debtor = service.debtor_view(rt, principal, int(debtor_id))
    except NotFound:
        return render(request, "not_found.html", status_code=404, nav="debtors")
    return render(request, "debtor.html", nav="debtors", debtor=debtor)
