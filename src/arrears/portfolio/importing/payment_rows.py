"""Payment rows: the channel's reference (the idempotency key), account, date, amount, currency, channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from arrears.core.errors import FieldProblem
from arrears.portfolio.importing import aliases as al
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.account_fields import parse_currency
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.portfolio.importing.schemas import BatchParser, FieldSpec
from arrears.settings import Settings

REQUIRED = ("reference", "account_id", "paid_on")  # amount: checked with the currency


def payment_specs() -> list[FieldSpec]:
    """The field parsers of a payments file (the amount is read once the currency is known)."""
    return [
        FieldSpec("reference", vl.parse_external_id),
        FieldSpec("account_id", vl.parse_external_id),
        FieldSpec("paid_on", vl.parse_date, cached=True),
        FieldSpec("amount", None),
        FieldSpec("currency", parse_currency, cached=True),
        FieldSpec("channel", al.choice(al.PAYMENT_CHANNELS, "payment channel"), cached=True),
    ]


@dataclass(slots=True)
class PaymentRecord:
    """One payment row that passed the checks that need no database."""

    row: int
    cells: list[Any]
    reference: str
    account_id: str
    paid_on: date
    raw_amount: Any
    amount_minor: int  # in `currency`, or in the default currency when the row names none
    currency: str | None  # as given in the file
    assumed_currency: str
    channel: str


Rejected = tuple[int, list[Any], list[FieldProblem]]


class PaymentRows:
    """Validates payment rows, remembering references across the file."""

    def __init__(self, plan: ColumnPlan, settings: Settings, today: date, file: str) -> None:
        self.parser = BatchParser(plan, payment_specs(), file)
        self.default_currency = settings.default_currency
        self.today = today
        self.file = file
        self._refs: dict[str, int] = {}

    def validate(
        self, numbers: list[int], rows: list[list[Any]]
    ) -> tuple[list[PaymentRecord], list[Rejected]]:
        """Parse and check a batch of payment rows without the database."""
        p = self.parser.parse(numbers, rows)
        p.require(REQUIRED)
        amounts = p.raw_columns.get("amount") or [None] * len(p)
        records: list[PaymentRecord] = []
        for pos, (reference, account_id, paid_on, currency, channel, raw_amount) in enumerate(
            zip(
                p.col("reference"),
                p.col("account_id"),
                p.col("paid_on"),
                p.col("currency"),
                p.col("channel"),
                amounts,
                strict=True,
            )
        ):
            row = p.numbers[pos]
            if reference:
                first = self._refs.setdefault(reference, row)
                if first != row:
                    p.problem(pos, "reference", f"duplicate payment reference: also in row {first}")
            if paid_on is not None and paid_on > self.today:
                p.problem(pos, "paid_on", "is in the future")
            assumed = currency or self.default_currency
            minor = 0
            if raw_amount is None or raw_amount == "":
                if not p.failed(pos, "amount"):
                    p.problem(pos, "amount", "required value is empty", "")
            else:
                try:
                    minor = vl.parse_amount(raw_amount, assumed)
                    if minor == 0:
                        p.problem(pos, "amount", "must be more than 0")
                except vl.BadValue as exc:
                    p.problem(pos, "amount", str(exc))
            if pos not in p.problems:
                records.append(
                    PaymentRecord(
                        row,
                        p.rows[pos],
                        reference,
                        account_id,
                        paid_on,
                        raw_amount,
                        minor,
                        currency,
                        assumed,
                        channel or "other",
                    )
                )
        rejected = [(p.numbers[pos], p.rows[pos], problems) for pos, problems in sorted(p.problems.items())]
        return records, rejected

    def finish(self) -> None:
        """Nothing to check at file level."""
