"""Scenario input: every problem named by key path; naive timestamps and unknown zones refused."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from arrears.compliance.engine import evaluate
from arrears.compliance.model import ContactChannel, DebtorInfo, Facts, HistoryEntry, Outcome, ProposedContact
from arrears.compliance.rulesets import layered
from arrears.compliance.scenario import load_scenario, parse_scenario
from arrears.compliance.zones import UnknownZone, zone
from arrears.core.errors import InputRejected
from tests.unit.compliance_kit import attempt, flag, scenario, sh

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "compliance"


def problems(data: object) -> dict[str, str]:
    with pytest.raises(InputRejected) as info:
        parse_scenario(data, "s.json")
    return {p.field: p.reason for p in info.value.problems}


def test_naive_timestamps_are_refused_where_they_are() -> None:
    data = scenario(
        ["cn-gbt45251"], sh(3, 10), history=[attempt(sh(2, 10))], flags=[flag("dispute", sh(1, 9))]
    )
    data["proposed"]["at"] = "2026-03-03T10:00:00"
    data["history"][0]["at"] = "2026-03-02T10:00:00"
    data["flags"][0]["lifted_at"] = "2026-03-05T10:00:00"
    found = problems(data)
    for key in ("proposed.at", "history[0].at", "flags[0].lifted_at"):
        assert "naive timestamp" in found[key], key


def test_unknown_zones_are_named() -> None:
    data = scenario(["cn-gbt45251"], sh(3, 10), tz="Asia/Shangai")
    data["contact_points"][0]["timezones"] = ["Mars/Olympus"]
    found = problems(data)
    assert "unknown time zone 'Asia/Shangai'" in found["debtor.timezone"]
    assert "'Mars/Olympus'" in found["contact_points[0].timezones[0]"]
    with pytest.raises(UnknownZone, match="Europe/Atlantis"):
        zone("Europe/Atlantis")


def test_malformed_scenarios_name_each_problem() -> None:
    data = scenario(["cn-gbt45251"], sh(3, 10), history=[attempt(sh(2, 10), "answered", cp="nope")])
    data["proposed"]["channel"] = "fax"
    data["proposed"]["colour"] = "red"
    data["flags"] = [
        {
            "kind": "inconvenient_time",
            "set_at": sh(1, 9).isoformat(),
            "detail": {"windows": [{"start": "12:00", "end": "26:00"}]},
        }
    ]
    found = problems(data)
    assert found["proposed.channel"].startswith("must be one of call, sms")
    assert found["proposed.colour"].startswith("unknown key")
    assert found["history[0].outcome"].startswith("must be one of connected_rpc")
    assert found["history[0].contact_point"] == "not one of the contact_points ids"
    assert found["flags[0].set_by"] == "required"
    assert "not a time of day" in found["flags[0].detail.windows[0].end"]
    assert "must be an object" in problems([1, 2])[""]


def test_the_error_message_names_file_and_first_problem() -> None:
    with pytest.raises(
        InputRejected, match=r"scenario s.json rejected \(1 problem\(s\)\): debtor.timezone: required"
    ):
        parse_scenario(
            {"debtor": {}, "proposed": {"channel": "call", "at": "2026-03-03T10:00:00+08:00"}}, "s.json"
        )


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"debtor": {"timezone": "Asia/Shanghai"},\n "proposed": {,}}', encoding="utf-8")
    with pytest.raises(InputRejected, match=r"bad.json is not valid JSON: line 2, column 15"):
        load_scenario(path)
    with pytest.raises(InputRejected, match="cannot be read"):
        load_scenario(tmp_path / "missing.json")


def test_models_refuse_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        ProposedContact(ContactChannel.CALL, datetime(2026, 3, 3, 10))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        HistoryEntry(datetime(2026, 3, 3, 10), ContactChannel.CALL, Outcome.BUSY)  # noqa: DTZ001


def test_an_unknown_proposed_contact_point_is_refused_by_the_engine() -> None:
    facts = Facts(DebtorInfo("D", "Asia/Shanghai"))
    with pytest.raises(InputRejected, match="'zz' is not one of the debtor's contact points"):
        evaluate(ProposedContact(ContactChannel.CALL, sh(3, 10), "zz"), facts, layered(["house-default"]))


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("night_call.json", False),
        ("eighth_call.json", False),
        ("third_party_cn.json", True),
        ("dst_overlap.json", False),
    ],
)
def test_the_shipped_examples(name: str, allowed: bool) -> None:
    sc = load_scenario(EXAMPLES / name)
    d = evaluate(sc.proposed, sc.facts, layered(sc.rulesets), sc.evaluated_at)
    assert d.allowed is allowed
    json.dumps(d.as_dict(), ensure_ascii=False)  # serialisable
