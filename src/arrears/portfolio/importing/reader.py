"""Streaming rows out of CSV (UTF-8, UTF-8 with BOM, GB18030/GBK, detected or forced) and XLSX files.

CSV bytes are split into physical lines (a newline byte never occurs inside a UTF-8 or GB18030
character), each line is decoded strictly, so a bad byte is reported with its exact offset and line,
and the decoded lines feed `csv.reader`, which handles quotes and newlines inside fields. Rows are
numbered as a spreadsheet shows them: the header is row 1, a record spanning several lines is one row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from arrears.core.errors import InputRejected

SAMPLE_BYTES = 1 << 16
BLOCK_BYTES = 1 << 20
Row = list[Any]
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_ENCODING_NAMES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "utf8sig": "utf-8-sig",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "cp936": "gb18030",
}


def canonical_encoding(name: str) -> str:
    """Check a user-given encoding name; GBK and GB2312 are read as their superset GB18030."""
    key = name.strip().lower().replace("_", "-")
    if key in _ENCODING_NAMES:
        return _ENCODING_NAMES[key]
    try:
        info = codecs.lookup(key)
    except LookupError:
        raise InputRejected(f"unknown encoding {name!r} (try utf-8 or gb18030)") from None
    if info.name.startswith(("utf-16", "utf-32")):
        raise InputRejected(f"{info.name} files are not supported; save the file as CSV UTF-8 or as XLSX")
    return info.name


def detect_encoding(
    sample: bytes, complete: bool, name: str = "file", offset: int = 0, first_line: int = 1
) -> str | None:
    """Guess a CSV's encoding from its first bytes: BOM, then strict UTF-8, then GB18030.

    Returns None while the sample is pure ASCII (the first non-ASCII block decides later). When neither
    decodes, the file mixes encodings or uses another one: refused, naming where UTF-8 fails.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputRejected(f"{name}: UTF-16 files are not supported; save the file as CSV UTF-8 or as XLSX")
    if sample.isascii():
        return None
    failures: dict[str, int] = {}
    for candidate in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)("strict").decode(sample, final=complete)
            return candidate
        except UnicodeDecodeError as exc:
            failures[candidate] = exc.start
    at = failures["utf-8"]
    line = sample.count(b"\n", 0, at) + first_line
    raise InputRejected(
        f"{name}: neither UTF-8 (invalid at byte offset {offset + at}, line {line}) nor GB18030/GBK "
        f"(invalid at byte offset {offset + failures['gb18030']}): the file mixes encodings or uses another "
        "one; save it in one encoding (UTF-8) or pass --encoding"
    )


def _looks_utf8(raw: bytes) -> bool:
    """A line that is valid UTF-8 made of Chinese characters: UTF-8 text inside a GB18030 file."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f") >= 2


class _HashingRaw(io.RawIOBase):
    """A raw reader that feeds every byte it reads into a SHA-256."""

    def __init__(self, fh: IO[bytes], sha: Any) -> None:
        self._fh = fh
        self._sha = sha

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Read into the buffer and hash what was read."""
        n = self._fh.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self._sha.update(memoryview(buffer)[:n])
        return n or 0


@dataclass
class RowSource:
    """An opened file: its header row and a one-pass stream of numbered data rows, in batches."""

    path: Path
    format: str  # csv | xlsx
    encoding: str | None
    size: int
    headers: list[str] = field(default_factory=list)
    header_row: int = 1
    bytes_read: int = 0
    rows_hint: int | None = None
    _batcher: Callable[[int], Iterator[tuple[list[int], list[Row]]]] | None = None
    _sha: Any = None

    @property
    def name(self) -> str:
        """The file's base name, as shown in messages."""
        return self.path.name

    def batches(self, size: int) -> Iterator[tuple[list[int], list[Row]]]:
        """The data rows (blank rows skipped) in lists of up to `size`: (row numbers, rows)."""
        assert self._batcher is not None
        return self._batcher(size)

    def rows(self) -> Iterator[tuple[int, Row]]:
        """The data rows one by one, each with its spreadsheet row number."""
        for numbers, rows in self.batches(1000):
            yield from zip(numbers, rows, strict=True)

    def sha256(self) -> str:
        """The file's SHA-256 (complete once the rows have been read)."""
        return str(self._sha.hexdigest())


def open_rows(
    path: Path, encoding: str | None = None, header_score: Callable[[list[str]], int] | None = None
) -> RowSource:
    """Open a CSV or XLSX file for streaming; refuses empty, header-only and unreadable files.

    `header_score` rates candidate header rows of a workbook (title rows above the header are common)."""
    size = path.stat().st_size
    if size == 0:
        raise InputRejected(f"{path.name}: the file is empty (0 bytes)")
    with path.open("rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if head.startswith(_XLS_MAGIC):
        raise InputRejected(f"{path.name}: legacy Excel .xls files are not supported; save as .xlsx or CSV")
    if head.startswith(_XLSX_MAGIC) or path.suffix.lower() in (".xlsx", ".xlsm"):
        from arrears.portfolio.importing.xlsx import open_xlsx

        return open_xlsx(path, size, header_score)
    return _open_csv(path, size, head, encoding)


def _open_csv(path: Path, size: int, head: bytes, encoding: str | None) -> RowSource:
    forced = canonical_encoding(encoding) if encoding else None
    chosen = forced or detect_encoding(head, complete=len(head) == size, name=path.name)
    src = RowSource(path=path, format="csv", encoding=chosen, size=size, _sha=hashlib.sha256())
    lines = itertools.chain.from_iterable(_decoded_blocks(src, forced is not None))
    first = next(lines, None)
    while first is not None and not first.strip():
        first = next(lines, None)
    if first is None:
        raise InputRejected(f"{path.name}: the file has no header row (only blank lines)")
    delimiter = max(",\t;|", key=first.count) if any(d in first for d in ",\t;|") else ","
    reader = csv.reader(itertools.chain((first,), lines), delimiter=delimiter, strict=True)
    src.headers = [h.strip() for h in _next_record(reader, src)]
    src.header_row = 1
    number = 1
    while True:
        record = _next_record(reader, src, header=False)
        number += 1
        if record is None:
            raise InputRejected(f"{path.name}: the file has a header row but no data rows")
        if any(record):
            break
    lead = ([number], [record])
    src._batcher = lambda size: _csv_batches(reader, src, number + 1, lead, size)
    return src


def _decoded_blocks(src: RowSource, forced: bool) -> Iterator[io.StringIO]:
    """The CSV decoded strictly a block (about 1 MB of whole lines) at a time, each block an iterator of
    its lines; a bad byte raises with its offset and line number."""
    enc = src.encoding
    lineno = 0
    carry = b""
    with src.path.open("rb") as fh:
        raw = _HashingRaw(fh, src._sha)
        while True:
            block = raw.read(BLOCK_BYTES)
            data = carry + block if block else carry
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            if not data:
                break
            if (
                src.bytes_read == 0
                and data.startswith(codecs.BOM_UTF8)
                and enc in (None, "utf-8", "utf-8-sig")
            ):
                data = data[3:]
                src.bytes_read = 3
                enc = src.encoding = "utf-8-sig"
            if enc is None and not data.isascii():
                enc = src.encoding = detect_encoding(
                    data, complete=True, name=src.name, offset=src.bytes_read, first_line=lineno + 1
                )
            try:
                text = data.decode("ascii" if enc is None else "utf-8" if enc == "utf-8-sig" else enc)
            except UnicodeDecodeError as exc:
                raise _bad_bytes(
                    src, enc or "ascii", data, exc, lineno + data.count(b"\n", 0, exc.start) + 1
                ) from None
            if enc == "gb18030" and not forced and not data.isascii():
                _check_not_utf8(src, data, lineno)
            lineno += data.count(b"\n")
            src.bytes_read += len(data)
            yield io.StringIO(text, newline="")
            if not block:
                break
    if src.encoding is None:
        src.encoding = "utf-8"  # pure ASCII reads the same either way


def _check_not_utf8(src: RowSource, data: bytes, lineno: int) -> None:
    """In a GB18030 file, a line that is valid UTF-8 Chinese means the file mixes encodings."""
    offset = src.bytes_read
    for number, line in enumerate(data.split(b"\n"), start=lineno + 1):
        if not line.isascii() and _looks_utf8(line):
            raise InputRejected(
                f"{src.name}: mixed encodings: line {number} (byte offset {offset}) is UTF-8 "
                "but the file before it is GB18030/GBK; save the whole file in one encoding"
            )
        offset += len(line) + 1


def _bad_bytes(src: RowSource, enc: str, raw: bytes, exc: UnicodeDecodeError, lineno: int) -> InputRejected:
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    line_end = raw.find(b"\n", exc.start)
    line = raw[line_start : line_end if line_end >= 0 else len(raw)]
    if enc == "gb18030" and _looks_utf8(line):
        return InputRejected(
            f"{src.name}: mixed encodings: line {lineno} (byte offset {src.bytes_read + line_start}) is "
            "UTF-8 but the file before it is GB18030/GBK; save the whole file in one encoding"
        )
    offset = src.bytes_read + exc.start
    shown = raw[max(0, exc.start - 8) : exc.start + 8].hex(" ")
    hint = (
        "; the file mixes encodings (part UTF-8, part GBK?): save it in one encoding"
        if offset > 0
        else "; it is in another encoding: pass --encoding"
    )
    name = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GB18030/GBK"}.get(enc, enc)
    return InputRejected(
        f"{src.name}: not valid {name} at byte offset {offset} (line {lineno}, bytes {shown}){hint}"
    )


def _next_record(reader: Any, src: RowSource, header: bool = True) -> Any:
    try:
        return list(next(reader))
    except StopIteration:
        if not header:
            return None
        raise InputRejected(f"{src.name}: the file has no header row") from None
    except csv.Error as exc:
        raise _malformed(src, reader, exc) from None


def _malformed(src: RowSource, reader: Any, exc: csv.Error) -> InputRejected:
    hint = (
        " (an opening quote is probably never closed)"
        if "field limit" in str(exc) or "end of data" in str(exc)
        else ""
    )
    return InputRejected(f"{src.name}: malformed CSV at line {reader.line_num}: {exc}{hint}")


def _csv_batches(
    reader: Any, src: RowSource, next_number: int, lead: tuple[list[int], list[Row]], size: int
) -> Iterator[tuple[list[int], list[Row]]]:
    """Records in batches, taken with islice (no Python work per row unless a batch has blank rows)."""
    numbers, rows = lead
    try:
        while True:
            want = size - len(rows)
            chunk = list(itertools.islice(reader, want))
            count = len(chunk)
            chunk_numbers = list(range(next_number, next_number + count))
            next_number += count
            if count and not all(map(any, chunk)):
                keep = [i for i, record in enumerate(chunk) if any(record)]
                chunk, chunk_numbers = [chunk[i] for i in keep], [chunk_numbers[i] for i in keep]
            rows.extend(chunk)
            numbers.extend(chunk_numbers)
            if count < want:
                break
            if len(rows) >= size:
                yield numbers, rows
                numbers, rows = [], []
    except csv.Error as exc:
        raise _malformed(src, reader, exc) from None
    if rows:
        yield numbers, rows
