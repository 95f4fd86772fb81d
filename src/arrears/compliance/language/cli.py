"""`arrears compliance lint FILE`: the language check on a text file.

Exit codes: 0 nothing high or medium, 1 at least one high or medium finding, 2 bad input (missing or
undecodable file, broken lexicon).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from arrears.cli_support import console, err_console
from arrears.compliance.language.detector import check_text
from arrears.compliance.language.lexicon import LexiconError
from arrears.compliance.language.model import Finding, Kind, has_blocking

MAX_BYTES = 5_000_000
_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "flag": "magenta"}


def decode(data: bytes) -> str | None:
    """Text of a file: UTF-8 (with or without BOM), UTF-16 with BOM, else the best guess; None if binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else None


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _as_json(file: Path, text: str, findings: list[Finding]) -> str:
    rows = []
    for f in findings:
        line, col = line_col(text, f.start)
        end_line, end_col = line_col(text, f.end)
        rows.append({**f.as_dict(), "line": line, "col": col, "end_line": end_line, "end_col": end_col})
    return json.dumps({"file": str(file), "blocking": has_blocking(findings), "findings": rows},
                      ensure_ascii=False, indent=2)


def _table(text: str, findings: list[Finding], language: str) -> Table:
    table = Table(title="Language check findings / 语言检查结果", show_lines=False)
    for column in ("at", "category", "severity", "rule"):
        table.add_column(column, no_wrap=True)
    table.add_column("matched", overflow="fold")
    table.add_column("message", overflow="fold")
    for f in findings:
        line, col = line_col(text, f.start)
        sev = f"[{_STYLE.get(f.severity, '')}]{f.severity}[/]"
        message = f.message(language) + (f" (flag: {f.flag})" if f.flag else "")
        table.add_row(f"{line}:{col}", f.category, sev, f.rule_id, f.matched.replace("\n", " "), message)
    return table


def lint_command(
    file: Path = typer.Argument(..., help="Text file to check (UTF-8, GB18030, Big5, ... are recognised)"),
    kind: Kind = typer.Option(Kind.NOTE, "--kind", help="note, script, sms, email, transcript or voicemail"),
    third_party: bool = typer.Option(False, "--third-party", help="The text is for or to a third party"),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON"),
    lang: str = typer.Option("zh-CN", "--lang", help="Language of the messages: zh-CN or en"),
    lexicons: Path | None = typer.Option(None, "--lexicons", help="Extra lexicon directory"),
) -> None:
    """Check a text file for unlawful collection language and debtor statements that set a flag."""
    try:
        if not file.is_file():
            raise OSError("not a file")
        data = file.read_bytes()
    except OSError as exc:
        err_console.print(f"[bold red]error:[/] cannot read {file}: {exc.strerror or exc}")
        raise typer.Exit(code=2) from exc
    if len(data) > MAX_BYTES:
        err_console.print(f"[bold red]error:[/] {file} is larger than {MAX_BYTES:,} bytes")
        raise typer.Exit(code=2)
    text = decode(data)
    if text is None:
        err_console.print(f"[bold red]error:[/] {file} is not a text file (cannot decode it)")
        raise typer.Exit(code=2)
    try:
        findings = check_text(text, kind=kind.value, third_party=third_party,
                              lexicon_dirs=(lexicons,) if lexicons else ())
    except LexiconError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        for problem in exc.problems[:50]:
            err_console.print(f"  - {problem}")
        raise typer.Exit(code=2) from exc
    if as_json:
        typer.echo(_as_json(file, text, findings))
    elif findings:
        console.print(_table(text, findings, lang))
        blocking = sum(1 for f in findings if f.blocking)
        console.print(f"{len(findings)} finding(s), {blocking} high/medium in {file}", soft_wrap=True)
    else:
        console.print(f"{file}: no findings / 未发现问题", soft_wrap=True)
    raise typer.Exit(code=1 if has_blocking(findings) else 0)
