"""Row validation common to every kind, done a batch at a time and column by column.

A batch of rows is transposed into columns; each field's parser runs down its column (through a
cache for low-cardinality columns such as dates, products and currencies), so the per-cell work is a
dictionary lookup or one fast-path parse. Problems are collected per row position; the kind-specific
code then checks each row across fields and builds the normalised records.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from arrears.core.errors import FieldProblem
from arrears.portfolio.importing.columns import ColumnParser
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.portfolio.importing.values import BadValue, as_text

Parser = Callable[[Any], Any]
_CACHE_LIMIT = 100_000


class _Bad:
    """A parse failure kept in a column cache: the reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


@dataclass(frozen=True)
class FieldSpec:
    """How one canonical field is read: its parser, and whether repeated values are worth caching."""

    name: str
    parse: Parser | None  # None: keep the raw cells (parsed later with other fields, e.g. amounts)
    cached: bool = False
    column: ColumnParser | None = None  # a fast path for a whole plain column


@dataclass
class Parsed:
    """One parsed batch: row numbers, the raw rows, a value column per field, problems per position."""

    numbers: list[int]
    rows: list[list[Any]]
    columns: dict[str, list[Any]]
    problems: dict[int, list[FieldProblem]] = field(default_factory=dict)
    file: str = ""
    raw_columns: dict[str, Sequence[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.numbers)

    def col(self, name: str) -> list[Any]:
        """The parsed values of a field (None where empty or absent)."""
        found = self.columns.get(name)
        return found if found is not None else [None] * len(self.numbers)

    def raw(self, name: str, pos: int) -> str:
        """The cell text of a field at a position ('' when the column is absent)."""
        column = self.raw_columns.get(name)
        return as_text(column[pos]) if column is not None else ""

    def problem(self, pos: int, name: str, reason: str, value: str | None = None) -> None:
        """Record a problem with one field of the row at `pos` (the raw cell is shown unless given)."""
        shown = self.raw(name, pos) if value is None else value
        self.problems.setdefault(pos, []).append(
            FieldProblem(self.numbers[pos], name, shown, reason, self.file)
        )

    def failed(self, pos: int, name: str) -> bool:
        """True when the field at `pos` already has a problem."""
        return any(p.field == name for p in self.problems.get(pos, ()))

    def require(self, names: Iterable[str]) -> None:
        """Flag required fields that are empty (and did not already fail for another reason)."""
        for name in names:
            column = self.columns.get(name)
            if column is None and name in self.raw_columns:
                column = [
                    None if c is None or (c.__class__ is str and not c.strip()) else c
                    for c in self.raw_columns[name]
                ]
            for pos, value in enumerate(column if column is not None else self.col(name)):
                if value is None and not self.failed(pos, name):
                    self.problem(pos, name, "required value is empty", "")


def row_hashes(records: Iterable[Sequence[Any]]) -> list[str]:
    """blake2b-128 hex of each normalised record, serialised as a CSV line (None and '' read the same)."""
    lines: list[str] = []
    sink = _Sink(lines)
    csv.writer(sink, lineterminator="\n").writerows(records)
    blake = hashlib.blake2b
    return [blake(line.encode(), digest_size=16).hexdigest() for line in lines]


def row_hash(record: Sequence[Any]) -> str:
    """blake2b-128 hex of one normalised record."""
    return row_hashes([record])[0]


class _Sink:
    """A file-like whose write() is list.append, so csv.writer hands over one string per row."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


class BatchParser:
    """Applies the field parsers of one kind to batches of rows laid out as a ColumnPlan says."""

    def __init__(self, plan: ColumnPlan, specs: list[FieldSpec], file: str) -> None:
        self.file = file
        self.plan = plan
        self.width = len(plan.headers)
        self._steps: list[tuple[str, int, Parser, dict[Any, Any] | None, set[Any], ColumnParser | None]] = []
        self._constant: dict[str, Any] = {}
        self._constant_problems: list[tuple[str, Any, str]] = []
        self._empty_default: dict[str, Any] = {}
        self._raw_only: list[tuple[str, int]] = []
        self._raw_default: dict[str, Any] = {}
        for spec in specs:
            if spec.parse is None:
                if spec.name in plan.index:
                    self._raw_only.append((spec.name, plan.index[spec.name]))
                if spec.name in plan.defaults:
                    self._raw_default[spec.name] = plan.defaults[spec.name]
                continue
            if spec.name in plan.defaults:
                try:
                    parsed = spec.parse(plan.defaults[spec.name])
                except BadValue as exc:
                    self._constant_problems.append(
                        (spec.name, plan.defaults[spec.name], f"mapping default: {exc}")
                    )
                    continue
                target = self._empty_default if spec.name in plan.index else self._constant
                target[spec.name] = parsed
            if spec.name in plan.index:
                self._steps.append(
                    (
                        spec.name,
                        plan.index[spec.name],
                        spec.parse,
                        {} if spec.cached else None,
                        set(),
                        spec.column,
                    )
                )

    def parse(self, numbers: list[int], rows: list[list[Any]]) -> Parsed:
        """Parse every mapped field of a batch; problems are collected, not raised."""
        width = self.width
        rows = [r if len(r) == width else (list(r) + [""] * width)[:width] for r in rows]
        columns = list(zip(*rows, strict=True)) if rows else [()] * width
        out = Parsed(numbers, rows, {}, file=self.file)
        n = len(rows)
        for name, value in self._constant.items():
            out.columns[name] = [value] * n
        for name, index in self._raw_only:
            out.raw_columns[name] = columns[index]
        for name, value in self._raw_default.items():
            column = out.raw_columns.get(name)
            out.raw_columns[name] = (
                [value] * n if column is None else [value if c is None or c == "" else c for c in column]
            )
        for name, index, parse, cache, bad, fast in self._steps:
            raw = columns[index]
            out.raw_columns[name] = raw
            values = fast(raw) if fast is not None else None
            if values is None and cache is not None:
                values = self._cached(name, raw, parse, cache, bad, out)
            elif values is None:
                values = self._plain(name, raw, parse, out)
            if name in self._empty_default:
                default = self._empty_default[name]
                values = [
                    default if v is None and not out.failed(i, name) else v for i, v in enumerate(values)
                ]
            out.columns[name] = values
        for name, raw_value, reason in self._constant_problems:
            for pos in range(n):
                out.problem(pos, name, reason, as_text(raw_value))
        return out

    @staticmethod
    def _cached(
        name: str, raw: Sequence[Any], parse: Parser, cache: dict[Any, Any], bad: set[Any], out: Parsed
    ) -> list[Any]:
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
            bad.clear()
        keys = set(raw)
        for key in keys.difference(cache):
            text = key.strip() if key.__class__ is str else key
            if text is None or text == "":
                cache[key] = None
                continue
            try:
                cache[key] = parse(text)
            except BadValue as exc:
                cache[key] = _Bad(str(exc))
                bad.add(key)
        values = list(map(cache.__getitem__, raw))
        if bad and not bad.isdisjoint(keys):
            for pos, value in enumerate(values):
                if value.__class__ is _Bad:
                    out.problem(pos, name, value.reason)
                    values[pos] = None
        return values

    @staticmethod
    def _plain(name: str, raw: Sequence[Any], parse: Parser, out: Parsed) -> list[Any]:
        values: list[Any] = []
        append = values.append
        for cell in raw:
            if cell is None or cell == "":
                append(None)
                continue
            try:
                append(parse(cell))
            except BadValue as exc:
                if cell.__class__ is str and not cell.strip():
                    append(None)
                    continue
                out.problem(len(values), name, str(exc))
                append(None)
        return values

    def raw_value(self, cells: list[Any], name: str) -> str:
        """The text of one field's cell as the file has it ('' when the column is absent)."""
        return cell_text(self.plan, cells, name)

    def raw_record(self, cells: list[Any]) -> dict[str, str]:
        """The row as header -> text, for the quarantine table."""
        return raw_record(self.plan, cells)


def cell_text(plan: ColumnPlan, cells: list[Any], name: str) -> str:
    """The text of one field's cell as the file has it ('' when the column is absent)."""
    index = plan.index.get(name)
    return as_text(cells[index]) if index is not None and index < len(cells) else ""


def raw_record(plan: ColumnPlan, cells: list[Any]) -> dict[str, str]:
    """A row as header -> text, as the quarantine table keeps it."""
    headers = plan.headers
    return {headers[i] or f"column {i + 1}": as_text(c) for i, c in enumerate(cells) if i < len(headers)}
