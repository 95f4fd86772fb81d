"""Exports of report tables to CSV and XLSX (openpyxl), in the report's language, formula-safe.

Text cells that a spreadsheet would read as a formula (starting with = + - @ tab or CR) get a leading
apostrophe, as in the import reports; numbers stay numbers (rates as fractions formatted as percent in
XLSX, as percentages with two decimals in CSV).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arrears.core.i18n import gettext
from arrears.core.money import exponent
from arrears.portfolio.importing.report import spreadsheet_safe
from arrears.reporting.model import ArmReport, CohortPoint, KpiKind, KpiRow, KpiTable, RollRow, TrendPoint
from arrears.reporting.present import VERDICT_LABELS, group_label
from arrears.reporting.rules import KPIS, hours_of

TEXT, INT, NUMBER, PERCENT, MONEY = "text", "int", "number", "percent", "money"
FORMATS = ("csv", "xlsx")

#: measure columns shown beside the KPIs: (measure, English header)
MEASURE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("planned", "Accounts planned"),
    ("planned_attempted", "Planned accounts attempted"),
    ("attempts", "Attempts"),
    ("answered", "Answered"),
    ("rpc", "Right-party contacts"),
    ("promises_made", "Promises taken"),
    ("promises_due", "Promises due"),
    ("promises_kept", "Promises kept"),
    ("payments", "Payments"),
    ("paying_accounts", "Accounts that paid"),
)


@dataclass
class Sheet:
    """One table to export: a title, typed column headers and rows of cells."""

    title: str
    headers: list[tuple[str, str]]  # (header text, cell type)
    rows: list[list[Any]] = field(default_factory=list)


def _kpi_type(kind: KpiKind) -> str:
    if kind is KpiKind.RATE:
        return PERCENT
    if kind in (KpiKind.MONEY_PER_COUNT, KpiKind.MONEY_PER_HOUR):
        return MONEY
    return NUMBER


def _row_cells(row: KpiRow) -> list[Any]:
    cells: list[Any] = [row.measures.get(m, 0) for m, _ in MEASURE_COLUMNS]
    cells += [row.kpis["collected_per_hour"].numerator, hours_of(row.measures)]
    cells += [row.kpis[k.key].value for k in KPIS]
    return cells


def _kpi_headers(language: str, currency: str) -> list[tuple[str, str]]:
    t = lambda s: gettext(language, s)  # noqa: E731
    headers = [(t(label), INT) for _, label in MEASURE_COLUMNS]
    headers += [(f"{t('Amount collected')} ({currency})", MONEY), (t("Collector hours"), NUMBER)]
    for k in KPIS:
        suffix = f" ({currency})" if k.kind in (KpiKind.MONEY_PER_COUNT, KpiKind.MONEY_PER_HOUR) else ""
        headers.append((t(k.label) + suffix, _kpi_type(k.kind)))
    return headers


def kpi_sheet(table: KpiTable, language: str = "en", group_header: str | None = None) -> Sheet:
    """A KPI table (by one dimension, with its total line) as a sheet."""
    t = lambda s: gettext(language, s)  # noqa: E731
    first = group_header or (t(table.by.value.capitalize()) if table.by else t("Population"))
    sheet = Sheet(t("KPIs"), [(first, TEXT), *_kpi_headers(language, table.currency)])
    for row in table.rows:
        sheet.rows.append([group_label(table.by, row, language), *_row_cells(row)])
    sheet.rows.append([t("Total"), *_row_cells(table.total)])
    return sheet


def trend_sheet(points: list[TrendPoint], currency: str, language: str = "en") -> Sheet:
    """KPIs per time step as a sheet."""
    t = lambda s: gettext(language, s)  # noqa: E731
    sheet = Sheet(t("Trend"), [(t("From"), TEXT), *_kpi_headers(language, currency)])
    for point in points:
        sheet.rows.append([point.start.isoformat(), *_row_cells(point.row)])
    return sheet


def roll_sheet(rows: list[RollRow], buckets: list[str], language: str = "en") -> Sheet:
    """The roll matrix with roll and cure rates as a sheet."""
    t = lambda s: gettext(language, s)  # noqa: E731
    headers = [(t("Month"), TEXT), (t("From bucket"), TEXT), (t("Accounts"), INT)]
    headers += [(f"→ {b}", INT) for b in buckets]
    headers += [(t("Roll rate"), PERCENT), (t("Cure rate"), PERCENT)]
    sheet = Sheet(t("Roll rates"), headers)
    for r in rows:
        sheet.rows.append(
            [
                r.month.strftime("%Y-%m"),
                r.from_bucket,
                r.accounts,
                *(r.to_buckets.get(b, 0) for b in buckets),
                r.roll_rate,
                r.cure_rate,
            ]
        )
    return sheet


def cohort_sheet(points: list[CohortPoint], currency: str, language: str = "en") -> Sheet:
    """Recovery curves (cumulative) as a sheet."""
    t = lambda s: gettext(language, s)  # noqa: E731
    sheet = Sheet(
        t("Recovery curves"),
        [
            (t("Cohort"), TEXT),
            (t("Months since entry"), INT),
            (t("Accounts"), INT),
            (t("Accounts that paid"), INT),
            (t("Share that paid"), PERCENT),
            (f"{t('Amount collected')} ({currency})", MONEY),
            (f"{t('Collected per account')} ({currency})", MONEY),
        ],
    )
    for p in points:
        sheet.rows.append(
            [
                p.cohort.strftime("%Y-%m"),
                p.months_since,
                p.accounts,
                p.paid_accounts,
                p.paid_share,
                _major(Decimal(p.collected_minor), currency),
                _major(p.collected_per_account_minor, currency),
            ]
        )
    return sheet


def _major(minor: Decimal | None, currency: str) -> Decimal | None:
    if minor is None:
        return None
    places = exponent(currency)
    return minor.scaleb(-places).quantize(Decimal(1).scaleb(-places))


def arm_sheets(report: ArmReport, language: str = "en") -> list[Sheet]:
    """Two sheets: every KPI per arm, and each challenger against the champion."""
    t = lambda s: gettext(language, s)  # noqa: E731
    arms = Sheet(t("Arms"), [(t("Arm"), TEXT), *_kpi_headers(language, report.currency)])
    for row in report.arms:
        arms.rows.append([row.group, *_row_cells(row)])
    tests = Sheet(
        t("Champion vs challenger"),
        [
            (t("KPI"), TEXT),
            (t("Champion"), TEXT),
            (t("Challenger"), TEXT),
            (t("Difference"), NUMBER),
            (t("Lower bound"), NUMBER),
            (t("Upper bound"), NUMBER),
            (t("Method"), TEXT),
            (t("Verdict"), TEXT),
            (t("Statement"), TEXT),
        ],
    )
    for c in report.comparisons:
        label = t(next(k.label for k in KPIS if k.key == c.kpi))
        interval = c.interval
        tests.rows.append(
            [
                label,
                c.champion,
                c.challenger,
                interval.difference if interval else None,
                interval.low if interval else None,
                interval.high if interval else None,
                interval.method.value if interval else "",
                t(VERDICT_LABELS[c.verdict]),
                c.statement,
            ]
        )
    return [arms, tests]


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == TEXT:
        return spreadsheet_safe(str(value))
    if kind == PERCENT:
        return f"{(Decimal(value) * 100).quantize(Decimal('0.01'))}"
    return str(value)


def to_csv(sheet: Sheet) -> bytes:
    """The sheet as UTF-8 CSV with a byte-order mark (so Excel reads Chinese headers right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(h + (" (%)" if kind == PERCENT else "")) for h, kind in sheet.headers])
    for row in sheet.rows:
        writer.writerow([_csv_value(v, kind) for v, (_, kind) in zip(row, sheet.headers, strict=True)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[Sheet]) -> bytes:
    """The sheets as one XLSX workbook (numbers typed, percentages formatted, text formula-safe)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    used: set[str] = set()
    for sheet in sheets:
        title = _sheet_title(sheet.title, used)
        ws = book.create_sheet(title)
        ws.append([spreadsheet_safe(h) for h, _ in sheet.headers])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_xlsx_value(v, kind) for v, (_, kind) in zip(row, sheet.headers, strict=True)])
        for col, (_, kind) in enumerate(sheet.headers, start=1):
            fmt = {PERCENT: "0.0%", MONEY: "#,##0.00", NUMBER: "0.00", INT: "#,##0"}.get(kind)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                    cell.number_format = fmt
        ws.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == TEXT:
        return spreadsheet_safe(str(value))
    if isinstance(value, Decimal):
        return float(value) if kind in (PERCENT, NUMBER) else value
    return value


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]} {n}"
        n += 1
    used.add(name)
    return name


def render(sheets: list[Sheet], fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file extension) for the format; CSV takes the first sheet."""
    if fmt == "csv":
        return to_csv(sheets[0]), "text/csv; charset=utf-8", "csv"
    if fmt == "xlsx":
        return to_xlsx(sheets), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"
    raise ValueError(f"unknown export format {fmt!r}; use csv or xlsx")
