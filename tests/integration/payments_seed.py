"""Seed data for the payments tests: a desk (collector, team lead, managers), debtors with an account,
due items and an open case; small helpers to read rows back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, insert, select

from arrears.core.access import Principal, Role
from arrears.portfolio.store import accounts, cases, debtors, due_items
from arrears.runtime import Runtime
from tests.authkit import make_agency, make_team, make_user

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Desk:
    """A team with a collector (authority CNY 3,000), a second collector, a team lead and two managers."""

    team: int
    collector: Principal
    other: Principal
    lead: Principal
    manager: Principal
    manager2: Principal
    agency: int
    agent: Principal


@dataclass
class Acct:
    """A seeded debtor with one account and its case."""

    debtor: int
    account: int
    case: int
    external_id: str


def desk(rt: Runtime) -> Desk:
    """The people the payments tests act as."""
    team = make_team(rt)
    agency = make_agency(rt)
    return Desk(
        team,
        make_user(rt, Role.COLLECTOR, team_id=team, promise_authority_minor=300_000),
        make_user(rt, Role.COLLECTOR, team_id=team),
        make_user(rt, Role.TEAM_LEAD, team_id=team),
        make_user(rt, Role.MANAGER),
        make_user(rt, Role.MANAGER),
        agency,
        make_user(rt, Role.AGENCY_USER, agency_id=agency),
    )


def account(rt: Runtime, n: int, team: int | None, collector: int | None = None, *, tz: str = "Asia/Shanghai",
            principal: int = 400_000, interest: int = 50_000, fees: int = 20_000, penalty: int = 30_000,
            currency: str = "CNY", bucket: str = "M2", dpd: int = 45, product: str = "consumer_loan",
            due: tuple[tuple[date, int], ...] = ((date(2026, 2, 14), 250_000), (date(2026, 3, 14), 250_000)),
            agency_id: int | None = None, language: str = "zh-CN") -> Acct:
    """A person with one account (balances in minor units), its due items and an open case."""
    with rt.engine.begin() as conn:
        debtor_id = conn.execute(insert(debtors).values(
            external_id=f"PD{n}", kind="person", name=f"王{n}", timezone=tz, timezone_source="address",
            region="CN", preferred_language=language, row_hash="h", created_at=STAMP, updated_at=STAMP,
        ).returning(debtors.c.id)).scalar_one()
        case_id = conn.execute(insert(cases).values(
            debtor_id=debtor_id, status="open", opened_on=date(2026, 1, 1), team_id=team,
            collector_id=collector, created_at=STAMP, updated_at=STAMP,
        ).returning(cases.c.id)).scalar_one()
        external = f"LN{n:06d}"
        account_id = conn.execute(insert(accounts).values(
            external_id=external, debtor_id=debtor_id, case_id=case_id, product=product, currency=currency,
            open_date=date(2025, 6, 1), principal_minor=principal, interest_minor=interest, fees_minor=fees,
            penalty_minor=penalty, dpd=dpd, bucket=bucket, agency_id=agency_id, row_hash="h",
            created_at=STAMP, updated_at=STAMP,
        ).returning(accounts.c.id)).scalar_one()
        for day, amount in due:
            conn.execute(insert(due_items).values(account_id=account_id, due_date=day, amount_minor=amount,
                                                  principal_minor=amount))
    return Acct(int(debtor_id), int(account_id), int(case_id), external)


def rows(rt: Runtime, table: Any, *where: Any) -> list[Any]:
    """All rows of a table matching the conditions."""
    with rt.engine.connect() as conn:
        return list(conn.execute(select(table).where(*where)))


def count(rt: Runtime, table: Any, *where: Any) -> int:
    """How many rows of a table match."""
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def balances(rt: Runtime, account_id: int) -> dict[str, int]:
    """An account's component balances and credit."""
    with rt.engine.connect() as conn:
        r = conn.execute(select(accounts).where(accounts.c.id == account_id)).one()
    return {"principal": r.principal_minor, "interest": r.interest_minor, "fees": r.fees_minor,
            "penalty": r.penalty_minor, "credit": r.credit_minor}
