"""Allocation (分案) in plain Python: which team and collector each live in-house case goes to.

Teams by the file's team rules (bucket, product, language, debtor kind; the first matching rule is
preferred, a case already with a matching team stays). Collectors by continuity first (a case stays with
its collector while he is active, in the team, skilled for it and not away for `rebalance_days` or
more), then by skill (language, product) and the most free capacity, the most valuable cases first.
A case no collector can take waits in its team's queue. Only changes are returned, each with a reason.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from arrears.strategy.model import MoveReason, TeamRule


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """One live in-house case as allocation sees it."""

    case_id: int
    team_id: int | None
    collector_id: int | None
    bucket: str
    product: str
    language: str
    kind: str
    value: int  # outstanding balance in minor units: the most valuable cases are placed first


@dataclass(frozen=True, slots=True)
class CollectorFacts:
    """A collector: team, skills, capacity (open cases he can carry) and absence."""

    id: int
    team_id: int | None
    languages: frozenset[str]
    products: frozenset[str]  # empty: any product
    capacity: int
    active: bool = True
    away_until: date | None = None

    def skilled(self, language: str, product: str) -> bool:
        """Speaks the debtor's language and handles the product."""
        return language in self.languages and (not self.products or product in self.products)


@dataclass(frozen=True, slots=True)
class Move:
    """A case changing team and/or collector."""

    case_id: int
    from_team: int | None
    to_team: int | None
    from_collector: int | None
    to_collector: int | None
    reason: MoveReason


def split_list(raw: str | None) -> frozenset[str]:
    """'zh-CN, en' -> {'zh-CN', 'en'} (blank entries dropped)."""
    return frozenset(x.strip() for x in (raw or "").split(",") if x.strip())


def away_days(c: CollectorFacts, work_date: date) -> int:
    """Days from the work day the collector is still away (0: present)."""
    if c.away_until is None or c.away_until < work_date:
        return 0
    return (c.away_until - work_date).days + 1


def team_for(case: CaseFacts, rules: Sequence[tuple[TeamRule, int]]) -> int | None:
    """The case's team: its own while a rule for it matches, else the first matching rule's."""
    eligible = [
        team for rule, team in rules if rule.takes(case.bucket, case.product, case.language, case.kind)
    ]
    if not eligible:
        return case.team_id
    return case.team_id if case.team_id in eligible else eligible[0]


class _Pool:
    """Free capacity per collector, with a heap per skill key for 'the most room' (lazy updates)."""

    def __init__(self, collectors: Iterable[CollectorFacts], work_date: date) -> None:
        self.by_id = {c.id: c for c in collectors}
        self.load = dict.fromkeys(self.by_id, 0)
        self.work_date = work_date
        self.heaps: dict[tuple[int | None, str, str], list[tuple[int, int]]] = {}

    def room(self, cid: int) -> int:
        """Cases the collector can still take."""
        return self.by_id[cid].capacity - self.load[cid]

    def take(self, cid: int) -> None:
        """Count one more case for the collector."""
        self.load[cid] += 1

    def best(self, team: int | None, language: str, product: str) -> int | None:
        """The present, skilled collector of the team with the most room (None: nobody has room)."""
        key = (team, language, product)
        heap = self.heaps.get(key)
        if heap is None:
            heap = [
                (-self.room(c.id), c.id)
                for c in self.by_id.values()
                if c.team_id == team
                and c.active
                and away_days(c, self.work_date) == 0
                and c.skilled(language, product)
            ]
            heapq.heapify(heap)
            self.heaps[key] = heap
        while heap:
            neg, cid = heap[0]
            room = self.room(cid)
            if -neg != room:
                heapq.heapreplace(heap, (-room, cid))
                continue
            return cid if room > 0 else None
        return None


def plan(
    cases: Sequence[CaseFacts],
    collectors: Iterable[CollectorFacts],
    rules: Sequence[tuple[TeamRule, int]],
    work_date: date,
    rebalance_days: int,
) -> list[Move]:
    """The moves that bring every case to its team and a collector (only cases that change)."""
    pool = _Pool(collectors, work_date)
    targets: dict[int, int | None] = {}
    waiting: list[tuple[CaseFacts, MoveReason | None]] = []
    moves: list[Move] = []
    for case in cases:
        team = team_for(case, rules)
        targets[case.case_id] = team
        current = pool.by_id.get(case.collector_id) if case.collector_id is not None else None
        if team is None and current is not None:
            team = targets[case.case_id] = current.team_id  # no rule for it: the collector's team
        cause: MoveReason | None = None
        if team != case.team_id and case.team_id is not None:
            cause = MoveReason.BUCKET
        elif case.collector_id is not None and (
            current is None
            or not current.active
            or current.team_id != team
            or not current.skilled(case.language, case.product)
        ):
            cause = MoveReason.INELIGIBLE
        elif current is not None and away_days(current, work_date) >= rebalance_days:
            cause = MoveReason.ABSENT
        elif current is not None:
            pool.take(current.id)  # continuity: the case stays with its collector
            if team != case.team_id:  # a case without a team joins its collector's
                moves.append(
                    Move(case.case_id, case.team_id, team, current.id, current.id, MoveReason.INITIAL)
                )
            continue
        waiting.append((case, cause))
    waiting.sort(key=lambda pair: (-pair[0].value, pair[0].case_id))
    for case, cause in waiting:
        team = targets[case.case_id]
        chosen = pool.best(team, case.language, case.product)
        if chosen is not None:
            pool.take(chosen)
        if chosen == case.collector_id and team == case.team_id:
            continue
        moves.append(
            Move(case.case_id, case.team_id, team, case.collector_id, chosen, cause or MoveReason.INITIAL)
        )
    return moves
