"""Rules a message template must meet before activation (plain Python: no database, no web)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from arrears.compliance.language.lexicon import LexiconSet
from arrears.compliance.language.model import Finding, Kind, has_blocking


class TemplateChannel(StrEnum):
    """Where a template is used."""

    SMS = "sms"
    EMAIL = "email"
    SCRIPT = "script"
    VOICEMAIL = "voicemail"


class TemplateStatus(StrEnum):
    """A template's life: drafted, activated (one active version per code and language), retired."""

    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


CHANNEL_KIND = {
    TemplateChannel.SMS: Kind.SMS, TemplateChannel.EMAIL: Kind.EMAIL,
    TemplateChannel.SCRIPT: Kind.SCRIPT, TemplateChannel.VOICEMAIL: Kind.VOICEMAIL,
}
NEEDS_OPT_OUT = frozenset({TemplateChannel.SMS, TemplateChannel.EMAIL})


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """One reason a template cannot be activated."""

    code: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def activation_problems(channel: str, body: str, findings: list[Finding],
                        lex: LexiconSet) -> list[TemplateProblem]:
    """Why a template with this channel, body and findings may not be activated (empty: it may)."""
    problems: list[TemplateProblem] = []
    chan = TemplateChannel(channel)
    if not body.strip():
        problems.append(TemplateProblem("empty_body", "模板正文为空", "The template body is empty"))
    if has_blocking(findings):
        count = sum(1 for f in findings if f.blocking)
        problems.append(TemplateProblem(
            "language_findings", f"语言检查发现 {count} 处高/中风险用语", f"The language check found {count} "
            "high or medium finding(s)"))
    if chan in NEEDS_OPT_OUT and (lex.opt_out is None or not lex.opt_out.search(body)):
        problems.append(TemplateProblem(
            "opt_out_missing", "短信和电子邮件模板须包含退订方式（如“回复TD退订”）",
            'SMS and e-mail templates must carry an opt-out line (e.g. "Reply STOP to opt out")'))
    if chan is TemplateChannel.VOICEMAIL and len(body.strip()) > lex.voicemail_limit:
        problems.append(TemplateProblem(
            "voicemail_too_long", f"语音留言须为有限内容的简短信息（不超过 {lex.voicemail_limit} 字）",
            f"A voicemail must be a short limited-content message (at most {lex.voicemail_limit} "
            "characters)"))
    return problems
