"""KPIs computed set-based in SQL over a hand-counted portfolio, identical on SQLite and PostgreSQL.

The `runtime` fixture runs every test on both backends; each asserts exact figures worked out below, so
both backends produce the same numbers. The portfolio is described in reporting_seed.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Forbidden, InputRejected
from arrears.reporting import service
from arrears.reporting.model import Dimension, Filters, Grain, Period
from arrears.runtime import Runtime
from tests.authkit import make_user
from tests.integration.reporting_seed import DAY, Seed, seed_day

ONE_DAY = Period(DAY, DAY)


@pytest.fixture
def seeded(runtime: Runtime) -> Seed:
    seed = seed_day(runtime)
    service.refresh(runtime, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 3, 28))
    return seed


def _value(row: service.KpiRow, key: str) -> Decimal | None:
    return row.kpis[key].value


def test_totals_of_the_day(runtime: Runtime, seeded: Seed) -> None:
    total = service.kpi_table(runtime, SYSTEM, ONE_DAY).total
    m = total.measures
    # attempts: c1 4 + c2 1 + c3 2 = 7 (the SMS, the inbound call and the 29th/31st ones do not count)
    # answered: c1 rpc + third party, c2 rpc, c3 rpc = 4; right party: c1, c2, c3 one each = 3
    assert (m["attempts"], m["answered"], m["rpc"]) == (7, 4, 3)
    assert _value(total, "connect_rate") == Decimal("0.571429")  # 4 / 7
    assert _value(total, "rpc_rate") == Decimal("0.428571")  # 3 / 7
    # planned accounts: A1, A2 (two items, one account), A3, A4; attempted the same day: A1, A2, A3
    assert (m["planned"], m["planned_attempted"]) == (4, 3)
    assert _value(total, "penetration") == Decimal("0.750000")
    # CNY payments: A1 500.00 + A2 1,500.00 (the reversed 999.99 excluded) = 2,000.00 over 2 payments
    assert (m["payments"], m["collected_minor"]) == (2, 200_000)
    assert _value(total, "average_payment") == Decimal("1000.00")
    # hours: c1 09:00-13:00 = 4, c2 14:00-14:30 = 0.5, c3 09:00-11:00 = 2 -> 6.5
    assert m["collector_ms"] == 6.5 * 3_600_000
    assert _value(total, "collected_per_hour") == Decimal("307.69")  # 2,000.00 / 6.5 = 307.692...
    # accounts that paid (any currency): A1, A2, A4 -> 7 attempts / 3 = 2.33
    assert m["paying_accounts"] == 3
    assert _value(total, "calls_per_recovery") == Decimal("2.33")


def test_promise_kpis(runtime: Runtime, seeded: Seed) -> None:
    total = service.kpi_table(runtime, SYSTEM, ONE_DAY).total
    m = total.measures
    # taken on the 30th: c1's pending one, c2's kept one and c2's awaiting approval (the rejected one is not)
    assert (m["promises_made"], m["promised_minor"]) == (3, 30_000 + 30_000 + 900_000)
    assert _value(total, "ptp_rate") == Decimal("1.000000")  # 3 promises / 3 right-party contacts
    # due on the 30th and judged: kept (c2), broken (c3), partly kept (c1) -> kept rate 1/3
    assert (m["promises_due"], m["promises_kept"], m["promises_partly_kept"], m["promises_broken"]) == (
        3,
        1,
        1,
        1,
    )
    assert _value(total, "kept_rate") == Decimal("0.333333")
    assert _value(total, "kept_per_hour") == Decimal("0.15")  # 1 / 6.5 hours = 0.1538...
    rows = {
        r.label: r.measures for r in service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.COLLECTOR).rows
    }
    # credited to the collector who took the promise
    assert [
        (rows[c]["promises_made"], rows[c]["promises_due"], rows[c]["promises_kept"])
        for c in ("C1", "C2", "C3")
    ] == [(1, 1, 0), (2, 1, 1), (0, 1, 0)]
    stages = service.funnel(runtime, SYSTEM, ONE_DAY)
    assert [s.count for s in stages] == [7, 4, 3, 3, 1]


def test_money_in_another_currency(runtime: Runtime, seeded: Seed) -> None:
    total = service.kpi_table(runtime, SYSTEM, ONE_DAY, currency="USD").total
    # only A4's USD 200.00, one payment; counts (attempts, hours) are currency-free
    assert (total.measures["payments"], total.measures["collected_minor"]) == (1, 20_000)
    assert _value(total, "average_payment") == Decimal("200.00")
    assert total.kpis["average_payment"].currency == "USD"
    assert total.measures["attempts"] == 7


def test_by_team(runtime: Runtime, seeded: Seed) -> None:
    table = service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.TEAM)
    rows = {r.label: r for r in table.rows}
    assert list(rows) == ["North", "South"]
    north, south = rows["North"].measures, rows["South"].measures
    # North = c1 + c2: 5 attempts, 3 answered, 2 right party, 4.5 hours, A1 + A2 paid 2,000.00
    assert (north["attempts"], north["answered"], north["rpc"]) == (5, 3, 2)
    assert north["collector_ms"] == 4.5 * 3_600_000
    assert (north["payments"], north["collected_minor"], north["paying_accounts"]) == (2, 200_000, 2)
    # planned: North A1, A2 (both attempted); South A3 (attempted), A4 (not)
    assert (north["planned"], north["planned_attempted"], south["planned"], south["planned_attempted"]) == (
        2,
        2,
        2,
        1,
    )
    # South = c3: 2 attempts, 1 answered, 1 right party, 2 hours; A4 paid in USD only
    assert (south["attempts"], south["answered"], south["rpc"], south["collector_ms"]) == (2, 1, 1, 7_200_000)
    assert (south["payments"], south["paying_accounts"]) == (0, 1)
    assert rows["South"].group == str(seeded.south)
    assert table.total.measures["attempts"] == 7


def test_by_collector(runtime: Runtime, seeded: Seed) -> None:
    rows = {r.label: r for r in service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.COLLECTOR).rows}
    assert list(rows) == ["C1", "C2", "C3"]  # display names
    c1, c2 = rows["C1"], rows["C2"]
    assert (c1.measures["attempts"], c1.measures["rpc"], c1.measures["collector_ms"]) == (4, 1, 14_400_000)
    assert _value(c1, "connect_rate") == Decimal("0.500000")  # 2 / 4
    # payments are credited to the case's collector: A1 -> c1 500.00 over 4 hours = 125.00 per hour
    assert c1.measures["collected_minor"] == 50_000
    assert _value(c1, "collected_per_hour") == Decimal("125.00")
    # c2: A2 1,500.00 over half an hour = 3,000.00 per hour
    assert _value(c2, "collected_per_hour") == Decimal("3000.00")


def test_by_bucket_shares_hours_by_attempts(runtime: Runtime, seeded: Seed) -> None:
    rows = {r.group: r for r in service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.BUCKET).rows}
    assert list(rows) == ["M1", "M2", "M3"]  # bucket order
    m1, m2 = rows["M1"].measures, rows["M2"].measures
    # M1 = A1 (c1: no answer, right party) + A3 (c3: busy, right party): 4 attempts, 2 answered, 2 RPC
    assert (m1["attempts"], m1["answered"], m1["rpc"]) == (4, 2, 2)
    # M2 = A2 (c1: third party, voicemail; c2: right party): 3 attempts, 2 answered, 1 RPC
    assert (m2["attempts"], m2["answered"], m2["rpc"]) == (3, 2, 1)
    # hours: c1's 4 hours split 2/2 between M1 and M2; c2's half hour to M2; c3's 2 hours to M1
    assert (m1["collector_ms"], m2["collector_ms"]) == (4 * 3_600_000, int(2.5 * 3_600_000))
    # M3 = A4: planned, not attempted, paid in USD
    assert (rows["M3"].measures["attempts"], rows["M3"].measures["planned"]) == (0, 1)


def test_by_product_and_filters(runtime: Runtime, seeded: Seed) -> None:
    rows = {r.group: r for r in service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.PRODUCT).rows}
    assert list(rows) == ["credit_card", "consumer_loan"]
    assert rows["consumer_loan"].measures["attempts"] == 3  # A2
    assert rows["credit_card"].measures["attempts"] == 4  # A1, A3
    south_m1 = service.kpi_table(
        runtime, SYSTEM, ONE_DAY, None, Filters(team_id=seeded.south, bucket="M1")
    ).total
    assert south_m1.measures["attempts"] == 2 and south_m1.measures["rpc"] == 1


def test_local_days_and_trend(runtime: Runtime, seeded: Seed) -> None:
    # 23:30 on the 29th (15:30 UTC) is the 29th; 00:30 on the 31st (16:30 UTC on the 30th) is the 31st
    points = service.trend(runtime, SYSTEM, Period(date(2026, 3, 29), date(2026, 3, 31)), Grain.DAY)
    assert [(p.start.day, p.row.measures["attempts"]) for p in points] == [(29, 1), (30, 7), (31, 1)]
    assert points[0].row.measures["collected_minor"] == 10_000  # A1 100.00 on the 29th
    assert points[0].row.measures["paying_accounts"] == 1
    assert points[2].row.measures["planned"] == 1  # A3's work due on the 31st
    month = service.trend(runtime, SYSTEM, Period(date(2026, 3, 1), date(2026, 3, 31)), Grain.MONTH)
    assert len(month) == 1 and month[0].row.measures["attempts"] == 9
    # A1 paid on the 29th and the 30th: one paying account over the month, not two
    assert month[0].row.measures["paying_accounts"] == 3


def test_funnel_and_league(runtime: Runtime, seeded: Seed) -> None:
    stages = service.funnel(runtime, SYSTEM, ONE_DAY)
    assert [s.count for s in stages][:3] == [7, 4, 3]
    league = service.league(runtime, SYSTEM, ONE_DAY)
    # collected per hour: c2 3,000.00, c1 125.00, c3 0 (no CNY payment)
    assert [r.label for r in league.rows] == ["C2", "C1", "C3"]
    by_rpc = service.league(runtime, SYSTEM, ONE_DAY, order_by="connect_rate")
    # connect rate: c2 1/1, c1 2/4, c3 1/2 (tie with c1, then by name)
    assert [r.label for r in by_rpc.rows] == ["C2", "C1", "C3"]


def test_refresh_is_idempotent(runtime: Runtime, seeded: Seed) -> None:
    before = service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.COLLECTOR)
    service.refresh(runtime, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 3, 25))
    after = service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.COLLECTOR)
    assert [r.measures for r in before.rows] == [r.measures for r in after.rows]
    assert after.refreshed_at is not None


def test_team_lead_sees_only_their_team(runtime: Runtime, seeded: Seed) -> None:
    lead = make_user(runtime, Role.TEAM_LEAD, team_id=seeded.south)
    total = service.kpi_table(runtime, lead, ONE_DAY).total
    assert total.measures["attempts"] == 2  # South only
    by_team = service.kpi_table(runtime, lead, ONE_DAY, Dimension.TEAM)
    assert [r.group for r in by_team.rows] == [str(seeded.south)]
    with pytest.raises(Forbidden):
        service.kpi_table(runtime, lead, ONE_DAY, None, Filters(team_id=seeded.north))
    with pytest.raises(Forbidden):
        service.kpi_table(runtime, seeded.c1, ONE_DAY)  # collectors do not read reports
    with pytest.raises(Forbidden):
        service.refresh(runtime, lead)  # refreshing is batch work


def test_bad_filters_are_refused(runtime: Runtime, seeded: Seed) -> None:
    with pytest.raises(InputRejected) as caught:
        service.kpi_table(runtime, SYSTEM, ONE_DAY, Dimension.ARM)
    assert caught.value.problems[0].field == "experiment"
    with pytest.raises(InputRejected):
        service.kpi_table(runtime, SYSTEM, ONE_DAY, None, Filters(bucket="M99"))
    with pytest.raises(InputRejected):
        service.kpi_table(runtime, SYSTEM, ONE_DAY, currency="yuan")
