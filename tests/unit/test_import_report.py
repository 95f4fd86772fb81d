"""The problem report: every problem, CSV safe to open in a spreadsheet (no formula injection)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from arrears.core.errors import FieldProblem
from arrears.portfolio.importing.report import PROBLEMS_KEPT, ImportResult, ReportWriter, spreadsheet_safe


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张三", "张三"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_safe(value: str, safe: str) -> None:
    assert spreadsheet_safe(value) == safe


def test_report_writes_every_problem_and_keeps_the_first_thousand(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "r.csv"
    writer = ReportWriter(path)
    problems = [
        FieldProblem(i, "principal", "=1+1" if i == 2 else str(i), "not a number", "f.csv")
        for i in range(2, PROBLEMS_KEPT + 12)
    ]
    writer.add(problems)
    assert writer.close() == path and writer.count == len(problems) and len(writer.kept) == PROBLEMS_KEPT
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "row", "field", "value", "reason"]
    assert rows[1] == ["f.csv", "2", "principal", "'=1+1", "not a number"] and len(rows) == len(problems) + 1


def test_no_problems_no_report_unless_asked(tmp_path: Path) -> None:
    assert ReportWriter(tmp_path / "a.csv").close() is None
    asked = ReportWriter(tmp_path / "b.csv", always=True)
    assert asked.close() == tmp_path / "b.csv" and (tmp_path / "b.csv").read_text(
        encoding="utf-8-sig"
    ).startswith("file")


def test_result_as_dict() -> None:
    result = ImportResult(
        reference="IMP-X",
        kind="accounts",
        file="a.csv",
        encoding="utf-8",
        rows_total=2,
        problems=[FieldProblem(2, "f", "v", "r", "a.csv")],
    )
    data = result.as_dict()
    assert data["problems"] == [{"file": "a.csv", "row": 2, "field": "f", "value": "v", "reason": "r"}]
    assert data["status"] == "committed" and data["report_path"] is None
