"""Writing contact rows: the debtor must exist, roles must fit the debtor's kind, upsert by contact_id
or by (debtor, channel, value)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update

from arrears.core.errors import FieldProblem
from arrears.portfolio.importing.contact_rows import ContactRecord
from arrears.portfolio.importing.kinds import BatchOutcome, Context
from arrears.portfolio.importing.schemas import cell_text
from arrears.portfolio.model import COMPANY_ROLES
from arrears.portfolio.store import contact_points, debtors

_PERSON_ONLY = {"spouse", "parent", "relative", "friend", "colleague", "employer"}
_COMPANY_ONLY = {r.value for r in COMPANY_ROLES}


class ContactHandler:
    """Contacts: validate in Python, then look up debtors and existing points per batch."""

    checks_on_write = True

    def __init__(self, ctx: Context) -> None:
        self.plan = ctx.plan
        self.conn = ctx.conn
        self.now = ctx.now
        self.file = ctx.file

    def write(self, records: list[ContactRecord]) -> BatchOutcome:
        """Upsert a batch of contact points."""
        out = BatchOutcome()
        found = {
            r.external_id: (r.id, r.kind)
            for r in self.conn.execute(
                select(debtors.c.external_id, debtors.c.id, debtors.c.kind).where(
                    debtors.c.external_id.in_({r.customer_id for r in records})
                )
            )
        }
        by_ext, by_point = self._existing(records, [d for d, _ in found.values()])
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for rec in records:
            debtor = found.get(rec.customer_id)
            problem = self._check(rec, debtor)
            if problem is None and debtor is not None:
                target = by_ext.get(rec.contact_id) if rec.contact_id else None
                same_point = by_point.get((debtor[0], rec.channel, rec.value))
                if target is None and same_point is not None and same_point[2] in (None, rec.contact_id):
                    target = same_point
                elif target is not None and same_point is not None and same_point[0] != target[0]:
                    problem = FieldProblem(
                        rec.row,
                        "value",
                        rec.value,
                        f"this customer already has this {rec.channel} recorded as another contact",
                        self.file,
                    )
            if problem is not None or debtor is None:
                out.rejected.append((rec.row, rec.cells, [problem] if problem else []))
                continue
            values = self._values(rec, debtor[0])
            if target is None:
                inserts.append({**values, "created_at": self.now})
                out.new += 1
            elif target[1] != rec.row_hash:
                updates.append({**values, "_id": target[0]})
                out.changed += 1
            else:
                out.unchanged += 1
        if inserts:
            self.conn.execute(insert(contact_points), inserts)
        if updates:
            stmt = update(contact_points).where(contact_points.c.id == bindparam("_id"))
            self.conn.execute(stmt, updates)
        return out

    def _check(self, rec: ContactRecord, debtor: tuple[int, str] | None) -> FieldProblem | None:
        if debtor is None:
            return FieldProblem(
                rec.row,
                "customer_id",
                rec.customer_id,
                "unknown customer: import the accounts file first",
                self.file,
            )
        kind = debtor[1]
        if kind == "company" and rec.relationship in _PERSON_ONLY:
            return FieldProblem(
                rec.row,
                "relationship",
                self._raw(rec, "relationship"),
                "a family or personal relationship cannot belong to a company debtor",
                self.file,
            )
        if kind == "person" and rec.relationship in _COMPANY_ONLY:
            return FieldProblem(
                rec.row,
                "relationship",
                self._raw(rec, "relationship"),
                "company roles (payables, finance, owner) apply to company debtors only",
                self.file,
            )
        return None

    def _raw(self, rec: ContactRecord, name: str) -> str:
        return cell_text(self.plan, rec.cells, name)

    def _existing(
        self, records: list[ContactRecord], debtor_ids: list[int]
    ) -> tuple[dict[Any, Any], dict[Any, Any]]:
        ext_ids = [r.contact_id for r in records if r.contact_id]
        cols = (
            contact_points.c.id,
            contact_points.c.row_hash,
            contact_points.c.external_id,
            contact_points.c.debtor_id,
            contact_points.c.channel,
            contact_points.c.value,
        )
        by_ext: dict[str, tuple[int, str, str | None]] = {}
        by_point: dict[tuple[int, str, str], tuple[int, str, str | None]] = {}
        rows = []
        if ext_ids:
            rows += list(self.conn.execute(select(*cols).where(contact_points.c.external_id.in_(ext_ids))))
        if debtor_ids:
            rows += list(self.conn.execute(select(*cols).where(contact_points.c.debtor_id.in_(debtor_ids))))
        for r in rows:
            entry = (r.id, r.row_hash, r.external_id)
            if r.external_id:
                by_ext[r.external_id] = entry
            by_point[(r.debtor_id, r.channel, r.value)] = entry
        return by_ext, by_point

    def _values(self, rec: ContactRecord, debtor_id: int) -> dict[str, Any]:
        return {
            "external_id": rec.contact_id,
            "debtor_id": debtor_id,
            "relationship": rec.relationship,
            "contact_name": rec.contact_name,
            "channel": rec.channel,
            "value": rec.value,
            "timezone": rec.timezone,
            "source": rec.source,
            "consent": rec.consent,
            "consent_at": rec.consent_at,
            "status": rec.status,
            "last_verified_at": rec.last_verified_at,
            "row_hash": rec.row_hash,
            "updated_at": self.now,
        }

    def close(self) -> None:
        """Nothing staged."""
