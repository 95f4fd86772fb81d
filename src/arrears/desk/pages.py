"""Pages of the collector's desk (next contact, pre-call panel, guided call, outcome forms, live note check)
and the team lead's board (queue, who works what, approvals, a collector's day). htmx swaps fragments; every
form also works as a plain POST. The pages call the services; they decide nothing themselves."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from arrears.core.access import Permission, Principal
from arrears.core.errors import ArrearsError, InputRejected, NotFound
from arrears.core.i18n import translations
from arrears.desk import service
from arrears.desk.labels import DESK_LABELS
from arrears.desk.objections import MAX_ANSWER
from arrears.runtime import Runtime
from arrears.web.deps import get_language, get_runtime, requires
from arrears.web.labels import label
from arrears.web.templating import render
from arrears.worklist import attempts
from arrears.worklist import service as worklist
from arrears.worklist.model import CallElement, CallOutcome, RaisedFlag
from arrears.worklist.rules import ELEMENT_LABELS
from arrears.worklist.schemas import AttemptIn

router = APIRouter(include_in_schema=False)
_WORK = requires(Permission.WORK_QUEUE)
_LEAD = requires(Permission.WORK_MANAGE)
_LIBRARY = requires(Permission.TEMPLATE_MANAGE)

#: flags raised from the desk (time and place flags need windows or places: set them on the debtor page)
DESK_FLAGS = (RaisedFlag.DISPUTE, RaisedFlag.FRAUD_CLAIM, RaisedFlag.CEASE, RaisedFlag.ATTORNEY,
              RaisedFlag.WRONG_NUMBER, RaisedFlag.NO_FAMILY_CONTACT)
CHANNELS = ("bank_transfer", "wechat_pay", "alipay", "cash", "cheque")
MAX_FIELD = 20_000


def _csrf(request: Request) -> str:
    return str(getattr(request.state, "csrf_token", "") or "")


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _elements() -> list[dict[str, Any]]:
    labels = enumerate(ELEMENT_LABELS.items())
    return [{"id": e.value, "n": i + 1, "zh": zh, "en": en} for i, (e, (zh, en)) in labels]


def labeller(request: Request) -> Any:
    """A template function: a code's label in the page's language."""
    translate = translations(get_language(request)).gettext

    def dl(code: str | None) -> str:
        if not code:
            return "—"
        return str(translate(DESK_LABELS.get(code) or label(code)))

    return dl


def _common(request: Request, rt: Runtime, principal: Principal) -> dict[str, Any]:
    return {"dl": labeller(request), "csrf": _csrf(request), "principal": principal, "elements": _elements(),
            "outcomes": [o.value for o in CallOutcome], "flags": [f.value for f in DESK_FLAGS],
            "channels": CHANNELS, "now": rt.clock.now(),
            "can_edit_library": principal.can(Permission.TEMPLATE_MANAGE), "local_input": local_input,
            "hhmm": hhmm}


# --- the collector's desk -----------------------------------------------------------------------------


@router.get("/desk", response_class=HTMLResponse)
def desk_page(request: Request, rt: Runtime = Depends(get_runtime),
              principal: Principal = Depends(_WORK)) -> HTMLResponse:
    """The desk: the next-contact button, my queue, the keyboard shortcuts."""
    queue, problem = service.safe(worklist.queue, rt, principal, "mine", None, 10)
    return render(request, "desk_home.html", nav="desk", queue=queue, problem=problem, work=None,
                  **_common(request, rt, principal))


def _work_context(rt: Runtime, principal: Principal, nxt: dict[str, Any]) -> dict[str, Any]:
    """The pre-call panel and the objection library for a leased contact."""
    if nxt.get("status") != "leased":
        earliest = nxt.get("earliest_allowed")
        return {"nxt": nxt, "pc": None, "library": [],
                "earliest": datetime.fromisoformat(earliest) if earliest else None}
    debtor_id = int(nxt["debtor"]["id"])
    point_id = int(nxt["contact_point"]["id"])
    pc = service.precall(rt, principal, debtor_id, point_id)
    default = rt.settings.default_currency
    pays = sorted((p for a in pc.debtor.accounts for p in a.payments), key=lambda p: p.paid_on, reverse=True)
    return {"nxt": nxt, "pc": pc, "library": service.objections(rt, principal), "pays": pays[:20],
            "lease_until": datetime.fromisoformat(nxt["lease"]["expires_at"]),
            "currency": pc.debtor.accounts[0].currency if pc.debtor.accounts else default,
            "third_party": nxt.get("script_mode") == "third_party_no_disclosure"}


@router.post("/desk/next", response_class=HTMLResponse)
def next_page(request: Request, rt: Runtime = Depends(get_runtime),
              principal: Principal = Depends(_WORK)) -> HTMLResponse:
    """Take the next contact the policy allows (leased to me) and show the call workspace; or why none."""
    nxt = worklist.next_contact(rt, principal)
    ctx = _work_context(rt, principal, nxt) | _common(request, rt, principal)
    if _htmx(request):
        return render(request, "desk_work.html", **ctx)
    queue, problem = service.safe(worklist.queue, rt, principal, "mine", None, 10)
    return render(request, "desk_home.html", nav="desk", queue=queue, problem=problem, work=True, **ctx)


@router.post("/desk/leases/{lease_id}/release", response_class=HTMLResponse, response_model=None)
def release_page(request: Request, lease_id: int = Path(ge=1, le=2**63 - 1),
                 rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_WORK)) -> Response:
    """Give the leased debtor back to the queue without calling."""
    _, problem = service.safe(worklist.release, rt, principal, lease_id)
    if _htmx(request):
        return render(request, "desk_released.html", problem=problem, **_common(request, rt, principal))
    return RedirectResponse("/desk", status_code=303)


@router.get("/desk/objections/{key}", response_class=HTMLResponse)
def objection_page(request: Request, key: str = Path(max_length=40), rt: Runtime = Depends(get_runtime),
                   principal: Principal = Depends(_WORK)) -> HTMLResponse:
    """One objection's suggested answer (a fragment for the guided call)."""
    try:
        found = service.objection(rt, principal, key)
    except NotFound:
        return render(request, "desk_objection.html", status_code=404, o=None)
    return render(request, "desk_objection.html", o=found)


@router.post("/desk/note-check", response_class=HTMLResponse)
async def note_check_page(request: Request, principal: Principal = Depends(_WORK)) -> HTMLResponse:
    """The language check of the note as it is typed (a fragment; nothing is stored)."""
    form = await request.form()
    text = str(form.get("note") or "")[:MAX_FIELD]
    third_party = str(form.get("third_party") or "") == "1"
    checked = service.check_note(principal, text, third_party)
    return render(request, "desk_note_check.html", check=checked, live=True)


def _text(form: Any, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return str(value).strip()[:limit] if isinstance(value, str) else ""


def _int(form: Any, name: str) -> int | None:
    raw = _text(form, name, 20)
    return int(raw) if raw.isdigit() and len(raw) <= 18 else None


def _local(value: str, tz: ZoneInfo) -> datetime | None:
    """A datetime-local field (the debtor's local time) as an aware moment."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=tz)
    except ValueError:
        raise InputRejected("callback_at: not a date and time") from None


def _attempt_body(form: Any, now: datetime) -> AttemptIn:
    """The desk form as the work-queue API's request body (its validation applies)."""
    try:
        tz = ZoneInfo(_text(form, "debtor_tz", 64) or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InputRejected("debtor_tz: not a time zone") from None
    currency = _text(form, "currency", 3) or None
    data: dict[str, Any] = {
        "debtor_id": _int(form, "debtor_id") or 0,
        "contact_point_id": _int(form, "contact_point_id"),
        "work_item_id": _int(form, "work_item_id"),
        "started_at": _text(form, "started_at", 40) or now,
        "ended_at": now,
        "outcome": _text(form, "outcome", 24) or "no_answer",
        "elements": [v for v in form.getlist("elements") if v in set(CallElement)],
        "note": _text(form, "note", MAX_FIELD),
        "flags": [v for v in form.getlist("flags") if v in set(RaisedFlag)],
        "callback_at": _local(_text(form, "callback_at", 20), tz),
    }
    if _text(form, "promise_amount"):
        data["promise"] = {
            "amount": _decimal(_text(form, "promise_amount"), "promise.amount"), "currency": currency,
            "due_on": _text(form, "promise_due_on", 10) or None,
            "due_time": _text(form, "promise_due_time", 5) or None,
            "channel": _text(form, "promise_channel", 24),
        }
    if _text(form, "claim_amount"):
        data["claimed_payment"] = {
            "paid_on": _text(form, "claim_paid_on", 10) or None,
            "amount": _decimal(_text(form, "claim_amount"), "claimed_payment.amount"), "currency": currency,
            "channel": _text(form, "claim_channel", 24), "reference": _text(form, "claim_reference", 64),
        }
    return AttemptIn.model_validate(data)


def _decimal(value: str, field: str) -> Decimal:
    try:
        return Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise InputRejected(f"{field}: not an amount") from None


def _problems(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()][:20]
    if isinstance(exc, InputRejected) and exc.problems:
        return [str(exc)] + [f"{p.field}: {p.reason} ({p.value})" if p.value else f"{p.field}: {p.reason}"
                             for p in exc.problems[:20]]
    return [str(exc)]


def _refused(request: Request, problems: list[str], check: Any = None, status: int = 200) -> HTMLResponse:
    """The form's problems, swapped into the form's problem box (the form keeps what was typed)."""
    response = render(request, "desk_problems.html", status_code=status, problems=problems, check=check)
    if _htmx(request):
        response.headers["HX-Retarget"] = "#attempt-problems"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


@router.post("/desk/attempts", response_class=HTMLResponse)
async def attempt_page(request: Request, rt: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(_WORK)) -> HTMLResponse:
    """Record the call: outcome, elements, note, flags, promise, claimed payment, call-back."""
    form = await request.form()
    now = rt.clock.now()
    try:
        body = _attempt_body(form, now)
    except (ValidationError, ValueError, ArrearsError) as exc:
        return _refused(request, _problems(exc), status=200 if _htmx(request) else 422)
    checked = service.check_note(principal, body.note, _text(form, "third_party", 1) == "1")
    if checked.findings and checked.blocking and _text(form, "note_reviewed", 1) != "1":
        return _refused(request, [], check=checked, status=200 if _htmx(request) else 422)
    try:
        out = attempts.record_attempt(rt, principal, body.report(rt.settings.default_currency))
    except (ValidationError, ArrearsError) as exc:
        return _refused(request, _problems(exc), status=200 if _htmx(request) else 409)
    confirmation = None
    promise = out.get("promise")
    if promise and promise.get("confirmation_id"):
        from arrears.payments import arrangements

        confirmation, _ = service.safe(arrangements.document, rt, principal, int(promise["confirmation_id"]))
    ctx = {"out": out, "confirmation": confirmation, **_common(request, rt, principal)}
    if _htmx(request):
        return render(request, "desk_done.html", **ctx)
    queue, problem = service.safe(worklist.queue, rt, principal, "mine", None, 10)
    return render(request, "desk_home.html", nav="desk", queue=queue, problem=problem, work=None, done=True,
                  **ctx)


# --- the objection library (managers) -----------------------------------------------------------------


@router.get("/desk/library", response_class=HTMLResponse)
def library_page(request: Request, rt: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(_LIBRARY)) -> HTMLResponse:
    """Edit the objection library (zh-CN and English)."""
    return render(request, "desk_library.html", nav="desk", items=service.objections(rt, principal, True),
                  csrf=_csrf(request), done=request.query_params.get("done"),
                  problems=request.query_params.getlist("problem"), max_answer=MAX_ANSWER)


@router.post("/desk/library", response_class=HTMLResponse, response_model=None)
async def library_save(request: Request, rt: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(_LIBRARY)) -> Response:
    """Save one objection (new or changed) and return to the library."""
    form = await request.form()
    key = _text(form, "key", 40)
    raw_position = _text(form, "position", 6)
    try:
        position = int(raw_position) if raw_position.lstrip("-").isdigit() else 0
        service.save_objection(
            rt, principal, key=key, title_zh=_text(form, "title_zh", 200),
            title_en=_text(form, "title_en", 200), answer_zh=_text(form, "answer_zh", MAX_ANSWER + 1),
            answer_en=_text(form, "answer_en", MAX_ANSWER + 1), position=position,
            active=_text(form, "active", 1) == "1")
    except ArrearsError as exc:
        from urllib.parse import urlencode

        return RedirectResponse("/desk/library?" + urlencode({"problem": _problems(exc)[0][:500]}),
                                status_code=303)
    return RedirectResponse(f"/desk/library?done={key}", status_code=303)


# --- the team lead's board ----------------------------------------------------------------------------


def _day(raw: str | None) -> date | None:
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return day if day is None or date(2000, 1, 1) <= day <= date(2200, 12, 31) else None


@router.get("/team", response_class=HTMLResponse)
def team_page(request: Request, rt: Runtime = Depends(get_runtime),
              principal: Principal = Depends(_LEAD)) -> HTMLResponse:
    """The team's queue and who is working what, each collector's day, the approvals waiting."""
    raw = request.query_params.get("team", "")
    team = int(raw) if raw.isdigit() and len(raw) <= 18 else None
    day = _day(request.query_params.get("day"))
    board, problem = service.safe(service.team_board, rt, principal, team, day)
    teams = service.teams(rt, principal) if principal.sees_all_teams else []
    return render(request, "desk_team.html", nav="team", board=board, problem=problem, dl=labeller(request),
                  teams=teams, team=board["team_id"] if board else None,
                  can_approve=principal.can(Permission.ARRANGEMENT_APPROVE))


@router.get("/team/collectors/{collector_id}", response_class=HTMLResponse)
def collector_day_page(request: Request, collector_id: int = Path(ge=1, le=2**63 - 1),
                       rt: Runtime = Depends(get_runtime),
                       principal: Principal = Depends(_LEAD)) -> HTMLResponse:
    """A collector's day at a glance: every call with its outcome, elements covered, promise and flags."""
    try:
        data = service.collector_day(rt, principal, collector_id, _day(request.query_params.get("day")))
    except NotFound:
        return render(request, "not_found.html", status_code=404, nav="team")
    return render(request, "desk_collector_day.html", nav="team", data=data, dl=labeller(request))


def local_input(moment: datetime, tz: str) -> str:
    """A moment as a datetime-local value in a zone."""
    return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None, second=0, microsecond=0).isoformat(
        timespec="minutes")


def hhmm(value: time | None) -> str:
    """A time of day as HH:MM (None: the end of the day)."""
    return "24:00" if value is None else value.strftime("%H:%M")
