"""Strategy pages: treatment versions and experiments (validate, upload, activate), the nightly runs,
and the team lead's cases with reassignment. Forms post back here and redirect (post/redirect/get);
a refused change shows every reason and changes nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from arrears.core.access import Permission, Principal
from arrears.core.errors import ArrearsError, InputRejected
from arrears.runtime import Runtime
from arrears.strategy import service
from arrears.strategy.api import _background
from arrears.strategy.model import BATCH_ORDER
from arrears.web.deps import get_runtime, requires
from arrears.web.templating import render

router = APIRouter(include_in_schema=False)
_READ = requires(Permission.STRATEGY_READ)
_MANAGE = requires(Permission.STRATEGY_MANAGE)
_WORK = requires(Permission.WORK_MANAGE)
_BATCH = requires(Permission.BATCH_RUN)
MAX_YAML = 200_000


def _csrf(request: Request) -> str:
    return str(getattr(request.state, "csrf_token", "") or "")


def _problems(exc: ArrearsError) -> list[str]:
    if isinstance(exc, InputRejected) and exc.problems:
        return [str(exc)] + [p.describe() for p in exc.problems[1:]]
    return [str(exc)]


def _back(path: str, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return RedirectResponse(path + ("?" + query if query else ""), status_code=303)


def _strategy_page(
    request: Request, rt: Runtime, principal: Principal, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    listing = service.list_versions(rt, principal)
    shown = None
    try:
        shown = service.show_version(rt, principal, None)
    except ArrearsError:
        shown = None
    return render(
        request,
        "strategy_index.html",
        status_code=status_code,
        nav="strategy",
        listing=listing,
        shown=shown,
        experiments=service.list_experiments(rt, principal),
        can_manage=principal.can(Permission.STRATEGY_MANAGE),
        csrf=_csrf(request),
        done=request.query_params.get("done"),
        **extra,
    )


@router.get("/strategy", response_class=HTMLResponse)
def strategy_page(
    request: Request, principal: Principal = Depends(_READ), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """The strategy in force, every stored version, the activations and the experiments."""
    return _strategy_page(request, rt, principal)


@router.post("/strategy/validate", response_class=HTMLResponse)
def validate_form(
    request: Request,
    yaml_text: str = Form("", max_length=MAX_YAML),
    principal: Principal = Depends(_READ),
    rt: Runtime = Depends(get_runtime),
) -> HTMLResponse:
    """Check a pasted file (htmx fragment): every problem with line and key path, and the warnings."""
    result = service.validate(rt, principal, yaml_text, "upload.yaml")
    return render(request, "strategy_validation.html", result=result)


@router.post("/strategy/upload", response_class=HTMLResponse, response_model=None)
def upload_form(
    request: Request,
    yaml_text: str = Form("", max_length=MAX_YAML),
    reason: str = Form("", max_length=2000),
    activate: str = Form(""),
    principal: Principal = Depends(_MANAGE),
    rt: Runtime = Depends(get_runtime),
) -> HTMLResponse | RedirectResponse:
    """Store a pasted file (and put it in force when asked); refused files change nothing."""
    try:
        out = service.upload(rt, principal, yaml_text, "upload.yaml", reason, activate=bool(activate))
    except ArrearsError as exc:
        return _strategy_page(
            request,
            rt,
            principal,
            422,
            problems=_problems(exc),
            form={"yaml_text": yaml_text, "reason": reason, "activate": bool(activate)},
        )
    return _back("/strategy", done=("activated:" if out["in_force"] else "stored:") + out["label"])


@router.post("/strategy/versions/{version_id}/activate", response_class=HTMLResponse, response_model=None)
def activate_form(
    request: Request,
    version_id: int = Path(ge=1, le=2**63 - 1),
    reason: str = Form("", max_length=2000),
    principal: Principal = Depends(_MANAGE),
    rt: Runtime = Depends(get_runtime),
) -> HTMLResponse | RedirectResponse:
    """Put a stored version in force."""
    try:
        out = service.activate(rt, principal, version_id, reason)
    except ArrearsError as exc:
        return _strategy_page(request, rt, principal, 422, problems=_problems(exc))
    return _back("/strategy", done="activated:" + out["label"])


@router.get("/strategy/runs", response_class=HTMLResponse)
def runs_page(
    request: Request, principal: Principal = Depends(_READ), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """The nightly runs and, per date, every step's status, counts and time."""
    return render(
        request,
        "strategy_runs.html",
        nav="strategy",
        runs=service.list_runs(rt, principal, 30),
        days=service.latest_runs_by_date(rt, principal),
        steps=[s.value for s in BATCH_ORDER],
        can_run=principal.can(Permission.BATCH_RUN),
        csrf=_csrf(request),
        today=rt.clock.now().date().isoformat(),
        queued=request.query_params.get("queued"),
        problems=request.query_params.getlist("problem"),
    )


@router.post("/strategy/runs", response_class=HTMLResponse, response_model=None)
def run_form(
    request: Request,
    tasks: BackgroundTasks,
    as_of: str = Form("", max_length=10),
    force: str = Form(""),
    principal: Principal = Depends(_BATCH),
    rt: Runtime = Depends(get_runtime),
) -> RedirectResponse:
    """Start the nightly run in the background."""
    try:
        day = date.fromisoformat(as_of) if as_of else None
        run_id, when, chosen = service.queue_batch(rt, principal, day, None, bool(force))
    except ValueError:
        return _back("/strategy/runs", problem="as_of: not a date (YYYY-MM-DD)")
    except ArrearsError as exc:
        return _back("/strategy/runs", problem=_problems(exc)[0])
    tasks.add_task(_background, rt, principal, run_id, when, [s.value for s in chosen], bool(force))
    return _back("/strategy/runs", queued=run_id)


@router.get("/strategy/cases", response_class=HTMLResponse)
def cases_page(
    request: Request, principal: Principal = Depends(_WORK), rt: Runtime = Depends(get_runtime)
) -> HTMLResponse:
    """A team's live cases with their collector and treatment; team leads reassign here."""
    raw = request.query_params.get("team", "")
    team = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    data = service.team_cases(rt, principal, team, 200)
    return render(
        request,
        "strategy_cases.html",
        nav="strategy",
        data=data,
        csrf=_csrf(request),
        done=request.query_params.get("done"),
        problems=request.query_params.getlist("problem"),
    )


@router.post("/strategy/cases/{case_id}/reassign", response_class=HTMLResponse, response_model=None)
def reassign_form(
    request: Request,
    case_id: int = Path(ge=1, le=2**63 - 1),
    to: str = Form("", max_length=64),
    reason: str = Form("", max_length=2000),
    team: str = Form("", max_length=20),
    principal: Principal = Depends(_WORK),
    rt: Runtime = Depends(get_runtime),
) -> RedirectResponse:
    """Reassign one case (recorded as a manual move and audited)."""
    try:
        service.reassign(rt, principal, case_id, to, reason)
    except ArrearsError as exc:
        return _back("/strategy/cases", team=team if team.isdigit() else None, problem=_problems(exc)[0])
    return _back("/strategy/cases", team=team if team.isdigit() else None, done=str(case_id))
