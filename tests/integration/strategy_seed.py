"""Seed data for the strategy tests: teams, collectors, and delinquent debtors with an account each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from arrears.core.access import Principal, Role
from arrears.portfolio.aging.rules import bucket_for
from arrears.portfolio.store import accounts, cases, contact_points, debtors, due_items
from arrears.runtime import Runtime
from tests.authkit import make_team, make_user

STAMP = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = date(2026, 3, 31)
THRESHOLDS = (30, 60, 90, 120, 150, 180)


@dataclass
class Desk:
    """Two teams named as in the default strategy, collectors and a lead."""

    zh_team: int
    en_team: int
    zh1: Principal
    zh2: Principal
    en1: Principal
    lead: Principal


def desk(rt: Runtime, capacity: int = 400) -> Desk:
    """The default strategy's two teams, two zh-CN collectors, one English collector, a zh-CN team lead."""
    zh = make_team(rt, "催收一组 Team A (zh-CN)")
    en = make_team(rt, "Team B (English)")
    return Desk(
        zh,
        en,
        make_user(rt, Role.COLLECTOR, team_id=zh, capacity=capacity, languages="zh-CN"),
        make_user(rt, Role.COLLECTOR, team_id=zh, capacity=capacity, languages="zh-CN"),
        make_user(rt, Role.COLLECTOR, team_id=en, capacity=capacity, languages="en,zh-CN"),
        make_user(rt, Role.TEAM_LEAD, team_id=zh),
    )


def debtor(
    rt: Runtime,
    n: int,
    dpd: int,
    *,
    language: str = "zh-CN",
    kind: str = "person",
    key: bool = False,
    product: str = "consumer_loan",
    balance: int = 500_000,
    contactability: str = "contactable",
    tz: str = "Asia/Shanghai",
    team: int | None = None,
    collector: int | None = None,
    case_status: str = "open",
    with_case: bool = True,
    as_of: date = AS_OF,
) -> dict[str, int]:
    """A debtor with a phone and one account `dpd` days late (aged already: dpd, bucket and a case)."""
    with rt.engine.begin() as conn:
        stamp: dict[str, Any] = {"row_hash": "h", "created_at": STAMP, "updated_at": STAMP}
        debtor_id = conn.execute(
            insert(debtors)
            .values(
                external_id=f"SD{n}",
                kind=kind,
                name=f"Debtor {n}",
                timezone=tz,
                timezone_source="address",
                region="CN",
                preferred_language=language,
                is_key_account=1 if key else 0,
                contactability=contactability,
                **stamp,
            )
            .returning(debtors.c.id)
        ).scalar_one()
        conn.execute(
            insert(contact_points).values(
                debtor_id=debtor_id,
                relationship="self",
                channel="phone",
                value=f"+8613{n:09d}",
                timezone=tz,
                source="debtor_provided",
                consent="debtor_gave",
                status="valid",
                **stamp,
            )
        )
        case_id = None
        if with_case:
            case_id = conn.execute(
                insert(cases)
                .values(
                    debtor_id=debtor_id,
                    status=case_status,
                    opened_on=as_of - timedelta(days=max(dpd, 1)),
                    team_id=team,
                    collector_id=collector,
                    created_at=STAMP,
                    updated_at=STAMP,
                )
                .returning(cases.c.id)
            ).scalar_one()
        account_id = conn.execute(
            insert(accounts)
            .values(
                external_id=f"SA{n}",
                debtor_id=debtor_id,
                case_id=case_id,
                product=product,
                currency="CNY",
                principal_minor=balance,
                dpd=dpd,
                bucket=bucket_for(dpd, THRESHOLDS),
                aged_as_of=as_of,
                penalty_through=as_of,
                late_fee_through=as_of,
                **stamp,
            )
            .returning(accounts.c.id)
        ).scalar_one()
        if dpd > 0:
            conn.execute(
                insert(due_items).values(
                    account_id=account_id,
                    due_date=as_of - timedelta(days=dpd),
                    amount_minor=balance,
                    principal_minor=balance,
                )
            )
    return {"debtor": int(debtor_id), "account": int(account_id), "case": int(case_id or 0)}
