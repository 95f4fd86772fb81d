"""Batch work of reporting: refresh the summaries the dashboard reads (the nightly run calls this).

`refresh_summaries(conn, as_of, now)` rebuilds, inside the caller's transaction, the daily cube and the
payment facts of the last REFRESH_DAYS days up to as_of (late payments, promises judged after their grace
days and late dialer reports land in days already summarised), the roll matrices of every cycle that
ended in that window, and the recovery curves of every cohort still within its horizon. Idempotent: a
rerun for the same dates writes the same rows.
"""

from __future__ import annotations

import time as timer
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from arrears.compliance.store import contact_attempts
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.aging.rules import bucket_labels
from arrears.portfolio.store import bucket_history, payments
from arrears.reporting import refresh
from arrears.reporting.days import refresh_days
from arrears.reporting.model import RefreshSummary
from arrears.reporting.rules import add_months, month_start
from arrears.reporting.store import report_refreshes

REFRESH_DAYS = 40  # `arrears report refresh` without --from: deep enough for any late correction
NIGHTLY_DAYS = 7  # the nightly run: late dialer reports and promises judged after their grace days
CHUNK_DAYS = 7  # days rebuilt per statement: one scan of the accounts serves a week


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """The day's start and the next day's start in the zone, as aware instants."""
    tz = ZoneInfo(zone)
    return datetime.combine(day, time(0), tzinfo=tz), datetime.combine(
        day + timedelta(days=1), time(0), tzinfo=tz
    )


def earliest_day(conn: Connection, zone: str) -> date | None:
    """The first day with anything to report (an attempt, a payment or a bucket change), or None."""
    first_attempt = conn.execute(select(func.min(contact_attempts.c.started_at))).scalar()
    candidates = [
        first_attempt.astimezone(ZoneInfo(zone)).date() if first_attempt else None,
        conn.execute(select(func.min(payments.c.paid_on))).scalar(),
        conn.execute(select(func.min(bucket_history.c.entered_on))).scalar(),
    ]
    found = [d for d in candidates if d is not None]
    return min(found) if found else None


def _settings_defaults() -> tuple[str, list[int]]:
    from arrears.settings import Settings

    settings = Settings()
    return settings.default_timezone, list(settings.bucket_thresholds)


def refresh_summaries(
    conn: Connection,
    as_of: date,
    now: datetime,
    progress: Progress | None = None,
    *,
    start: date | None = None,
    zone: str | None = None,
    thresholds: list[int] | None = None,
) -> RefreshSummary:
    """Rebuild the reporting summaries from `start` (default: REFRESH_DAYS before as_of) to as_of."""
    if zone is None or thresholds is None:
        default_zone, default_thresholds = _settings_defaults()
        zone, thresholds = zone or default_zone, thresholds or default_thresholds
    ZoneInfo(zone)  # refuse an unknown zone before writing anything
    first = start if start is not None else as_of - timedelta(days=REFRESH_DAYS - 1)
    if first > as_of:
        raise ValueError(f"refresh starts ({first}) after it ends ({as_of})")
    report = progress or no_progress
    began = timer.perf_counter()
    refresh.lock(conn)
    phases: dict[str, float] = {}
    mark = timer.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now_s = timer.perf_counter()
        phases[name] = round(phases.get(name, 0.0) + now_s - mark, 3)
        mark = now_s

    refresh.rebuild_debtor_accounts(conn)
    refresh.rebuild_arms(conn)
    lap("lookups")
    days = [first + timedelta(days=i) for i in range((as_of - first).days + 1)]
    months = _roll_months(first, as_of)
    cohorts = _cohorts(first, as_of)
    total = len(days) + len(months) + len(cohorts)
    cube_rows = payment_rows = roll_rows = cohort_rows = 0
    for i in range(0, len(days), CHUNK_DAYS):
        chunk = days[i : i + CHUNK_DAYS]
        cube, paid = refresh_days(conn, [(d, *day_bounds(d, zone)) for d in chunk])
        cube_rows += cube
        payment_rows += paid
        report(i + len(chunk), total, f"reporting: days {chunk[0]} to {chunk[-1]}")
    lap("days")
    for j, month in enumerate(months, len(days) + 1):
        roll_rows += refresh.refresh_rolls(conn, month)
        report(j, total, f"reporting: rolls {month:%Y-%m}")
    lap("rolls")
    first_delinquent = bucket_labels(thresholds)[1]
    for k, cohort in enumerate(cohorts, len(days) + len(months) + 1):
        cohort_rows += refresh.refresh_cohort(conn, cohort, first_delinquent)
        report(k, total, f"reporting: cohort {cohort:%Y-%m}")
    lap("cohorts")
    conn.execute(
        insert(report_refreshes).values(
            first_day=first,
            last_day=as_of,
            zone=zone,
            started_at=now,
            finished_at=now,
            activity_rows=cube_rows,
            payment_rows=payment_rows,
            roll_rows=roll_rows,
            cohort_rows=cohort_rows,
        )
    )
    return RefreshSummary(
        start=first,
        end=as_of,
        days=len(days),
        activity_rows=cube_rows,
        payment_rows=payment_rows,
        roll_rows=roll_rows,
        cohort_rows=cohort_rows,
        seconds=round(timer.perf_counter() - began, 3),
        phases=phases,
    )


def _roll_months(first: date, as_of: date) -> list[date]:
    """Snapshot months whose one-month cycle ended within [first month - 1, as_of]."""
    out: list[date] = []
    month = add_months(month_start(first), -1)
    while add_months(month, 1) <= as_of:
        out.append(month)
        month = add_months(month, 1)
    return out


def _cohorts(first: date, as_of: date) -> list[date]:
    """Cohort months whose recovery curve can still change: within the horizon of the window."""
    out: list[date] = []
    month = add_months(month_start(first), -refresh.COHORT_HORIZON)
    while month <= month_start(as_of):
        out.append(month)
        month = add_months(month, 1)
    return out
