"""`load_demo` end to end on SQLite and PostgreSQL: generate, import the three files, age, summarise."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from arrears.core.clock import today
from arrears.core.errors import Conflict, InputRejected
from arrears.portfolio.aging.rules import bucket_for, bucket_labels
from arrears.portfolio.demo.generator import generate
from arrears.portfolio.demo.service import existing_debtors, load_demo
from arrears.portfolio.store import accounts, contact_points, debtors, payments
from arrears.runtime import Runtime

SEED = 4242


def test_demo_loads_ages_and_is_skipped_when_not_empty(runtime: Runtime) -> None:
    as_of = today(runtime.clock)
    thresholds = tuple(runtime.settings.bucket_thresholds)
    expected = generate(200, SEED, as_of, thresholds)
    seen: list[str] = []

    summary = load_demo(runtime, debtors=200, seed=SEED, as_of=as_of,
                        progress=lambda done, total=None, label="": seen.append(label))

    assert not summary.skipped
    assert summary.rejected == {"accounts": 0, "contacts": 0, "payments": 0}
    assert summary.debtors == 200
    assert summary.accounts_by_product == dict(Counter(a["product"] for a in expected.accounts))
    assert summary.payments == len(expected.payments)
    assert summary.contacts >= len(expected.contacts)
    assert set(summary.buckets) == set(bucket_labels(thresholds))
    assert all(summary.buckets[label] > 0 for label in bucket_labels(thresholds))
    assert sum(summary.buckets.values()) == summary.accounts
    assert summary.balances["CNY"]["principal"] > 0
    assert summary.paid["CNY"] > 0
    assert {"generate", "import accounts", "import contacts", "import payments", "aging", "total"} <= set(
        summary.timings)
    assert any(label.startswith("importing accounts") for label in seen)
    assert any(label.startswith("aging") for label in seen)

    with runtime.engine.connect() as conn:
        rows = conn.execute(select(accounts.c.external_id, accounts.c.dpd, accounts.c.bucket)).all()
        phones = conn.execute(
            select(func.count()).select_from(contact_points).where(contact_points.c.channel == "phone")
        ).scalar_one()
    assert len(rows) == len(expected.accounts)
    for external_id, dpd, bucket in rows:
        assert dpd == expected.intended_dpd[external_id], external_id
        assert bucket == bucket_for(dpd, thresholds)
    assert phones > 200

    again = load_demo(runtime, debtors=200, seed=SEED + 1, as_of=as_of, if_empty=True)
    assert again.skipped
    assert again.debtors == 200 and again.accounts == len(expected.accounts)
    assert existing_debtors(runtime) == 200
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(debtors)).scalar_one() == 200
        assert conn.execute(select(func.count()).select_from(payments)).scalar_one() == len(expected.payments)


def test_demo_refuses_a_populated_database_and_a_future_date(runtime: Runtime) -> None:
    as_of = today(runtime.clock)
    with pytest.raises(InputRejected, match="after today"):
        load_demo(runtime, debtors=5, seed=1, as_of=as_of + timedelta(days=1))
    assert existing_debtors(runtime) == 0
    first = load_demo(runtime, debtors=20, seed=1, as_of=as_of)
    with pytest.raises(Conflict, match="already holds 20 debtors"):
        load_demo(runtime, debtors=20, seed=2, as_of=as_of)
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(accounts)).scalar_one() == first.accounts
