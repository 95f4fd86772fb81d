"""Contact rows: a consented contact point of a debtor. Harvested address books are refused by design."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from arrears.core.errors import FieldProblem, InputRejected
from arrears.portfolio.importing import aliases as al
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.headers import ColumnPlan
from arrears.portfolio.importing.schemas import BatchParser, FieldSpec, Parsed, row_hash
from arrears.portfolio.model import COMPANY_ROLES, Relationship
from arrears.portfolio.rules import region_from_address, zone_for_phone, zone_for_region
from arrears.settings import Settings

REQUIRED = ("customer_id", "relationship", "value", "source", "consent")
# Third parties: people other than the debtor who are not a company's own roles.
THIRD_PARTY = (
    frozenset(r.value for r in Relationship) - {Relationship.SELF.value} - {r.value for r in COMPANY_ROLES}
)
DEFAULT_MAX_THIRD_PARTY = 10


def parse_source(raw: Any) -> str:
    """Where a contact came from; address books, call logs and scraped lists are refused."""
    text = vl.as_text(raw)
    if al.is_forbidden_source(text):
        raise vl.BadValue(al.FORBIDDEN_SOURCE_REASON)
    return al.choice(al.SOURCES, "source")(text)


def contact_specs() -> list[FieldSpec]:
    """The field parsers of a contacts file (value is parsed per channel after the row is read)."""
    return [
        FieldSpec("contact_id", vl.parse_external_id),
        FieldSpec("customer_id", vl.parse_external_id),
        FieldSpec("relationship", al.choice(al.RELATIONSHIPS, "relationship"), cached=True),
        FieldSpec("contact_name", vl.text_parser(200)),
        FieldSpec("channel", al.choice(al.CONTACT_CHANNELS, "channel"), cached=True),
        FieldSpec("value", vl.as_text),
        FieldSpec("source", parse_source, cached=True),
        FieldSpec("consent", al.choice(al.CONSENTS, "consent"), cached=True),
        FieldSpec("consent_date", vl.parse_date, cached=True),
        FieldSpec("status", al.choice(al.CONTACT_STATUSES, "status"), cached=True),
        FieldSpec("last_verified", vl.parse_date, cached=True),
    ]


@dataclass(slots=True)
class ContactRecord:
    """One valid contact row, normalised."""

    row: int
    cells: list[Any]
    contact_id: str | None
    customer_id: str
    relationship: str
    contact_name: str | None
    channel: str
    value: str
    timezone: str | None
    source: str
    consent: str
    consent_at: datetime | None
    status: str
    last_verified_at: datetime | None
    row_hash: str


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


Rejected = tuple[int, list[Any], list[FieldProblem]]


class ContactRows:
    """Validates contact rows, remembering ids and third-party counts across the file."""

    def __init__(
        self,
        plan: ColumnPlan,
        settings: Settings,
        today: date,
        file: str,
        max_third_party: int = DEFAULT_MAX_THIRD_PARTY,
    ) -> None:
        self.parser = BatchParser(plan, contact_specs(), file)
        self.region = settings.default_region
        self.today = today
        self.file = file
        self.max_third_party = max_third_party
        self._ids: dict[str, int] = {}
        self._points: dict[tuple[str, str, str], int] = {}
        self.third_party: Counter[str] = Counter()
        self._third_party_rows: dict[str, int] = {}

    def validate(
        self, numbers: list[int], rows: list[list[Any]]
    ) -> tuple[list[ContactRecord], list[Rejected]]:
        """Parse and check a batch of contact rows without the database."""
        p = self.parser.parse(numbers, rows)
        p.require(REQUIRED)
        records: list[ContactRecord] = []
        names = list(p.columns)
        for pos in range(len(p)):
            v = {name: p.columns[name][pos] for name in names}
            record = self._row(p, pos, v)
            if record is not None and pos not in p.problems:
                records.append(record)
        rejected = [(p.numbers[pos], p.rows[pos], problems) for pos, problems in sorted(p.problems.items())]
        return records, rejected

    def _row(self, p: Parsed, pos: int, v: dict[str, Any]) -> ContactRecord | None:
        row = p.numbers[pos]
        relationship = v.get("relationship")
        if (
            relationship
            and relationship != "self"
            and not v.get("contact_name")
            and not p.failed(pos, "contact_name")
        ):
            p.problem(pos, "contact_name", "required for anyone but the debtor", "")
        if relationship in THIRD_PARTY and v.get("customer_id"):
            self.third_party[v["customer_id"]] += 1
            self._third_party_rows.setdefault(v["customer_id"], row)
        channel, value = self._value(p, pos, v)
        contact_id = v.get("contact_id")
        if contact_id:
            first = self._ids.setdefault(contact_id, row)
            if first != row:
                p.problem(pos, "contact_id", f"duplicate contact_id: also in row {first}")
        if value and v.get("customer_id"):
            first = self._points.setdefault((v["customer_id"], channel, value), row)
            if first != row:
                p.problem(pos, "value", f"the same {channel} for this customer is also in row {first}")
        for name in ("consent_date", "last_verified"):
            if v.get(name) and v[name] > self.today:
                p.problem(pos, name, "is in the future")
        if pos in p.problems or not value:
            return None
        zone = (
            zone_for_phone(value)
            if channel == "phone"
            else (zone_for_region(region_from_address(value)) if channel == "address" else None)
        )
        record = ContactRecord(
            row=row,
            cells=p.rows[pos],
            contact_id=contact_id,
            customer_id=v["customer_id"],
            relationship=str(relationship),
            contact_name=v.get("contact_name") or None,
            channel=channel,
            value=value,
            timezone=zone,
            source=v["source"],
            consent=v["consent"],
            consent_at=_midnight(v.get("consent_date")),
            status=v.get("status") or "unverified",
            last_verified_at=_midnight(v.get("last_verified")),
            row_hash="",
        )
        record.row_hash = row_hash(
            (
                contact_id,
                record.customer_id,
                relationship,
                record.contact_name,
                channel,
                value,
                zone,
                record.source,
                record.consent,
                v.get("consent_date"),
                record.status,
                v.get("last_verified"),
            )
        )
        return record

    def _value(self, p: Parsed, pos: int, v: dict[str, Any]) -> tuple[str, str | None]:
        raw = v.get("value")
        channel = v.get("channel")
        if not raw:
            return channel or "phone", None
        if channel is None:
            channel = "email" if "@" in raw else "phone" if vl.looks_like_phone(raw) else "address"
        try:
            if channel == "phone":
                return channel, vl.parse_phone(raw, self.region)
            if channel == "email":
                return channel, vl.parse_email(raw)
            return channel, vl.text_parser(400)(raw)
        except vl.BadValue as exc:
            p.problem(pos, "value", str(exc))
            return channel, None

    def finish(self) -> None:
        """File-level checks after the last row."""
        self.check_file()

    def check_file(self) -> None:
        """Refuse the whole file when one debtor has more third-party contacts than the limit."""
        over = [(cid, n) for cid, n in self.third_party.items() if n > self.max_third_party]
        if not over:
            return
        problems = [
            FieldProblem(
                self._third_party_rows[cid],
                "customer_id",
                cid,
                f"{n} third-party contacts for one debtor (limit {self.max_third_party})",
                self.file,
            )
            for cid, n in over[:1000]
        ]
        raise InputRejected(
            f"{self.file}: refused: {len(over)} debtor(s) have more than {self.max_third_party} third-party "
            "contacts in this file, which looks like an address book or call log. Only contacts the debtor "
            "gave or the contract names may be imported.",
            problems,
        )
