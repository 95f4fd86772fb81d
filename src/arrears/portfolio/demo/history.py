"""Account histories for the demo: contract terms, balances, the overdue cycles and the payments.

An account row is the placement snapshot the source system sends: balances and overdue as they stood
before the payments listed in the payments file, and the last payment the source knew of. The listed
payments come after it: regular payments on current accounts, small partial payments on delinquent
ones, together under half the overdue amount (the import makes one due item of it at overdue_since), so
posting them never clears that item and the account keeps the DPD it was generated with.
Late fees and penalty interest of the current delinquency are not in the snapshot: aging charges them
from `overdue_since` on its first run (the snapshot's fees and penalty are earlier, still unpaid ones).
All money is integer minor units (fen).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

YUAN = 100  # minor units per yuan

# Share of accounts per bucket (M0 current .. M6, then past the last threshold), most in M1-M2.
BUCKET_WEIGHTS: tuple[int, ...] = (5, 33, 21, 12, 8, 6, 5, 10)
WRITE_OFF_MAX_DPD = 420
CARD_LIMITS = (5_000, 8_000, 10_000, 15_000, 20_000, 30_000, 50_000, 80_000, 100_000)
LOAN_RANGES = {"salary": (10_000, 100_000), "professional": (50_000, 300_000),
               "small_business": (30_000, 300_000)}
LOAN_RATES_BPS = (888, 1080, 1280, 1500, 1800)  # annual, flat
DAILY_RATE_PPM = 500  # 0.05% a day


@dataclass
class Payment:
    """One payment as the payments file lists it."""

    paid_on: date
    amount: int


@dataclass
class AccountHistory:
    """Everything about one account that the accounts and payments files say."""

    product: str
    sub_type: str
    open_date: date
    dpd: int  # intended days past due as of the as-of date (0 = current)
    due_day: int
    grace_days: int
    late_fee: int
    penalty_rate: str  # annual, decimal string
    penalty_basis: str
    day_count: int
    allocation_order: str
    credit_limit: int | None
    principal: int
    interest: int = 0
    fees: int = 0
    penalty: int = 0
    overdue_since: date | None = None
    overdue_amount: int = 0
    last_payment: Payment | None = None
    payments: list[Payment] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Principal, interest, fees and penalty together."""
        return self.principal + self.interest + self.fees + self.penalty


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later (earlier when negative); days are at most 28 here."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def draw_dpd(rng: random.Random, thresholds: Sequence[int], as_of: date) -> int:
    """A DPD drawn with the portfolio's bucket skew, kept 3 days inside its bucket, on a day 1-28."""
    bounds = [0, *thresholds, WRITE_OFF_MAX_DPD]
    weights = list(BUCKET_WEIGHTS[: len(thresholds) + 2])
    weights += [1] * (len(thresholds) + 2 - len(weights))
    bucket = rng.choices(range(len(thresholds) + 2), weights=weights)[0]
    if bucket == 0:
        return 0
    lo, hi = bounds[bucket - 1] + 1, bounds[bucket]
    if hi - lo > 12:
        lo, hi = lo + 3, hi - 3
    for _ in range(20):
        dpd = rng.randint(lo, hi)
        if (as_of - timedelta(days=dpd)).day <= 28:
            return dpd
    return dpd + (as_of - timedelta(days=dpd)).day - 28


def _cycles(first_due: date, as_of: date) -> list[date]:
    """Monthly due dates from the first one up to and including the as-of date."""
    out: list[date] = []
    while first_due <= as_of and len(out) < 60:
        out.append(first_due)
        first_due = add_months(first_due, 1)
    return out


def _round_amount(rng: random.Random, amount: int) -> int:
    """People pay round sums more often than exact ones."""
    if rng.random() < 0.4:
        return amount
    unit = 100 * YUAN if amount >= 500 * YUAN else 10 * YUAN
    return max(unit, amount // unit * unit)


def _partial_payments(rng: random.Random, acc: AccountHistory, cycles: int, as_of: date) -> None:
    """Small payments made while delinquent: together under half of one missed cycle's share."""
    assert acc.overdue_since is not None
    count = rng.choices((0, 1, 2, 3, 4, 5, 6), weights=(45, 25, 14, 8, 4, 2, 2))[0]
    window = (as_of - acc.overdue_since).days - 1
    budget = acc.overdue_amount // max(1, cycles) * rng.randint(15, 45) // 100
    count = min(count, window, budget // (50 * YUAN))
    if count <= 0:
        return
    days = sorted(rng.sample(range(1, window + 1), count))
    for offset in days:
        amount = _round_amount(rng, max(50 * YUAN, budget // count * rng.randint(60, 100) // 100))
        acc.payments.append(Payment(acc.overdue_since + timedelta(days=offset), amount))


def _earlier_fees(rng: random.Random, late_fee: int) -> int:
    """Card fees already billed before this delinquency: an annual fee, late fees of a cured episode."""
    fees = rng.choice((100, 200, 300, 600)) * YUAN if rng.random() < 0.2 else 0
    return fees + (late_fee * rng.randint(1, 3) if rng.random() < 0.3 else 0)


def _card(rng: random.Random, dpd: int, as_of: date, _sub_type: str) -> AccountHistory:
    limit = rng.choice(CARD_LIMITS) * YUAN
    drawn = limit * rng.randint(35, 100) // 100 + rng.randint(0, 99)
    principal = min(80_000 * YUAN, max(3_000 * YUAN, drawn))
    acc = AccountHistory("credit_card", "", as_of, dpd, 0, 3, 50 * YUAN, "0", "overdue_amount", 360,
                         "fees,penalty,interest,principal", limit, principal)
    minimum = max(100 * YUAN, principal // 10)
    if dpd == 0:
        acc.due_day = rng.randint(1, 28)
        next_due = date(as_of.year, as_of.month, acc.due_day)
        next_due = next_due if next_due > as_of else add_months(next_due, 1)
        acc.open_date = add_months(next_due, -rng.randint(8, 60)) - timedelta(days=20)
        acc.interest = principal * DAILY_RATE_PPM * rng.randint(0, 30) // 1_000_000
        paid = sorted({add_months(next_due, -m) - timedelta(days=rng.randint(1, 4)) for m in range(1, 7)})
        count = rng.choices((0, 1, 2, 3, 4, 5, 6), weights=(10, 10, 15, 20, 20, 15, 10))[0]
        acc.payments = [Payment(d, _round_amount(rng, rng.randint(minimum, max(minimum, principal // 4))))
                        for d in paid[len(paid) - count:]]
        earlier = add_months(next_due, -(count + 1)) - timedelta(days=rng.randint(0, 4))
        last_amount = rng.randint(minimum, principal // 3 + minimum)
        acc.last_payment = Payment(earlier, _round_amount(rng, last_amount))
        acc.principal += sum(p.amount for p in acc.payments)
        return acc
    since = as_of - timedelta(days=dpd)
    cycles = len(_cycles(since, as_of))
    acc.overdue_since, acc.due_day = since, since.day
    acc.open_date = add_months(since, -rng.randint(6, 60)) - timedelta(days=20)
    acc.interest = principal * DAILY_RATE_PPM * min(dpd, 360) // 1_000_000
    acc.fees = _earlier_fees(rng, acc.late_fee)
    acc.overdue_amount = min(acc.total, cycles * minimum + acc.fees + acc.interest)
    if cycles >= 6:  # the whole balance is called in
        acc.overdue_amount = acc.total
    if rng.random() < 0.92:
        acc.last_payment = Payment(add_months(since, -1) - timedelta(days=rng.randint(0, 4)),
                                   _round_amount(rng, rng.randint(minimum, minimum * 3)))
    _partial_payments(rng, acc, cycles, as_of)
    return acc


def _loan(rng: random.Random, dpd: int, as_of: date, sub_type: str) -> AccountHistory:
    lo, hi = LOAN_RANGES[sub_type]
    original = rng.randint(lo // 1000, hi // 1000) * 1000 * YUAN
    term = rng.choice((12, 24, 36))
    per_month = original // term
    interest_month = original * rng.choice(LOAN_RATES_BPS) // 120_000
    instalment = per_month + interest_month
    acc = AccountHistory("consumer_loan", sub_type, as_of, dpd, 0, 0, 0, "0.1825", "overdue_principal", 365,
                         "penalty,interest,principal,fees", None, 0)
    if dpd == 0:
        paid = rng.randint(1, term - 1)
        acc.due_day = rng.randint(1, 28)
        next_due = date(as_of.year, as_of.month, acc.due_day)
        next_due = next_due if next_due > as_of else add_months(next_due, 1)
        acc.open_date = add_months(next_due, -(paid + 1))
        listed = rng.randint(0, min(6, paid))
        acc.principal = original - (paid - listed) * per_month
        acc.interest = listed * interest_month
        acc.payments = [Payment(min(add_months(next_due, -m), as_of - timedelta(days=1)), instalment)
                        for m in range(listed, 0, -1)]
        if paid > listed:
            acc.last_payment = Payment(add_months(next_due, -(listed + 1)), instalment)
        return acc
    since = as_of - timedelta(days=dpd)
    paid = rng.randint(0, term - 2)
    acc.overdue_since, acc.due_day = since, since.day
    acc.open_date = add_months(since, -(paid + 1))
    due = _cycles(since, as_of)
    missed = min(len(due), term - paid)
    acc.principal = original - paid * per_month
    overdue_principal = acc.principal if len(due) >= term - paid else missed * per_month
    acc.interest = missed * interest_month
    if rng.random() < 0.3:  # penalty left unpaid from an earlier, cured delinquency
        acc.penalty = per_month * DAILY_RATE_PPM * rng.randint(5, 40) // 1_000_000
    acc.fees = rng.choice((0, 0, 0, 200 * YUAN))  # an occasional service fee
    acc.overdue_amount = min(acc.total, overdue_principal + acc.interest + acc.penalty + acc.fees)
    if paid:
        acc.last_payment = Payment(add_months(since, -1), instalment)
    _partial_payments(rng, acc, len(due), as_of)
    return acc


def _receivable_amount(rng: random.Random) -> int:
    band = rng.choices(((20_000, 100_000), (100_000, 500_000), (500_000, 2_000_000)), weights=(50, 35, 15))[0]
    return rng.randint(band[0] * YUAN, band[1] * YUAN)


def _receivable(rng: random.Random, dpd: int, as_of: date, _sub_type: str) -> AccountHistory:
    terms = rng.choice((30, 60, 90))
    rate = rng.choice(("0.1825", "0.0555", "0"))
    acc = AccountHistory("business_receivable", "", as_of, dpd, 0, rng.choice((0, 5, 10)), 0, rate,
                         "overdue_amount", 365, "principal,interest,penalty,fees", None,
                         _receivable_amount(rng))
    if dpd == 0:
        due = as_of + timedelta(days=rng.randint(1, terms - 1))
        acc.due_day, acc.open_date = due.day, due - timedelta(days=terms)
        return acc
    since = as_of - timedelta(days=dpd)
    acc.overdue_since, acc.due_day = since, since.day
    acc.open_date = since - timedelta(days=terms)
    if rng.random() < 0.3:  # part of the invoice was paid before it fell due
        part = _round_amount(rng, acc.principal * rng.randint(10, 50) // 100)
        acc.principal -= part
        acc.last_payment = Payment(since - timedelta(days=rng.randint(1, terms - 1)), part)
    acc.overdue_amount = acc.principal
    _partial_payments(rng, acc, 1, as_of)
    return acc


def account_history(rng: random.Random, product: str, dpd: int, as_of: date, sub_type: str) -> AccountHistory:
    """An account of a product that is `dpd` days past due on the as-of date, with its payments."""
    build = {"credit_card": _card, "consumer_loan": _loan, "business_receivable": _receivable}[product]
    return build(rng, dpd, as_of, sub_type)
