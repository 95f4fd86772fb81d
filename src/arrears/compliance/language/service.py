"""Use cases of the language check: save a note with its findings, draft and activate message templates.

Each takes the acting principal and checks its permission; notes of a debtor outside the principal's
team or agency are NotFound. Who wrote or activated something is the logged-in user (a name given by
the caller counts only when the system acts). Activating a template is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from arrears.compliance.language.detector import check_text
from arrears.compliance.language.lexicon import load_lexicons
from arrears.compliance.language.model import Finding, Kind, worst_severity
from arrears.compliance.language.store import collection_notes, message_templates
from arrears.compliance.language.templates import (
    CHANNEL_KIND,
    TemplateChannel,
    TemplateProblem,
    TemplateStatus,
    activation_problems,
)
from arrears.core.access import Permission, Principal, require
from arrears.core.errors import ArrearsError, Conflict, FieldProblem, InputRejected, NotFound
from arrears.core.i18n import normalise_language
from arrears.portfolio.reads import require_debtor_in_scope
from arrears.portfolio.store import debtors
from arrears.runtime import Runtime
from arrears.users import audit

NOTE_KINDS = (Kind.NOTE, Kind.TRANSCRIPT, Kind.SMS, Kind.EMAIL)
MAX_TEXT = 20_000
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TemplateRejected(ArrearsError):
    """A template failed the activation checks; it stays a draft."""

    status_code = 422

    def __init__(self, template_id: int, findings: list[Finding], problems: list[TemplateProblem]) -> None:
        self.template_id = template_id
        self.findings = findings
        self.problems = problems
        super().__init__(f"template {template_id} cannot be activated: "
                         + "; ".join(p.message_en for p in problems))


@dataclass(frozen=True, slots=True)
class SavedNote:
    """A collection note as stored, with the findings of the language check."""

    id: int
    debtor_id: int
    author: str
    kind: str
    third_party: bool
    text: str
    findings: tuple[Finding, ...]
    created_at: datetime

    @property
    def flags(self) -> list[str]:
        """The flags the debtor's statements in this note ask for."""
        return sorted({f.flag for f in self.findings if f.flag})

    @property
    def worst_severity(self) -> str | None:
        """The most serious finding's severity, or None."""
        return worst_severity(list(self.findings))


@dataclass(frozen=True, slots=True)
class Template:
    """One version of a message template."""

    id: int
    code: str
    channel: str
    language: str
    third_party: bool
    body: str
    status: str
    version: int
    findings: tuple[Finding, ...]
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    activated_by: str | None
    retired_at: datetime | None


def _findings(raw: Any) -> tuple[Finding, ...]:
    return tuple(Finding.from_dict(d) for d in (raw or []))


def _note(row: Any) -> SavedNote:
    return SavedNote(row.id, row.debtor_id, row.author, row.kind, bool(row.third_party), row.text,
                     _findings(row.findings), row.created_at)


def _template(row: Any) -> Template:
    return Template(row.id, row.code, row.channel, row.language, bool(row.third_party), row.body, row.status,
                    row.version, _findings(row.findings), row.created_at, row.created_by, row.activated_at,
                    row.activated_by, row.retired_at)


def _require_text(problems: list[FieldProblem], name: str, value: str, limit: int) -> None:
    if not value or not value.strip():
        problems.append(FieldProblem(0, name, value or "", "must not be empty"))
    elif len(value) > limit:
        problems.append(FieldProblem(0, name, value[:60], f"longer than {limit} characters"))


def _require_debtor(conn: Connection, principal: Principal, debtor_id: int) -> None:
    if conn.execute(select(debtors.c.id).where(debtors.c.id == debtor_id)).first() is None:
        raise NotFound(f"debtor {debtor_id} not found")
    require_debtor_in_scope(conn, principal, debtor_id)


def _acting(principal: Principal, given: str | None) -> str:
    """The logged-in user's name; for the system (CLI, batch) the name given."""
    if principal.user_id is not None:
        return principal.username
    return given or ""


def save_note(rt: Runtime, principal: Principal, debtor_id: int, text: str, author: str | None = None,
              kind: str = "note", *, third_party: bool = False,
              lexicon_dirs: Iterable[Path | str] = ()) -> SavedNote:
    """Check a collection note and store it with its findings (a note is never refused for its words)."""
    require(principal, Permission.NOTE_WRITE)
    author = _acting(principal, author)
    problems: list[FieldProblem] = []
    _require_text(problems, "text", text, MAX_TEXT)
    _require_text(problems, "author", author, 120)
    if kind not in NOTE_KINDS:
        allowed = [k.value for k in NOTE_KINDS]
        problems.append(FieldProblem(0, "kind", str(kind), f"expected one of {allowed}"))
    if problems:
        raise InputRejected("note refused", problems)
    findings = check_text(text, kind=kind, third_party=third_party, lexicon_dirs=tuple(lexicon_dirs))
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        _require_debtor(conn, principal, debtor_id)
        new_id = conn.execute(collection_notes.insert().values(
            debtor_id=debtor_id, author=author.strip(), kind=kind, third_party=third_party, text=text,
            findings=[f.as_dict() for f in findings], worst_severity=worst_severity(findings), created_at=now,
        ).returning(collection_notes.c.id)).scalar_one()
    return SavedNote(new_id, debtor_id, author.strip(), kind, third_party, text, tuple(findings), now)


def list_notes(rt: Runtime, principal: Principal, debtor_id: int) -> list[SavedNote]:
    """A debtor's notes, newest first."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        _require_debtor(conn, principal, debtor_id)
        query = (select(collection_notes).where(collection_notes.c.debtor_id == debtor_id)
                 .order_by(collection_notes.c.created_at.desc(), collection_notes.c.id.desc()))
        rows = conn.execute(query).all()
    return [_note(r) for r in rows]


def create_template(rt: Runtime, principal: Principal, code: str, channel: str, language: str, body: str,
                    created_by: str | None = None, *, third_party: bool = False,
                    lexicon_dirs: Iterable[Path | str] = ()) -> Template:
    """Store a new draft version of a template, with the findings of the language check."""
    require(principal, Permission.TEMPLATE_MANAGE)
    created_by = _acting(principal, created_by)
    problems: list[FieldProblem] = []
    if not CODE_RE.match(code or ""):
        problems.append(FieldProblem(0, "code", code or "", "letters, digits, '_', '.', '-' (1-64)"))
    if channel not in {c.value for c in TemplateChannel}:
        problems.append(FieldProblem(0, "channel", str(channel), "expected sms, email, script or voicemail"))
    if not language or normalise_language(language, "") == "":
        problems.append(FieldProblem(0, "language", language or "", "expected zh-CN or en"))
    _require_text(problems, "body", body, MAX_TEXT)
    _require_text(problems, "created_by", created_by, 120)
    if problems:
        raise InputRejected("template refused", problems)
    lang = normalise_language(language)
    findings = check_text(body, kind=CHANNEL_KIND[TemplateChannel(channel)], third_party=third_party,
                          lexicon_dirs=tuple(lexicon_dirs))
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        current = conn.execute(select(func.max(message_templates.c.version)).where(
            message_templates.c.code == code, message_templates.c.language == lang)).scalar()
        values = dict(code=code, channel=channel, language=lang, third_party=third_party, body=body,
                      status=TemplateStatus.DRAFT.value, findings=[f.as_dict() for f in findings],
                      version=(current or 0) + 1, created_at=now, created_by=created_by.strip())
        new_id = conn.execute(message_templates.insert().values(**values)
                              .returning(message_templates.c.id)).scalar_one()
        row = conn.execute(select(message_templates).where(message_templates.c.id == new_id)).one()
    return _template(row)


def get_template(rt: Runtime, principal: Principal, template_id: int) -> Template:
    """One template version by id."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        row = conn.execute(select(message_templates).where(message_templates.c.id == template_id)).first()
    if row is None:
        raise NotFound(f"template {template_id} not found")
    return _template(row)


def list_templates(rt: Runtime, principal: Principal, code: str | None = None,
                   status: str | None = None) -> list[Template]:
    """Templates, by code then newest version first; optionally of one code or status."""
    require(principal, Permission.PORTFOLIO_READ)
    query = select(message_templates)
    if code:
        query = query.where(message_templates.c.code == code)
    if status:
        query = query.where(message_templates.c.status == status)
    query = query.order_by(message_templates.c.code, message_templates.c.language,
                           message_templates.c.version.desc())
    with rt.engine.connect() as conn:
        return [_template(r) for r in conn.execute(query).all()]


def activate_template(rt: Runtime, principal: Principal, template_id: int, by: str | None = None, *,
                      lexicon_dirs: Iterable[Path | str] = ()) -> Template:
    """Activate a draft after re-checking it; the previous active version of its code and language retires."""
    require(principal, Permission.TEMPLATE_MANAGE)
    by = _acting(principal, by)
    if not by or not by.strip():
        raise InputRejected("activation refused", [FieldProblem(0, "by", by or "", "must not be empty")])
    dirs = tuple(lexicon_dirs)
    with rt.engine.begin() as conn:
        row = conn.execute(select(message_templates).where(message_templates.c.id == template_id)
                           .with_for_update()).first()
        if row is None:
            raise NotFound(f"template {template_id} not found")
        if row.status != TemplateStatus.DRAFT:
            raise Conflict(f"template {template_id} is {row.status}; only a draft can be activated")
        channel = TemplateChannel(row.channel)
        findings = check_text(row.body, kind=CHANNEL_KIND[channel], third_party=bool(row.third_party),
                              lexicon_dirs=dirs)
        problems = activation_problems(channel, row.body, findings, load_lexicons(dirs))
        if problems:
            raise TemplateRejected(template_id, findings, problems)
        now = rt.clock.now()
        conn.execute(message_templates.update().where(
            message_templates.c.code == row.code, message_templates.c.language == row.language,
            message_templates.c.status == TemplateStatus.ACTIVE.value,
        ).values(status=TemplateStatus.RETIRED.value, retired_at=now))
        conn.execute(message_templates.update().where(message_templates.c.id == template_id).values(
            status=TemplateStatus.ACTIVE.value, activated_at=now, activated_by=by.strip(),
            findings=[f.as_dict() for f in findings]))
        updated = conn.execute(select(message_templates).where(message_templates.c.id == template_id)).one()
        audit.record(conn, principal, "template.activate", "template", template_id,
                     {"code": row.code, "language": row.language, "channel": row.channel,
                      "version": row.version}, now)
    return _template(updated)
