"""End-to-end fixtures: a migrated temp SQLite database seeded with Core inserts, and the full app on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from arrears import migrate
from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.portfolio.store import (
    accounts,
    aging_runs,
    bucket_history,
    cases,
    contact_points,
    debtors,
    due_items,
    import_batches,
    payments,
)
from arrears.settings import Settings

NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
TODAY = NOW.date()
XSS_NAME = "<script>alert('x')</script>"

# Full numbers that must never appear in a page or response.
PHONES = {
    "zhang_self": "+8613812345678",
    "zhang_spouse": "+8613987654321",
    "li_self": "+8615011112222",
    "company_payables": "+862087654321",
    "xss_self": "+12125550123",
    "wang_self": "+8618600001111",
}
ID_NUMBERS = {"zhang": "110105199001011234", "li": "310115198512123456", "company": "91440300MA5FXXXX1X"}


@dataclass
class Seeded:
    """Ids of what the seed inserted."""

    zhang: int
    li: int
    company: int
    xss: int
    wang: int


def _stamp() -> dict[str, Any]:
    return {"row_hash": "0" * 32, "created_at": NOW, "updated_at": NOW}


def _debtor(conn: Any, external_id: str, name: str, **extra: Any) -> int:
    values = {"external_id": external_id, "kind": "person", "name": name, "timezone": "Asia/Shanghai",
              "timezone_source": "address", **_stamp(), **extra}
    return int(conn.execute(insert(debtors).values(**values)).inserted_primary_key[0])


def _contact(conn: Any, debtor_id: int, value: str, relationship: str = "self", channel: str = "phone",
             **extra: Any) -> None:
    values = {"debtor_id": debtor_id, "relationship": relationship, "channel": channel, "value": value,
              "source": "debtor_provided", "consent": "debtor_gave", "status": "valid", **_stamp(), **extra}
    conn.execute(insert(contact_points).values(**values))


def _case(conn: Any, debtor_id: int, status: str, opened: date, **extra: Any) -> int:
    return int(conn.execute(insert(cases).values(
        debtor_id=debtor_id, status=status, opened_on=opened, created_at=NOW, updated_at=NOW, **extra,
    )).inserted_primary_key[0])


def _account(conn: Any, debtor_id: int, external_id: str, product: str, *, case_id: int | None, dpd: int,
             bucket: str, principal: int, interest: int = 0, fees: int = 0, penalty: int = 0,
             currency: str = "CNY", **extra: Any) -> int:
    return int(conn.execute(insert(accounts).values(
        debtor_id=debtor_id, external_id=external_id, product=product, case_id=case_id, currency=currency,
        dpd=dpd, bucket=bucket, principal_minor=principal, interest_minor=interest, fees_minor=fees,
        penalty_minor=penalty, aged_as_of=TODAY, late_fee_minor=5000, penalty_rate_ppm=180_000,
        open_date=date(2024, 6, 1), **_stamp(), **extra,
    )).inserted_primary_key[0])


def seed_portfolio(engine: Engine) -> Seeded:
    """Five debtors over M0, M1, M2, M4 and WO, three products, two currencies, plus runs and a batch."""
    with engine.begin() as conn:
        zhang = _debtor(conn, "D-0001", "张伟", id_type="resident_id", id_number=ID_NUMBERS["zhang"],
                        occupation="工程师", employer="北京某某科技有限公司",
                        address="北京市朝阳区建国路88号3单元1201室", region="CN")
        _contact(conn, zhang, PHONES["zhang_self"])
        _contact(conn, zhang, PHONES["zhang_spouse"], relationship="spouse", contact_name="王芳",
                 source="contract", consent="contract_names")
        _contact(conn, zhang, "zhangwei@example.com", channel="email")
        c1 = _case(conn, zhang, "open", TODAY - timedelta(days=45))
        a1 = _account(conn, zhang, "CC-0001", "credit_card", case_id=c1, dpd=45, bucket="M2",
                      principal=1_000_000, interest=50_000, fees=20_000, penalty=3_456,
                      credit_limit_minor=2_000_000, last_payment_date=date(2026, 1, 20),
                      last_payment_minor=30_000)
        conn.execute(insert(due_items), [
            {"account_id": a1, "due_date": date(2026, 1, 15), "amount_minor": 60_000, "paid_minor": 30_000},
            {"account_id": a1, "due_date": date(2026, 2, 15), "amount_minor": 60_000, "paid_minor": 0},
            {"account_id": a1, "due_date": date(2026, 4, 15), "amount_minor": 60_000, "paid_minor": 0},
        ])
        conn.execute(insert(payments).values(
            reference="PAY-0001", account_id=a1, paid_on=date(2026, 1, 20), amount_minor=30_000,
            currency="CNY", channel="wechat_pay", row_hash="0" * 32, created_at=NOW))
        conn.execute(insert(bucket_history), [
            {"account_id": a1, "bucket": "M0", "entered_on": date(2025, 6, 1), "left_on": date(2026, 1, 16),
             "dpd_at_entry": 0},
            {"account_id": a1, "bucket": "M1", "entered_on": date(2026, 1, 16), "left_on": date(2026, 2, 15),
             "dpd_at_entry": 1},
            {"account_id": a1, "bucket": "M2", "entered_on": date(2026, 2, 15), "left_on": None,
             "dpd_at_entry": 31},
        ])

        li = _debtor(conn, "D-0002", "李娜", id_type="resident_id", id_number=ID_NUMBERS["li"])
        _contact(conn, li, PHONES["li_self"])
        _case(conn, li, "closed", date(2025, 11, 1), closed_on=date(2026, 1, 5), close_reason="paid")
        _account(conn, li, "CL-0002", "consumer_loan", case_id=None, dpd=0, bucket="M0", principal=500_000,
                 sub_type="salary")

        company = _debtor(conn, "D-0003", "深圳市前海某某贸易有限公司", kind="company", id_type="uscc",
                          id_number=ID_NUMBERS["company"], occupation="批发业", is_key_account=1)
        _contact(conn, company, PHONES["company_payables"], relationship="payables", contact_name="陈静",
                 source="contract", consent="contract_names")
        c3 = _case(conn, company, "on_hold", date(2025, 12, 1), hold_reason="dispute")
        _account(conn, company, "BR-0003", "business_receivable", case_id=c3, dpd=100, bucket="M4",
                 principal=12_345_678)

        xss = _debtor(conn, "D-0004", XSS_NAME, kind="company", timezone="America/New_York",
                      timezone_source="phone", region="US", occupation=XSS_NAME)
        _contact(conn, xss, PHONES["xss_self"])
        c4 = _case(conn, xss, "open", TODAY - timedelta(days=10))
        _account(conn, xss, "CC-0004", "credit_card", case_id=c4, dpd=10, bucket="M1", principal=25_000,
                 currency="USD")

        wang = _debtor(conn, "D-0005", "王强")
        _contact(conn, wang, PHONES["wang_self"], status="invalid")
        c5 = _case(conn, wang, "placed", date(2025, 6, 1))
        _account(conn, wang, "CL-0005", "consumer_loan", case_id=c5, dpd=200, bucket="WO", principal=800_000,
                 interest=12_000, sub_type="professional")

        conn.execute(insert(aging_runs).values(
            as_of=TODAY, started_at=NOW - timedelta(hours=2), finished_at=NOW - timedelta(minutes=119),
            accounts_aged=5, bucket_moves=2, late_fees=1, late_fees_minor=5000, penalty_minor=3456))
        conn.execute(insert(import_batches).values(
            reference="IMP-ABCD2345", kind="accounts", file_name="accounts-march.csv", file_sha256="0" * 64,
            started_at=NOW - timedelta(days=1), finished_at=NOW - timedelta(days=1), status="committed",
            rows_total=5, rows_new=5, rows_rejected=0))
    return Seeded(zhang=zhang, li=li, company=company, xss=xss, wang=wang)


def build_app(var_dir: Path, seed: bool = True) -> tuple[FastAPI, Seeded | None, Settings]:
    """A migrated SQLite database under var_dir (seeded or empty) and the full app on it."""
    from arrears.web.app import create_app

    settings = Settings(var_dir=var_dir, database_url="", environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    seeded = seed_portfolio(engine) if seed else None
    engine.dispose()
    return create_app(settings, FixedClock(NOW)), seeded, settings


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, Seeded]:
    """The full app on a seeded database (shared by a module's tests; they only read)."""
    app, seeded, _ = build_app(tmp_path_factory.mktemp("seeded"))
    assert seeded is not None
    return app, seeded


def logged_in(app: FastAPI, role: Role = Role.MANAGER, **scope: Any) -> TestClient:
    """A client with a page session (cookie) for a new user of the role; its CSRF token in `.csrf`."""
    from tests.authkit import make_user, session

    client = TestClient(app)
    client.csrf = session(app.state.runtime, client, make_user(app.state.runtime, role, **scope))  # type: ignore[attr-defined]
    return client


@pytest.fixture
def client(seeded_app: tuple[FastAPI, Seeded]) -> Iterator[TestClient]:
    """A fresh HTTP client on the seeded app, logged in as a manager (session cookie; `.csrf` token)."""
    with logged_in(seeded_app[0]) as c:
        yield c


@pytest.fixture
def anonymous(seeded_app: tuple[FastAPI, Seeded]) -> Iterator[TestClient]:
    """A fresh HTTP client (no cookies, no credentials) on the seeded app."""
    with TestClient(seeded_app[0]) as c:
        yield c


@pytest.fixture
def seeded(seeded_app: tuple[FastAPI, Seeded]) -> Seeded:
    """Ids of the seeded debtors."""
    return seeded_app[1]


@pytest.fixture
def empty_client(tmp_path: Path) -> Iterator[TestClient]:
    """An HTTP client on the full app over a migrated, empty database (logged in as a manager)."""
    app, _, _ = build_app(tmp_path, seed=False)
    with logged_in(app) as c:
        yield c
