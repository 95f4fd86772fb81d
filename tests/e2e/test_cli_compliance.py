"""`arrears compliance check|rulesets` through Typer's CliRunner on the compliance app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from arrears.compliance.cli import compliance_app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "compliance"
runner = CliRunner()


def err(result: object) -> str:
    """stderr with Rich's wrapping undone, both ways (wrapped at a space, or a long word folded)."""
    text = result.stderr  # type: ignore[attr-defined]
    return " ".join(text.split()) + " || " + text.replace("\n", "")


def test_check_a_denied_example_prints_the_decision_and_exits_1() -> None:
    result = runner.invoke(
        compliance_app, ["check", "--ruleset", "cn-gbt45251", str(EXAMPLES / "night_call.json")]
    )
    assert result.exit_code == 1, result.output
    decision = json.loads(result.stdout)
    assert decision["allowed"] is False
    assert decision["earliest_allowed"] == "2026-03-03T00:00:00+00:00"  # 08:00 in Shanghai
    assert decision["earliest_allowed_local"]["Asia/Shanghai"] == "2026-03-03T08:00:00+08:00"
    hit = decision["fired"][0]
    assert hit["rule_id"] == "cn.night" and hit["reason_zh"] and hit["reason_en"] and hit["source"]
    assert decision["rulesets"] == [{"name": "cn-gbt45251", "version": "2025.1"}]
    assert "cn.daily_dials" in decision["checked"]


def test_check_an_allowed_example_exits_0_with_the_script_mode() -> None:
    result = runner.invoke(compliance_app, ["check", str(EXAMPLES / "third_party_cn.json")])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["allowed"] is True
    assert decision["script_mode"] == "third_party_no_disclosure"


def test_layering_from_the_command_line() -> None:
    result = runner.invoke(
        compliance_app, ["check", "-r", "us-regf", "-r", "house-default", str(EXAMPLES / "eighth_call.json")]
    )
    decision = json.loads(result.stdout)
    assert {h["rule_id"] for h in decision["fired"]} == {"regf.call_frequency", "house.unreachable_retry"}
    assert decision["earliest_allowed"] == "2026-04-10T14:00:00+00:00"


def test_a_changed_rule_file_can_be_tried_before_release(tmp_path: Path) -> None:
    src = (
        Path(__file__).resolve().parents[2] / "src/arrears/compliance/rulesets/cn-gbt45251.yaml"
    ).read_text()
    trial = tmp_path / "cn-trial.yaml"
    trial.write_text(
        src.replace("name: cn-gbt45251", "name: cn-trial").replace('end: "22:00"', 'end: "22:30"')
    )
    result = runner.invoke(
        compliance_app, ["check", "--ruleset", str(trial), str(EXAMPLES / "night_call.json")]
    )
    assert result.exit_code == 0, result.output


def test_bad_scenario_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    bad = json.loads((EXAMPLES / "night_call.json").read_text())
    bad["history"][0]["at"] = "2026-03-02T10:15:00"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    result = runner.invoke(compliance_app, ["check", str(path)])
    assert result.exit_code == 2
    assert "history[0].at" in err(result) and "naive timestamp" in err(result)
    assert result.stdout == ""


def test_unknown_rule_set_and_missing_rule_set_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(compliance_app, ["check", "-r", "mars", str(EXAMPLES / "night_call.json")])
    assert result.exit_code == 2 and "unknown rule set 'mars'" in err(result)
    data = json.loads((EXAMPLES / "night_call.json").read_text())
    del data["rulesets"]
    path = tmp_path / "none.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(compliance_app, ["check", str(path)])
    assert result.exit_code == 2 and "pass --ruleset NAME" in err(result)


def test_bad_rule_file_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    trial = tmp_path / "broken.yaml"
    trial.write_text(
        "name: broken\nversion: 1\nrules:\n  - id: b.x\n    type: time_window\n    source: x\n"
        "    params: {start: '8'}\n    reasons: {deny: {zh: a, en: b}}\n"
    )
    result = runner.invoke(compliance_app, ["check", "-r", str(trial), str(EXAMPLES / "night_call.json")])
    assert result.exit_code == 2
    assert "broken.yaml" in err(result) and "rules[0].params.start" in err(result)


def test_rulesets_lists_names_and_versions(tmp_path: Path) -> None:
    result = runner.invoke(compliance_app, ["rulesets", "--json"])
    assert result.exit_code == 0, result.output
    listed = {r["name"]: r["version"] for r in json.loads(result.stdout)["rulesets"]}
    assert listed == {"cn-gbt45251": "2025.1", "house-default": "2026.1", "us-regf": "2021.11.30-1"}
    (tmp_path / "selection.yaml").write_text("selections: []\n")
    (tmp_path / "oops.yaml").write_text("name: oops\n")
    result = runner.invoke(compliance_app, ["rulesets", "--rulesets-dir", str(tmp_path)])
    assert result.exit_code == 2 and "oops.yaml" in err(result)
