"""Streaming rows out of the first sheet of an XLSX workbook (openpyxl read-only mode)."""

from __future__ import annotations

import hashlib
import itertools
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from arrears.core.errors import InputRejected
from arrears.portfolio.importing.reader import Row, RowSource


def _unreadable(path: Path, exc: BaseException) -> InputRejected:
    return InputRejected(
        f"{path.name}: not a readable XLSX workbook (truncated or corrupt: "
        f"{exc.__class__.__name__}: {exc}); save it again from Excel or export CSV"
    )


def _file_sha256(path: Path) -> Any:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha


HEADER_SEARCH_ROWS = 10


def open_xlsx(path: Path, size: int, header_score: Callable[[list[str]], int] | None = None) -> RowSource:
    """Open the workbook read-only. The header is the first non-empty row of the first sheet, or, given
    `header_score`, the best-scoring of the first ten non-empty rows (title rows above it are skipped)."""
    import openpyxl

    try:
        zipfile.ZipFile(path).close()
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
    except Exception as exc:  # noqa: BLE001  (zipfile, XML and openpyxl errors all mean: unreadable)
        raise _unreadable(path, exc) from exc
    src = RowSource(path=path, format="xlsx", encoding=None, size=size, _sha=_file_sha256(path))
    try:
        src.rows_hint = sheet.max_row
    except Exception:  # noqa: BLE001
        src.rows_hint = None
    numbered = _numbered(path, rows, workbook)
    leading: list[tuple[int, Row]] = []
    for row_number, cells in numbered:
        if any(_filled(c) for c in cells):
            leading.append((row_number, cells))
            if header_score is None or len(leading) >= HEADER_SEARCH_ROWS:
                break
    if not leading:
        workbook.close()
        raise InputRejected(f"{path.name}: the first sheet is empty")
    texts = [[str(c).strip() if c is not None else "" for c in cells] for _, cells in leading]
    scores = [header_score(t) for t in texts] if header_score else [0]
    best = scores.index(max(scores))
    src.headers, src.header_row = texts[best], leading[best][0]
    records = _data_rows(itertools.chain(leading[best + 1 :], numbered), src)
    first = next(records, None)
    if first is None:
        workbook.close()
        raise InputRejected(f"{path.name}: the sheet has a header row but no data rows")
    chained = itertools.chain((first,), records)
    src._batcher = lambda size: _batches(chained, size)
    return src


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _numbered(path: Path, rows: Iterator[tuple[Any, ...]], workbook: Any) -> Iterator[tuple[int, Row]]:
    row_number = 0
    try:
        for values in rows:
            row_number += 1
            yield row_number, list(values)
    except Exception as exc:  # noqa: BLE001
        raise _unreadable(path, exc) from exc
    finally:
        workbook.close()


def _data_rows(numbered: Iterator[tuple[int, Row]], src: RowSource) -> Iterator[tuple[int, Row]]:
    for row_number, cells in numbered:
        src.bytes_read = row_number
        if any(_filled(c) for c in cells):
            yield row_number, cells


def _batches(records: Iterator[tuple[int, Row]], size: int) -> Iterator[tuple[list[int], list[Row]]]:
    while True:
        chunk = list(itertools.islice(records, size))
        if not chunk:
            return
        yield [n for n, _ in chunk], [r for _, r in chunk]
