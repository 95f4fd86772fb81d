"""Column-at-a-time fast paths: when a whole column of a batch is plain (ASCII ids, plain numbers, plain
Chinese mobiles), it is checked with one regex over the joined column and converted without a Python
call per cell. Each function returns None when the column is not plain; the per-cell parser then runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

ColumnParser = Callable[[Sequence[Any]], list[Any] | None]

_SCIENTIFIC_LINE = re.compile(r"^\d(?:\.\d+)?[eE]\+?\d+$", re.MULTILINE)
_MOBILE_COLUMN = re.compile(r"(?:1[3-9]\d{9})?(?:\n(?:1[3-9]\d{9})?)*")
_CENTS_COLUMN = re.compile(r"(?:\d{1,15}\.\d\d)?(?:\n(?:\d{1,15}\.\d\d)?)*")
_WHOLE_COLUMN = re.compile(r"\d{0,15}(?:\n\d{0,15})*")
_AMOUNT_COLUMN = re.compile(r"(?:\d{1,15}(?:\.\d{0,2})?)?(?:\n(?:\d{1,15}(?:\.\d{0,2})?)?)*")


def _joined(raw: Sequence[Any]) -> str | None:
    try:
        return "\n".join(raw)
    except TypeError:  # XLSX numbers, dates or empty cells (None)
        return None


def id_column(raw: Sequence[Any]) -> list[Any] | None:
    """External ids that are already clean: printable ASCII, no spaces, at most 64 characters."""
    joined = _joined(raw)
    if joined is None or not joined.isascii() or " " in joined or "\t" in joined or "\r" in joined:
        return None
    if max(map(len, raw), default=0) > 64 or _SCIENTIFIC_LINE.search(joined):
        return None
    return [cell or None for cell in raw]


def text_column(max_length: int) -> ColumnParser:
    """Free text: trimmed, empty as None, refused (per cell) when too long."""

    def parse(raw: Sequence[Any]) -> list[Any] | None:
        if _joined(raw) is None:
            return None
        values = [cell.strip() or None for cell in raw]
        if max(map(len, raw), default=0) > max_length:
            return None
        return values

    return parse


def cn_mobile_column(raw: Sequence[Any]) -> list[Any] | None:
    """Plain 11-digit Chinese mobiles to E.164 (+86...)."""
    joined = _joined(raw)
    if joined is None or not _MOBILE_COLUMN.fullmatch(joined):
        return None
    return ["+86" + cell if cell else None for cell in raw]


def amount_column(raw: Sequence[Any], places: int) -> list[Any] | None:
    """Plain non-negative amounts ('1234.50', '1234', '1234.5') to minor units, for 2-decimal currencies."""
    if places != 2:
        return None
    joined = _joined(raw)
    if joined is None:
        return None
    if _CENTS_COLUMN.fullmatch(joined):
        if "" not in raw:
            return list(map(int, joined.replace(".", "").split("\n")))
        return [int(cell.replace(".", "")) if cell else None for cell in raw]
    if _WHOLE_COLUMN.fullmatch(joined):
        if "" not in raw:
            return [n * 100 for n in map(int, joined.split("\n"))]
        return [int(cell) * 100 if cell else None for cell in raw]
    if _AMOUNT_COLUMN.fullmatch(joined):
        return [_cents(cell) if cell else None for cell in raw]
    return None


def _cents(cell: str) -> int:
    whole, _, frac = cell.partition(".")
    return int(whole) * 100 + (int(frac.ljust(2, "0")) if frac else 0)
