"""Rule sets: versioned YAML files, validated whole (never half-loaded), chosen per account and layered.

A file is parsed, every rule checked (type, parameters, sources, reason templates in zh-CN and English),
and only then turned into an immutable RuleSet; any problem rejects the whole file with the file name,
the key path and the line. Loaded files are cached by path, modification time and size.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from arrears.compliance.model import ContactChannel, Party
from arrears.compliance.rulebase import Rule
from arrears.compliance.rules import RULE_TYPES
from arrears.core.errors import FieldProblem, InputRejected, NotFound

RULESETS_DIR = Path(__file__).resolve().parent / "rulesets"
SELECTION = "selection.yaml"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
TOP_KEYS = {"name", "version", "title", "jurisdiction", "kind", "description", "rules"}
RULE_KEYS = {"id", "type", "source", "params", "reasons", "channels", "parties", "description"}
MATCH_KEYS = {"jurisdiction", "product", "collector_type"}


class UnknownRuleSet(NotFound):
    """No rule set of that name."""


@dataclass(frozen=True, slots=True, eq=False)
class RuleSet:
    """A named, versioned, validated list of rules."""

    name: str
    version: str
    title: str
    kind: str  # regulation | house
    jurisdiction: str | None
    description: str
    path: str
    rules: tuple[Rule, ...]

    def summary(self) -> dict[str, Any]:
        """Plain dict for listings."""
        return {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "kind": self.kind,
            "jurisdiction": self.jurisdiction,
            "path": self.path,
            "rules": [{"id": r.id, "type": r.type.name, "source": r.source} for r in self.rules],
        }


class _Problems:
    """Problems found in one file, with line numbers from the YAML node tree."""

    def __init__(self, file: str, lines: dict[str, int]) -> None:
        self.file = file
        self.lines = lines
        self.items: list[FieldProblem] = []

    def add(self, path: str, value: Any, reason: str) -> None:
        """Record one problem at a key path (with its line when known)."""
        shown = value if isinstance(value, str) else repr(value)
        line = self.lines.get(path) or self.lines.get(path.rsplit(".", 1)[0], 0)
        self.items.append(
            FieldProblem(row=line, field=path or "(top)", value=shown, reason=reason, file=self.file)
        )

    def raise_if_any(self, what: str) -> None:
        """Reject the whole file when any problem was found."""
        if self.items:
            first = self.items[0]
            where = f"line {first.row}, " if first.row else ""
            raise InputRejected(
                f"{what} {self.file} rejected ({len(self.items)} problem(s), nothing loaded): "
                f"{where}{first.field}: {first.reason}",
                self.items,
            )


def _line_map(node: yaml.Node, path: str, out: dict[str, int], dupes: list[tuple[str, int]]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            k = str(key.value)
            child = f"{path}.{k}" if path else k
            if k in seen:
                dupes.append((child, key.start_mark.line + 1))
            seen.add(k)
            out[child] = key.start_mark.line + 1
            _line_map(value, child, out, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, f"{path}[{i}]", out, dupes)


def read_yaml(path: Path, what: str) -> tuple[Any, _Problems]:
    """Parse a YAML file with a key-path -> line map; syntax errors and duplicate keys reject it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRejected(f"{what} {path} cannot be read: {exc}") from None
    problems = _Problems(str(path), {})
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise InputRejected(
            f"{what} {path} is not valid YAML ({line}{reason}); nothing loaded",
            [FieldProblem(mark.line + 1 if mark else 0, "(syntax)", "", str(reason), str(path))],
        ) from None
    dupes: list[tuple[str, int]] = []
    if node is not None:
        _line_map(node, "", problems.lines, dupes)
    for key_path, _line in dupes:
        problems.add(key_path, key_path.rsplit(".", 1)[-1], "duplicate key")
    return data, problems


def _template_problem(template: Any, facts: tuple[str, ...]) -> str | None:
    if not isinstance(template, str) or not template.strip():
        return "must be a non-empty text"
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        return f"bad template ({exc}); write literal braces as {{{{ and }}}}"
    unknown = [f for f in fields if f not in facts]
    if unknown:
        usable = ", ".join("{" + f + "}" for f in facts) or "none"
        return f"unknown placeholder(s) {', '.join('{' + f + '}' for f in unknown)}; usable: {usable}"
    return None


def _enum_list(
    raw: Any, enum: type[ContactChannel] | type[Party], path: str, problems: _Problems
) -> frozenset[Any] | None:
    if raw is None:
        return None
    allowed = [e.value for e in enum]
    if not isinstance(raw, list) or not raw or any(v not in allowed for v in raw):
        problems.add(path, raw, f"must be a non-empty list of: {', '.join(allowed)}")
        return None
    return frozenset(enum(v) for v in raw)


def _rule(raw: Any, i: int, problems: _Problems, seen: set[str]) -> Rule | None:
    path = f"rules[{i}]"
    if not isinstance(raw, dict):
        problems.add(path, raw, "must be a mapping with id, type, source, params, reasons")
        return None
    for key in sorted(set(raw) - RULE_KEYS):
        problems.add(f"{path}.{key}", key, f"unknown key; allowed: {', '.join(sorted(RULE_KEYS))}")
    rule_id, type_name, source = raw.get("id"), raw.get("type"), raw.get("source")
    if not isinstance(rule_id, str) or not NAME_RE.match(rule_id):
        problems.add(f"{path}.id", rule_id, "must be a lower-case id such as 'cn.night_window'")
    elif rule_id in seen:
        problems.add(f"{path}.id", rule_id, "duplicate rule id")
    else:
        seen.add(rule_id)
    if not isinstance(source, str) or not source.strip():
        problems.add(f"{path}.source", source, "must cite a regulation and article, or house policy")
    rtype = RULE_TYPES.get(type_name) if isinstance(type_name, str) else None
    if rtype is None:
        problems.add(f"{path}.type", type_name, f"unknown rule type; known: {', '.join(sorted(RULE_TYPES))}")
        return None
    params_raw = raw.get("params") or {}
    params = None
    if not isinstance(params_raw, dict):
        problems.add(f"{path}.params", params_raw, "must be a mapping")
    else:
        try:
            params = rtype.params.model_validate(params_raw)
        except ValidationError as exc:
            for err in exc.errors():
                loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"])
                problems.add(f"{path}.params{loc}", err.get("input"), err["msg"])
    reasons: dict[str, tuple[str, str]] = {}
    given = raw.get("reasons")
    if not isinstance(given, dict):
        problems.add(f"{path}.reasons", given, f"must map {', '.join(rtype.variants)} to zh and en texts")
        given = {}
    for variant in sorted(set(given) - set(rtype.variants)):
        problems.add(
            f"{path}.reasons.{variant}", variant, f"unknown; this type has: {', '.join(rtype.variants)}"
        )
    for variant, facts in rtype.variants.items():
        texts = given.get(variant)
        if not isinstance(texts, dict):
            if given:
                problems.add(f"{path}.reasons.{variant}", texts, "missing: needs zh and en texts")
            continue
        for lang in ("zh", "en"):
            bad = _template_problem(texts.get(lang), facts)
            if bad:
                problems.add(f"{path}.reasons.{variant}.{lang}", texts.get(lang), bad)
        reasons[variant] = (str(texts.get("zh")), str(texts.get("en")))
    channels = _enum_list(raw.get("channels"), ContactChannel, f"{path}.channels", problems)
    parties = _enum_list(raw.get("parties"), Party, f"{path}.parties", problems)
    if params is None or problems.items or not isinstance(rule_id, str) or not isinstance(source, str):
        return None
    return Rule(rule_id, rtype, params, source.strip(), reasons, channels, parties)


def parse_ruleset(data: Any, problems: _Problems, path: Path) -> RuleSet:
    """Validate parsed YAML into a RuleSet, or raise with every problem (nothing half-built)."""
    if not isinstance(data, dict):
        problems.add("", type(data).__name__, "a rule set file must be a mapping with name, version, rules")
        problems.raise_if_any("rule set file")
    for key in sorted(set(data) - TOP_KEYS):
        problems.add(key, key, f"unknown key; allowed: {', '.join(sorted(TOP_KEYS))}")
    name, version, kind = data.get("name"), data.get("version"), data.get("kind", "regulation")
    if not isinstance(name, str) or not NAME_RE.match(name):
        problems.add("name", name, "must be a lower-case name such as 'cn-gbt45251'")
    if not isinstance(version, (str, int, float)) or isinstance(version, bool) or not str(version).strip():
        problems.add("version", version, "required: the rule set's version, e.g. '2025.1'")
    if kind not in ("regulation", "house"):
        problems.add("kind", kind, "must be 'regulation' or 'house'")
    raw_rules = data.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.add("rules", raw_rules, "must be a non-empty list of rules")
    else:
        seen: set[str] = set()
        for i, raw in enumerate(raw_rules):
            rule = _rule(raw, i, problems, seen)
            if rule is not None:
                rules.append(rule)
    problems.raise_if_any("rule set file")
    return RuleSet(
        str(name),
        str(version),
        str(data.get("title") or name),
        str(kind),
        data.get("jurisdiction"),
        str(data.get("description") or ""),
        str(path),
        tuple(rules),
    )


@lru_cache(maxsize=64)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> RuleSet:
    data, problems = read_yaml(Path(path), "rule set file")
    return parse_ruleset(data, problems, Path(path))


def load_file(path: Path | str) -> RuleSet:
    """Load and validate one rule set file (cached while the file is unchanged)."""
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError:
        raise UnknownRuleSet(f"rule set file {path} does not exist") from None
    return _load_cached(str(p), st.st_mtime_ns, st.st_size)


def names(directory: Path = RULESETS_DIR) -> list[str]:
    """The rule set names available in a directory (one file per name)."""
    return sorted(p.stem for p in directory.glob("*.yaml") if p.name != SELECTION)


def get(name: str, directory: Path = RULESETS_DIR, allow_path: bool = True) -> RuleSet:
    """A rule set by name (from the directory) or by path to a YAML file (to try changes before release)."""
    if name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name:
        if not allow_path:
            raise UnknownRuleSet(f"rule set {name!r}: only names of installed rule sets are accepted here")
        return load_file(name)
    path = directory / f"{name}.yaml"
    if not NAME_RE.match(name) or name == Path(SELECTION).stem or not path.is_file():
        raise UnknownRuleSet(f"unknown rule set {name!r}; known: {', '.join(names(directory)) or 'none'}")
    ruleset = load_file(path)
    if ruleset.name != name:
        raise InputRejected(
            f"rule set file {path} declares name {ruleset.name!r}; it must match the file name",
            [FieldProblem(0, "name", ruleset.name, "must equal the file name", str(path))],
        )
    return ruleset


def layered(
    chosen: Iterable[str | RuleSet], directory: Path = RULESETS_DIR, allow_paths: bool = True
) -> tuple[RuleSet, ...]:
    """Rule sets to apply together (regulation first, house on top); rule ids must not collide."""
    out = tuple(c if isinstance(c, RuleSet) else get(c, directory, allow_paths) for c in chosen)
    if not out:
        raise InputRejected("no rule set given")
    seen: dict[str, str] = {}
    for rs in out:
        for rule in rs.rules:
            if rule.id in seen and seen[rule.id] != rs.name:
                raise InputRejected(f"rule id {rule.id!r} is in both {seen[rule.id]} and {rs.name}")
            seen[rule.id] = rs.name
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Selection:
    """Which rule sets apply to an account: the most specific matching entry wins."""

    entries: tuple[tuple[tuple[tuple[str, str], ...], tuple[str, ...]], ...]

    def choose(
        self, jurisdiction: str | None, product: str | None, collector_type: str | None
    ) -> tuple[str, ...]:
        """The rule set names for one account."""
        facts = {"jurisdiction": jurisdiction, "product": product, "collector_type": collector_type}
        best: tuple[int, tuple[str, ...]] | None = None
        for match, chosen in self.entries:
            if all(facts.get(k) == v for k, v in match) and (best is None or len(match) > best[0]):
                best = (len(match), chosen)
        if best is None:
            raise InputRejected(
                f"no rule set selected for jurisdiction={jurisdiction} product={product} "
                f"collector_type={collector_type}; add a default entry to {SELECTION}"
            )
        return best[1]


@lru_cache(maxsize=8)
def _selection_cached(path: str, _mtime_ns: int, _size: int) -> Selection:
    data, problems = read_yaml(Path(path), "selection file")
    entries = data.get("selections") if isinstance(data, dict) else None
    out: list[tuple[tuple[tuple[str, str], ...], tuple[str, ...]]] = []
    if not isinstance(entries, list) or not entries:
        problems.add("selections", entries, "must be a non-empty list of {match, rulesets}")
        problems.raise_if_any("selection file")
    known = set(names(Path(path).parent))
    for i, entry in enumerate(entries):  # type: ignore[arg-type]
        match, chosen = (
            (entry.get("match", {}), entry.get("rulesets")) if isinstance(entry, dict) else (None, None)
        )
        if (
            not isinstance(match, dict)
            or set(match) - MATCH_KEYS
            or not all(isinstance(v, str) for v in match.values())
        ):
            problems.add(
                f"selections[{i}].match", match, f"must map some of {', '.join(sorted(MATCH_KEYS))} to text"
            )
            continue
        if not isinstance(chosen, list) or not chosen or any(c not in known for c in chosen):
            problems.add(
                f"selections[{i}].rulesets", chosen, f"must list known rule sets: {', '.join(sorted(known))}"
            )
            continue
        out.append((tuple(sorted(match.items())), tuple(chosen)))
    problems.raise_if_any("selection file")
    return Selection(tuple(out))


def selection(directory: Path = RULESETS_DIR) -> Selection:
    """The selection table of a rule set directory."""
    p = (directory / SELECTION).resolve()
    st = p.stat()
    return _selection_cached(str(p), st.st_mtime_ns, st.st_size)


def for_account(
    jurisdiction: str | None,
    products: Sequence[str | None],
    collector_type: str | None,
    directory: Path = RULESETS_DIR,
) -> tuple[RuleSet, ...]:
    """The layered rule sets for a debtor's accounts: the union over products, in selection order."""
    sel = selection(directory)
    chosen: list[str] = []
    for product in products or [None]:
        chosen.extend(sel.choose(jurisdiction, product, collector_type))
    sets = layered(dict.fromkeys(chosen), directory)
    return tuple(sorted(sets, key=lambda rs: rs.kind != "regulation"))  # regulations first, house on top
