"""Reading CSV (encodings detected or forced, quotes, newlines, bad bytes) and XLSX files as numbered rows."""

from __future__ import annotations

import codecs
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from arrears.core.errors import InputRejected
from arrears.portfolio.importing.reader import canonical_encoding, detect_encoding, open_rows

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _all(
    path: Path, encoding: str | None = None, batch: int = 1000
) -> tuple[list[str], list[tuple[int, list]]]:
    src = open_rows(path, encoding)
    rows = [
        (n, r) for numbers, batch_rows in src.batches(batch) for n, r in zip(numbers, batch_rows, strict=True)
    ]
    return src.headers, rows


TEXT = "账号,姓名,地址\nA1,张三,北京市\nA2,李四,上海市\n"


@pytest.mark.parametrize(
    ("encoding", "bom", "detected"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("gb18030", b"", "gb18030"),
        ("gbk", b"", "gb18030"),
    ],
)
def test_encodings_are_detected(tmp_path: Path, encoding: str, bom: bytes, detected: str) -> None:
    path = _write(tmp_path, bom + TEXT.encode(encoding))
    src = open_rows(path)
    assert src.encoding == detected
    assert src.headers == ["账号", "姓名", "地址"]
    assert [r for _, r in src.rows()] == [["A1", "张三", "北京市"], ["A2", "李四", "上海市"]]


def test_an_encoding_can_be_forced(tmp_path: Path) -> None:
    path = _write(tmp_path, TEXT.encode("gbk"))
    headers, rows = _all(path, encoding="GBK")
    assert headers[0] == "账号" and rows[0][1][1] == "张三"
    with pytest.raises(InputRejected, match="not valid UTF-8 at byte offset 0 .*--encoding"):
        _all(path, encoding="utf-8")
    assert canonical_encoding("GB2312") == "gb18030" and canonical_encoding("latin-1") == "iso8859-1"
    with pytest.raises(InputRejected, match="unknown encoding"):
        canonical_encoding("klingon")


def test_utf8_then_gbk_names_the_byte_offset_and_line(tmp_path: Path) -> None:
    utf8_part = ("账号,姓名\n" + "".join(f"U{i:05d},张三丰\n" for i in range(6000))).encode("utf-8")
    assert len(utf8_part) > 65536
    path = _write(tmp_path, utf8_part + "G1,李四\n".encode("gbk"))
    with pytest.raises(InputRejected) as caught:
        _all(path)
    message = str(caught.value)
    assert f"byte offset {len(utf8_part) + 3}" in message and "line 6002" in message
    assert "mixes encodings" in message


def test_gbk_then_utf8_is_a_clear_error(tmp_path: Path) -> None:
    gbk_part = ("账号,姓名\n" + "".join(f"G{i:05d},张三丰\n" for i in range(8000))).encode("gbk")
    path = _write(tmp_path, gbk_part + "U1,李四光北京市朝阳区\n".encode())
    with pytest.raises(InputRejected, match=f"mixed encodings: line 8002 \\(byte offset {len(gbk_part)}\\)"):
        _all(path)


def test_a_small_mixed_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "账号,姓名\nA1,张三丰\n".encode() + "A2,李四光\n".encode("gbk"))
    with pytest.raises(InputRejected, match="encoding"):
        _all(path)


def test_ascii_start_decides_at_the_first_non_ascii_block(tmp_path: Path) -> None:
    ascii_part = (
        "account_id,customer_name\n" + "".join(f"A{i:06d},Zhang San\n" for i in range(5000))
    ).encode()
    assert len(ascii_part) > 65536
    path = _write(tmp_path, ascii_part + "B1,张三\n".encode("gbk"))
    src = open_rows(path)
    rows = [r for _, r in src.rows()]
    assert src.encoding == "gb18030" and rows[-1] == ["B1", "张三"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty \\(0 bytes\\)"),
        (b"\n\n  \n", "no header row"),
        (b"account_id,principal\n", "no data rows"),
        (b"account_id,principal\n\n,\n", "no data rows"),
        (codecs.BOM_UTF16_LE + "a,b".encode("utf-16-le"), "UTF-16"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "legacy Excel"),
    ],
)
def test_empty_and_unreadable_files(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(InputRejected, match=reason):
        _all(_write(tmp_path, data))


def test_quotes_and_newlines_inside_fields_parse(tmp_path: Path) -> None:
    data = (
        'id,name,address\r\nA1,"Zhang, San","Line 1\r\nLine 2"\r\n\r\nA2,"He said ""hi""",plain\r\n'
        'A3,x,"multi\nline\nfield"\nA4,y,z\n'
    )
    headers, rows = _all(_write(tmp_path, data.encode()))
    assert headers == ["id", "name", "address"]
    assert rows == [
        (2, ["A1", "Zhang, San", "Line 1\r\nLine 2"]),
        (4, ["A2", 'He said "hi"', "plain"]),
        (5, ["A3", "x", "multi\nline\nfield"]),
        (6, ["A4", "y", "z"]),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ('id,name\nA1,"unterminated\nA2,x\n', "never closed"),
        ('id,name\nA1,"ab"c\n', "malformed CSV at line 2"),
    ],
)
def test_malformed_csv(tmp_path: Path, data: str, reason: str) -> None:
    with pytest.raises(InputRejected, match=reason):
        _all(_write(tmp_path, data.encode()))


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_delimiter_is_sniffed_from_the_header(tmp_path: Path, delimiter: str) -> None:
    data = (
        delimiter.join(["id", "name", "amount"])
        + "\n"
        + delimiter.join(["A1", "Zhang, San", "1,234.50"])
        + "\n"
    )
    headers, rows = _all(_write(tmp_path, data.encode()))
    assert headers == ["id", "name", "amount"] and rows[0][1] == ["A1", "Zhang, San", "1,234.50"]


def test_batches_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    lines = ["id"] + [f"A{i}" if i % 7 else "" for i in range(1, 50)]
    headers, rows = _all(_write(tmp_path, ("\n".join(lines) + "\n").encode()), batch=5)
    assert [n for n, _ in rows] == [i + 1 for i in range(1, 50) if i % 7]
    assert all(r == [f"A{n - 1}"] for n, r in rows)


def test_file_hash_and_progress(tmp_path: Path) -> None:
    import hashlib

    data = TEXT.encode()
    src = open_rows(_write(tmp_path, data))
    list(src.rows())
    assert src.sha256() == hashlib.sha256(data).hexdigest() and src.bytes_read == len(data)


def test_detect_encoding() -> None:
    assert detect_encoding(b"plain ascii", complete=True) is None
    assert detect_encoding("中文".encode(), complete=True) == "utf-8"
    assert detect_encoding("中文".encode()[:-1], complete=False) == "utf-8"
    assert detect_encoding("中文".encode("gbk"), complete=True) == "gb18030"


def _xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_xlsx_rows_keep_native_values(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "a.xlsx",
        [["账号", "本金", "日期"], ["A1", 1234.5, datetime(2026, 3, 5)], [], ["A2", 7, None]],
    )
    headers, rows = _all(path)
    assert headers == ["账号", "本金", "日期"]
    assert rows[0] == (2, ["A1", 1234.5, datetime(2026, 3, 5)]) and rows[1][0] == 4


def test_xlsx_header_below_a_title_row(tmp_path: Path) -> None:
    from arrears.portfolio.importing.headers import header_score

    path = _xlsx(tmp_path / "a.xlsx", [["逾期清单"], [], ["账号", "客户号", "姓名"], ["A1", "C1", "张三"]])
    src = open_rows(path, header_score=header_score("accounts"))
    assert src.headers == ["账号", "客户号", "姓名"] and src.header_row == 3
    assert list(src.rows()) == [(4, ["A1", "C1", "张三"])]


def test_truncated_xlsx_is_a_clear_error(tmp_path: Path) -> None:
    data = (EXAMPLES / "accounts.xlsx").read_bytes()
    path = _write(tmp_path, data[: len(data) // 2], "cut.xlsx")
    with pytest.raises(InputRejected, match="not a readable XLSX workbook \\(truncated or corrupt"):
        _all(path)


def test_xlsx_without_data(tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="header row but no data"):
        _all(_xlsx(tmp_path / "h.xlsx", [["账号", "本金"]]))
    with pytest.raises(InputRejected, match="empty"):
        _all(_xlsx(tmp_path / "e.xlsx", []))
