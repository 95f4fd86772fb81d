"""Writing account rows a batch at a time.

Rows are classified against the database by account_id and row_hash: unchanged rows are skipped,
new rows get primary keys reserved up front and are appended in bulk (COPY on PostgreSQL) to debtors,
cases, accounts, due_items and contact_points with no joins, and changed rows go through TEMP staging
tables and set-based UPDATE ... FROM / INSERT ... ON CONFLICT statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from arrears.core.tables import UtcDateTime
from arrears.portfolio.importing.account_fields import (
    ACCOUNT,
    ACCOUNT_COLUMNS,
    CONTACTS,
    DEBTOR,
    DEBTOR_COLUMNS,
    DUE,
    AccountRecord,
)
from arrears.portfolio.importing.staging import Staging

# fmt: off
_TERMS = ACCOUNT_COLUMNS[1:17]  # product .. penalty_minor
_NUMBERS = {"due_day", "grace_days", "penalty_rate_ppm", "day_count"}
_STAGE_DEBTORS = [("id", "big"),
                  *((c, "int" if c == "is_key_account" else "text") for c in DEBTOR_COLUMNS[1:])]
_STAGE_ACCOUNTS = [
    ("id", "big"), ("debtor_id", "big"), ("case_id", "big"),
    *((c, "date" if c.endswith("_date") else "big" if c.endswith("_minor") or c in _NUMBERS else "text")
      for c in ACCOUNT_COLUMNS[1:]),
    ("overdue_since", "date"), ("overdue_minor", "big"), ("due_principal_minor", "big"),
]
_STAGE_CONTACTS = [("debtor_id", "big"), ("channel", "text"), ("value", "text"), ("timezone", "text"),
                   ("row_hash", "text")]
_NO_DUE = (None, None, None)

_UPDATE_DEBTORS = f"""
UPDATE debtors SET {", ".join(f"{c} = s.{c}" for c in DEBTOR_COLUMNS[1:])}, updated_at = :now
FROM imp_debtors s WHERE debtors.id = s.id AND debtors.row_hash <> s.row_hash
"""  # noqa: S608
_UPDATE_ACCOUNTS = f"""
UPDATE accounts SET debtor_id = s.debtor_id, case_id = COALESCE(s.case_id, accounts.case_id),
  {", ".join(f"{c} = s.{c}" for c in _TERMS)},
  last_payment_date = CASE WHEN s.last_payment_date IS NULL
      OR accounts.last_payment_date > s.last_payment_date
      THEN accounts.last_payment_date ELSE s.last_payment_date END,
  last_payment_minor = CASE WHEN s.last_payment_date IS NULL
      OR accounts.last_payment_date > s.last_payment_date
      THEN accounts.last_payment_minor ELSE s.last_payment_minor END,
  row_hash = s.row_hash, updated_at = :now
FROM imp_accounts s WHERE accounts.id = s.id AND accounts.row_hash <> s.row_hash
"""  # noqa: S608
# The file is the book of record for what is overdue: one due item at overdue_since holds the unpaid
# overdue amount, and older unpaid items of a changed account are settled.
_UPSERT_DUE_ITEMS = """
INSERT INTO due_items (account_id, due_date, amount_minor, principal_minor, paid_minor)
SELECT s.id, s.overdue_since, s.overdue_minor, s.due_principal_minor, 0 FROM imp_accounts s
WHERE s.overdue_since IS NOT NULL
ON CONFLICT (account_id, due_date) DO UPDATE SET
  amount_minor = excluded.amount_minor, principal_minor = excluded.principal_minor, paid_minor = 0
WHERE due_items.amount_minor <> excluded.amount_minor OR due_items.principal_minor <> excluded.principal_minor
   OR due_items.paid_minor <> 0
"""
_SETTLE_OLDER_DUE_ITEMS = """
UPDATE due_items SET paid_minor = amount_minor FROM imp_accounts s
WHERE due_items.account_id = s.id AND due_items.paid_minor < due_items.amount_minor
  AND (s.overdue_since IS NULL OR due_items.due_date < s.overdue_since)
"""
_INSERT_OWN_CONTACTS = """
INSERT INTO contact_points (debtor_id, relationship, channel, value, timezone, source, consent, status,
                            row_hash, created_at, updated_at)
SELECT s.debtor_id, 'self', s.channel, s.value, s.timezone, 'contract', 'contract_names', 'unverified',
       s.row_hash, :now, :now FROM imp_contacts s
WHERE true
ON CONFLICT (debtor_id, channel, value) DO NOTHING
"""
_ACCOUNT_INSERT = ("id", "debtor_id", "case_id", "created_at", "updated_at", *ACCOUNT_COLUMNS)
_CONTACT_INSERT = ("id", "debtor_id", "relationship", "channel", "value", "timezone", "source", "consent",
                   "status", "row_hash", "created_at", "updated_at")
# fmt: on


def db_timestamp(moment: datetime, postgres: bool) -> Any:
    """A timestamp as the bulk path writes it: aware on PostgreSQL, SQLAlchemy's naive UTC text on SQLite."""
    if postgres:
        return moment.astimezone(UTC).isoformat()
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class AccountWriter:
    """Writes batches of valid account records inside the caller's transaction."""

    def __init__(self, conn: Connection, now: datetime, today: date) -> None:
        self.conn = conn
        self.stage = Staging(conn)
        self.now = db_timestamp(now, self.stage.postgres)
        self.today = today.isoformat()
        self.params = {"now": now}
        self._staged = False
        self._statements = {
            name: text(sql).bindparams(bindparam("now", type_=UtcDateTime())) if ":now" in sql else text(sql)
            for name, sql in (("debtors", _UPDATE_DEBTORS), ("accounts", _UPDATE_ACCOUNTS),
                              ("due", _UPSERT_DUE_ITEMS), ("settle", _SETTLE_OLDER_DUE_ITEMS),
                              ("contacts", _INSERT_OWN_CONTACTS))
        }

    def write(self, records: Sequence[AccountRecord]) -> tuple[int, int, int]:
        """Write one batch; returns (new, changed, unchanged) row counts."""
        ids = [r[ACCOUNT][0] for r in records]
        known = self.stage.existing("accounts", "external_id", "id, row_hash", ids)
        new: list[AccountRecord] = []
        changed: list[tuple[int, AccountRecord]] = []
        for rec in records:
            found = known.get(rec[ACCOUNT][0])
            if found is None:
                new.append(rec)
            elif found[1] != rec[ACCOUNT][-1]:
                changed.append((found[0], rec))
        if new or changed:
            touched = [*new, *(rec for _, rec in changed)]
            debtor_ids, fresh_debtors = self._debtors(touched)
            cases = self._cases(touched, debtor_ids, fresh_debtors)
            self._new_accounts(new, debtor_ids, cases, fresh_debtors)
            if changed:
                self._changed_accounts(changed, debtor_ids, cases)
        return len(new), len(changed), len(records) - len(new) - len(changed)

    def _debtors(self, records: list[AccountRecord]) -> tuple[dict[str, int], set[int]]:
        """Insert new debtors and update changed ones; returns customer_id -> id and the new ids."""
        latest = {rec[DEBTOR][0]: rec[DEBTOR] for rec in records}
        known = self.stage.existing("debtors", "external_id", "id, row_hash", list(latest))
        ids = {cid: found[0] for cid, found in known.items()}
        missing = [cid for cid in latest if cid not in known]
        fresh = self.stage.allocate("debtors", len(missing))
        ids.update(zip(missing, fresh, strict=True))
        stamps = (self.now, self.now)
        self.stage.insert("debtors", ("id", "created_at", "updated_at", *DEBTOR_COLUMNS),
                          [(ids[cid], *stamps) + latest[cid] for cid in missing])
        stale = [(found[0],) + latest[cid][1:] for cid, found in known.items() if found[1] != latest[cid][-1]]
        if stale:
            self._ensure_stage()
            self.stage.load("imp_debtors", stale)
            self._run("debtors")
            self.stage.clear("imp_debtors")
        return ids, set(fresh)

    def _cases(
        self, records: list[AccountRecord], debtor_ids: dict[str, int], fresh: set[int]
    ) -> dict[int, int]:
        """The live case of every debtor with an overdue account in the batch, opening missing ones."""
        overdue = {debtor_ids[rec[DEBTOR][0]] for rec in records if rec[DUE] is not None}
        older = [d for d in overdue if d not in fresh]
        live = {d: found[0] for d, found in self.stage.existing(
            "cases", "debtor_id", "id", older, where="status <> 'closed'").items()}
        opening = [d for d in overdue if d not in live]
        live.update(zip(opening, self.stage.allocate("cases", len(opening)), strict=True))
        now = self.now
        self.stage.insert("cases", ("id", "debtor_id", "status", "opened_on", "created_at", "updated_at"),
                          [(live[d], d, "open", self.today, now, now) for d in opening])
        return live

    def _new_accounts(self, records: list[AccountRecord], debtor_ids: dict[str, int], cases: dict[int, int],
                      fresh_debtors: set[int]) -> None:
        if not records:
            return
        now = self.now
        rows = []
        due = []
        for account_id, rec in zip(self.stage.allocate("accounts", len(records)), records, strict=True):
            debtor_id = debtor_ids[rec[DEBTOR][0]]
            item = rec[DUE]
            if item is None:
                rows.append((account_id, debtor_id, None, now, now) + rec[ACCOUNT])
            else:
                rows.append((account_id, debtor_id, cases[debtor_id], now, now) + rec[ACCOUNT])
                due.append((account_id, 0) + item)
        self.stage.insert("accounts", _ACCOUNT_INSERT, rows)
        due_ids = self.stage.allocate("due_items", len(due))
        columns = ("id", "account_id", "paid_minor", "due_date", "amount_minor", "principal_minor")
        self.stage.insert("due_items", columns, [(i,) + d for i, d in zip(due_ids, due, strict=True)])
        self._contacts(records, debtor_ids, fresh_debtors)

    def _contacts(
        self, records: Sequence[AccountRecord], debtor_ids: dict[str, int], fresh: set[int]
    ) -> None:
        """The debtors' own phone and e-mail: appended for new debtors, upserted for known ones."""
        points: dict[tuple[int, str, str], tuple[Any, ...]] = {}
        for rec in records:
            debtor_id = debtor_ids[rec[DEBTOR][0]]
            for _cid, channel, value, zone in rec[CONTACTS]:
                points[(debtor_id, channel, value)] = (debtor_id, channel, value, zone, rec[ACCOUNT][-1])
        new = [p for key, p in points.items() if key[0] in fresh]
        old = [p for key, p in points.items() if key[0] not in fresh]
        now = self.now
        ids = self.stage.allocate("contact_points", len(new))
        self.stage.insert("contact_points", _CONTACT_INSERT, [
            (i, d, "self", channel, value, zone, "contract", "contract_names", "unverified", digest, now, now)
            for i, (d, channel, value, zone, digest) in zip(ids, new, strict=True)])
        if old:
            self._ensure_stage()
            self.stage.load("imp_contacts", old)
            self._run("contacts")
            self.stage.clear("imp_contacts")

    def _changed_accounts(self, changed: list[tuple[int, AccountRecord]], debtor_ids: dict[str, int],
                          cases: dict[int, int]) -> None:
        self._ensure_stage()
        rows = []
        for account_id, rec in changed:
            debtor_id = debtor_ids[rec[DEBTOR][0]]
            item = rec[DUE]
            case_id = cases.get(debtor_id) if item is not None else None
            rows.append((account_id, debtor_id, case_id) + rec[ACCOUNT][1:] + (item or _NO_DUE))
        self.stage.load("imp_accounts", rows)
        for name in ("accounts", "due", "settle"):
            self._run(name)
        self.stage.clear("imp_accounts")
        self._contacts([rec for _, rec in changed], debtor_ids, set())

    def _ensure_stage(self) -> None:
        if not self._staged:
            self.stage.create("imp_debtors", _STAGE_DEBTORS)
            self.stage.create("imp_accounts", _STAGE_ACCOUNTS)
            self.stage.create("imp_contacts", _STAGE_CONTACTS)
            self._staged = True

    def _run(self, name: str) -> None:
        self.conn.execute(self._statements[name], self.params)

    def close(self) -> None:
        """Drop the staging tables."""
        if self._staged:
            for name in ("imp_debtors", "imp_accounts", "imp_contacts"):
                self.stage.drop(name)
            self._staged = False
