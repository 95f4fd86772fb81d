"""REST endpoints of the language check: lint a text, collection notes, message templates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from arrears.compliance.language import service
from arrears.compliance.language.detector import check_text
from arrears.compliance.language.model import Finding, Kind, has_blocking
from arrears.compliance.language.templates import TemplateChannel, TemplateStatus
from arrears.core.access import Permission, Principal
from arrears.core.errors import FieldProblem, InputRejected
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["compliance"])
MAX_ID = 2**63 - 1  # ids are BIGINT: larger numbers are refused (422), never passed to the database
_READ = requires(Permission.PORTFOLIO_READ)
_TEMPLATES = requires(Permission.TEMPLATE_MANAGE)
_SELF = "Ignored for a logged-in user: recorded in their name"


class FindingOut(BaseModel):
    """One finding: the rule, where it is in the text (character offsets) and what it means."""

    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    matched: str
    message_zh: str
    message_en: str
    flag: str | None = None


class LintIn(BaseModel):
    """A text to check."""

    text: str = Field(max_length=service.MAX_TEXT)
    kind: Kind = Kind.NOTE
    third_party: bool = False
    language: str | None = Field(default=None, description="zh or en; empty checks every language")


class LintOut(BaseModel):
    """The findings, whether any blocks (high or medium), and the flags the debtor's words ask for."""

    findings: list[FindingOut]
    blocking: bool
    flags: list[str]


class NoteIn(BaseModel):
    """A collection note to save."""

    debtor_id: int = Field(ge=1, le=MAX_ID)
    text: str = Field(min_length=1, max_length=service.MAX_TEXT)
    author: str | None = Field(None, min_length=1, max_length=120, description=_SELF)
    kind: Kind = Kind.NOTE
    third_party: bool = False


class NoteOut(BaseModel):
    """A saved note with its findings."""

    id: int
    debtor_id: int
    author: str
    kind: str
    third_party: bool
    text: str
    findings: list[FindingOut]
    flags: list[str]
    worst_severity: str | None
    created_at: datetime


class TemplateIn(BaseModel):
    """A new template version (a draft)."""

    code: str = Field(min_length=1, max_length=64)
    channel: TemplateChannel
    language: str = "zh-CN"
    body: str = Field(min_length=1, max_length=service.MAX_TEXT)
    created_by: str | None = Field(None, min_length=1, max_length=120, description=_SELF)
    third_party: bool = False


class ActivateIn(BaseModel):
    """Who activates the template."""

    by: str | None = Field(None, min_length=1, max_length=120, description=_SELF)


class TemplateOut(BaseModel):
    """A template version."""

    id: int
    code: str
    channel: str
    language: str
    third_party: bool
    body: str
    status: str
    version: int
    findings: list[FindingOut]
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    activated_by: str | None
    retired_at: datetime | None


def _findings(findings: tuple[Finding, ...] | list[Finding]) -> list[FindingOut]:
    return [FindingOut(**f.as_dict()) for f in findings]


def _note_out(note: service.SavedNote) -> NoteOut:
    return NoteOut(id=note.id, debtor_id=note.debtor_id, author=note.author, kind=note.kind,
                   third_party=note.third_party, text=note.text, findings=_findings(note.findings),
                   flags=note.flags, worst_severity=note.worst_severity, created_at=note.created_at)


def _template_out(t: service.Template) -> TemplateOut:
    data: dict[str, Any] = {k: getattr(t, k) for k in TemplateOut.model_fields if k != "findings"}
    return TemplateOut(**data, findings=_findings(t.findings))


@router.post("/compliance/lint", response_model=LintOut)
def lint(body: LintIn, _principal: Principal = Depends(requires(Permission.COMPLIANCE_CHECK))) -> LintOut:
    """Run the language check on a text (nothing is stored)."""
    try:
        findings = check_text(body.text, kind=body.kind, third_party=body.third_party, language=body.language)
    except ValueError as exc:
        raise InputRejected(str(exc), [FieldProblem(0, "language", body.language or "", str(exc))]) from exc
    flags = sorted({f.flag for f in findings if f.flag})
    return LintOut(findings=_findings(findings), blocking=has_blocking(findings), flags=flags)


@router.post("/notes", response_model=NoteOut, status_code=201)
def create_note(body: NoteIn, rt: Runtime = Depends(get_runtime),
                principal: Principal = Depends(requires(Permission.NOTE_WRITE))) -> NoteOut:
    """Save a collection note with the findings of the language check."""
    note = service.save_note(rt, principal, body.debtor_id, body.text, body.author, body.kind,
                             third_party=body.third_party)
    return _note_out(note)


@router.get("/debtors/{debtor_id}/notes", response_model=list[NoteOut])
def debtor_notes(debtor_id: int = Path(ge=1, le=MAX_ID), rt: Runtime = Depends(get_runtime),
                 principal: Principal = Depends(_READ)) -> list[NoteOut]:
    """A debtor's collection notes, newest first."""
    return [_note_out(n) for n in service.list_notes(rt, principal, debtor_id)]


@router.post("/templates", response_model=TemplateOut, status_code=201)
def create_template(body: TemplateIn, rt: Runtime = Depends(get_runtime),
                    principal: Principal = Depends(_TEMPLATES)) -> TemplateOut:
    """Store a new draft version of a message template, with its findings."""
    t = service.create_template(rt, principal, body.code, body.channel, body.language, body.body,
                                body.created_by, third_party=body.third_party)
    return _template_out(t)


@router.get("/templates", response_model=list[TemplateOut])
def templates(code: str | None = None, status: TemplateStatus | None = None,
              rt: Runtime = Depends(get_runtime), principal: Principal = Depends(_READ)) -> list[TemplateOut]:
    """Message templates, optionally of one code or status."""
    return [_template_out(t) for t in service.list_templates(rt, principal, code, status)]


@router.get("/templates/{template_id}", response_model=TemplateOut)
def template(template_id: int = Path(ge=1, le=MAX_ID), rt: Runtime = Depends(get_runtime),
             principal: Principal = Depends(_READ)) -> TemplateOut:
    """One template version."""
    return _template_out(service.get_template(rt, principal, template_id))


@router.post("/templates/{template_id}/activate", response_model=TemplateOut,
             responses={409: {"description": "not a draft"},
                        422: {"description": "the template fails the checks; findings and problems listed"}})
def activate(body: ActivateIn, template_id: int = Path(ge=1, le=MAX_ID),
             rt: Runtime = Depends(get_runtime),
             principal: Principal = Depends(_TEMPLATES)) -> TemplateOut | JSONResponse:
    """Activate a draft; refused with its findings when the language check or the channel rules fail."""
    try:
        return _template_out(service.activate_template(rt, principal, template_id, body.by))
    except service.TemplateRejected as exc:
        return JSONResponse(status_code=exc.status_code, content={
            "error": "TemplateRejected", "detail": str(exc),
            "findings": [f.as_dict() for f in exc.findings],
            "problems": [p.as_dict() for p in exc.problems],
        })
