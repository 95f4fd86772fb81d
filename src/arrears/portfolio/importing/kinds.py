"""What the import loop needs from each kind of file: a validator (rows -> records, no database, so it
can run in a parser process) and a handler (writes records inside the import's transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from arrears.core.errors import FieldProblem
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.settings import Settings

Rejected = tuple[int, list[Any], list[FieldProblem]]  # row number, cells, problems
BATCH_SIZES = {"accounts": 10_000, "contacts": 5_000, "payments": 5_000}


class Validator(Protocol):
    """Turns batches of rows into valid records and rejected rows; holds the file-wide checks."""

    def validate(self, numbers: list[int], rows: list[list[Any]]) -> tuple[list[Any], list[Rejected]]:
        """Parse and check a batch without the database."""
        ...

    def finish(self) -> None:
        """File-level checks after the last row (raise InputRejected to refuse the file)."""
        ...


def make_validator(kind: str, plan: ColumnPlan, settings: Settings, today: date, file: str) -> Validator:
    """The validator for accounts, contacts or payments."""
    if kind == "accounts":
        from arrears.portfolio.importing.account_rows import AccountRows

        return AccountRows(plan, settings, today, file)
    if kind == "contacts":
        from arrears.portfolio.importing.contact_rows import ContactRows

        limit = settings.max_third_party_contacts
        return ContactRows(plan, settings, today, file, limit)
    from arrears.portfolio.importing.payment_rows import PaymentRows

    return PaymentRows(plan, settings, today, file)


@dataclass
class BatchOutcome:
    """Counts of one written batch, and the rows the database state refused (with their cells)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)


class Handler(Protocol):
    """Writes one kind of record."""

    checks_on_write: bool  # True when writing can still reject rows (lookups in the database)

    def write(self, records: list[Any]) -> BatchOutcome:
        """Write a batch of valid records."""
        ...

    def close(self) -> None:
        """Release staging tables."""
        ...


@dataclass
class Context:
    """What every handler is built from."""

    conn: Connection
    plan: ColumnPlan
    settings: Settings
    now: datetime
    today: date
    file: str


class AccountHandler:
    """Accounts: written set-based (bulk appends for new rows, staging tables for changed ones)."""

    checks_on_write = False

    def __init__(self, ctx: Context) -> None:
        from arrears.portfolio.importing.account_writer import AccountWriter

        self.writer = AccountWriter(ctx.conn, ctx.now, ctx.today)

    def write(self, records: list[Any]) -> BatchOutcome:
        """Upsert a batch of accounts."""
        new, changed, unchanged = self.writer.write(records)
        return BatchOutcome(new, changed, unchanged)

    def close(self) -> None:
        """Drop the staging tables."""
        self.writer.close()


def make_handler(kind: str, ctx: Context) -> Handler:
    """The handler for accounts, contacts or payments."""
    if kind == "accounts":
        return AccountHandler(ctx)
    if kind == "contacts":
        from arrears.portfolio.importing.contacts import ContactHandler

        return ContactHandler(ctx)
    from arrears.portfolio.importing.payments import PaymentHandler

    return PaymentHandler(ctx)
