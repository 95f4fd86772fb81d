"""The language check's vocabulary: categories, severities, text kinds and the Finding it reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """What a finding is about: unlawful collection language, or a debtor statement that sets a flag."""

    THREAT = "threat"
    FALSE_LEGAL = "false_legal"
    IMPERSONATION = "impersonation"
    INSULT = "insult"
    THIRD_PARTY_DISCLOSURE = "third_party_disclosure"
    PUBLIC_SHAMING = "public_shaming"
    CALL_FLOODING = "call_flooding"
    BORROW_ELSEWHERE = "borrow_elsewhere"
    PERSONAL_ACCOUNT = "personal_account"
    UNANNOUNCED_VISIT = "unannounced_visit"
    # what a debtor says that must set a flag
    CEASE_REQUEST = "cease_request"
    ATTORNEY = "attorney"
    DISPUTE = "dispute"
    WRONG_NUMBER = "wrong_number"
    NO_FAMILY_CONTACT = "no_family_contact"
    NO_WORK_CONTACT = "no_work_contact"


FLAG_CATEGORIES = frozenset({
    Category.CEASE_REQUEST, Category.ATTORNEY, Category.DISPUTE, Category.WRONG_NUMBER,
    Category.NO_FAMILY_CONTACT, Category.NO_WORK_CONTACT,
})
VIOLATION_CATEGORIES = frozenset(set(Category) - FLAG_CATEGORIES)


class Severity(StrEnum):
    """How bad a finding is; 'flag' marks a debtor statement (never a violation)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    FLAG = "flag"


BLOCKING = frozenset({Severity.HIGH, Severity.MEDIUM})
SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2, Severity.FLAG: 3}


class Kind(StrEnum):
    """What sort of text is checked."""

    NOTE = "note"
    SCRIPT = "script"
    SMS = "sms"
    EMAIL = "email"
    TRANSCRIPT = "transcript"
    VOICEMAIL = "voicemail"


# Flags a debtor statement should set. Where the contact-policy engine has a hold kind the name is the
# same (compliance.model.HoldKind: cease_request, legal_representation, dispute, fraud_claim,
# inconvenient_place with places=[work]); wrong_party marks the contact point, no_family_contact asks
# that relatives not be contacted.
FLAGS = frozenset({
    "cease_request", "legal_representation", "dispute", "fraud_claim", "inconvenient_place", "wrong_party",
    "no_family_contact",
})
FLAG_DETAIL: dict[str, dict[str, list[str]]] = {"inconvenient_place": {"places": ["work"]}}


@dataclass(frozen=True, slots=True)
class Finding:
    """One match of one rule: where it is in the original text, what it is and what it means."""

    rule_id: str
    category: str
    severity: str
    start: int
    end: int
    matched: str
    message_zh: str
    message_en: str
    flag: str | None = None

    @property
    def blocking(self) -> bool:
        """True for high and medium findings (a template with one cannot be activated)."""
        return self.severity in BLOCKING

    def message(self, language: str) -> str:
        """The message in zh-CN or English."""
        return self.message_en if language.lower().startswith("en") else self.message_zh

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild from `as_dict` output."""
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def worst_severity(findings: list[Finding]) -> str | None:
    """The most serious severity among the findings, or None when there are none."""
    if not findings:
        return None
    return min((Severity(f.severity) for f in findings), key=SEVERITY_ORDER.__getitem__).value


def has_blocking(findings: list[Finding]) -> bool:
    """True when any finding is high or medium."""
    return any(f.blocking for f in findings)
