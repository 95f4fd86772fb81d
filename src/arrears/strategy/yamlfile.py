"""Reading a YAML configuration file with a key-path -> line map, and checking its values one by one.

Every problem is collected with the file, the key path and the line (`Problems`), so a bad file is
refused once with every reason, never half-loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import yaml

from arrears.compliance.zones import parse_hhmm
from arrears.core.errors import FieldProblem, InputRejected
from arrears.strategy.model import Channel, Window

T = TypeVar("T")


class Problems:
    """Errors (with file, key path and line) and warnings found in one treatment file."""

    def __init__(self, file: str, lines: dict[str, int]) -> None:
        self.file = file
        self.lines = lines
        self.errors: list[FieldProblem] = []
        self.warnings: list[str] = []

    def line(self, path: str) -> int:
        """The line of a key path (or of its nearest parent) in the file; 0 when unknown."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rsplit(".", 1)[0] if "." in path else (path.rsplit("[", 1)[0] if "[" in path else "")
        return 0

    def add(self, path: str, value: Any, reason: str) -> None:
        """Record an error at a key path."""
        shown = value if isinstance(value, str) else repr(value)
        self.errors.append(FieldProblem(self.line(path), path or "(top)", shown, reason, self.file))

    def warn(self, path: str, reason: str) -> None:
        """Record a warning at a key path."""
        line = self.line(path)
        where = f"line {line}, " if line else ""
        self.warnings.append(f"{where}{path}: {reason}")

    def raise_if_any(self) -> None:
        """Reject the whole file when any error was found."""
        if self.errors:
            first = self.errors[0]
            where = f"line {first.row}, " if first.row else ""
            raise InputRejected(
                f"treatment file {self.file} rejected ({len(self.errors)} problem(s); nothing loaded, the "
                f"version in force stays in force): {where}{first.field}: {first.reason}",
                self.errors,
            )


def _line_map(node: yaml.Node, path: str, out: dict[str, int], dupes: list[str]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            k = str(key.value)
            child = f"{path}.{k}" if path else k
            if k in seen:
                dupes.append(child)
            seen.add(k)
            out[child] = key.start_mark.line + 1
            _line_map(value, child, out, dupes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, f"{path}[{i}]", out, dupes)


def read_text(text: str, file: str) -> tuple[Any, Problems]:
    """Parse YAML text with a key-path -> line map; a syntax error or a duplicate key rejects it."""
    problems = Problems(file, {})
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        reason = str(getattr(exc, "problem", None) or exc)
        raise InputRejected(
            f"treatment file {file} is not valid YAML (line {line}: {reason}); nothing loaded",
            [FieldProblem(line, "(syntax)", "", reason, file)],
        ) from None
    dupes: list[str] = []
    if node is not None:
        _line_map(node, "", problems.lines, dupes)
    for key_path in dupes:
        problems.add(key_path, key_path.rsplit(".", 1)[-1], "duplicate key")
    return data, problems


def unknown_keys(raw: dict[str, Any], allowed: set[str], path: str, problems: Problems) -> None:
    for key in sorted(set(raw) - allowed, key=str):
        problems.add(
            f"{path}.{key}" if path else str(key), key, f"unknown key; allowed: {', '.join(sorted(allowed))}"
        )


def mapping_of(raw: Any, path: str, problems: Problems, what: str) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(path, raw, f"must be a mapping ({what})")
        return {}
    return raw


def whole(raw: Any, path: str, problems: Problems, low: int, high: int, default: int) -> int:
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        problems.add(path, raw, f"must be a whole number {low}..{high}")
        return default
    return raw


def choices_of(
    raw: Any, allowed: Sequence[str], path: str, problems: Problems, what: str
) -> frozenset[str] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        problems.add(path, raw, f"must be a non-empty list of {what}: {', '.join(allowed)}")
        return None
    for i, value in enumerate(raw):
        if value not in allowed:
            problems.add(f"{path}[{i}]", value, f"unknown {what} {value!r}; known: {', '.join(allowed)}")
    return frozenset(str(v) for v in raw)


def window_of(raw: Any, path: str, problems: Problems, default: Window) -> Window:
    if raw is None:
        return default
    try:
        start_text, end_text = str(raw).split("-")
        start, end = parse_hhmm(start_text.strip()), parse_hhmm(end_text.strip())
    except ValueError:
        problems.add(path, raw, "must be a local time window 'HH:MM-HH:MM', e.g. '09:00-20:00'")
        return default
    if end - start < 60:
        problems.add(path, raw, "must start before it ends and hold at least one whole hour")
        return default
    return Window(start, end)


def channel_of(raw: Any, path: str, problems: Problems, default: Channel) -> Channel:
    if raw is None:
        return default
    try:
        return Channel(raw)
    except ValueError:
        problems.add(path, raw, f"unknown channel; known: {', '.join(c.value for c in Channel)}")
        return default


def list_of(raw: Any, path: str, problems: Problems, what: str, required: bool) -> list[Any]:
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or (required and not raw):
        problems.add(path, raw, f"must be a {'non-empty ' if required else ''}list of {what}")
        return []
    return raw


def each_of(raw: list[Any], path: str, fn: Callable[[Any, str], T | None]) -> list[T]:
    out = [fn(item, f"{path}[{i}]") for i, item in enumerate(raw)]
    return [x for x in out if x is not None]
