"""What the queue shows: masked debtor and contact-point cards, the work item, and "nothing allowed: why"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from arrears.compliance.zones import UnknownZone, local
from arrears.core.masking import mask_email, mask_name, mask_phone
from arrears.portfolio.store import debtors
from arrears.worklist.judge import Verdict
from arrears.worklist.rules import Candidate
from arrears.worklist.store import work_items


def masked_value(channel: str, value: str) -> str:
    """A contact point's value as pages and API responses show it."""
    if channel == "phone":
        return mask_phone(value)
    if channel == "email":
        return mask_email(value)
    return mask_name(value)


def debtor_card(conn: Connection, debtor_id: int, now: datetime, row: Any = None) -> dict[str, Any]:
    """The debtor as the collector sees it before the call (personal data masked)."""
    d = row
    if d is None:
        d = conn.execute(
            select(
                debtors.c.id.label("d_id"),
                debtors.c.external_id,
                debtors.c.name,
                debtors.c.kind.label("debtor_kind"),
                debtors.c.preferred_language,
                debtors.c.timezone,
                debtors.c.contactability,
            ).where(debtors.c.id == debtor_id)
        ).one()
    try:
        local_time: str | None = local(now, d.timezone).isoformat()
    except UnknownZone:
        local_time = None
    return {
        "id": int(d.d_id),
        "external_id": d.external_id,
        "name": mask_name(d.name),
        "kind": d.debtor_kind,
        "preferred_language": d.preferred_language,
        "timezone": d.timezone,
        "local_time": local_time,
        "contactability": d.contactability,
    }


def point_card(row: Any, party: str) -> dict[str, Any]:
    """A contact point, masked; the number itself only leaves through the dial hand-off."""
    return {
        "id": int(row.id),
        "channel": row.channel,
        "relationship": row.relationship,
        "status": row.status,
        "masked": masked_value(row.channel, row.value),
        "contact_name": mask_name(row.contact_name) if row.contact_name else None,
        "party": party,
    }


def work_card(conn: Connection, c: Candidate, row: Any = None) -> dict[str, Any]:
    """The work item behind the contact."""
    r = row
    if r is None and c.id:
        r = conn.execute(
            select(
                work_items.c.case_id, work_items.c.account_id, work_items.c.source, work_items.c.attempt_count
            ).where(work_items.c.id == c.id)
        ).first()
    return {
        "id": c.id or None,
        "kind": c.kind.value,
        "reason": c.reason,
        "due_at": c.due_at.isoformat(),
        "case_id": r.case_id if r is not None else None,
        "account_id": r.account_id if r is not None else None,
        "source": r.source if r is not None else None,
        "attempts": int(r.attempt_count) if r is not None else 0,
    }


def lease_card(lease_id: int, now: datetime, until: datetime) -> dict[str, Any]:
    """A lease as the API shows it."""
    return {
        "id": lease_id,
        "leased_at": now.isoformat(),
        "expires_at": until.isoformat(),
        "release": f"/api/v1/queue/leases/{lease_id}/release",
    }


@dataclass
class Tally:
    """What the queue saw while looking for an allowed contact, to say why none is and from when."""

    examined: int = 0
    taken: int = 0  # allowed, but another collector leased the debtor first
    no_points: int = 0
    problems: list[str] = field(default_factory=list)
    reasons: dict[str, dict[str, Any]] = field(default_factory=dict)
    earliest: list[datetime] = field(default_factory=list)
    never: int = 0

    def denied(self, verdict: Verdict) -> None:
        """Count a debtor the policy blocks, by rule."""
        self.examined += 1
        for rule_id in dict.fromkeys(h.rule_id for h in verdict.denials):
            hit = next(h for h in verdict.denials if h.rule_id == rule_id)
            entry = self.reasons.setdefault(
                rule_id,
                {
                    "rule_id": rule_id,
                    "ruleset": hit.ruleset,
                    "source": hit.source,
                    "example_zh": hit.reason_zh,
                    "example_en": hit.reason_en,
                    "debtors": 0,
                },
            )
            entry["debtors"] += 1
        if verdict.earliest is not None:
            self.earliest.append(verdict.earliest)
        else:
            self.never += 1

    def no_point(self) -> None:
        """Count a debtor without any usable phone (its work is cancelled)."""
        self.examined += 1
        self.no_points += 1

    def data_problem(self, message: str) -> None:
        """Count a debtor whose stored data cannot be judged (e.g. an unknown time zone)."""
        self.examined += 1
        self.problems.append(message)

    def answer(self, next_due: datetime | None) -> dict[str, Any]:
        """The 'nothing allowed now' answer: the blocking rules and when a contact becomes available."""
        moments = self.earliest + ([next_due] if next_due else [])
        earliest = min(moments) if moments else None
        empty = self.examined == 0 and self.taken == 0
        reasons = sorted(self.reasons.values(), key=lambda r: (-r["debtors"], r["rule_id"]))
        if empty:
            zh, en = "队列中没有到期的工作", "No work is due in your queue"
        else:
            zh, en = "当前没有允许的联系", "No contact is allowed right now"
        return {
            "status": "queue_empty" if empty else "nothing_allowed",
            "message_zh": zh,
            "message_en": en,
            "examined": self.examined,
            "held_by_others": self.taken,
            "without_usable_phone": self.no_points,
            "blocked_without_end": self.never,
            "data_problems": self.problems[:10],
            "reasons": reasons,
            "earliest_allowed": earliest.isoformat() if earliest else None,
            "next_due_at": next_due.isoformat() if next_due else None,
        }
