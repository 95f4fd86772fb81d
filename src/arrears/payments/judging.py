"""Pure rules for promises and plans: tolerance, attributing payments, judging, reminder times, schedules."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from arrears.payments.model import PromiseStatus
from arrears.payments.policy import PromisePolicy


def tolerance(amount_minor: int, absolute_minor: int, percent: Decimal) -> int:
    """The shortfall still counted as kept: the larger of the absolute and the percentage tolerance."""
    share = (Decimal(amount_minor) * percent / Decimal(100)).to_integral_value(rounding=ROUND_FLOOR)
    return max(absolute_minor, int(share))


def judge(amount_minor: int, paid_minor: int, due_on: date, grace_days: int, tolerance_minor: int,
          as_of: date) -> PromiseStatus:
    """Kept as soon as covered (within tolerance); after due + grace partly kept or broken; else pending."""
    if paid_minor >= amount_minor - tolerance_minor:
        return PromiseStatus.KEPT
    if as_of > due_on + timedelta(days=grace_days):
        return PromiseStatus.PARTLY_KEPT if paid_minor > 0 else PromiseStatus.BROKEN
    return PromiseStatus.PENDING


@dataclass(frozen=True, slots=True)
class PaidItem:
    """A posted (not reversed) payment as judging sees it."""

    id: int
    paid_on: date
    amount_minor: int
    posted_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PromiseWindow:
    """A promise as judging sees it: payments from `opens_on` to due + grace count toward it."""

    id: int
    opens_on: date
    due_on: date
    grace_days: int
    amount_minor: int
    opened_at: datetime | None = None  # payments already on the books when the promise was made don't count

    def counts(self, p: PaidItem) -> bool:
        """Whether a payment falls in this promise's window."""
        if not self.opens_on <= p.paid_on <= self.closes_on:
            return False
        return self.opened_at is None or p.posted_at is None or p.posted_at >= self.opened_at

    @property
    def closes_on(self) -> date:
        """The last day a payment counts."""
        return self.due_on + timedelta(days=self.grace_days)


def attribute(payments: Sequence[PaidItem], windows: Sequence[PromiseWindow]) -> dict[int, int]:
    """Share payments among promises: earliest due first, each up to its amount, only within its window.

    A payment is never counted twice, and a promise never gets more than it promised.
    """
    left = {p.id: p.amount_minor for p in payments}
    ordered_payments = sorted(payments, key=lambda p: (p.paid_on, p.id))
    out: dict[int, int] = {}
    for w in sorted(windows, key=lambda w: (w.due_on, w.id)):
        need = w.amount_minor
        got = 0
        for p in ordered_payments:
            if need <= 0:
                break
            if not w.counts(p) or left[p.id] <= 0:
                continue
            take = min(need, left[p.id])
            left[p.id] -= take
            need -= take
            got += take
        out[w.id] = got
    return out


def instalments_paid(amounts: Sequence[int], paid_total: int) -> list[int]:
    """A plan's payments fill its instalments in order: how much of each is paid."""
    out = []
    left = paid_total
    for amount in amounts:
        take = min(amount, max(left, 0))
        out.append(take)
        left -= take
    return out


def plan_breaks(statuses: Sequence[PromiseStatus | str], max_missed: int) -> bool:
    """A plan breaks once `max_missed` instalments are missed (broken or only partly kept)."""
    missed = sum(1 for s in statuses if str(s) in (PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT))
    return missed >= max_missed


def split_amount(total_minor: int, count: int) -> list[int]:
    """Equal instalments; the remainder (a few fen) goes on the first one, so the sum is exact."""
    if count <= 0 or total_minor <= 0:
        raise ValueError("a plan needs a positive total and at least one instalment")
    base, rest = divmod(total_minor, count)
    if base == 0:
        raise ValueError("each instalment must be at least one minor unit")
    return [base + rest] + [base] * (count - 1)


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor_day or day.day, last))


def schedule(start_on: date, count: int, frequency: str) -> list[date]:
    """Due dates of a plan's instalments: weekly, biweekly or monthly from the first due date."""
    if frequency == "weekly":
        return [start_on + timedelta(days=7 * i) for i in range(count)]
    if frequency == "biweekly":
        return [start_on + timedelta(days=14 * i) for i in range(count)]
    if frequency == "monthly":
        return [add_months(start_on, i, start_on.day) for i in range(count)]
    raise ValueError(f"unknown frequency {frequency!r}")


def _at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The debtor's local date at `now`."""
    return now.astimezone(tz).date()


def reminder_at(due_on: date, due_time: time | None, tz: ZoneInfo, now: datetime,
                policy: PromisePolicy) -> datetime:
    """The reminder: the day before at the policy's local time; if that has passed, shortly before."""
    planned = _at(due_on - timedelta(days=1), policy.reminder_local_time, tz)
    if planned >= now:
        return planned
    if due_time is not None:
        before = _at(due_on, due_time, tz) - timedelta(hours=policy.reminder_hours_before)
    else:
        before = _at(due_on, time(9, 0), tz)
    return max(before, now)


def followup_at(due_on: date, grace_days: int, tz: ZoneInfo, now: datetime,
                policy: PromisePolicy) -> datetime:
    """The follow-up: the morning after the due date, to check the money came (never before now)."""
    return max(_at(due_on + timedelta(days=1), policy.followup_local_time, tz), now)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first moment after a local day (a reminder is pointless after it)."""
    return _at(day + timedelta(days=1), time(0, 0), tz)


def reage_items(items: Sequence[tuple[date, int, int]], today: date,
                dates: Sequence[date]) -> dict[date, tuple[int, int]]:
    """Re-aging: the unpaid part of every overdue item moves onto the plan's coming dates.

    `items` are (due date, amount, paid); returns every date's new (amount, paid). What is owed in total
    (amount - paid summed) is unchanged; nothing is overdue afterwards.
    """
    coming = sorted(d for d in set(dates) if d >= today)
    if not coming:
        raise ValueError("re-aging needs at least one coming instalment date")
    out: dict[date, tuple[int, int]] = {d: (a, p) for d, a, p in items}
    moved = 0
    for d, (amount, paid) in list(out.items()):
        if d < today and amount > paid:
            moved += amount - paid
            out[d] = (paid, paid)
    if moved == 0:
        return out
    shares = [moved // len(coming)] * len(coming)
    shares[0] += moved - sum(shares)
    for d, share in zip(coming, shares, strict=True):
        amount, paid = out.get(d, (0, 0))
        out[d] = (amount + share, paid)
    return out
