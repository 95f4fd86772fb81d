"""The demo portfolio generator: a seed and an as-of date in, the rows of three canonical CSV files out.

Pure and deterministic: the same (debtors, seed, as_of, thresholds) gives byte-identical files.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from faker import Faker

from arrears.core.progress import Progress, no_progress
from arrears.portfolio.aging.rules import bucket_for
from arrears.portfolio.demo.history import AccountHistory, account_history, draw_dpd
from arrears.portfolio.demo.people import Debtor, PeopleFactory

ACCOUNT_FIELDS = (
    "account_id", "customer_id", "customer_type", "customer_name", "name_latin", "id_type", "id_number",
    "occupation", "employer", "language", "timezone", "address", "region", "key_account", "mobile", "email",
    "product", "sub_type", "currency", "open_date", "credit_limit", "principal", "interest", "fees",
    "penalty", "overdue_since", "overdue_amount", "due_day", "grace_days", "late_fee", "penalty_rate",
    "penalty_basis", "day_count", "allocation_order", "last_payment_date", "last_payment_amount",
)
CONTACT_FIELDS = (
    "contact_id", "customer_id", "relationship", "contact_name", "channel", "value", "source", "consent",
    "consent_date", "status", "last_verified",
)
PAYMENT_FIELDS = ("reference", "account_id", "paid_on", "amount", "currency", "channel")
DEFAULT_THRESHOLDS = (30, 60, 90, 120, 150, 180)
ID_PREFIX = {"credit_card": "CC", "consumer_loan": "CL", "business_receivable": "AR"}


@dataclass
class DemoPortfolio:
    """The generated rows (every value a string, as in the files) and the intended DPD per account."""

    accounts: list[dict[str, str]] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)
    payments: list[dict[str, str]] = field(default_factory=list)
    intended_dpd: dict[str, int] = field(default_factory=dict)

    def rows(self, kind: str) -> list[dict[str, str]]:
        """The rows of one file: accounts, contacts or payments."""
        return {"accounts": self.accounts, "contacts": self.contacts, "payments": self.payments}[kind]


def money(minor: int) -> str:
    """Integer fen as a decimal string: 1234567 -> '12345.67'."""
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def _products_for(rng: random.Random, debtor: Debtor) -> list[str]:
    if debtor.kind == "company":
        return ["business_receivable"] * (2 if rng.random() < 0.15 else 1)
    first = "credit_card" if rng.random() < (0.85 if debtor.foreign else 0.63) else "consumer_loan"
    if rng.random() < 0.08:
        return [first, rng.choice(("credit_card", "consumer_loan"))]
    return [first]


class _Generator:
    def __init__(self, seed: int, as_of: date, thresholds: Sequence[int]) -> None:
        self.rng = random.Random(seed)
        fakers = {}
        for n, locale in enumerate(("zh_CN", "en_US", "en_GB")):
            fake = Faker(locale)
            fake.seed_instance(seed + n)
            fakers[locale] = fake
        self.people = PeopleFactory(self.rng, fakers, as_of)
        self.as_of = as_of
        self.thresholds = thresholds
        self.out = DemoPortfolio()
        self.account_seq = {p: 0 for p in ID_PREFIX}
        self.references: set[str] = set()

    def run(self, debtors: int, progress: Progress) -> DemoPortfolio:
        for n in range(1, debtors + 1):
            if n % 250 == 0:
                progress(n, debtors, "generating")
            debtor = self.people.debtor(n)
            products = _products_for(self.rng, debtor)
            opened: list[date] = []
            for product in products:
                dpd = draw_dpd(self.rng, self.thresholds, self.as_of)
                acc = account_history(self.rng, product, dpd, self.as_of, debtor.profile)
                opened.append(acc.open_date)
                self._account(debtor, acc)
            for row in self.people.contacts(debtor, min(opened)):
                self.out.contacts.append(row)
        return self.out

    def _account(self, debtor: Debtor, acc: AccountHistory) -> None:
        self.account_seq[acc.product] += 1
        account_id = f"{ID_PREFIX[acc.product]}{self.account_seq[acc.product]:08d}"
        self.out.intended_dpd[account_id] = acc.dpd
        self.out.accounts.append({
            **debtor.fields(),
            "account_id": account_id,
            "product": acc.product,
            "sub_type": acc.sub_type,
            "currency": "CNY",
            "open_date": acc.open_date.isoformat(),
            "credit_limit": money(acc.credit_limit) if acc.credit_limit is not None else "",
            "principal": money(acc.principal),
            "interest": money(acc.interest),
            "fees": money(acc.fees),
            "penalty": money(acc.penalty),
            "overdue_since": acc.overdue_since.isoformat() if acc.overdue_since else "",
            "overdue_amount": money(acc.overdue_amount),
            "due_day": str(acc.due_day),
            "grace_days": str(acc.grace_days),
            "late_fee": money(acc.late_fee),
            "penalty_rate": acc.penalty_rate,
            "penalty_basis": acc.penalty_basis,
            "day_count": str(acc.day_count),
            "allocation_order": acc.allocation_order,
            "last_payment_date": acc.last_payment.paid_on.isoformat() if acc.last_payment else "",
            "last_payment_amount": money(acc.last_payment.amount) if acc.last_payment else "",
        })
        for payment in acc.payments:
            channel = self._channel(debtor)
            self.out.payments.append({
                "reference": self._reference(channel, payment.paid_on),
                "account_id": account_id,
                "paid_on": payment.paid_on.isoformat(),
                "amount": money(payment.amount),
                "currency": "CNY",
                "channel": channel,
            })

    def _channel(self, debtor: Debtor) -> str:
        if debtor.kind == "company":
            return self.rng.choices(("bank_transfer", "cheque"), weights=(80, 20))[0]
        return self.rng.choices(("bank_transfer", "wechat_pay", "alipay", "cash"), weights=(40, 28, 28, 4))[0]

    def _reference(self, channel: str, paid_on: date) -> str:
        while True:
            if channel == "wechat_pay":
                ref = f"4200{paid_on:%Y%m%d}{self.rng.randrange(10**16):016d}"
            elif channel == "alipay":
                ref = f"{paid_on:%Y%m%d}2200{self.rng.randrange(10**16):016d}"
            elif channel == "cheque":
                ref = f"CHQ{self.rng.randrange(10**8):08d}"
            elif channel == "cash":
                ref = f"CSH{paid_on:%Y%m%d}{self.rng.randrange(10**6):06d}"
            else:
                ref = f"BT{paid_on:%Y%m%d}{self.rng.randrange(10**10):010d}"
            if ref not in self.references:
                self.references.add(ref)
                return ref


def generate(debtors: int, seed: int, as_of: date, thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
             progress: Progress = no_progress) -> DemoPortfolio:
    """Generate the demo portfolio for a number of debtors, a seed and an as-of date."""
    if debtors < 1:
        raise ValueError("the demo needs at least one debtor")
    return _Generator(seed, as_of, thresholds).run(debtors, progress)


def write_csv(portfolio: DemoPortfolio, directory: Path) -> dict[str, Path]:
    """Write accounts.csv, contacts.csv and payments.csv (UTF-8, canonical headers); return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for kind, fields in (("accounts", ACCOUNT_FIELDS), ("contacts", CONTACT_FIELDS),
                         ("payments", PAYMENT_FIELDS)):
        path = directory / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(portfolio.rows(kind))
        paths[kind] = path
    return paths


def intended_buckets(portfolio: DemoPortfolio,
                     thresholds: Sequence[int] = DEFAULT_THRESHOLDS) -> dict[str, int]:
    """How many accounts the generator meant for each bucket."""
    counts: dict[str, int] = {}
    for dpd in portfolio.intended_dpd.values():
        label = bucket_for(dpd, thresholds)
        counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))

