"""Allocation in plain Python: teams by rule, continuity, skill, capacity, absence, and the reasons."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from arrears.strategy.allocation_plan import CaseFacts, CollectorFacts, away_days, plan, split_list, team_for
from arrears.strategy.model import MoveReason, TeamRule

DAY = date(2026, 4, 1)
ZH, EN, LATE = 1, 2, 3
RULES = [
    (TeamRule("en", languages=frozenset({"en"})), EN),
    (TeamRule("late", buckets=frozenset({"M3"})), LATE),
    (TeamRule("zh"), ZH),
]


def case(
    i: int,
    team: int | None = None,
    collector: int | None = None,
    *,
    bucket: str = "M1",
    language: str = "zh-CN",
    product: str = "consumer_loan",
    value: int = 1000,
) -> CaseFacts:
    return CaseFacts(i, team, collector, bucket, product, language, "person", value)


def who(
    i: int,
    team: int,
    capacity: int = 10,
    *,
    languages: str = "zh-CN",
    products: str = "",
    active: bool = True,
    away: date | None = None,
) -> CollectorFacts:
    return CollectorFacts(i, team, split_list(languages), split_list(products), capacity, active, away)


def test_split_list_and_away_days() -> None:
    assert split_list(" zh-CN, en ,") == frozenset({"zh-CN", "en"})
    assert split_list(None) == frozenset()
    c = who(1, ZH, away=DAY + timedelta(days=2))
    assert away_days(c, DAY) == 3
    assert away_days(who(1, ZH, away=DAY - timedelta(days=1)), DAY) == 0


def test_team_rules_first_match_and_keep_a_matching_team() -> None:
    assert team_for(case(1, language="en"), RULES) == EN
    assert team_for(case(1, bucket="M3"), RULES) == LATE
    assert team_for(case(1), RULES) == ZH
    assert team_for(case(1, team=ZH, bucket="M3"), RULES) == ZH  # the zh rule still matches: stays
    assert team_for(case(1, team=99), []) == 99


def test_new_cases_go_to_skilled_collectors_with_the_most_room() -> None:
    collectors = [who(10, ZH, 2), who(11, ZH, 3), who(20, EN, 5, languages="en")]
    moves = plan([case(1), case(2), case(3), case(4, language="en")], collectors, RULES, DAY, 2)
    assert {m.case_id: m.to_collector for m in moves} == {1: 11, 2: 10, 3: 11, 4: 20}
    assert all(m.reason is MoveReason.INITIAL for m in moves)
    assert {m.case_id: m.to_team for m in moves}[4] == EN


def test_capacity_is_respected_and_the_most_valuable_cases_come_first() -> None:
    cases = [case(i, value=i * 100) for i in range(1, 6)]
    moves = plan(cases, [who(10, ZH, 2)], RULES, DAY, 2)
    got = {m.case_id: m.to_collector for m in moves}
    assert got == {5: 10, 4: 10, 3: None, 2: None, 1: None}  # the rest wait in the team queue
    assert all(m.to_team == ZH for m in moves)


def test_continuity_keeps_a_valid_collector_and_moves_nothing() -> None:
    collectors = [who(10, ZH, 1), who(11, ZH, 50)]
    assert plan([case(1, ZH, 10), case(2, ZH, 10)], collectors, RULES, DAY, 2) == []  # even over capacity


def test_short_absence_keeps_the_case_long_absence_rebalances() -> None:
    collectors = [who(10, ZH, away=DAY), who(11, ZH)]
    assert plan([case(1, ZH, 10)], collectors, RULES, DAY, 2) == []
    collectors = [who(10, ZH, away=DAY + timedelta(days=4)), who(11, ZH)]
    moves = plan([case(1, ZH, 10), case(2)], collectors, RULES, DAY, 2)
    assert [(m.case_id, m.from_collector, m.to_collector, m.reason) for m in moves] == [
        (1, 10, 11, MoveReason.ABSENT),
        (2, None, 11, MoveReason.INITIAL),
    ]


def test_ineligible_collectors_lose_their_cases() -> None:
    collectors = [who(10, ZH, active=False), who(11, ZH), who(12, ZH, languages="en")]
    moves = plan([case(1, ZH, 10), case(2, ZH, 99), case(3, ZH, 12)], collectors, RULES, DAY, 2)
    assert Counter(m.reason for m in moves) == Counter({MoveReason.INELIGIBLE: 3})
    assert {m.to_collector for m in moves} == {11}


def test_a_bucket_change_moves_the_case_to_the_new_team() -> None:
    rules = [
        (TeamRule("early", buckets=frozenset({"M1"})), ZH),
        (TeamRule("late", buckets=frozenset({"M3"})), LATE),
    ]
    collectors = [who(10, ZH), who(30, LATE)]
    moves = plan([case(1, ZH, 10, bucket="M3")], collectors, rules, DAY, 2)
    assert [(m.from_team, m.to_team, m.from_collector, m.to_collector, m.reason) for m in moves] == [
        (ZH, LATE, 10, 30, MoveReason.BUCKET)
    ]


def test_product_skills() -> None:
    collectors = [who(10, ZH, products="credit_card"), who(11, ZH, products="consumer_loan,credit_card")]
    moves = plan(
        [case(1, product="consumer_loan"), case(2, product="credit_card")], collectors, RULES, DAY, 2
    )
    assert {m.case_id: m.to_collector for m in moves}[1] == 11


def test_a_case_without_a_matching_team_rule_keeps_its_collectors_team() -> None:
    moves = plan([case(1, None, 10)], [who(10, ZH)], [], DAY, 2)
    assert [(m.to_team, m.to_collector) for m in moves] == [(ZH, 10)]
