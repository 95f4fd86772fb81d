"""Treatment files: the default is valid; bad input is refused whole with file, line, key path and reason."""

from __future__ import annotations

import pytest

from arrears.core.errors import InputRejected
from arrears.strategy.model import Channel, Step
from arrears.strategy.treatments import DEFAULT_FILE, checksum, load_file, parse

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO")
TEXT = DEFAULT_FILE.read_text(encoding="utf-8")


def _refused(text: str) -> InputRejected:
    with pytest.raises(InputRejected) as info:
        parse(text, "bad.yaml", BUCKETS)
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_default_strategy_is_valid_and_complete() -> None:
    strategy, text = load_file(DEFAULT_FILE, BUCKETS)
    assert strategy.label == "default@2026.1"
    assert [p.id for p in strategy.paths] == ["key-account", "early", "early-sms", "standard"]
    assert strategy.paths[-1].match.catch_all
    assert strategy.paths[0].gentle and strategy.paths[0].match.key_account is True
    assert strategy.experiments[0].arm_paths() == {"champion": "early", "challenger": "early-sms"}
    assert strategy.escalation.in_house_max_dpd == 90 and strategy.escalation.write_off_after_dpd == 180
    early = strategy.path("early")
    assert [a.channel for a in early.actions(Step.UNREACHABLE)] == [Channel.CALL]
    assert early.actions(Step.UNREACHABLE)[0].every_days == 3  # from defaults
    assert early.promise.reminder_days_before == 1 and early.promise.followup_every_days == 1
    assert strategy.warnings == ()
    assert checksum(text) == checksum(TEXT) and len(checksum(text)) == 64


def test_unknown_bucket_names_file_line_path_and_reason() -> None:
    bad = TEXT.replace("match: {buckets: [M1]}", "match: {buckets: [M9]}", 1)
    exc = _refused(bad)
    p = exc.problems[0]
    assert p.file == "bad.yaml" and p.field == "paths[1].match.buckets[0]" and p.value == "M9"
    assert "unknown bucket 'M9'" in p.reason and "M1" in p.reason
    assert p.row == _line_of(bad, "buckets: [M9]")
    assert "version in force stays in force" in str(exc)


def test_arm_split_must_add_to_100() -> None:
    exc = _refused(TEXT.replace("percent: 20,", "percent: 10,"))
    assert any(p.field == "experiments[0].arms" and "90%, not 100%" in p.reason for p in exc.problems)


def test_a_cadence_the_policy_can_never_satisfy_is_an_error() -> None:
    bad = TEXT.replace("- {channel: call, every_days: 1}", "- {channel: call, every_days: 1, per_day: 5}")
    exc = _refused(bad)
    p = exc.problems[0]
    assert p.field == "paths[3].steps.contact[0]"
    assert (
        "5 calls a day" in p.reason and "cn.daily_connected" in p.reason and "never be satisfied" in p.reason
    )
    assert p.row == _line_of(bad, "per_day: 5")


def test_hours_outside_the_permitted_window_are_an_error() -> None:
    bad = TEXT.replace(
        '{channel: call, every_days: 7, offset_days: 2, hours: "10:00-17:00"}',
        '{channel: call, every_days: 7, offset_days: 2, hours: "22:00-23:30"}',
    )
    exc = _refused(bad)
    assert any("no whole hour inside the permitted window 09:00-21:00" in p.reason for p in exc.problems)


def test_a_cadence_the_policy_refuses_sometimes_is_a_warning() -> None:
    us = parse(TEXT.replace("jurisdictions: [CN]", "jurisdictions: [US]"), "us.yaml", BUCKETS)
    assert any("regf.conversation" in w and "will be refused" in w for w in us.warnings)
    fast_retry = TEXT.replace("- {channel: call, every_days: 3}", "- {channel: call, every_days: 1}", 1)
    strategy = parse(fast_retry, "retry.yaml", BUCKETS)
    assert any("house.unreachable_retry" in w and "every 3 days" in w for w in strategy.warnings)


def test_frequency_limits_over_days_are_checked() -> None:
    twice = TEXT.replace("- {channel: call, every_days: 1}", "- {channel: call, every_days: 1, per_day: 2}")
    exc = _refused(twice.replace("jurisdictions: [CN]", "jurisdictions: [US]"))
    assert any("14 calls within 7 days" in p.reason for p in exc.problems)


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ("name: default", "name: Default!", "name", "lower-case"),
        ("id: standard", "id: early", "paths[3].id", "duplicate path id"),
        (
            "{channel: sms, every_days: once}",
            "{channel: fax, every_days: once}",
            "paths[1].steps.contact[0].channel",
            "unknown channel",
        ),
        (
            "{channel: sms, every_days: once}",
            "{channel: sms, every_days: 0}",
            "paths[1].steps.contact[0].every_days",
            "whole number 1..365",
        ),
        (
            "{channel: sms, every_days: 3}",
            "{channel: sms, every_days: 3, per_day: 2}",
            "paths[2].steps.contact[0].per_day",
            "only calls",
        ),
        ('hours: "09:00-20:00"', 'hours: "20:00-09:00"', "defaults.hours", "at least one whole hour"),
        ("path: early\n", "path: nowhere\n", "experiments[0].path", "unknown path"),
        (
            "write_off_after_dpd: 180",
            "write_off_after_dpd: 60",
            "escalation.write_off_after_dpd",
            "above in_house_max_dpd",
        ),
        (
            "rebalance_absent_days: 2",
            "rebalance_absent_days: 2\n  colour: blue",
            "allocation.colour",
            "unknown key",
        ),
        ("languages: [en]", "languages: [fr]", "allocation.teams[0].languages[0]", "unknown language"),
    ],
)
def test_bad_values_are_named(old: str, new: str, field: str, reason: str) -> None:
    assert old in TEXT
    exc = _refused(TEXT.replace(old, new, 1))
    assert any(p.field == field and reason in p.reason for p in exc.problems), [
        p.describe() for p in exc.problems
    ]


def test_yaml_syntax_errors_and_duplicate_keys() -> None:
    exc = _refused("name: x\nversion: [unclosed\n")
    assert exc.problems[0].field == "(syntax)" and exc.problems[0].row > 0
    dup = _refused(TEXT.replace("name: default\n", "name: default\nname: again\n", 1))
    assert any(p.field == "name" and p.reason == "duplicate key" for p in dup.problems)
    assert _refused("- just a list").problems[0].reason.startswith("a treatment file must be a mapping")


def test_two_experiments_may_not_split_one_path() -> None:
    extra = (
        TEXT
        + """  - name: second
    path: early
    arms:
      - {arm: a, percent: 50, path: early}
      - {arm: b, percent: 50, path: standard}
"""
    )
    exc = _refused(extra)
    assert any(p.field == "experiments[1].path" and "already splits" in p.reason for p in exc.problems)


def test_path_order_warnings() -> None:
    no_catch_all = TEXT.replace(
        "  - id: standard\n    title:", "  - id: standard\n    match: {buckets: [M2]}\n    title:"
    )
    strategy = parse(no_catch_all, "x.yaml", BUCKETS)
    assert any("no catch-all path" in w for w in strategy.warnings)
    shadowed = TEXT.replace(
        "  - id: key-account\n", "  - id: everyone\n    steps: {contact: []}\n  - id: key-account\n"
    )
    strategy = parse(shadowed, "y.yaml", BUCKETS)
    assert any("never chosen" in w for w in strategy.warnings)
