"""Text that COPY's text format must escape (tab, backslash, newline, \\N) arrives exactly as validated,
and a second import of the same file finds every row unchanged (the stored values hash the same)."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from arrears.portfolio.importing.service import import_file
from arrears.portfolio.store import accounts, contact_points, debtors
from arrears.runtime import Runtime

HEADERS = ["account_id", "customer_id", "customer_name", "occupation", "address", "email", "mobile",
           "product", "principal", "overdue_since", "overdue_amount"]
ROWS = [
    ["T-1", "C\\1", "王\t小明", "back\\slash", "上海市\n浦东新区 1 号", "a.b@example.com", "13812345678",
     "credit_card", "1000.00", "2026-03-01", "100.00"],
    ["T-2", "C2", "\\N", "", '他说 "你好", 再见', "", "", "consumer_loan", "2000", "", ""],
]


def test_escapes_survive_the_bulk_path(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADERS, *ROWS])
    first = import_file(runtime, "accounts", path)
    assert (first.rows_new, first.rows_rejected) == (2, 0)
    with runtime.engine.connect() as conn:
        people = {r.external_id: r for r in conn.execute(select(debtors))}
        assert people["C\\1"].name == "王\t小明"
        assert people["C\\1"].occupation == "back\\slash"
        assert people["C\\1"].address == "上海市\n浦东新区 1 号"
        assert people["C2"].name == "\\N"  # the text, not NULL
        assert people["C2"].occupation is None  # an empty cell is NULL
        assert people["C2"].address == '他说 "你好", 再见'
        points = sorted(conn.execute(select(contact_points.c.channel, contact_points.c.value)).all())
        assert points == [("email", "a.b@example.com"), ("phone", "+8613812345678")]
        assert conn.execute(select(accounts.c.principal_minor).where(accounts.c.external_id == "T-2")
                            ).scalar_one() == 200_000
    again = import_file(runtime, "accounts", path)
    assert (again.rows_new, again.rows_changed, again.rows_unchanged) == (0, 0, 2)
