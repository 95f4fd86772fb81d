"""Lexicon files: validation names the file and rule, a broken set never half-loads, extra dirs extend."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from arrears.compliance.language.detector import check_text
from arrears.compliance.language.lexicon import BUILTIN_DIR, LexiconError, load_lexicons
from arrears.core.errors import ConfigError

GOOD = """
category: threat
rules:
  - id: LC-LOCAL-001
    severity: high
    lang: zh
    message: {zh: 本地规则, en: Local rule}
    patterns:
      - terms: [本地威胁词]
"""


def write(tmp_path: Path, name: str, body: str) -> Path:
    (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path


def problems_of(tmp_path: Path) -> list[str]:
    with pytest.raises(LexiconError) as info:
        load_lexicons([tmp_path])
    assert isinstance(info.value, ConfigError) and info.value.status_code == 422
    return info.value.problems


def test_the_shipped_lexicons_load() -> None:
    lex = load_lexicons()
    assert len(lex.rules) >= 40
    assert lex.opt_out is not None and lex.negation and set(lex.speakers) == {"agent", "debtor"}
    assert len({r.id for r in lex.rules}) == len(lex.rules)


def test_loading_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    write(tmp_path, "local.yaml", GOOD)
    first = load_lexicons([tmp_path])
    assert load_lexicons([tmp_path]) is first
    path = tmp_path / "local.yaml"
    path.write_text(GOOD.replace("本地威胁词", "另一个词"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_lexicons([tmp_path])
    assert second is not first
    assert check_text("另一个词", lexicons=second)[0].rule_id == "LC-LOCAL-001"


def test_an_extra_directory_adds_rules_a_compliance_officer_wrote(tmp_path: Path) -> None:
    write(tmp_path, "local.yaml", GOOD)
    found = check_text("他说了本地威胁词。", lexicon_dirs=(tmp_path,))
    assert [(f.rule_id, f.matched) for f in found] == [("LC-LOCAL-001", "本地威胁词")]
    assert check_text("他说了本地威胁词。") == []


def test_a_traditional_term_in_a_lexicon_matches_simplified_text(tmp_path: Path) -> None:
    write(tmp_path, "local.yaml", GOOD.replace("本地威胁词", "還錢給我"))
    assert check_text("快还钱给我", lexicon_dirs=(tmp_path,))[0].matched == "还钱给我"


def test_a_bad_regex_is_reported_with_file_and_rule_id(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", GOOD.replace("- terms: [本地威胁词]", "- regex: '(unclosed'"))
    [problem] = problems_of(tmp_path)
    assert "bad.yaml" in problem and "LC-LOCAL-001" in problem and "bad regex" in problem


@pytest.mark.parametrize(("change", "expected"), [
    (("severity: high", "severity: high\n    colour: red"), "unknown key(s) ['colour']"),
    (("category: threat", "category: gossip"), "unknown category 'gossip'"),
    (("severity: high", "severity: severe"), "expected high, medium, low or flag"),
    (("id: LC-LOCAL-001", "id: threat-1"), "id must look like LC-THREAT-001"),
    (("lang: zh", "lang: fr"), "expected zh, en or any"),
    (("{zh: 本地规则, en: Local rule}", "{zh: 本地规则}"), "exactly zh and en"),
    (("- terms: [本地威胁词]", "- regex: 'a*'"), "matches empty text"),
    (("- terms: [本地威胁词]", "- near: [[a]]"), "at least two groups"),
    (("- terms: [本地威胁词]", "- near: [[a], [b]]\n        within: 0"), "whole number of characters"),
    (("- terms: [本地威胁词]", "- terms: [a]\n        regex: b"), "exactly one of terms, regex, near"),
    (("severity: high", "severity: flag"), "only debtor-statement categories take severity 'flag'"),
    (("category: threat", "category: attorney"), "needs severity 'flag' and a flag"),
    (("lang: zh", "lang: zh\n    kinds: [letter]"), "expected a list among"),
    (("lang: zh", "lang: zh\n    context: everyone"), "expected one of ['third_party']"),
])
def test_validation_problems_name_the_field(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    write(tmp_path, "local.yaml", GOOD.replace(*change))
    problems = problems_of(tmp_path)
    assert any(expected in p and "local.yaml" in p for p in problems), problems


def test_a_duplicate_id_across_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", GOOD)
    write(tmp_path, "two.yaml", GOOD)
    assert any("duplicate id" in p and "LC-LOCAL-001" in p for p in problems_of(tmp_path))


def test_a_rule_reusing_a_shipped_id_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "local.yaml", GOOD.replace("LC-LOCAL-001", "LC-THREAT-001"))
    assert any("duplicate id" in p for p in problems_of(tmp_path))


def test_a_broken_file_is_never_half_loaded(tmp_path: Path) -> None:
    good_rule = GOOD.split("rules:\n", 1)[1]
    broken = GOOD + good_rule.replace("LC-LOCAL-001", "LC-LOCAL-002").replace("[本地威胁词]", "['re:(']")
    write(tmp_path, "local.yaml", broken)
    problems = problems_of(tmp_path)
    assert len(problems) == 1 and "LC-LOCAL-002" in problems[0]
    # the first, valid rule of the same file is not in force either: the whole set was refused
    with pytest.raises(LexiconError):
        check_text("本地威胁词", lexicon_dirs=(tmp_path,))


def test_unreadable_yaml_and_missing_directories(tmp_path: Path) -> None:
    write(tmp_path, "local.yaml", "rules: [unclosed")
    assert any("local.yaml" in p and "cannot read" in p for p in problems_of(tmp_path))
    with pytest.raises(LexiconError):
        load_lexicons([tmp_path / "missing"])


def test_settings_of_an_extra_directory_are_validated(tmp_path: Path) -> None:
    write(tmp_path, "_settings.yaml", "speakers:\n  judge: [法官]\nvoicemail: {max_chars: many}\n")
    problems = problems_of(tmp_path)
    assert any("unknown role 'judge'" in p for p in problems)
    assert any("voicemail.max_chars" in p for p in problems)


def test_every_shipped_rule_passes_its_own_examples() -> None:
    checked = 0
    for rule in load_lexicons().rules:
        lex = replace(load_lexicons(), rules=(rule,))  # the rule alone: no other rule can shadow it
        kind = sorted(rule.kinds)[0] if rule.kinds else "note"
        for text in rule.examples.get("match", []):
            found = check_text(text, kind=kind, third_party=rule.context == "third_party", lexicons=lex)
            assert rule.id in {f.rule_id for f in found}, (rule.id, text)
            checked += 1
        for text in rule.examples.get("clean", []):
            found = check_text(text, kind=kind, third_party=rule.context == "third_party", lexicons=lex)
            assert rule.id not in {f.rule_id for f in found}, (rule.id, text)
            checked += 1
    assert checked > 80


def test_shipped_files_are_all_in_the_lexicon_directory() -> None:
    names = {p.name for p in BUILTIN_DIR.glob("*.yaml")}
    assert {"threat.yaml", "false_legal.yaml", "debtor_flags.yaml", "_settings.yaml"} <= names
