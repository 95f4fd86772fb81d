"""The aging rules, pure and exact: DPD, buckets, missed late-fee cycles and penalty interest.

Definitions (every entry point, report and test uses these functions, never its own copy):

* An item is *unpaid* when paid_minor < amount_minor and *overdue* on `as_of` when it is unpaid and its
  due date is before `as_of`. An item due on `as_of` itself is not yet late; an item due later is ignored.
* DPD = as_of - the oldest overdue due date; 0 when nothing is overdue. The account is *delinquent* when
  DPD > 0.
* Buckets, with thresholds t1 < ... < tn (upper DPD bounds of M1..Mn): M0 is 0 DPD, M1 is 1..t1, Mk is
  t(k-1)+1..tk, and past tn the account is a write-off candidate, labelled WO.
* Late fee cycles: the oldest overdue due date c0, each monthly anniversary of it (on `due_day` when set,
  else on c0's day of month, clamped to the month's last day: Jan 31 -> Feb 28/29 -> Mar 31), and the due
  dates of the other overdue items. A cycle is *missed* once cycle + grace_days < as_of while the account
  is delinquent; each missed cycle is charged `late_fee_minor` once. Cycles are charged in date order and
  `late_fee_through` (the latest cycle charged) is the watermark: a cycle on or before it is never charged
  again, even when a partial payment shifts the cycle schedule (that would be a second fee for a month).
* Penalty interest: daily simple interest at `penalty_rate_ppm` (annual, parts per million) over
  `day_count` (360 or 365) on each overdue item's base, from the day after max(due date, penalty_through)
  through `as_of` inclusive. Grace days delay only the late fee, never the interest. Base per item:
  'overdue_amount' = amount - paid; 'overdue_principal' = min(principal share, amount - paid), i.e. a
  partial payment of an item is taken to have paid its non-principal part first. One run charges
  round_half_up(sum(base_i * days_i) * rate_ppm / (day_count * 10**6)) minor units. A run whose amount
  rounds to zero charges nothing and leaves penalty_through where it was, so the days carry into the next
  run instead of being forgiven by daily rounding. The base is the one known at the run: with nightly runs
  that is exact; a gap of several days is charged on the base as of the later run.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from arrears.portfolio.model import ContractTerms, PenaltyBasis

CURRENT = "M0"
WRITE_OFF = "WO"
PPM = 1_000_000
_M = tuple(f"M{i}" for i in range(100))


class DueLine(NamedTuple):
    """One due item as aging sees it: due date, amount, what is paid, and its principal share."""

    due_date: date
    amount_minor: int
    paid_minor: int = 0
    principal_minor: int = 0

    @property
    def unpaid_minor(self) -> int:
        """What is still owed on the item."""
        return max(0, self.amount_minor - self.paid_minor)


class Aging(NamedTuple):
    """The outcome of aging one account on one date."""

    dpd: int
    bucket: str
    late_fee_cycles: tuple[date, ...] = ()  # the missed cycles charged now, oldest first
    late_fee_minor: int = 0  # the fee per cycle
    penalty_minor: int = 0
    penalty_days: int = 0  # days the penalty covers (0 when nothing is charged)

    @property
    def late_fees_minor(self) -> int:
        """Total late fees charged by this aging."""
        return self.late_fee_minor * len(self.late_fee_cycles)

    @property
    def delinquent(self) -> bool:
        """True when the account is past due."""
        return self.dpd > 0


def bucket_for(dpd: int, thresholds: Sequence[int]) -> str:
    """The bucket label of a DPD: M0 for 0, M1..Mn up to each threshold, WO past the last."""
    if dpd <= 0:
        return CURRENT
    i = bisect_left(thresholds, dpd)
    return WRITE_OFF if i == len(thresholds) else _M[i + 1]


def bucket_labels(thresholds: Sequence[int]) -> tuple[str, ...]:
    """All bucket labels in order: M0, M1..Mn, WO."""
    return (CURRENT, *(_M[i + 1] for i in range(len(thresholds))), WRITE_OFF)


def bucket_bounds(label: str, thresholds: Sequence[int]) -> tuple[int, int | None]:
    """The inclusive DPD range of a bucket label; the upper bound of WO is None."""
    if label == CURRENT:
        return 0, 0
    if label == WRITE_OFF:
        return thresholds[-1] + 1, None
    k = int(label[1:]) if label[:1] == "M" and label[1:].isdigit() else 0
    if not 1 <= k <= len(thresholds):
        raise ValueError(f"unknown bucket {label!r} for thresholds {list(thresholds)}")
    return (thresholds[k - 2] + 1 if k > 1 else 1), thresholds[k - 1]


def bucket_rank(label: str, thresholds: Sequence[int]) -> int:
    """Position of a bucket in bucket_labels order (M0 = 0, WO = last); for roll-forward tests."""
    return bucket_labels(thresholds).index(label)


def overdue_items(items: Iterable[DueLine], as_of: date) -> list[DueLine]:
    """The unpaid items due before as_of (paid and not-yet-late items left out)."""
    return [i for i in items if i.paid_minor < i.amount_minor and i.due_date < as_of]


def days_past_due(items: Iterable[DueLine], as_of: date) -> int:
    """DPD: days from the oldest unpaid due date to as_of; 0 when nothing is overdue."""
    overdue = overdue_items(items, as_of)
    return (as_of - min(i.due_date for i in overdue)).days if overdue else 0


def last_day_of_month(year: int, month: int) -> int:
    """28..31: the number of days in a month of the proleptic Gregorian calendar."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return _MONTH_DAYS[month - 1]


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(start: date, months: int, day: int) -> date:
    """The date `months` months after start's month, on `day` clamped to that month's last day."""
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    last = last_day_of_month(year, month)
    return date(year, month, day if day <= last else last)


def cycle_dates(
    oldest: date, other_due: Iterable[date], until: date, due_day: int = 0, after: date | None = None,
) -> list[date]:
    """Cycle dates in (after, until]: oldest, its monthly anniversaries and the other due dates; sorted."""
    if oldest > until:
        return []
    day = due_day if due_day > 0 else oldest.day
    floor = oldest if after is None or after < oldest else after + timedelta(days=1)
    found = {d for d in other_due if floor <= d <= until}
    if oldest >= floor:
        found.add(oldest)
    # start at the month of `floor` (the anniversary there may still be before it; it is filtered)
    k = max(1, (floor.year - oldest.year) * 12 + floor.month - oldest.month)
    while (cycle := add_months(oldest, k, day)) <= until:
        if cycle >= floor:
            found.add(cycle)
        k += 1
    return sorted(found)


def missed_cycles(
    items: Iterable[DueLine], as_of: date, grace_days: int = 0, due_day: int = 0,
    charged_through: date | None = None,
) -> list[date]:
    """Cycles missed by as_of (cycle + grace < as_of) that are after the charged_through watermark."""
    overdue = overdue_items(items, as_of)
    if not overdue:
        return []
    return _missed(overdue, min(i.due_date for i in overdue), as_of, grace_days, due_day, charged_through)


def _missed(
    overdue: list[DueLine], oldest: date, as_of: date, grace_days: int, due_day: int,
    charged_through: date | None,
) -> list[date]:
    last = as_of - timedelta(days=(grace_days if grace_days > 0 else 0) + 1)
    if charged_through is not None and charged_through >= last:
        return []
    return cycle_dates(oldest, [i.due_date for i in overdue], last, due_day, charged_through)


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, in integers (both non-negative, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def penalty_base(item: DueLine, basis: PenaltyBasis | str) -> int:
    """The amount of one item that bears penalty interest under the basis."""
    unpaid = item.amount_minor - item.paid_minor
    if unpaid <= 0:
        return 0
    if basis == PenaltyBasis.OVERDUE_PRINCIPAL:
        return max(0, min(item.principal_minor, unpaid))
    return unpaid


def penalty_interest(base_days: int, rate_ppm: int, day_count: int) -> int:
    """Simple interest on base x days at an annual rate in ppm over a day count, rounded half-up."""
    if base_days <= 0 or rate_ppm <= 0:
        return 0
    return div_half_up(base_days * rate_ppm, day_count * PPM)


def penalty_accrual(
    items: Iterable[DueLine], as_of: date, rate_ppm: int, day_count: int = 360,
    basis: PenaltyBasis | str = PenaltyBasis.OVERDUE_AMOUNT, penalty_through: date | None = None,
) -> tuple[int, int]:
    """Penalty interest for the days after penalty_through up to as_of: (amount_minor, days)."""
    if rate_ppm <= 0:
        return 0, 0
    return _penalty(overdue_items(items, as_of), as_of, rate_ppm, day_count, basis, penalty_through)


def _penalty(
    overdue: list[DueLine], as_of: date, rate_ppm: int, day_count: int, basis: PenaltyBasis | str,
    penalty_through: date | None,
) -> tuple[int, int]:
    base_days = 0
    days = 0
    on_principal = basis == PenaltyBasis.OVERDUE_PRINCIPAL
    for item in overdue:
        start = item.due_date
        if penalty_through is not None and penalty_through > start:
            start = penalty_through
        n = (as_of - start).days
        if n > 0:
            base = item.amount_minor - item.paid_minor
            if on_principal and item.principal_minor < base:
                base = item.principal_minor if item.principal_minor > 0 else 0
            base_days += base * n
            if n > days:
                days = n
    amount = penalty_interest(base_days, rate_ppm, day_count)
    return (amount, days) if amount > 0 else (0, 0)


NOT_LATE = Aging(0, CURRENT)


def age_account(
    items: Sequence[DueLine], as_of: date, terms: ContractTerms, thresholds: Sequence[int],
    *, penalty_through: date | None = None, late_fee_through: date | None = None,
) -> Aging:
    """Age one account on as_of: DPD, bucket, the late fees and the penalty interest now due."""
    overdue = [i for i in items if i.paid_minor < i.amount_minor and i.due_date < as_of]
    if not overdue:
        return NOT_LATE
    oldest = min(i.due_date for i in overdue)
    dpd = (as_of - oldest).days
    fee = terms.late_fee_minor
    cycles: Sequence[date] = ()
    if fee > 0:
        cycles = _missed(overdue, oldest, as_of, terms.grace_days, terms.due_day, late_fee_through)
    penalty, days = 0, 0
    if terms.penalty_rate_ppm > 0:
        penalty, days = _penalty(
            overdue, as_of, terms.penalty_rate_ppm, terms.day_count, terms.penalty_basis, penalty_through
        )
    return Aging(dpd, bucket_for(dpd, thresholds), tuple(cycles), fee, penalty, days)
