"""The contact policy's facts for several debtors at once (the queue judges a page of candidates per `next`).

Same content as `arrears.compliance.reads.load_facts` for one debtor (a test holds them equal), but with one
query per table for the whole page instead of one per table per debtor. No transaction begins here.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import String, bindparam, literal, or_, select, union_all
from sqlalchemy.engine import Connection

from arrears.compliance.model import (
    ContactChannel,
    ContactPointInfo,
    DebtorInfo,
    Direction,
    Facts,
    HistoryEntry,
    Outcome,
    Party,
)
from arrears.compliance.reads import HISTORY_DAYS, WORK_RELATIONSHIPS, _flag, _zone_checked
from arrears.compliance.rulesets import RuleSet, for_account
from arrears.compliance.store import contact_attempts, debtor_flags
from arrears.core.errors import InputRejected
from arrears.core.tables import UtcDateTime
from arrears.portfolio.store import accounts, cases, contact_points, debtors


@dataclass(frozen=True, slots=True)
class DebtorFacts:
    """What the queue needs to judge contacts with one debtor."""

    facts: Facts
    rulesets: tuple[RuleSet, ...]
    collector_type: str
    points: tuple[Any, ...]  # contact_points rows (id, relationship, channel, status, value, ...)


def _ids(debtor_ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in debtor_ids))


def load_many(
    conn: Connection,
    debtor_ids: Sequence[int],
    at: datetime,
    fallback_zone: str,
    default_region: str,
    debtor_rows: Sequence[Any] = (),
) -> dict[int, DebtorFacts | InputRejected]:
    """Facts, rule sets and contact points of each debtor; a debtor with bad stored data maps to the error."""
    ids = _ids(debtor_ids)
    if not ids:
        return {}
    q = _statements()
    params = {"ids": ids, "since": at - timedelta(days=HISTORY_DAYS)}
    d_rows = {int(r.d_id): r for r in debtor_rows if r is not None}
    missing = [i for i in ids if i not in d_rows]
    if missing:
        for found in conn.execute(q["debtors"], {"ids": missing}):
            d_rows[int(found.d_id)] = found
    point_rows: dict[int, list[Any]] = defaultdict(list)
    for r in conn.execute(q["points"], params):
        point_rows[int(r.debtor_id)].append(r)
    history: dict[int, list[HistoryEntry]] = defaultdict(list)
    for h in conn.execute(q["history"], params):
        history[int(h.debtor_id)].append(
            HistoryEntry(
                h.started_at,
                ContactChannel(h.channel),
                Outcome(h.outcome),
                str(h.contact_point_id) if h.contact_point_id else None,
                Party(h.party),
                Direction(h.direction),
                bool(h.by_agency),
                bool(h.conversation),
                h.consent_at,
            )
        )
    flags: dict[int, list[Any]] = defaultdict(list)
    for fr in conn.execute(q["flags"], params):
        flags[int(fr.debtor_id)].append(fr)
    products: dict[int, set[str]] = defaultdict(set)
    placed: set[int] = set()
    for debtor_id, product in conn.execute(q["products"], params):
        if product is None:
            placed.add(int(debtor_id))
        else:
            products[int(debtor_id)].add(str(product))
    out: dict[int, DebtorFacts | InputRejected] = {}
    for debtor_id in ids:
        d = d_rows.get(debtor_id)
        if d is None:
            continue
        try:
            out[debtor_id] = _build(
                d,
                point_rows[debtor_id],
                history[debtor_id],
                flags[debtor_id],
                sorted(products[debtor_id]),
                debtor_id in placed,
                fallback_zone,
                default_region,
            )
        except InputRejected as exc:
            out[debtor_id] = exc
    return out


@cache
def _statements() -> dict[str, Any]:
    """The facts queries, built once (parameters: ids, since)."""
    ids: Any = bindparam("ids", expanding=True)
    since = bindparam("since", type_=UtcDateTime())
    a = contact_attempts.c
    return {
        "debtors": select(
            debtors.c.id.label("d_id"), debtors.c.timezone, debtors.c.timezone_source, debtors.c.region
        ).where(debtors.c.id.in_(ids)),
        "points": select(contact_points)
        .where(contact_points.c.debtor_id.in_(ids))
        .order_by(contact_points.c.id),
        "history": select(
            a.debtor_id,
            a.started_at,
            a.channel,
            a.outcome,
            a.contact_point_id,
            a.party,
            a.direction,
            a.by_agency,
            a.conversation,
            a.consent_at,
        )
        .where(a.debtor_id.in_(ids), or_(a.started_at >= since, a.outcome == Outcome.REFUSED.value))
        .order_by(a.debtor_id, a.started_at, a.id),
        "flags": select(debtor_flags).where(
            debtor_flags.c.debtor_id.in_(ids),
            or_(debtor_flags.c.lifted_at.is_(None), debtor_flags.c.lifted_at > since),
        ),
        "products": union_all(
            select(accounts.c.debtor_id, accounts.c.product).where(accounts.c.debtor_id.in_(ids)),
            select(cases.c.debtor_id, literal(None, String).label("product")).where(
                cases.c.debtor_id.in_(ids), cases.c.status == "placed"
            ),
        ),
    }


def _build(
    d: Any,
    points: list[Any],
    history: list[HistoryEntry],
    flag_rows: list[Any],
    products: list[str],
    placed: bool,
    fallback_zone: str,
    default_region: str,
) -> DebtorFacts:
    tz = _zone_checked(d.timezone, f"debtor {d.d_id} timezone") or fallback_zone
    address = tz if d.timezone_source in ("given", "address", "phone") else None
    info = DebtorInfo(str(d.d_id), tz, address, d.region)
    infos = tuple(
        ContactPointInfo(
            str(r.id),
            r.channel,
            r.relationship,
            r.status,
            r.source,
            r.consent,
            (_zone_checked(r.timezone, f"contact point {r.id} timezone") or "",) if r.timezone else (),
            "work" if r.relationship in WORK_RELATIONSHIPS else None,
        )
        for r in points
    )
    facts = Facts(info, infos, tuple(history), tuple(_flag(r) for r in flag_rows))
    ctype = "agency" if placed else "in_house"
    sets = rulesets_for(d.region or default_region, tuple(products), ctype)
    return DebtorFacts(facts, sets, ctype, tuple(points))


RULESET_TTL_S = 5.0
_RULESETS: dict[tuple[str, tuple[str, ...], str], tuple[float, tuple[RuleSet, ...]]] = {}


def rulesets_for(jurisdiction: str, products: tuple[str, ...], collector_type: str) -> tuple[RuleSet, ...]:
    """The layered rule sets for a debtor, remembered for a few seconds (the queue asks many times a second;
    an edited rule file is picked up within RULESET_TTL_S)."""
    key = (jurisdiction, products, collector_type)
    now = time.monotonic()
    found = _RULESETS.get(key)
    if found is not None and now - found[0] < RULESET_TTL_S:
        return found[1]
    sets = for_account(jurisdiction, list(products), collector_type)
    if len(_RULESETS) > 256:
        _RULESETS.clear()
    _RULESETS[key] = (now, sets)
    return sets
