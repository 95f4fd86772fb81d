"""Importing accounts on SQLite and PostgreSQL: counts, idempotence, all-or-nothing, quarantine, dry runs."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from arrears.core.errors import InputRejected
from arrears.portfolio.importing import kinds
from arrears.portfolio.importing.report import ImportRejected
from arrears.portfolio.importing.service import batch_detail, import_file, recent_batches
from arrears.portfolio.store import (
    accounts,
    cases,
    contact_points,
    debtors,
    due_items,
    import_batches,
    import_rejects,
)
from arrears.runtime import Runtime

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TABLES = (
    "debtors",
    "accounts",
    "cases",
    "due_items",
    "contact_points",
    "payments",
    "import_batches",
    "import_rejects",
)


def snapshot(rt: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables an import touches, to prove a refused import changed nothing."""
    with rt.engine.connect() as conn:
        return {
            t: sorted(tuple(map(str, r)) for r in conn.execute(text(f"select * from {t}")))  # noqa: S608
            for t in TABLES
        }


def count(rt: Runtime, table: Any, *where: Any) -> int:
    """Rows of a table (optionally filtered)."""
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def account(rt: Runtime, external_id: str) -> Any:
    """One account row by external id."""
    with rt.engine.connect() as conn:
        return conn.execute(select(accounts).where(accounts.c.external_id == external_id)).one()


def rewrite(
    src: Path, dst: Path, change: dict[str, dict[str, str]], extra: list[dict[str, str]] = ()
) -> Path:
    """A copy of a CSV with some cells changed (by first-column id) and rows appended."""
    with src.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row.update(change.get(row[next(iter(row))], {}))
    with dst.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*rows, *extra])
    return dst


def test_new_then_unchanged(runtime: Runtime) -> None:
    first = import_file(runtime, "accounts", EXAMPLES / "accounts.csv", actor="test")
    assert (
        first.rows_total,
        first.rows_new,
        first.rows_changed,
        first.rows_unchanged,
        first.rows_rejected,
    ) == (30, 30, 0, 0, 0)
    assert first.status == "committed" and first.encoding == "utf-8" and first.report_path is None
    assert (
        count(runtime, debtors) == 19 and count(runtime, accounts) == 30 and count(runtime, due_items) == 24
    )
    assert count(runtime, contact_points) == 19 + 7  # every mobile, seven e-mails
    before = snapshot(runtime)
    again = import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 30)
    after = snapshot(runtime)
    assert {t: v for t, v in after.items() if t != "import_batches"} == {
        t: v for t, v in before.items() if t != "import_batches"
    }
    assert [b["status"] for b in recent_batches(runtime)] == ["committed", "committed"]
    assert recent_batches(runtime)[0]["rows_unchanged"] == 30 and recent_batches(runtime)[0]["actor"] is None


def test_an_updated_file_changes_only_the_changed_rows(runtime: Runtime, tmp_path: Path) -> None:
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    new_row = {
        "account_id": "CC-9999",
        "customer_id": "P099",
        "customer_name": "新客户",
        "product": "信用卡",
        "principal": "100.00",
    }
    changed = rewrite(
        EXAMPLES / "accounts.csv",
        tmp_path / "accounts.csv",
        {"CC-1002": {"principal": "9700.00"}, "LN-2004": {"overdue_amount": "6500.00"}},
        [new_row],
    )
    result = import_file(runtime, "accounts", changed)
    assert (result.rows_new, result.rows_changed, result.rows_unchanged) == (1, 2, 28)
    assert account(runtime, "CC-1002").principal_minor == 970000
    with runtime.engine.connect() as conn:
        due = conn.execute(
            select(due_items.c.amount_minor).join(accounts).where(accounts.c.external_id == "LN-2004")
        ).scalar_one()
    assert due == 650000


def test_a_customer_detail_change_touches_each_of_its_accounts(runtime: Runtime, tmp_path: Path) -> None:
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    path = rewrite(
        EXAMPLES / "accounts.csv",
        tmp_path / "a.csv",
        {"CC-1001": {"address": "北京市东城区1号"}, "LN-2001": {"address": "北京市东城区1号"}},
    )
    result = import_file(runtime, "accounts", path)
    assert (result.rows_changed, result.rows_unchanged) == (2, 28)
    with runtime.engine.connect() as conn:
        assert conn.execute(
            select(debtors.c.address).where(debtors.c.external_id == "P001")
        ).scalar_one() == ("北京市东城区1号")


def test_all_or_nothing_leaves_the_database_exactly_as_before(runtime: Runtime) -> None:
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    before = snapshot(runtime)
    with pytest.raises(ImportRejected) as caught:
        import_file(runtime, "accounts", EXAMPLES / "accounts_bad_rows.csv")
    assert isinstance(caught.value, InputRejected)
    assert snapshot(runtime) == before
    problems = caught.value.problems
    assert sorted({p.row for p in problems}) == [3, 4, 5, 6, 7, 8, 9]
    assert {(p.row, p.field) for p in problems} >= {
        (3, "principal"),
        (4, "overdue_since"),
        (5, "mobile"),
        (6, "account_id"),
        (7, "principal"),
        (8, "product"),
        (9, "principal"),
    }
    assert all(p.file == "accounts_bad_rows.csv" for p in problems)
    report = caught.value.report_path
    assert report is not None and report.parent == runtime.settings.var_dir / "reports"
    with report.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["file", "row", "field", "value", "reason"] and len(lines) == len(problems) + 1
    assert [
        "accounts_bad_rows.csv",
        "3",
        "principal",
        "'-500.00",
        "negative amounts are not accepted",
    ] in lines


def test_quarantine_stores_exactly_the_bad_rows(runtime: Runtime) -> None:
    result = import_file(runtime, "accounts", EXAMPLES / "accounts_bad_rows.csv", quarantine=True)
    assert result.status == "quarantined"
    assert (result.rows_total, result.rows_new, result.rows_rejected) == (9, 2, 7)
    assert {r.external_id for r in _all(runtime, accounts)} == {"BAD-001", "BAD-009"}
    with runtime.engine.connect() as conn:
        rejects = conn.execute(select(import_rejects).order_by(import_rejects.c.row_number)).all()
        batch = conn.execute(select(import_batches)).one()
    assert sorted({r.row_number for r in rejects}) == [3, 4, 5, 6, 7, 8, 9]
    assert all(r.batch_id == batch.id for r in rejects) and batch.status == "quarantined"
    assert (batch.rows_total, batch.rows_new, batch.rows_rejected) == (9, 2, 7)
    raw = json.loads(rejects[0].raw)
    assert raw["account_id"] == "BAD-002" and raw["principal"] == "-500.00"
    detail = batch_detail(runtime, result.reference)
    assert detail is not None and detail["rejects_total"] == len(rejects) and detail["kind"] == "accounts"
    assert batch_detail(runtime, "IMP-NOPE") is None


def test_dry_run_counts_but_writes_nothing(runtime: Runtime) -> None:
    before = snapshot(runtime)
    result = import_file(runtime, "accounts", EXAMPLES / "accounts.csv", dry_run=True)
    assert result.status == "dry_run" and result.rows_new == 30
    assert snapshot(runtime) == before


def test_gbk_file_with_chinese_headers_and_real_world_values(runtime: Runtime) -> None:
    result = import_file(runtime, "accounts", EXAMPLES / "accounts_gbk.csv")
    assert result.encoding == "gb18030" and result.rows_new == 6
    gxd = account(runtime, "GXD-6002")
    assert (gxd.product, gxd.sub_type, gxd.principal_minor, gxd.open_date) == (
        "consumer_loan",
        "salary",
        4_800_000,
        date(2024, 3, 15),
    )
    xyk = account(runtime, "XYK-6001")
    assert (xyk.principal_minor, xyk.interest_minor, xyk.fees_minor, xyk.penalty_rate_ppm) == (
        1_234_560,
        21_050,
        5_000,
        180_000,
    )
    with runtime.engine.connect() as conn:
        address = conn.execute(select(debtors.c.address).where(debtors.c.external_id == "C6002")).scalar_one()
        since = conn.execute(
            select(due_items.c.due_date).join(accounts).where(accounts.c.external_id == "JYD-6003")
        ).scalar_one()
    assert address == "上海市黄浦区南京东路1号,\n华联商厦5楼"
    assert since == date(2025, 12, 20)  # Excel serial 46011


def test_xlsx_workbook(runtime: Runtime) -> None:
    result = import_file(runtime, "accounts", EXAMPLES / "accounts.xlsx")
    assert (result.rows_new, result.encoding) == (5, "xlsx")
    first = account(runtime, "XL-7001")
    assert (first.principal_minor, first.interest_minor, first.due_day) == (5_200_000, 31_050, 8)
    assert count(runtime, contact_points, contact_points.c.value == "+8613811112222") == 1
    assert import_file(runtime, "accounts", EXAMPLES / "accounts.xlsx").rows_unchanged == 5


def test_mapping_file_for_a_custom_layout(runtime: Runtime) -> None:
    result = import_file(
        runtime,
        "accounts",
        EXAMPLES / "accounts_custom_layout.csv",
        mapping=EXAMPLES / "mapping_example.yaml",
    )
    assert result.rows_new == 3 and result.warnings == []
    cu = account(runtime, "CU-8001")
    assert (cu.product, cu.sub_type, cu.currency, cu.grace_days, cu.penalty_rate_ppm, cu.principal_minor) == (
        "consumer_loan",
        "salary",
        "CNY",
        3,
        180_000,
        2_500_000,
    )
    with pytest.raises(InputRejected, match="missing required column"):
        import_file(runtime, "accounts", EXAMPLES / "accounts_custom_layout.csv")


def test_cases_and_due_items(runtime: Runtime) -> None:
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    with runtime.engine.connect() as conn:
        open_cases = conn.execute(select(cases)).all()
        rows = {
            r.external_id: r
            for r in conn.execute(select(accounts.c.external_id, accounts.c.case_id, accounts.c.debtor_id))
        }
        due = conn.execute(
            select(
                due_items.c.due_date,
                due_items.c.amount_minor,
                due_items.c.principal_minor,
                due_items.c.paid_minor,
            )
            .join(accounts)
            .where(accounts.c.external_id == "CC-1001")
        ).one()
    assert all(c.status == "open" and c.opened_on == date(2026, 3, 31) for c in open_cases)
    assert len(open_cases) == len({c.debtor_id for c in open_cases}) == 17
    assert rows["CC-1001"].case_id == rows["LN-2001"].case_id is not None  # one live case per debtor
    assert rows["LN-2007"].case_id is None and rows["AR-3004"].case_id is None
    assert rows["AR-3003"].case_id is not None
    assert due == (date(2026, 1, 5), 320_000, 320_000, 0)
    assert account(runtime, "LN-2001").allocation_order == "interest,principal,penalty,fees"


def test_a_later_overdue_date_settles_the_older_due_item(runtime: Runtime, tmp_path: Path) -> None:
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    cured = rewrite(
        EXAMPLES / "accounts.csv",
        tmp_path / "a.csv",
        {
            "CC-1002": {"overdue_since": "2026-03-01", "overdue_amount": "800.00"},
            "CC-1003": {"overdue_since": "", "overdue_amount": ""},
        },
    )
    assert import_file(runtime, "accounts", cured).rows_changed == 2
    with runtime.engine.connect() as conn:
        items = conn.execute(
            select(
                accounts.c.external_id, due_items.c.due_date, due_items.c.amount_minor, due_items.c.paid_minor
            )
            .join(accounts)
            .where(accounts.c.external_id.in_(["CC-1002", "CC-1003"]))
            .order_by(accounts.c.external_id, due_items.c.due_date)
        ).all()
    assert [tuple(i) for i in items] == [
        ("CC-1002", date(2026, 2, 1), 150_000, 150_000),
        ("CC-1002", date(2026, 3, 1), 80_000, 0),
        ("CC-1003", date(2026, 3, 5), 78_000, 78_000),
    ]


def test_many_batches(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(kinds.BATCH_SIZES, "accounts", 4)
    first = import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    assert first.rows_new == 30 and count(runtime, debtors) == 19 and count(runtime, cases) == 17
    with (EXAMPLES / "accounts.csv").open(encoding="utf-8", newline="") as fh:
        first_row = next(csv.DictReader(fh))
    dup = rewrite(EXAMPLES / "accounts.csv", tmp_path / "d.csv", {}, [first_row])
    with pytest.raises(InputRejected) as caught:
        import_file(runtime, "accounts", dup)
    assert [(p.row, p.field, p.reason) for p in caught.value.problems] == [
        (32, "account_id", "duplicate account_id: also in row 2")
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"account_id,customer_id,customer_name,product,principal\n", "no data rows"),
        (b"account_id,name\nA1,x\n", "missing required column"),
        (
            "account_id,customer_id,customer_name,product,principal\nA1,C1,张三,信用卡,1\n".encode()
            + "A2,C2,李四,信用卡,1\n".encode("gbk"),
            "encoding",
        ),
    ],
)
def test_file_level_problems_change_nothing(
    runtime: Runtime, tmp_path: Path, data: bytes, reason: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    before = snapshot(runtime)
    with pytest.raises(InputRejected, match=reason):
        import_file(runtime, "accounts", path)
    assert snapshot(runtime) == before


def test_unknown_kind_and_missing_file(runtime: Runtime, tmp_path: Path) -> None:
    with pytest.raises(InputRejected, match="unknown import kind"):
        import_file(runtime, "loans", EXAMPLES / "accounts.csv")
    with pytest.raises(InputRejected, match="no such file"):
        import_file(runtime, "accounts", tmp_path / "missing.csv")


def test_report_path_when_asked(runtime: Runtime, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.csv"
    result = import_file(runtime, "accounts", EXAMPLES / "accounts.csv", report=target)
    assert result.report_path == target and target.read_text(encoding="utf-8-sig").strip() == (
        "file,row,field,value,reason"
    )


def test_the_same_file_under_another_name_is_still_idempotent(runtime: Runtime, tmp_path: Path) -> None:
    import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    copy = shutil.copy(EXAMPLES / "accounts.csv", tmp_path / "renamed.csv")
    assert import_file(runtime, "accounts", Path(copy)).rows_unchanged == 30


def _all(rt: Runtime, table: Any) -> list[Any]:
    with rt.engine.connect() as conn:
        return list(conn.execute(select(table)))


def test_big_files_are_validated_in_a_parser_process(runtime: Runtime, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    from arrears.portfolio.importing import parsing

    monkeypatch.setattr(parsing, "PARALLEL_PARSE_BYTES", 0)
    monkeypatch.setitem(kinds.BATCH_SIZES, "accounts", 7)
    first = import_file(runtime, "accounts", EXAMPLES / "accounts.csv")
    assert (first.rows_new, first.encoding, len(first.sha256)) == (30, "utf-8", 64)
    assert import_file(runtime, "accounts", EXAMPLES / "accounts_gbk.csv").encoding == "gb18030"
    assert import_file(runtime, "accounts", EXAMPLES / "accounts.xlsx").rows_new == 5
    before = snapshot(runtime)
    with pytest.raises(ImportRejected) as caught:
        import_file(runtime, "accounts", EXAMPLES / "accounts_bad_rows.csv")
    assert sorted({p.row for p in caught.value.problems}) == [3, 4, 5, 6, 7, 8, 9]
    assert snapshot(runtime) == before
    quarantined = import_file(runtime, "accounts", EXAMPLES / "accounts_bad_rows.csv", quarantine=True)
    assert (quarantined.rows_new, quarantined.rows_rejected) == (2, 7) and count(runtime, import_rejects) > 0
    body = "".join(f"K{i},P002,朋友,朋友{i},1390000{i:04d},本人提供,本人同意\n" for i in range(11))
    contacts = tmp_path / "c.csv"
    contacts.write_text("contact_id,customer_id,relationship,contact_name,value,source,consent\n" + body,
                        encoding="utf-8")
    with pytest.raises(InputRejected, match="third-party contacts"):
        import_file(runtime, "contacts", contacts)
    assert import_file(runtime, "payments", EXAMPLES / "payments.csv").rows_new == 9


def test_a_mixed_encoding_deep_in_a_big_file_stops_the_parser_process(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from arrears.portfolio.importing import parsing

    monkeypatch.setattr(parsing, "PARALLEL_PARSE_BYTES", 0)
    header = "account_id,customer_id,customer_name,product,principal\n"
    good = "".join(f"A{i:05d},C{i:05d},张三丰,信用卡,100.00\n" for i in range(3000))
    path = tmp_path / "mixed.csv"
    path.write_bytes((header + good).encode() + "B1,C1,李四,信用卡,1\n".encode("gbk"))
    before = snapshot(runtime)
    with pytest.raises(InputRejected, match="line 3002"):
        import_file(runtime, "accounts", path)
    assert snapshot(runtime) == before
