"""Lexicon files: load, validate and compile the rules (YAML under lexicons/, see README.md).

A set is loaded whole or not at all: every problem in every file is collected, then one LexiconError
names each file, rule id and field. Compiled sets are cached by directory and file modification times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from arrears.compliance.language.model import FLAG_CATEGORIES, FLAGS, Category, Kind, Severity
from arrears.compliance.language.normalise import normalise_pattern
from arrears.core.errors import ConfigError

BUILTIN_DIR = Path(__file__).resolve().parent / "lexicons"
SETTINGS_FILE = "_settings.yaml"
RULE_KEYS = frozenset({"id", "category", "severity", "lang", "message", "patterns", "unless", "negatable",
                       "kinds", "context", "flag", "note", "examples"})
FILE_KEYS = frozenset({"category", "lang", "rules"})
PATTERN_KEYS = frozenset({"terms", "regex", "near", "within", "ordered"})
SETTINGS_KEYS = frozenset({"negation", "opt_out", "speakers", "voicemail"})
LANGS = frozenset({"zh", "en", "any"})
CONTEXTS = frozenset({"third_party"})
ID_RE = re.compile(r"^LC-[A-Z0-9]+(?:-[A-Z0-9]+)*-\d{3}$")
FLAGS_RE = re.IGNORECASE


class LexiconError(ConfigError):
    """A lexicon file is wrong; nothing of the set was loaded."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5]) + (f"; ... and {len(problems) - 5} more" if len(problems) > 5 else "")
        super().__init__(f"lexicon rejected ({len(problems)} problem(s)): {shown}")


@dataclass(frozen=True, slots=True)
class Pattern:
    """One compiled pattern: a single regex (terms, regex) or co-occurring groups (near)."""

    regex: re.Pattern[str] | None
    groups: tuple[re.Pattern[str], ...] = ()
    within: int = 0
    ordered: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One compiled rule."""

    id: str
    category: str
    severity: str
    lang: str
    message_zh: str
    message_en: str
    patterns: tuple[Pattern, ...]
    unless: re.Pattern[str] | None
    negatable: bool
    kinds: frozenset[str] | None
    context: str | None
    flag: str | None
    file: str
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_flag(self) -> bool:
        """True for a debtor-statement rule."""
        return self.category in {c.value for c in FLAG_CATEGORIES}


@dataclass(frozen=True, slots=True)
class Negation:
    """Negation cues for one language: a cue shortly before a match cancels it."""

    cues: re.Pattern[str]
    max_gap: int
    blockers: re.Pattern[str] | None
    words: bool  # gap counted in words (English) rather than characters (Chinese)
    ignore: re.Pattern[str] | None = None  # look negative but are not: A-not-A questions (是不是, 信不信)


@dataclass(frozen=True, slots=True, eq=False)
class LexiconSet:
    """All rules and settings of the loaded lexicon directories."""

    rules: tuple[Rule, ...]
    negation: tuple[Negation, ...]
    opt_out: re.Pattern[str] | None
    speakers: dict[str, re.Pattern[str]]
    voicemail_limit: int
    sources: tuple[str, ...]

    def select(self, kind: str, third_party: bool, language: str | None) -> tuple[Rule, ...]:
        """The rules that apply to a kind of text, a third-party context and a language."""
        return _select(self, kind, third_party, language)


@lru_cache(maxsize=64)
def _select(lex: LexiconSet, kind: str, third_party: bool, language: str | None) -> tuple[Rule, ...]:
    out = []
    for rule in lex.rules:
        if rule.kinds is not None and kind not in rule.kinds:
            continue
        if rule.context == "third_party" and not third_party:
            continue
        if language and rule.lang not in ("any", language):
            continue
        out.append(rule)
    return tuple(out)


def item_regex(item: str) -> str:
    """Regex source for one lexicon item: a literal term, or a regex when it starts with 're:'."""
    if item.startswith("re:"):
        return "(?:" + normalise_pattern(item[3:]) + ")"
    term = normalise_pattern(item.strip())
    source = r"\s+".join(re.escape(part) for part in term.split())
    if term[:1].isascii() and (term[:1].isalnum() or term[:1] == "_"):
        source = r"\b" + source
    if term[-1:].isascii() and (term[-1:].isalnum() or term[-1:] == "_"):
        source = source + r"\b"
    return source


class _Collector:
    """Collects problems with their location."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, reason: str) -> None:
        """Record one problem at a location."""
        self.problems.append(f"{where}: {reason}")

    def items(self, where: str, value: Any) -> re.Pattern[str] | None:
        """Compile a list of items into one alternation, reporting each bad item."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip()
                                                                  for v in value):
            self.add(where, "expected a non-empty list of non-empty strings")
            return None
        sources = []
        for index, item in enumerate(value):
            source = item_regex(item)
            try:
                compiled = re.compile(source, FLAGS_RE)
            except re.error as exc:
                self.add(f"{where}[{index}]", f"bad regex {item!r}: {exc}")
                continue
            if compiled.search("") is not None:
                self.add(f"{where}[{index}]", f"{item!r} matches empty text")
                continue
            sources.append(source)
        if len(sources) != len(value):
            return None
        try:
            return re.compile("|".join(sources), FLAGS_RE)
        except re.error as exc:  # e.g. the same group name in two items
            self.add(where, f"items do not combine into one regex: {exc}")
            return None


def _pattern(col: _Collector, where: str, raw: Any) -> Pattern | None:
    if not isinstance(raw, dict):
        col.add(where, "a pattern must be a mapping with terms, regex or near")
        return None
    unknown = set(raw) - PATTERN_KEYS
    if unknown:
        col.add(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(PATTERN_KEYS)}")
    present = [k for k in ("terms", "regex", "near") if k in raw]
    if len(present) != 1:
        col.add(where, "exactly one of terms, regex, near is required")
        return None
    key = present[0]
    if key == "terms":
        regex = col.items(f"{where}.terms", raw["terms"])
        return Pattern(regex) if regex else None
    if key == "regex":
        value = raw["regex"]
        if not isinstance(value, str) or not value:
            col.add(f"{where}.regex", "expected a non-empty string")
            return None
        regex = col.items(f"{where}.regex", ["re:" + value])
        return Pattern(regex) if regex else None
    groups_raw = raw["near"]
    if not isinstance(groups_raw, list) or len(groups_raw) < 2:
        col.add(f"{where}.near", "expected a list of at least two groups")
        return None
    groups = [col.items(f"{where}.near[{i}]", g) for i, g in enumerate(groups_raw)]
    within = raw.get("within", 12)
    if not isinstance(within, int) or isinstance(within, bool) or not 1 <= within <= 300:
        col.add(f"{where}.within", f"expected a whole number of characters 1..300, got {within!r}")
        return None
    ordered = raw.get("ordered", False)
    if not isinstance(ordered, bool):
        col.add(f"{where}.ordered", "expected true or false")
        return None
    if any(g is None for g in groups):
        return None
    return Pattern(None, tuple(g for g in groups if g is not None), within, ordered)


def _text(col: _Collector, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        col.add(where, "expected a non-empty string")
        return ""
    return value.strip()


def _rule(col: _Collector, file: str, index: int, raw: Any, defaults: dict[str, Any]) -> Rule | None:
    if not isinstance(raw, dict):
        col.add(f"{file}: rules[{index}]", "a rule must be a mapping")
        return None
    rid = raw.get("id")
    where = f"{file}: rule {rid}" if isinstance(rid, str) else f"{file}: rules[{index}]"
    before = len(col.problems)
    unknown = set(raw) - RULE_KEYS
    if unknown:
        col.add(where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(RULE_KEYS)}")
    if not isinstance(rid, str) or not ID_RE.match(rid):
        col.add(where, f"id must look like LC-THREAT-001, got {rid!r}")
    category = raw.get("category", defaults.get("category"))
    if category not in {c.value for c in Category}:
        col.add(f"{where}.category", f"unknown category {category!r}")
    severity = raw.get("severity")
    flag = raw.get("flag")
    is_flag = category in {c.value for c in FLAG_CATEGORIES}
    if severity not in {s.value for s in Severity}:
        col.add(f"{where}.severity", f"expected high, medium, low or flag, got {severity!r}")
    elif is_flag and (severity != Severity.FLAG or flag not in FLAGS):
        col.add(where, f"a debtor-statement rule needs severity 'flag' and a flag among {sorted(FLAGS)}")
    elif not is_flag and (severity == Severity.FLAG or flag is not None):
        col.add(where, "only debtor-statement categories take severity 'flag' and a flag")
    lang = raw.get("lang", defaults.get("lang", "any"))
    if lang not in LANGS:
        col.add(f"{where}.lang", f"expected zh, en or any, got {lang!r}")
    message = raw.get("message")
    if not isinstance(message, dict) or set(message) != {"zh", "en"}:
        col.add(f"{where}.message", "expected a mapping with exactly zh and en")
        message = {}
    zh = _text(col, f"{where}.message.zh", message.get("zh"))
    en = _text(col, f"{where}.message.en", message.get("en"))
    patterns_raw = raw.get("patterns")
    if not isinstance(patterns_raw, list) or not patterns_raw:
        col.add(f"{where}.patterns", "expected a non-empty list")
        patterns_raw = []
    patterns = [_pattern(col, f"{where}.patterns[{i}]", p) for i, p in enumerate(patterns_raw)]
    unless = col.items(f"{where}.unless", raw["unless"]) if "unless" in raw else None
    negatable = raw.get("negatable", True)
    if not isinstance(negatable, bool):
        col.add(f"{where}.negatable", "expected true or false")
    kinds = raw.get("kinds")
    if kinds is not None and (not isinstance(kinds, list) or not set(kinds) <= {k.value for k in Kind}):
        col.add(f"{where}.kinds", f"expected a list among {[k.value for k in Kind]}, got {kinds!r}")
    context = raw.get("context")
    if context is not None and context not in CONTEXTS:
        col.add(f"{where}.context", f"expected one of {sorted(CONTEXTS)}, got {context!r}")
    examples = raw.get("examples", {})
    if not isinstance(examples, dict) or not set(examples) <= {"match", "clean"} or not all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in examples.values()
    ):
        col.add(f"{where}.examples", "expected a mapping with 'match' and/or 'clean' lists of strings")
        examples = {}
    if len(col.problems) != before:
        return None
    return Rule(
        id=rid, category=category, severity=severity, lang=lang, message_zh=zh, message_en=en,  # type: ignore[arg-type]
        patterns=tuple(p for p in patterns if p is not None), unless=unless, negatable=negatable,
        kinds=frozenset(kinds) if kinds else None, context=context, flag=flag, file=file,
        examples={k: list(v) for k, v in examples.items()},
    )


def _read_yaml(col: _Collector, path: Path) -> tuple[bool, Any]:
    try:
        return True, yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        col.add(path.name, f"cannot read: {exc}".replace("\n", " "))
        return False, None


def _settings(col: _Collector, raw_list: list[tuple[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"negation": {}, "opt_out": [], "speakers": {}, "voicemail": {}}
    for name, raw in raw_list:
        if not isinstance(raw, dict):
            col.add(name, "expected a mapping")
            continue
        unknown = set(raw) - SETTINGS_KEYS
        if unknown:
            col.add(name, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(SETTINGS_KEYS)}")
        for lang, spec in (raw.get("negation") or {}).items():
            empty: dict[str, Any] = {"cues": [], "blockers": [], "ignore": [], "max_gap": 0}
            target = merged["negation"].setdefault(lang, empty)
            for key in ("cues", "blockers", "ignore"):
                target[key] += spec.get(key, [])
            target["max_gap"] = max(target["max_gap"], int(spec.get("max_gap", 0)))
        merged["opt_out"] += raw.get("opt_out") or []
        for role, labels in (raw.get("speakers") or {}).items():
            merged["speakers"].setdefault(role, []).extend(labels)
        merged["voicemail"].update(raw.get("voicemail") or {})
    return merged


def _compile_settings(col: _Collector, merged: dict[str, Any]) -> dict[str, Any]:
    negations = []
    for lang, spec in merged["negation"].items():
        longest_first = sorted(spec["cues"], key=len, reverse=True)
        cues = col.items(f"{SETTINGS_FILE}: negation.{lang}.cues", longest_first)
        blockers = col.items(f"{SETTINGS_FILE}: negation.{lang}.blockers", spec["blockers"]) \
            if spec["blockers"] else None
        ignore = (col.items(f"{SETTINGS_FILE}: negation.{lang}.ignore", spec["ignore"])
                  if spec["ignore"] else None)
        if cues is not None:
            negations.append(Negation(cues, spec["max_gap"], blockers, words=lang == "en", ignore=ignore))
    opt_out = col.items(f"{SETTINGS_FILE}: opt_out", merged["opt_out"]) if merged["opt_out"] else None
    speakers = {}
    for role, labels in merged["speakers"].items():
        if role not in ("agent", "debtor"):
            col.add(f"{SETTINGS_FILE}: speakers", f"unknown role {role!r} (agent or debtor)")
            continue
        alternation = col.items(f"{SETTINGS_FILE}: speakers.{role}", labels)
        if alternation is not None:
            speakers[role] = alternation
    limit = merged["voicemail"].get("max_chars", 300)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        col.add(f"{SETTINGS_FILE}: voicemail.max_chars", f"expected a positive whole number, got {limit!r}")
        limit = 300
    return {"negation": tuple(negations), "opt_out": opt_out, "speakers": speakers, "voicemail_limit": limit}


def _files(dirs: Iterable[Path]) -> list[Path]:
    return [p for d in dirs for p in sorted(Path(d).glob("*.yaml"))]


def load_lexicons(extra_dirs: Iterable[Path | str] = ()) -> LexiconSet:
    """The built-in lexicons plus any extra directories, compiled (cached until a file changes)."""
    dirs = (BUILTIN_DIR, *(Path(d).resolve() for d in extra_dirs))
    for d in dirs:
        if not d.is_dir():
            raise LexiconError([f"{d}: not a directory"])
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in _files(dirs))
    return _load(dirs, key)


@lru_cache(maxsize=8)
def _load(dirs: tuple[Path, ...], _key: tuple[tuple[str, int, int], ...]) -> LexiconSet:
    col = _Collector()
    rules: list[Rule] = []
    settings_raw: list[tuple[str, Any]] = []
    for path in _files(dirs):
        ok, raw = _read_yaml(col, path)
        if not ok:
            continue
        if path.name == SETTINGS_FILE:
            settings_raw.append((path.name, raw))
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
            col.add(path.name, "expected a mapping with a 'rules' list")
            continue
        unknown = set(raw) - FILE_KEYS
        if unknown:
            col.add(path.name, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(FILE_KEYS)}")
        defaults = {k: raw[k] for k in ("category", "lang") if k in raw}
        for index, item in enumerate(raw["rules"]):
            rule = _rule(col, path.name, index, item, defaults)
            if rule is not None:
                rules.append(rule)
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            col.add(f"{rule.file}: rule {rule.id}", f"duplicate id (also in {seen[rule.id]})")
        seen.setdefault(rule.id, rule.file)
    try:
        compiled = _compile_settings(col, _settings(col, settings_raw))
    except (AttributeError, TypeError, ValueError) as exc:
        col.add(SETTINGS_FILE, f"malformed settings: {exc}")
        compiled = {}
    if col.problems:
        raise LexiconError(col.problems)
    return LexiconSet(rules=tuple(rules), sources=tuple(str(d) for d in dirs), **compiled)
