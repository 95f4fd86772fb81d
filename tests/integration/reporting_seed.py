"""A small, hand-countable portfolio for the reporting tests (Core inserts; times in Asia/Shanghai).

Teams North (collectors c1, c2) and South (c3). Accounts:
  A1 credit_card CNY, case North/c1, M1 since 2026-03-05      (debtor D1)
  A2 consumer_loan CNY, case North/c2, M2 since 2026-02-20    (debtor D2)
  A3 credit_card CNY, case South/c3, M1 since 2026-03-10      (debtor D3)
  A4 credit_card USD, case South/c3, M3 since 2026-01-15      (debtor D4)
The day 2026-03-30 (local) is worked as described in `seed_day`; every figure is counted by hand in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from arrears.compliance.store import contact_attempts
from arrears.core.access import Principal, Role
from arrears.portfolio.store import accounts, bucket_history, cases, debtors, payments
from arrears.runtime import Runtime
from arrears.worklist.store import work_items
from tests.authkit import make_team, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment given in Shanghai time, as aware UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass
class Seed:
    """Ids the tests need."""

    north: int
    south: int
    c1: Principal
    c2: Principal
    c3: Principal
    debtors: dict[str, int]
    accounts: dict[str, int]


def _stamp() -> dict[str, Any]:
    return {"row_hash": "0" * 32, "created_at": NOW, "updated_at": NOW}


def debtor_with_account(
    conn: Any,
    key: str,
    product: str,
    currency: str,
    bucket: str,
    since: date,
    team_id: int | None,
    collector_id: int | None,
) -> tuple[int, int]:
    """A debtor, an open case and one account in `bucket` since `since` (with its open history row)."""
    debtor = conn.execute(
        insert(debtors).values(
            external_id=f"D-{key}",
            kind="person",
            name=f"Debtor {key}",
            timezone="Asia/Shanghai",
            timezone_source="default",
            **_stamp(),
        )
    ).inserted_primary_key[0]
    case = conn.execute(
        insert(cases).values(
            debtor_id=debtor,
            status="open",
            opened_on=since,
            team_id=team_id,
            collector_id=collector_id,
            created_at=NOW,
            updated_at=NOW,
        )
    ).inserted_primary_key[0]
    account = conn.execute(
        insert(accounts).values(
            external_id=f"A-{key}",
            debtor_id=debtor,
            case_id=case,
            product=product,
            currency=currency,
            bucket=bucket,
            dpd=1,
            principal_minor=1_000_000,
            **_stamp(),
        )
    ).inserted_primary_key[0]
    conn.execute(
        insert(bucket_history).values(
            account_id=account, bucket=bucket, entered_on=since, left_on=None, dpd_at_entry=1
        )
    )
    return int(debtor), int(account)


def attempt(
    conn: Any,
    debtor_id: int,
    collector: Principal | None,
    start: datetime,
    minutes: int | None,
    outcome: str,
    party: str = "debtor",
    channel: str = "call",
    direction: str = "outbound",
) -> None:
    """One recorded attempt (connected follows the outcome)."""
    connected = outcome in ("connected_rpc", "connected_third_party", "wrong_number", "refused", "visited")
    conn.execute(
        insert(contact_attempts).values(
            debtor_id=debtor_id,
            channel=channel,
            party=party,
            direction=direction,
            started_at=start,
            ended_at=None if minutes is None else start + timedelta(minutes=minutes),
            outcome=outcome,
            connected=connected,
            conversation=connected and party == "debtor",
            by_agency=False,
            collector=collector.username if collector else None,
            collector_id=collector.user_id if collector else None,
            created_at=NOW,
        )
    )


def work(
    conn: Any,
    debtor_id: int,
    account_id: int | None,
    due: datetime,
    kind: str = "call",
    status: str = "open",
    collector: Principal | None = None,
    team_id: int | None = None,
) -> None:
    """One work item due at `due`."""
    conn.execute(
        insert(work_items).values(
            debtor_id=debtor_id,
            account_id=account_id,
            kind=kind,
            status=status,
            due_at=due,
            reason="test",
            source="batch",
            collector_id=collector.user_id if collector else None,
            team_id=team_id,
            created_at=NOW,
            updated_at=NOW,
        )
    )


def promise(
    conn: Any,
    debtor_id: int,
    account_id: int,
    collector: Principal,
    created: datetime,
    due: date,
    status: str,
    amount: int = 30_000,
) -> None:
    """One promise to pay taken by a collector."""
    from arrears.payments.store import promises

    conn.execute(
        insert(promises).values(
            debtor_id=debtor_id,
            account_id=account_id,
            amount_minor=amount,
            currency="CNY",
            due_on=due,
            channel="bank_transfer",
            status=status,
            collector_id=collector.user_id,
            created_by=collector.username,
            created_at=created,
            updated_at=created,
        )
    )


def pay(
    conn: Any, account_id: int, on: date, amount: int, currency: str = "CNY", status: str = "posted"
) -> None:
    """One payment."""
    conn.execute(
        insert(payments).values(
            reference=f"P-{account_id}-{on}-{amount}",
            account_id=account_id,
            paid_on=on,
            amount_minor=amount,
            currency=currency,
            channel="bank_transfer",
            status=status,
            row_hash="0" * 32,
            created_at=NOW,
        )
    )


DAY = date(2026, 3, 30)


def seed_day(rt: Runtime) -> Seed:
    """The portfolio above and its activity around 2026-03-30 (local)."""
    north, south = make_team(rt, "North"), make_team(rt, "South")
    c1 = make_user(rt, Role.COLLECTOR, username="c1", team_id=north)
    c2 = make_user(rt, Role.COLLECTOR, username="c2", team_id=north)
    c3 = make_user(rt, Role.COLLECTOR, username="c3", team_id=south)
    with rt.engine.begin() as conn:
        d1, a1 = debtor_with_account(
            conn, "1", "credit_card", "CNY", "M1", date(2026, 3, 5), north, c1.user_id
        )
        d2, a2 = debtor_with_account(
            conn, "2", "consumer_loan", "CNY", "M2", date(2026, 2, 20), north, c2.user_id
        )
        d3, a3 = debtor_with_account(
            conn, "3", "credit_card", "CNY", "M1", date(2026, 3, 10), south, c3.user_id
        )
        d4, a4 = debtor_with_account(
            conn, "4", "credit_card", "USD", "M3", date(2026, 1, 15), south, c3.user_id
        )
        # c1: 09:00-13:00 local, four attempts -> 4 hours, 1 hour per attempt
        attempt(conn, d1, c1, local(DAY, 9), 1, "no_answer")
        attempt(conn, d1, c1, local(DAY, 10), 5, "connected_rpc")
        attempt(conn, d2, c1, local(DAY, 11), 3, "connected_third_party", party="third_party")
        attempt(conn, d2, c1, local(DAY, 12, 58), 2, "voicemail")
        # c2: 14:00-14:30 -> half an hour
        attempt(conn, d2, c2, local(DAY, 14), 30, "connected_rpc")
        # c3: 09:00 (no end recorded) to 11:00 -> 2 hours, 1 hour per attempt
        attempt(conn, d3, c3, local(DAY, 9), None, "busy")
        attempt(conn, d3, c3, local(DAY, 10), 60, "connected_rpc")
        # not attempts: an SMS and an inbound call
        attempt(conn, d1, c1, local(DAY, 15), None, "sent", channel="sms")
        attempt(conn, d3, None, local(DAY, 16), 5, "connected_rpc", direction="inbound")
        # the local day's edges: 23:30 on the 29th and 00:30 on the 31st belong to those days
        attempt(conn, d4, c3, local(date(2026, 3, 29), 23, 30), None, "no_answer")
        attempt(conn, d1, c1, local(date(2026, 3, 31), 0, 30), None, "no_answer")
        # work due on the 30th: A1, A2 (twice), A3, A4 are planned; tracing and cancelled work are not
        work(conn, d1, a1, local(DAY, 9), collector=c1, team_id=north)
        work(conn, d2, a2, local(DAY, 9), kind="promise_followup", collector=c2, team_id=north)
        work(conn, d2, None, local(DAY, 10), collector=c2, team_id=north)  # account from the debtor
        work(conn, d3, a3, local(DAY, 9), collector=c3, team_id=south)
        work(conn, d4, a4, local(DAY, 9), collector=c3, team_id=south)
        work(conn, d1, a1, local(DAY, 9), kind="skip_trace", collector=c1, team_id=north)
        work(conn, d3, a3, local(DAY, 11), status="cancelled", collector=c3, team_id=south)
        work(conn, d3, a3, local(date(2026, 3, 31), 9), collector=c3, team_id=south)  # next day
        # payments on the 30th: A1 500.00, A2 1,500.00 (and a reversed one), A4 USD 200.00; 29th: A1 100.00
        pay(conn, a1, DAY, 50_000)
        pay(conn, a2, DAY, 150_000)
        pay(conn, a2, DAY, 99_999, status="reversed")
        pay(conn, a4, DAY, 20_000, currency="USD")
        pay(conn, a1, date(2026, 3, 29), 10_000)
        # promises: taken on the 30th by c1 (pending), c2 (kept the same day) and c2 (awaiting approval);
        # a rejected one is not a promise taken; falling due on the 30th: kept (c2), broken (c3), partly (c1)
        promise(conn, d1, a1, c1, local(DAY, 10, 5), date(2026, 4, 5), "pending")
        promise(conn, d2, a2, c2, local(DAY, 14, 30), DAY, "kept")
        promise(conn, d2, a2, c2, local(DAY, 14, 31), date(2026, 4, 9), "awaiting_approval", 900_000)
        promise(conn, d3, a3, c3, local(DAY, 10, 30), date(2026, 4, 2), "rejected")
        promise(conn, d3, a3, c3, local(date(2026, 3, 20), 10), DAY, "broken")
        promise(conn, d1, a1, c1, local(date(2026, 3, 25), 10), DAY, "partly_kept")
    return Seed(
        north,
        south,
        c1,
        c2,
        c3,
        {"D1": d1, "D2": d2, "D3": d3, "D4": d4},
        {"A1": a1, "A2": a2, "A3": a3, "A4": a4},
    )


def seed_weeks(rt: Runtime, days: int = 28, accounts_n: int = 240, seed: int = 7) -> None:
    """A livelier portfolio for pages and screenshots: three teams, nine collectors, `days` days of work.

    Deterministic for a seed; used where shapes matter (charts), not exact figures.
    """
    import random

    rnd = random.Random(seed)
    teams = [make_team(rt, name) for name in ("North", "South", "East")]
    collectors = [
        make_user(rt, Role.COLLECTOR, username=f"agent{i + 1}", team_id=teams[i % 3]) for i in range(9)
    ]
    end = date(2026, 3, 30)
    products = ("credit_card", "consumer_loan", "business_receivable")
    with rt.engine.begin() as conn:
        portfolio = []
        for i in range(accounts_n):
            owner = collectors[i % 9]
            start_bucket = rnd.choice(("M1", "M1", "M2", "M2", "M3", "M4"))
            d, a = debtor_with_account(
                conn,
                f"W{i}",
                products[i % 3],
                "CNY",
                start_bucket,
                date(2026, 1, 1) + timedelta(days=rnd.randrange(28)),
                owner.team_id,
                owner.user_id,
            )
            portfolio.append((d, a, owner))
            # a month later: rolled on, stayed or cured (closing the January row)
            later = rnd.choice(("M0", "same", "next", "next"))
            if later != "same":
                moved_to = (
                    "M0" if later == "M0" else {"M1": "M2", "M2": "M3", "M3": "M4", "M4": "M5"}[start_bucket]
                )
                conn.execute(
                    bucket_history.update()
                    .where(bucket_history.c.account_id == a)
                    .values(left_on=date(2026, 2, 10))
                )
                conn.execute(
                    insert(bucket_history).values(
                        account_id=a, bucket=moved_to, entered_on=date(2026, 2, 10), dpd_at_entry=1
                    )
                )
        outcomes = (
            ["no_answer"] * 9
            + ["busy"] * 2
            + ["voicemail"] * 2
            + ["connected_third_party"] * 2
            + ["connected_rpc"] * 5
        )

        for day_index in range(days):
            day = end - timedelta(days=days - 1 - day_index)
            if day.weekday() == 6:
                continue
            for c_index, collector in enumerate(collectors):
                mine = [p for p in portfolio if p[2] is collector]
                minute = 9 * 60
                for _ in range(25 + c_index * 2 + rnd.randrange(10)):
                    debtor_id, account_id, _owner = rnd.choice(mine)
                    outcome = rnd.choice(outcomes)
                    party = "third_party" if outcome == "connected_third_party" else "debtor"
                    attempt(
                        conn, debtor_id, collector, local(day, minute // 60, minute % 60), 3, outcome, party
                    )
                    minute += 12 + rnd.randrange(6)
                    if outcome == "connected_rpc" and rnd.random() < 0.35:
                        pay(
                            conn,
                            account_id,
                            day + timedelta(days=rnd.randrange(3)),
                            rnd.randrange(20_000, 900_000),
                        )
                for debtor_id, account_id, _owner in rnd.sample(mine, min(len(mine), 20)):
                    work(
                        conn,
                        debtor_id,
                        account_id,
                        local(day, 9),
                        collector=collector,
                        team_id=collector.team_id,
                    )
