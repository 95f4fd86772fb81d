"""Rule set files: validated whole with file, key path and line; never half-loaded; selection and layering."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from arrears.compliance import rulesets
from arrears.compliance.rulesets import RULESETS_DIR, UnknownRuleSet, get, layered
from arrears.core.errors import InputRejected

GOOD = """\
name: trial
version: "1"
kind: house
rules:
  - id: trial.hours
    type: time_window
    source: "House policy"
    params: {start: "10:00", end: "18:00"}
    reasons:
      deny: {zh: "当地时间 {local} 不在 {start}-{end}", en: "Local time {local} outside {start}-{end}"}
  - id: trial.status
    type: contact_status
    source: "House policy"
    reasons:
      deny: {zh: "状态 {status}", en: "status {status}"}
"""


def write(tmp: Path, text: str, name: str = "trial.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected(path: Path) -> InputRejected:
    with pytest.raises(InputRejected) as info:
        rulesets.load_file(path)
    return info.value


def test_shipped_rule_sets_load_with_versions_and_sources() -> None:
    assert rulesets.names() == ["cn-gbt45251", "house-default", "us-regf"]
    for name in rulesets.names():
        rs = get(name)
        assert rs.name == name and rs.version
        assert all(r.source and r.reasons for r in rs.rules)
    regf = {r.id: r.source for r in get("us-regf").rules}
    assert regf["regf.call_frequency"].startswith("12 CFR 1006.14(b)(2)(i)(A)")
    assert regf["regf.time_window"].startswith("12 CFR 1006.6(b)(1)(i)")


def test_unknown_rule_set_names_the_known_ones() -> None:
    with pytest.raises(UnknownRuleSet, match="unknown rule set 'eu-gdpr'; known: cn-gbt45251, house-default"):
        get("eu-gdpr")
    with pytest.raises(UnknownRuleSet):
        get("selection")
    with pytest.raises(UnknownRuleSet, match="does not exist"):
        get("/nowhere/x.yaml")


def test_a_good_file_by_path(tmp_path: Path) -> None:
    rs = get(str(write(tmp_path, GOOD)))
    assert [r.id for r in rs.rules] == ["trial.hours", "trial.status"]


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    exc = rejected(
        write(tmp_path, GOOD.replace('source: "House policy"\n    params', 'source: "House\n    params', 1))
    )
    assert "trial.yaml is not valid YAML (line" in str(exc) and "nothing loaded" in str(exc)


def test_bad_parameter_names_the_key_path_and_line(tmp_path: Path) -> None:
    exc = rejected(write(tmp_path, GOOD.replace('"10:00"', '"25:00"')))
    assert "line 8, rules[0].params.start" in str(exc)
    assert "'25:00' is not a time of day" in str(exc)
    assert exc.problems[0].file.endswith("trial.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("type: contact_status", "type: contact_stat"), "rules[1].type: unknown rule type"),
        (('{status}"}\n', '{state}"}\n'), "rules[1].reasons.deny.en: unknown placeholder(s) {state}"),
        (("id: trial.status", "id: trial.hours"), "rules[1].id: duplicate rule id"),
        (('version: "1"\n', ""), "version: required"),
        (("kind: house", "kind: law"), "kind: must be 'regulation' or 'house'"),
        (
            ('params: {start: "10:00", end: "18:00"}', 'params: {start: "10:00", finish: "18:00"}'),
            "rules[0].params.finish: Extra inputs are not permitted",
        ),
        (
            ('    reasons:\n      deny: {zh: "状态', '    reasons:\n      refuse: {zh: "状态'),
            "rules[1].reasons.refuse: unknown",
        ),
        (
            ('    source: "House policy"\n    reasons', '    source: ""\n    reasons'),
            "rules[1].source: must cite",
        ),
        (("name: trial", "name: trial\nname: again"), "name: duplicate key"),
    ],
)
def test_each_kind_of_mistake_is_named(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    exc = rejected(write(tmp_path, GOOD.replace(*change, 1)))
    assert message in " | ".join(f"{p.field}: {p.reason}" for p in exc.problems) or message in str(exc)


def test_a_file_with_one_bad_rule_is_never_half_loaded(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    assert len(rulesets.load_file(path).rules) == 2
    bad = GOOD.replace("type: contact_status", "type: no_such_rule")
    path.write_text(bad, encoding="utf-8")
    os.utime(path, ns=(1, 10**18))  # a new modification time, as an edit would make
    exc = rejected(path)  # the old good version is not served, and nothing of the new one is used
    assert "nothing loaded" in str(exc)
    path.write_text(GOOD, encoding="utf-8")
    os.utime(path, ns=(1, 2 * 10**18))
    assert len(rulesets.load_file(path).rules) == 2


def test_a_file_name_and_declared_name_must_agree(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "other.yaml")
    with pytest.raises(InputRejected, match="declares name 'trial'"):
        get("other", tmp_path)


def test_layering_refuses_colliding_rule_ids(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("trial.hours", "house.hours"))
    with pytest.raises(InputRejected, match="'house.hours' is in both"):
        layered(["house-default", str(tmp_path / "trial.yaml")])


def test_selection_by_jurisdiction_product_and_collector_type(tmp_path: Path) -> None:
    assert [r.name for r in rulesets.for_account("CN", ["credit_card"], "in_house")] == [
        "cn-gbt45251",
        "house-default",
    ]
    assert [r.name for r in rulesets.for_account("CN", ["business_receivable"], "in_house")] == [
        "house-default"
    ]
    assert [
        r.name for r in rulesets.for_account("US", ["business_receivable", "consumer_loan"], "agency")
    ] == ["us-regf", "house-default"]  # the union, the regulation first
    assert [r.name for r in rulesets.for_account("DE", [], "in_house")] == ["house-default"]
    for name in ("cn-gbt45251.yaml", "house-default.yaml", "us-regf.yaml"):
        shutil.copy(RULESETS_DIR / name, tmp_path / name)
    (tmp_path / "selection.yaml").write_text(
        "selections:\n  - match: {}\n    rulesets: [house-default]\n"
        "  - match: {jurisdiction: CN, collector_type: agency}\n    rulesets: [cn-gbt45251, house-default]\n"
    )
    assert [r.name for r in rulesets.for_account("CN", ["credit_card"], "in_house", tmp_path)] == [
        "house-default"
    ]
    assert len(rulesets.for_account("CN", ["credit_card"], "agency", tmp_path)) == 2
    (tmp_path / "selection.yaml").write_text("selections:\n  - match: {country: CN}\n    rulesets: [nope]\n")
    with pytest.raises(InputRejected, match=r"selections\[0\].match"):
        rulesets.for_account("CN", [], "agency", tmp_path)
