"""`arrears compliance lint FILE` through Typer's CliRunner on a small app that registers lint_command."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from arrears.compliance.language.cli import lint_command

app = typer.Typer()
app.command("lint")(lint_command)


@app.callback()
def compliance() -> None:
    """A command group, as `arrears compliance` is."""
runner = CliRunner()


def test_a_threat_file_exits_1_and_lists_the_finding(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("客户一直不接电话。\n再不还钱，小心你的腿。\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(path)])
    assert result.exit_code == 1, result.output
    assert "LC-THREAT-001" in result.output and "2:6" in result.output and "threat" in result.output
    assert "小心你的腿" in result.output


def test_a_polite_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "script.txt"
    path.write_text("您好，请问是张伟先生本人吗？\n我们可以为您申请分期还款方案。\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(path), "--kind", "script"])
    assert result.exit_code == 0, result.output
    assert "no findings" in result.output


def test_json_output_english_and_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "tp.txt"
    path.write_bytes("你好，请转告他，欠款已经逾期了。".encode("gb18030"))
    result = runner.invoke(app, ["lint", str(path), "--third-party", "--json"])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["blocking"] is True
    assert {f["category"] for f in body["findings"]} == {"third_party_disclosure"}
    first = body["findings"][0]
    assert (first["line"], first["col"], first["matched"]) == (1, 5, "转告他，欠")


def test_flags_alone_do_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("Agent: When can you pay?\nDebtor: Stop calling me, I have a lawyer.\n", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(path), "--kind", "transcript", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2 finding(s), 0 high/medium" in result.output
    as_json = runner.invoke(app, ["lint", str(path), "--kind", "transcript", "--json"])
    assert as_json.exit_code == 0
    flags = {f["flag"] for f in json.loads(as_json.output)["findings"]}
    assert flags == {"cease_request", "legal_representation"}


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert runner.invoke(app, ["lint", str(tmp_path / "missing.txt")]).exit_code == 2
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\x00\x01\x02\x03")
    assert runner.invoke(app, ["lint", str(binary)]).exit_code == 2
    assert runner.invoke(app, ["lint", str(tmp_path)]).exit_code == 2
    (tmp_path / "lex").mkdir()
    (tmp_path / "lex" / "bad.yaml").write_text("rules: [{id: nope}]", encoding="utf-8")
    text = tmp_path / "ok.txt"
    text.write_text("你好", encoding="utf-8")
    result = runner.invoke(app, ["lint", str(text), "--lexicons", str(tmp_path / "lex")])
    assert result.exit_code == 2
