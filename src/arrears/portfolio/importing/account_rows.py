"""Account rows: one row = one account and its debtor, validated a batch at a time into normalised tuples."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from itertools import compress, repeat
from operator import and_, ne
from typing import Any

from arrears.core.errors import FieldProblem
from arrears.core.money import exponent
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.account_fields import AMOUNTS, REQUIRED, AccountRecord, account_specs
from arrears.portfolio.importing.columns import amount_column
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.portfolio.importing.schemas import BatchParser, Parsed
from arrears.portfolio.model import DEFAULT_ALLOCATION_ORDER
from arrears.portfolio.rules import choose_timezone, region_from_address, zone_for_phone
from arrears.settings import Settings

Rejected = tuple[int, list[Any], list[FieldProblem]]
_DEFAULT_ORDER = ",".join(DEFAULT_ALLOCATION_ORDER)
_LOW64 = (1 << 64) - 1


class AccountRows:
    """Validates batches of account rows, remembering ids across the whole file."""

    def __init__(self, plan: ColumnPlan, settings: Settings, today: date, file: str) -> None:
        self.parser = BatchParser(plan, account_specs(settings), file)
        self.settings = settings
        self.today = today.isoformat()
        self.file = file
        self._accounts: dict[str, int] = {}
        self._debtors: dict[str, int] = {}

    def validate(
        self, numbers: list[int], rows: list[list[Any]]
    ) -> tuple[list[AccountRecord], list[Rejected]]:
        """Parse and check a batch: the valid records, and the rejected rows with their problems."""
        p = self.parser.parse(numbers, rows)
        p.require(REQUIRED)
        default_currency = self.settings.default_currency
        currencies = [c or default_currency for c in p.col("currency")]
        minor = {name: self._amounts(p, name, currencies) for name in AMOUNTS if name in p.raw_columns}
        self._check_ids(p)
        self._check_rows(p, minor)
        return self._records(p, minor, currencies)

    def finish(self) -> None:
        """Nothing to check at file level."""

    @staticmethod
    def _amounts(p: Parsed, name: str, currencies: list[str]) -> list[int | None]:
        raw = p.raw_columns[name]
        first = currencies[0] if currencies else "CNY"
        if currencies.count(first) == len(currencies):
            fast = amount_column(raw, exponent(first))
            if fast is not None:
                return fast
        values: list[int | None] = []
        append = values.append
        parse = vl.parse_amount
        for pos, (cell, currency) in enumerate(zip(raw, currencies, strict=True)):
            if cell is None or cell == "":
                append(None)
                continue
            try:
                append(parse(cell, currency))
            except vl.BadValue as exc:
                if cell.__class__ is str and not cell.strip():
                    append(None)
                    continue
                p.problem(pos, name, str(exc))
                append(None)
        return values

    def _check_ids(self, p: Parsed) -> None:
        """An account_id may appear once in the whole file; the second row names the first."""
        ids, numbers = p.col("account_id"), p.numbers
        keep = [pos for pos, account_id in enumerate(ids) if account_id is not None] if None in ids else None
        if keep is not None:
            ids, numbers = [ids[pos] for pos in keep], [numbers[pos] for pos in keep]
        firsts = list(map(self._accounts.setdefault, ids, numbers))
        for at in compress(range(len(ids)), map(ne, firsts, numbers)):
            pos = keep[at] if keep is not None else at
            p.problem(pos, "account_id", f"duplicate account_id: also in row {firsts[at]}")

    def _check_rows(self, p: Parsed, minor: dict[str, list[int | None]]) -> None:
        none: list[Any] = [None] * len(p)
        today = self.today
        for pos, (
            product,
            sub,
            since,
            due,
            opened,
            last_date,
            last_amount,
            prin,
            intr,
            fees,
            pen,
        ) in enumerate(
            zip(
                p.col("product"),
                p.col("sub_type"),
                p.col("overdue_since"),
                minor.get("overdue_amount", none),
                p.col("open_date"),
                p.col("last_payment_date"),
                minor.get("last_payment_amount", none),
                minor.get("principal", none),
                minor.get("interest", none),
                minor.get("fees", none),
                minor.get("penalty", none),
                strict=True,
            )
        ):
            if sub is not None and product is not None and product[0] != "consumer_loan":
                p.problem(pos, "sub_type", "a loan sub-type applies to consumer loans only")
            if since is not None:
                if due is None and not p.failed(pos, "overdue_amount"):
                    p.problem(pos, "overdue_amount", "required when overdue_since is given", "")
                elif due == 0:
                    p.problem(pos, "overdue_amount", "must be more than 0 for an overdue account")
                if since > today:
                    p.problem(pos, "overdue_since", "is in the future")
                if opened is not None and opened > since:
                    p.problem(pos, "overdue_since", f"is before the account was opened ({opened})")
            elif due and not p.failed(pos, "overdue_since"):
                p.problem(pos, "overdue_since", "required when overdue_amount is given", "")
            if last_amount is not None and last_date is None and not p.failed(pos, "last_payment_date"):
                p.problem(pos, "last_payment_date", "required when last_payment_amount is given", "")
            if due and due > (prin or 0) + (intr or 0) + (fees or 0) + (pen or 0):
                p.problem(
                    pos, "overdue_amount", "is more than the balance (principal + interest + fees + penalty)"
                )

    def _records(
        self, p: Parsed, minor: dict[str, list[int | None]], currencies: list[str]
    ) -> tuple[list[AccountRecord], list[Rejected]]:
        s = self.settings
        n = len(p)
        col = p.col

        def filled(name: str, default: Any) -> list[Any]:
            column = p.columns.get(name)
            return [default] * n if column is None else [default if v is None else v for v in column]

        def amount(name: str, default: Any = None) -> list[Any]:
            column = minor.get(name)
            if column is None:
                return [default] * n
            return column if default is None else [default if v is None else v for v in column]

        customers, mobiles, emails, addresses = (
            col("customer_id"),
            col("mobile"),
            col("email"),
            col("address"),
        )
        regions = col("region")
        if "address" in p.columns:
            regions = [
                r or (region_from_address(a) if a else None) for r, a in zip(regions, addresses, strict=True)
            ]
        zones = _zones(col("timezone"), regions, mobiles, s.default_timezone)
        debtor_columns = [
            customers,
            filled("customer_type", "person"),
            col("customer_name"),
            col("name_latin"),
            col("id_type"),
            col("id_number"),
            col("occupation"),
            col("employer"),
            filled("language", s.default_language),
            [z for z, _ in zones],
            [src for _, src in zones],
            addresses,
            regions,
            [1 if k else 0 for k in col("key_account")],
        ]
        products = [x[0] if x else None for x in col("product")]
        subs = [sub or (x[1] if x else None) for sub, x in zip(col("sub_type"), col("product"), strict=True)]
        sinces, principals, overdues = col("overdue_since"), amount("principal"), amount("overdue_amount")
        account_columns = [
            col("account_id"), products, subs, currencies, col("open_date"), filled("due_day", 0),
            filled("grace_days", 0), amount("late_fee", 0), filled("penalty_rate", 0),
            filled("penalty_basis", "overdue_amount"), filled("day_count", 360),
            filled("allocation_order", _DEFAULT_ORDER), amount("credit_limit"), principals,
            amount("interest", 0), amount("fees", 0), amount("penalty", 0), col("last_payment_date"),
            amount("last_payment_amount"),
        ]
        dues = [None if since is None or o is None or pr is None else (since, o, min(pr, o))
                for since, o, pr in zip(sinces, overdues, principals, strict=True)]
        return self._finish(p, debtor_columns, account_columns, dues, [mobiles, emails, sinces, overdues])

    def _finish(
        self,
        p: Parsed,
        debtor_columns: list[list[Any]],
        account_columns: list[list[Any]],
        dues: list[tuple[Any, ...] | None],
        more: list[list[Any]],
    ) -> tuple[list[AccountRecord], list[Rejected]]:
        """Hash, check that each customer's rows agree, and assemble the records column by column."""
        numbers, problems = p.numbers, p.problems
        customers, mobiles, emails = debtor_columns[0], more[0], more[1]
        debtor_hashes = _hashes(_texts(debtor_columns))
        self._check_customers(p, customers, debtor_hashes)
        account_hashes = _hashes(_texts([*account_columns, *more, customers, debtor_hashes]))
        debtors = list(zip(*debtor_columns, debtor_hashes, strict=True))
        accounts = list(zip(*account_columns, account_hashes, strict=True))
        own = [_own(c, m, e) for c, m, e in zip(customers, mobiles, emails, strict=True)]
        records = list(zip(numbers, debtors, accounts, dues, own, strict=True))
        if problems:
            records = [r for pos, r in enumerate(records) if pos not in problems]
        rejected = [(numbers[pos], p.rows[pos], found) for pos, found in sorted(problems.items())]
        return records, rejected

    def _check_customers(self, p: Parsed, customers: list[Any], hashes: list[str]) -> None:
        """The rows of one customer, anywhere in the file, must carry the same customer details."""
        numbers = p.numbers
        keep = [pos for pos in range(len(p)) if pos not in p.problems] if p.problems else None
        if keep is not None:
            customers = [customers[pos] for pos in keep]
            hashes = [hashes[pos] for pos in keep]
            numbers = [numbers[pos] for pos in keep]
        # One int per customer (its first row and 64 bits of its details' hash): compact for millions.
        digests = [int(h[:16], 16) for h in hashes]
        packed = [number << 64 | digest for number, digest in zip(numbers, digests, strict=True)]
        firsts = list(map(self._debtors.setdefault, customers, packed))
        for at in compress(range(len(customers)), map(ne, map(and_, firsts, repeat(_LOW64)), digests)):
            pos = keep[at] if keep is not None else at
            p.problem(pos, "customer_id", f"customer {customers[at]} is also in row {firsts[at] >> 64} with "
                      "different details (name, identity, address...); the rows of one customer must agree")


def _hashes(texts: Iterable[str]) -> list[str]:
    """blake2b-128 hex of each normalised record's text."""
    blake = hashlib.blake2b
    return [blake(text.encode(), digest_size=16).hexdigest() for text in texts]


def _texts(columns: list[list[Any]]) -> list[str]:
    """Each row of some columns as one text, fields joined by \x1f, NULL as \x00 (never in a value):
    built column by column, which is much cheaper than repr() of rows of Chinese text."""
    return list(map("\x1f".join, zip(*map(_text_column, columns), strict=True)))


def _text_column(column: list[Any]) -> list[str]:
    if None not in column:
        return list(map(str, column))
    return [v if v.__class__ is str else "\x00" if v is None else str(v) for v in column]


def _zones(given: list[Any], regions: list[Any], mobiles: list[Any], default: str) -> list[tuple[str, str]]:
    """Each debtor's time zone and its source (the phone only when zone and country are silent)."""
    known = {key: choose_timezone(key[0], key[1], None, "") for key in set(zip(given, regions, strict=True))}
    return [
        found if found[0] else choose_timezone(None, None, mobile, default)
        for found, mobile in zip(
            map(known.__getitem__, zip(given, regions, strict=True)), mobiles, strict=True
        )
    ]


def _own(customer: str, mobile: str | None, email: str | None) -> list[tuple[Any, ...]]:
    """The debtor's own phone and e-mail from the account row, as contact points."""
    own: list[tuple[Any, ...]] = []
    if mobile:
        own.append((customer, "phone", mobile, zone_for_phone(mobile)))
    if email:
        own.append((customer, "email", email, None))
    return own
