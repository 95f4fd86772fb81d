"""Reporting tables: the summaries the dashboard reads, refreshed by `jobs.refresh_summaries`.

Every summary is derived: it can be dropped and rebuilt from the other domains' tables at any time
(`arrears report refresh --all`). Ids of teams, users, accounts and payments are copied without foreign
keys so a summary never blocks a delete elsewhere. The indexes at the end serve the refresh's day-range
scans of other domains' tables (named ix_reporting_* so they never clash with the owners' own).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table

from arrears.compliance.store import contact_attempts
from arrears.core.tables import Id, UtcDateTime, metadata
from arrears.payments.store import promises
from arrears.portfolio.store import payments
from arrears.reporting.model import MEASURES
from arrears.worklist.store import work_items


def _measure_columns() -> list[Column[int]]:
    return [Column(name, BigInteger, nullable=False, server_default="0") for name in MEASURES]


# The daily cube: additive measures per (day, team, collector, product, bucket, experiment, arm, currency).
# Each fact is written once with experiment = '' (everyone) and once more per experiment arm the
# account was assigned to on or before that day; a query always picks one experiment ('' or a name).
report_daily = Table(
    "report_daily",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("day", Date, nullable=False),
    Column("team_id", BigInteger),
    Column("collector_id", BigInteger),
    Column("product", String(24), nullable=False),
    Column("bucket", String(8), nullable=False),
    Column("experiment", String(64), nullable=False, server_default=""),
    Column("arm", String(32), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    *_measure_columns(),
    Index("ix_report_daily_experiment_day", "experiment", "day"),
    Index("ix_report_daily_day", "day"),
)

# One row per posted payment (reversed ones excluded) with its dimensions, repeated like the cube once per
# experiment arm the account was in on that day (experiment '' = everyone): distinct paying accounts over
# any period, and the per-payment amounts behind Welch's test for the average payment.
report_payments = Table(
    "report_payments",
    metadata,
    Column("payment_id", BigInteger, primary_key=True, autoincrement=False),
    Column("experiment", String(64), primary_key=True, server_default=""),
    Column("arm", String(32), nullable=False, server_default=""),
    Column("day", Date, nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("team_id", BigInteger),
    Column("collector_id", BigInteger),
    Column("product", String(24), nullable=False),
    Column("bucket", String(8), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Index("ix_report_payments_experiment_day", "experiment", "day"),
    Index("ix_report_payments_day", "day"),
)

# The experiments and arms accounts are assigned to (what the filters offer), rebuilt at every refresh.
report_arms = Table(
    "report_arms",
    metadata,
    Column("experiment", String(64), primary_key=True),
    Column("arm", String(32), primary_key=True),
    Column("accounts", BigInteger, nullable=False),
)

# Collector time: per collector and day, from the first attempt's start to the last attempt's end.
report_collector_days = Table(
    "report_collector_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("collector_id", BigInteger, primary_key=True, autoincrement=False),
    Column("team_id", BigInteger),
    Column("first_at", UtcDateTime, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("ms", BigInteger, nullable=False),
)

# Roll matrix: accounts in `from_bucket` on the first day of `month` and in `to_bucket` a month later.
report_rolls = Table(
    "report_rolls",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("month", Date, nullable=False),
    Column("from_bucket", String(8), nullable=False),
    Column("to_bucket", String(8), nullable=False),
    Column("product", String(24), nullable=False),
    Column("team_id", BigInteger),
    Column("experiment", String(64), nullable=False, server_default=""),
    Column("arm", String(32), nullable=False, server_default=""),
    Column("accounts", BigInteger, nullable=False),
    Index("ix_report_rolls_experiment_month", "experiment", "month"),
)

# Recovery curves: delinquency episodes by month of entry (cohort) and what came in k months later
# (not cumulative: `entered` on k = 0 rows, first payers and amounts in the month they happened).
report_cohorts = Table(
    "report_cohorts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("cohort", Date, nullable=False),
    Column("months_since", Integer, nullable=False),
    Column("product", String(24), nullable=False),
    Column("team_id", BigInteger),
    Column("experiment", String(64), nullable=False, server_default=""),
    Column("arm", String(32), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    Column("entered", BigInteger, nullable=False, server_default="0"),
    Column("first_payers", BigInteger, nullable=False, server_default="0"),
    Column("collected_minor", BigInteger, nullable=False, server_default="0"),
    Index("ix_report_cohorts_experiment_cohort", "experiment", "cohort"),
)

# Which account a debtor-level event (an attempt, a work item without an account) is credited to:
# the debtor's account with the lowest id. Rebuilt at every refresh.
report_debtor_accounts = Table(
    "report_debtor_accounts",
    metadata,
    Column("debtor_id", BigInteger, primary_key=True, autoincrement=False),
    Column("account_id", BigInteger, nullable=False),
)

# Every refresh: the days it covered and what it wrote.
report_refreshes = Table(
    "report_refreshes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("zone", String(64), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=False),
    Column("activity_rows", BigInteger, nullable=False, server_default="0"),
    Column("payment_rows", BigInteger, nullable=False, server_default="0"),
    Column("roll_rows", BigInteger, nullable=False, server_default="0"),
    Column("cohort_rows", BigInteger, nullable=False, server_default="0"),
)

# Day-range scans of the refresh over other domains' tables.
Index("ix_reporting_attempts_started", contact_attempts.c.started_at)
Index("ix_reporting_work_items_due", work_items.c.due_at)
Index("ix_reporting_payments_paid_on", payments.c.paid_on)
Index("ix_reporting_promises_created", promises.c.created_at)
