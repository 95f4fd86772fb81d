"""The outcome of an import (ImportResult) and its problem report: a CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from arrears.core.errors import FieldProblem, InputRejected

REPORT_COLUMNS = ("file", "row", "field", "value", "reason")
PROBLEMS_KEPT = 1000  # in memory and in responses; the report file has them all
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Defuse formula injection: a cell starting with = + - @ tab or CR gets a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


@dataclass
class ImportResult:
    """What an import did: counts, problems (the first 1000), warnings, the report file."""

    reference: str
    kind: str
    file: str
    encoding: str | None
    rows_total: int = 0
    rows_new: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    problems: list[FieldProblem] = field(default_factory=list)
    problems_total: int = 0
    warnings: list[str] = field(default_factory=list)
    report_path: Path | None = None
    status: str = "committed"  # committed | quarantined | dry_run
    sha256: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (problems as dicts)."""
        return {
            "reference": self.reference,
            "kind": self.kind,
            "file": self.file,
            "encoding": self.encoding,
            "status": self.status,
            "rows_total": self.rows_total,
            "rows_new": self.rows_new,
            "rows_changed": self.rows_changed,
            "rows_unchanged": self.rows_unchanged,
            "rows_rejected": self.rows_rejected,
            "problems_total": self.problems_total,
            "problems": [problem_dict(p) for p in self.problems],
            "warnings": self.warnings,
            "report_path": str(self.report_path) if self.report_path else None,
            "sha256": self.sha256,
        }


def problem_dict(p: FieldProblem) -> dict[str, Any]:
    """A FieldProblem as a plain dict."""
    return {"file": p.file, "row": p.row, "field": p.field, "value": p.value, "reason": p.reason}


class ImportRejected(InputRejected):
    """An import refused as a whole (nothing written); carries the report path and the counts."""

    def __init__(self, message: str, problems: list[FieldProblem], result: ImportResult) -> None:
        super().__init__(message, problems)
        self.result = result

    @property
    def report_path(self) -> Path | None:
        """Where the full list of problems was written."""
        return self.result.report_path


class ReportWriter:
    """Streams problems to a CSV report (UTF-8 with BOM so Excel shows Chinese), opened on first use."""

    def __init__(self, path: Path | None, always: bool = False) -> None:
        self.path = path
        self.count = 0
        self.kept: list[FieldProblem] = []
        self._fh: IO[str] | None = None
        self._writer: Any = None
        if always and path is not None:
            self._open()

    def _open(self) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._fh)
        self._writer.writerow(REPORT_COLUMNS)

    def add(self, problems: list[FieldProblem]) -> None:
        """Record problems: all go to the file, the first PROBLEMS_KEPT stay in memory."""
        for p in problems:
            self.count += 1
            if len(self.kept) < PROBLEMS_KEPT:
                self.kept.append(p)
            if self.path is None:
                continue
            if self._writer is None:
                self._open()
            self._writer.writerow(
                [
                    spreadsheet_safe(p.file),
                    p.row,
                    spreadsheet_safe(p.field),
                    spreadsheet_safe(p.value),
                    spreadsheet_safe(p.reason),
                ]
            )

    def close(self) -> Path | None:
        """Finish the file; returns its path when one was written."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            return self.path
        return None
