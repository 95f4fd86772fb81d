"""Seed data for the work-queue tests: a team, collectors, debtors with phones, accounts, cases, work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from arrears.core.access import Principal, Role
from arrears.portfolio.store import accounts, cases, contact_points, debtors
from arrears.runtime import Runtime
from arrears.worklist.model import PlannedWork, WorkKind
from arrears.worklist.planning import add_work
from tests.authkit import make_team, make_user

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Desk:
    """A team with two collectors and a team lead."""

    team: int
    alice: Principal
    bob: Principal
    lead: Principal


@dataclass
class Debtor:
    """A seeded debtor: ids of its phones, account and case."""

    id: int
    mobile: int
    spouse: int
    account: int
    case: int
    points: dict[str, int] = field(default_factory=dict)


def desk(rt: Runtime) -> Desk:
    """A team, two collectors in it and their team lead."""
    team = make_team(rt)
    return Desk(
        team,
        make_user(rt, Role.COLLECTOR, team_id=team, promise_authority_minor=1_000_000),
        make_user(rt, Role.COLLECTOR, team_id=team),
        make_user(rt, Role.TEAM_LEAD, team_id=team),
    )


def debtor(
    rt: Runtime,
    n: int,
    team: int,
    collector: int | None,
    *,
    tz: str = "Asia/Shanghai",
    region: str = "CN",
    mobile_status: str = "valid",
    balance_minor: int = 500_000,
    extra_points: tuple[tuple[str, str], ...] = (),
) -> Debtor:
    """A person with a mobile and a spouse's phone, one consumer loan and an open case."""
    with rt.engine.begin() as conn:
        debtor_id = conn.execute(
            insert(debtors)
            .values(
                external_id=f"D{n}",
                kind="person",
                name=f"张{n}",
                timezone=tz,
                timezone_source="address",
                region=region,
                row_hash="h",
                created_at=STAMP,
                updated_at=STAMP,
            )
            .returning(debtors.c.id)
        ).scalar_one()
        points: dict[str, int] = {}
        for name, rel, status in (
            ("mobile", "self", mobile_status),
            ("spouse", "spouse", "valid"),
            *((a, b, "valid") for a, b in extra_points),
        ):
            points[name] = conn.execute(
                insert(contact_points)
                .values(
                    debtor_id=debtor_id,
                    relationship=rel,
                    channel="phone",
                    value=f"+86139{n:04d}{len(points):04d}",
                    timezone=tz,
                    source="debtor_provided",
                    consent="debtor_gave",
                    status=status,
                    row_hash="h",
                    created_at=STAMP,
                    updated_at=STAMP,
                )
                .returning(contact_points.c.id)
            ).scalar_one()
        case_id = conn.execute(
            insert(cases)
            .values(
                debtor_id=debtor_id,
                status="open",
                opened_on=STAMP.date(),
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
                external_id=f"A{n}",
                debtor_id=debtor_id,
                case_id=case_id,
                product="consumer_loan",
                currency="CNY",
                principal_minor=balance_minor,
                dpd=45,
                bucket="M2",
                row_hash="h",
                created_at=STAMP,
                updated_at=STAMP,
            )
            .returning(accounts.c.id)
        ).scalar_one()
    return Debtor(debtor_id, points["mobile"], points["spouse"], account_id, case_id, points)


def work(
    rt: Runtime,
    d: Debtor,
    *,
    collector: int | None,
    team: int | None,
    kind: WorkKind = WorkKind.CALL,
    priority: float = 100.0,
    recovery: int = 0,
    due_in: timedelta = timedelta(hours=-1),
    point: int | None = None,
) -> int:
    """Put one work item on the queue (due an hour ago by default)."""
    now = rt.clock.now()
    item = PlannedWork(
        debtor_id=d.id,
        kind=kind,
        due_at=now + due_in,
        reason=f"{kind.value} D{d.id}",
        source="test",
        case_id=d.case,
        account_id=d.account,
        collector_id=collector,
        team_id=team,
        priority=priority,
        expected_recovery_minor=recovery,
        contact_point_id=point,
    )
    with rt.engine.begin() as conn:
        new_id = add_work(conn, item, now)
    assert new_id is not None
    return new_id
