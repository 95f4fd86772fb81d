"""Showing report figures: formats, the plain significance statement, CSV/XLSX exports and chart options."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from arrears.reporting import charts, exports, present, rules
from arrears.reporting.model import (
    ArmComparison,
    ArmReport,
    Dimension,
    Filters,
    Interval,
    KpiTable,
    Method,
    Period,
    TrendPoint,
)

KPI = rules.KPI_BY_KEY
PERIOD = Period(date(2026, 3, 1), date(2026, 3, 31))


def _row(group: str, label: str, **measures: int) -> rules.KpiRow:
    return rules.kpi_row(group, label, measures, "CNY")


def test_values_are_shown_in_their_unit() -> None:
    assert present.format_value(KPI["rpc_rate"], Decimal("0.253333"), None) == "25.3%"
    assert present.format_value(KPI["average_payment"], Decimal("7000.5"), "CNY") == "CNY 7,000.50"
    assert present.format_value(KPI["collected_per_hour"], Decimal("812"), "CNY") == "CNY 812.00 per hour"
    assert (
        present.format_value(KPI["collected_per_hour"], Decimal("812"), "CNY", "zh-CN") == "每小时 CNY 812.00"
    )
    assert present.format_value(KPI["kept_per_hour"], Decimal("1.25"), None) == "1.25 per hour"
    assert present.format_value(KPI["calls_per_recovery"], Decimal("124.96"), None) == "125.0"
    assert present.format_value(KPI["rpc_rate"], None, None) == "—"


def test_differences_are_signed() -> None:
    assert present.format_difference(KPI["rpc_rate"], Decimal("0.021"), None) == "+2.1 percentage points"
    assert present.format_difference(KPI["average_payment"], Decimal("-12.3"), "CNY") == "-CNY 12.30"
    assert present.format_difference(KPI["kept_per_hour"], Decimal("0"), None) == "±0.00"


def _comparison(verdict: str, interval: Interval | None) -> tuple[str, str]:
    kpi = KPI["rpc_rate"]
    a = rules.kpi_value(kpi, {"rpc": 30, "attempts": 100}, "CNY")
    b = rules.kpi_value(kpi, {"rpc": 20, "attempts": 100}, "CNY")
    en = present.statement(kpi, "B", "A", a, b, interval, verdict, "en")
    zh = present.statement(kpi, "B", "A", a, b, interval, verdict, "zh-CN")
    return en, zh


def test_statement_says_plainly_whether_it_is_significant() -> None:
    interval = Interval(Decimal("0.1"), Decimal("0.021"), Decimal("0.178"), Decimal("0.95"), Method.NEWCOMBE)
    en, zh = _comparison("better", interval)
    assert en == (
        "B is significantly better than A on Right-party contact rate: 30.0% against 20.0%, a "
        "difference of +10.0 percentage points (95% confidence interval +2.1 to +17.8)."
    )
    assert zh.startswith("B 的本人接通率显著优于 A：30.0% 对 20.0%")
    none_en, _ = _comparison(
        "no_difference",
        Interval(Decimal("0.1"), Decimal("-0.02"), Decimal("0.2"), Decimal("0.95"), Method.NEWCOMBE),
    )
    assert "No significant difference" in none_en and "includes zero" in none_en
    little, little_zh = _comparison("not_enough_data", None)
    assert little == "Not enough data to compare B with A on Right-party contact rate."
    assert little_zh == "数据不足，无法比较 B 与 A 的本人接通率。"


def _table() -> KpiTable:
    rows = [
        _row(
            "1",
            '=HYPERLINK("http://x")',
            attempts=100,
            answered=40,
            rpc=25,
            payments=2,
            collected_minor=1_400_000,
            collector_ms=7_200_000,
            paying_accounts=2,
        ),
        _row("", "Unassigned", attempts=10),
    ]
    total = _row(
        "",
        "Total",
        attempts=110,
        answered=40,
        rpc=25,
        payments=2,
        collected_minor=1_400_000,
        collector_ms=7_200_000,
        paying_accounts=2,
    )
    return KpiTable(PERIOD, Dimension.TEAM, "CNY", Filters(), rows, total, None)


def test_csv_export_is_formula_safe_with_a_bom_and_percentages() -> None:
    content = exports.to_csv(exports.kpi_sheet(_table(), "en"))
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    header, first, unassigned, total = rows
    assert header[0] == "Team" and "Connect rate (%)" in header
    assert first[0] == '\'=HYPERLINK("http://x")'  # defused
    assert first[header.index("Connect rate (%)")] == "40.00"
    assert first[header.index("Average payment (CNY)")] == "7000.00"
    assert first[header.index("Collector hours")] == "2.0000"
    assert unassigned[0] == "Unassigned" and total[0] == "Total"
    assert unassigned[header.index("Connect rate (%)")] == "0.00"


def test_csv_headers_in_chinese() -> None:
    content = exports.to_csv(exports.kpi_sheet(_table(), "zh-CN"))
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert header[0] == "团队" and "接通率 (%)" in header and "未分配" in content.decode("utf-8-sig")


def test_xlsx_export_types_numbers_and_defuses_text() -> None:
    content = exports.to_xlsx([exports.kpi_sheet(_table(), "en")])
    ws = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in ws[1]]
    col = header.index("Connect rate") + 1
    assert ws.cell(2, 1).value == '\'=HYPERLINK("http://x")'
    assert ws.cell(2, col).value == 0.4 and ws.cell(2, col).number_format == "0.0%"
    assert ws.cell(2, header.index("Attempts") + 1).value == 100
    assert ws.cell(4, 1).value == "Total"


def test_render_refuses_unknown_formats() -> None:
    sheet = exports.kpi_sheet(_table(), "en")
    assert exports.render([sheet], "csv")[2] == "csv"
    try:
        exports.render([sheet], "pdf")
    except ValueError as exc:
        assert "pdf" in str(exc)
    else:
        raise AssertionError("pdf accepted")


def test_arm_sheets_carry_the_statements() -> None:
    a = _row("A", "A", attempts=100, rpc=20)
    b = _row("B", "B", attempts=100, rpc=30)
    interval = Interval(Decimal("0.1"), Decimal("0.02"), Decimal("0.18"), Decimal("0.95"), Method.NEWCOMBE)
    comparison = ArmComparison(
        "rpc_rate", "A", "B", a.kpis["rpc_rate"], b.kpis["rpc_rate"], interval, "better", "B is better"
    )
    sheets = exports.arm_sheets(ArmReport("exp1", PERIOD, "CNY", "A", [a, b], [comparison]), "en")
    assert [s.title for s in sheets] == ["Arms", "Champion vs challenger"]
    assert sheets[1].rows[0][:4] == ["Right-party contact rate", "A", "B", Decimal("0.1")]
    assert sheets[1].rows[0][-2:] == ["Significantly better", "B is better"]


def test_chart_options() -> None:
    points = [
        TrendPoint(date(2026, 3, d), _row(f"{d}", f"{d}", attempts=10, answered=d, collected_minor=100 * d))
        for d in (1, 2)
    ]
    trend = charts.trend(points, "CNY", "en")
    series = {s["name"]: s for s in trend["series"]}
    assert series["Connect rate"]["data"] == [10.0, 20.0]
    assert series["Amount collected"]["data"] == [1.0, 2.0] and series["Amount collected"]["yAxisIndex"] == 1
    assert trend["xAxis"]["data"] == ["2026-03-01", "2026-03-02"]
    rows = rules.roll_rows(
        [(date(2026, 2, 1), "M1", "M2", 3), (date(2026, 2, 1), "M1", "M0", 1)], ("M0", "M1", "M2")
    )
    flows = charts.bucket_flows(rows, date(2026, 2, 1), "en")["series"][0]
    assert {(link["source"], link["target"], link["value"]) for link in flows["links"]} == {
        ("M1 2026-02", "M2 2026-03", 3),
        ("M1 2026-02", "M0 2026-03", 1),
    }
    assert charts.bucket_flows(rows, None)["series"][0]["links"] == []
    funnel = charts.funnel(rules.funnel({"attempts": 5, "answered": 3}), "zh-CN")["series"][0]
    assert funnel["data"][0] == {"name": "拨打次数", "value": 5}
