"""Payment-channel files: bank statements (CSV/XLSX), WeChat Pay and Alipay merchant bills, B2B
remittance advice. Each layout names its columns (Chinese and English headers); the file's header row is
found by those names (title lines above it are skipped), and every data row becomes a ChannelRow: a
payment to post, or a row skipped with the reason (a refund, a failed transaction, a summary line).

Reading (encodings, GBK, XLSX) reuses arrears.portfolio.importing.reader; amounts and dates are parsed
with arrears.portfolio.importing.values. Matching rows to accounts happens in the service.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from arrears.core.errors import FieldProblem, InputRejected
from arrears.payments.channels.layouts import LAYOUTS, Layout
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.reader import open_rows

HEADER_SEARCH = 30


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One row of a channel file: a payment (or why it is skipped)."""

    row: int
    reference: str
    paid_on: date | None
    amount_text: str
    currency: str | None
    account_hint: str
    channel: str
    skip: str = ""
    raw: dict[str, str] = field(default_factory=dict)


@dataclass
class ChannelFile:
    """A parsed channel file."""

    name: str
    layout: str
    sha256: str
    encoding: str | None
    rows: list[ChannelRow]
    problems: list[FieldProblem]


def clean(value: Any) -> str:
    """A cell as text: WeChat's leading backtick, full-width spaces and padding removed."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return text.replace("\u3000", " ").strip().lstrip("`").strip()


def _norm(header: str) -> str:
    return vl.nfkc(clean(header)).lower().replace(" ", "").replace("_", "")


def _index(headers: list[str], layout: Layout) -> dict[str, int] | None:
    """Column positions of the layout's fields in a header row, or None when required ones are missing."""
    names = [_norm(h) for h in headers]
    found: dict[str, int] = {}
    for key, aliases in layout.columns.items():
        for alias in aliases:
            if _norm(alias) in names:
                found[key] = names.index(_norm(alias))
                break
    return found if all(k in found for k in layout.required) else None


def _score(headers: list[str]) -> int:
    return max(len(_index(headers, lay) or {}) for lay in LAYOUTS.values())


def _all_rows(path: Path, encoding: str | None) -> tuple[Any, Iterator[tuple[int, list[Any]]]]:
    src = open_rows(path, encoding=encoding, header_score=_score)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        yield src.header_row, list(src.headers)
        for number, cells in src.rows():
            yield number, list(cells)

    return src, rows()


def read(path: Path, layout: str | None = None, encoding: str | None = None) -> ChannelFile:
    """Parse a channel file of a given layout (or the layout whose headers it carries)."""
    if layout is not None and layout not in LAYOUTS:
        raise InputRejected(f"unknown payment file layout {layout!r}; use one of {', '.join(LAYOUTS)}")
    src, rows = _all_rows(path, encoding)
    chosen: Layout | None = None
    index: dict[str, int] | None = None
    for seen, (_number, cells) in enumerate(rows):
        candidates = [LAYOUTS[layout]] if layout else list(LAYOUTS.values())
        for lay in candidates:
            index = _index([clean(c) for c in cells], lay)
            if index is not None:
                chosen = lay
                break
        if chosen is not None or seen >= HEADER_SEARCH:
            break
    if chosen is None or index is None:
        known = [LAYOUTS[layout]] if layout else list(LAYOUTS.values())
        wanted = "; ".join(lay.describe() for lay in known)
        raise InputRejected(f"{path.name}: no header row of a known payment file layout found ({wanted})")
    out: list[ChannelRow] = []
    problems: list[FieldProblem] = []
    for number, cells in rows:
        texts = [clean(c) for c in cells]
        if not any(texts):
            continue
        got = {k: (texts[i] if i < len(texts) else "") for k, i in index.items()}
        parsed = chosen.row(number, got)
        if parsed is None:
            continue
        skip = parsed.get("skip", "")
        paid_on = None
        if not skip:
            try:
                paid_on = vl.parse_date(parsed["paid_on"])
            except vl.BadValue as exc:
                problems.append(FieldProblem(number, "paid_on", parsed["paid_on"], str(exc), path.name))
            if not parsed["reference"]:
                problems.append(FieldProblem(number, "reference", "", "the row has no transaction reference",
                                             path.name))
        out.append(ChannelRow(number, parsed["reference"], paid_on, parsed["amount"],
                              parsed.get("currency") or None,
                              parsed.get("account", ""), chosen.channel, skip, got))
    if not out:
        raise InputRejected(f"{path.name}: the file has a header row but no payment rows")
    return ChannelFile(path.name, chosen.name, src.sha256(), src.encoding, out, problems)


__all__ = ["LAYOUTS", "ChannelFile", "ChannelRow", "read"]
