"""Parsing a dialer's CSV report, and judging a debtor's phones against the policy (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arrears.compliance.context import Context
from arrears.compliance.model import (
    ContactChannel,
    ContactPointInfo,
    DebtorInfo,
    Facts,
    Flag,
    HistoryEntry,
    HoldKind,
    Outcome,
)
from arrears.compliance.rulesets import layered
from arrears.core.errors import InputRejected
from arrears.worklist.dialer import parse_report
from arrears.worklist.judge import judge
from arrears.worklist.model import CallOutcome
from arrears.worklist.rules import PointChoice

GOOD = """call_id,debtor,phone,started_at,ended_at,outcome,agent,note
C1,D1,13912345678,2026-03-31T21:30:00+08:00,2026-03-31T21:31:00+08:00,no_answer,alice,
C2,D2,+86 139 1234 5679,2026-03-31T10:00:00Z,,rpc,,"客户说下周还"
"""


def test_a_good_report_parses_with_synonyms_and_normalised_numbers() -> None:
    rows = parse_report(GOOD, "r.csv")
    assert [r.call_id for r in rows] == ["C1", "C2"]
    assert rows[0].phone == "+8613912345678" and rows[1].phone == "+8613912345679"
    assert rows[0].outcome is CallOutcome.NO_ANSWER and rows[1].outcome is CallOutcome.RIGHT_PARTY_REACHED
    assert rows[0].started_at == datetime(2026, 3, 31, 13, 30, tzinfo=UTC)
    assert rows[1].ended_at is None and rows[1].agent is None and rows[1].note == "客户说下周还"


def test_chinese_headers_are_recognised() -> None:
    text = "呼叫ID,客户编号,号码,开始时间,结果\nX,D9,13912345678,2026-03-31T10:00:00+08:00,空号\n"
    (row,) = parse_report(text)
    assert row.outcome is CallOutcome.INVALID_NUMBER and row.debtor == "D9"


def test_every_bad_row_and_field_is_named_and_nothing_is_returned() -> None:
    bad = """call_id,debtor,phone,started_at,outcome
C1,D1,13912345678,2026-03-31T21:30:00,no_answer
C2,,12,2026-03-31T21:30:00+08:00,shouted
"""
    with pytest.raises(InputRejected) as exc:
        parse_report(bad, "bad.csv")
    found = {(p.row, p.field) for p in exc.value.problems}
    assert found == {(2, "started_at"), (3, "debtor"), (3, "phone"), (3, "outcome")}
    assert all(p.file == "bad.csv" for p in exc.value.problems)
    assert "naive" in next(p.reason for p in exc.value.problems if p.field == "started_at")


def test_missing_columns_are_refused() -> None:
    with pytest.raises(InputRejected) as exc:
        parse_report("call_id,debtor\nC1,D1\n")
    assert {p.field for p in exc.value.problems} == {"phone", "started_at", "outcome"}


# --- judging a debtor's phones -----------------------------------------------------------------------------

SH_10 = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def facts(
    history: tuple[HistoryEntry, ...] = (), flags: tuple[Flag, ...] = (), mobile_status: str = "valid"
) -> Facts:
    return Facts(
        DebtorInfo("1", "Asia/Shanghai", "Asia/Shanghai", "CN"),
        (
            ContactPointInfo("1", "phone", "self", mobile_status, timezones=("Asia/Shanghai",)),
            ContactPointInfo("2", "phone", "spouse", "valid"),
        ),
        history,
        flags,
    )


POINTS = [PointChoice(1, "self", "valid"), PointChoice(2, "spouse", "valid")]
SETS = layered(["cn-gbt45251", "house-default"])


def test_the_debtors_own_phone_is_allowed_in_the_window() -> None:
    v = judge(POINTS, Context(facts()), SETS, SH_10)
    assert v.allowed and v.point is not None and v.point.id == 1
    assert v.decision is not None and v.decision.script_mode == "standard"


def test_at_night_nothing_is_allowed_and_the_earliest_moment_is_the_morning() -> None:
    night = datetime(2026, 3, 31, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    v = judge(POINTS, Context(facts()), SETS, night)
    assert not v.allowed and not v.never
    assert v.earliest == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 09:00 house window
    assert {"cn.night", "house.hours"} <= {h.rule_id for h in v.denials}


def test_a_hold_blocks_every_phone_without_an_end() -> None:
    hold = Flag(HoldKind.CEASE_REQUEST, "agent", SH_10 - timedelta(days=1), "stop calling")
    v = judge(POINTS, Context(facts(flags=(hold,))), SETS, SH_10)
    assert not v.allowed and v.never and v.earliest is None


def test_an_unreachable_debtor_opens_the_third_party_gate_with_no_disclosure() -> None:
    fails = tuple(
        HistoryEntry(SH_10 - timedelta(days=d), ContactChannel.CALL, Outcome.NO_ANSWER, "1")
        for d in (5, 4, 3)
    )
    v = judge(POINTS, Context(facts(fails, mobile_status="invalid")), SETS, SH_10)
    assert v.allowed and v.point is not None and v.point.id == 2
    assert v.decision is not None and v.decision.script_mode == "third_party_no_disclosure"


def test_no_usable_phone() -> None:
    v = judge([PointChoice(1, "self", "invalid")], Context(facts(mobile_status="invalid")), SETS, SH_10)
    assert not v.allowed and v.no_usable_point
