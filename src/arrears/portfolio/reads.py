"""Read-side query helpers of the portfolio: filters, per-page extras and account loading (masked).

No transactions begin here: every function takes the service's connection.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Select, and_, case, false, or_, select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from arrears.core.access import Principal
from arrears.core.masking import mask_email, mask_name, mask_phone
from arrears.core.money import Money
from arrears.portfolio.model import COMPANY_ROLES, CaseStatus, Relationship
from arrears.portfolio.store import (
    accounts,
    bucket_history,
    cases,
    contact_points,
    debtors,
    due_items,
    payments,
)
from arrears.portfolio.views import AccountView, BucketSpell, ContactView, DueItemView, PaymentView

OUTSTANDING = (
    accounts.c.principal_minor + accounts.c.interest_minor + accounts.c.fees_minor + accounts.c.penalty_minor
)


def mask_address(address: str | None) -> str | None:
    """Keep the coarse part of a postal address: the first six CJK characters, else the last two parts."""
    if not address:
        return address
    text = address.strip()
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text[:6] + "****"
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return "****, " + ", ".join(parts[-2:]) if len(parts) > 2 else "****"


def mask_debtor_name(kind: str, name: str) -> str:
    """A person's name masked (张**); a company's registered name is public and shown as it is."""
    return name if kind == "company" else mask_name(name)


def mask_contact(channel: str, value: str) -> str:
    """Mask a contact point's value by its channel."""
    if channel == "phone":
        return mask_phone(value)
    if channel == "email":
        return mask_email(value)
    return mask_address(value) or ""


def account_scope(principal: Principal) -> ColumnElement[bool] | None:
    """A condition on `accounts`: what the principal may see (None: everything).

    Agency users: the accounts placed with their agency. Collectors and team leads: the accounts in
    their team's cases. A scoped principal without an agency or team sees nothing (never `IS NULL`).
    """
    if principal.is_agency:
        if principal.agency_id is None:
            return false()
        return accounts.c.agency_id == principal.agency_id
    if not principal.sees_all_teams:
        if principal.team_id is None:
            return false()
        return accounts.c.case_id.in_(select(cases.c.id).where(cases.c.team_id == principal.team_id))
    return None


def debtor_scope(principal: Principal) -> ColumnElement[bool] | None:
    """A condition on `debtors`: those with an account placed with the agency, or a case of the team."""
    if principal.is_agency:
        if principal.agency_id is None:
            return false()
        placed = select(accounts.c.debtor_id).where(accounts.c.agency_id == principal.agency_id)
        return debtors.c.id.in_(placed)
    if not principal.sees_all_teams:
        if principal.team_id is None:
            return false()
        return debtors.c.id.in_(select(cases.c.debtor_id).where(cases.c.team_id == principal.team_id))
    return None


def case_scope(principal: Principal) -> ColumnElement[bool] | None:
    """A condition on `cases`: the team's cases, or the cases holding the agency's accounts."""
    if principal.is_agency:
        if principal.agency_id is None:
            return false()
        return cases.c.id.in_(select(accounts.c.case_id).where(accounts.c.agency_id == principal.agency_id,
                                                               accounts.c.case_id.is_not(None)))
    if not principal.sees_all_teams:
        if principal.team_id is None:
            return false()
        return cases.c.team_id == principal.team_id
    return None


def monies(amounts: dict[str, int]) -> tuple[Money, ...]:
    """One Money per currency of a currency -> minor units map, by currency code."""
    return tuple(Money.from_minor(minor, cur) for cur, minor in sorted(amounts.items()))



def debtor_filters(q: str | None, bucket: str | None, product: str | None,
                   status: str | None) -> list[ColumnElement[bool]]:
    """WHERE clauses on debtors for a search term and filters (bound parameters, never interpolated)."""
    where: list[ColumnElement[bool]] = []
    acc, cp, cs = accounts.c, contact_points.c, cases.c
    has = debtors.c.id.in_  # uncorrelated semi-joins: each subquery runs once, not once per debtor
    if q and q.strip():
        term = q.strip()
        matches: list[ColumnElement[bool]] = [
            debtors.c.name.icontains(term, autoescape=True),
            debtors.c.name_latin.icontains(term, autoescape=True),
            debtors.c.external_id.istartswith(term, autoescape=True),
            has(select(acc.debtor_id).where(acc.external_id.istartswith(term, autoescape=True))),
        ]
        digits = term.replace(" ", "").replace("-", "").lstrip("+")
        if len(digits) >= 4 and digits.isdigit():
            matches.append(has(select(cp.debtor_id).where(cp.channel == "phone",
                                                          cp.value.contains(digits, autoescape=True))))
        where.append(or_(*matches))
    if bucket:
        where.append(has(select(acc.debtor_id).where(acc.bucket == bucket)))
    if product:
        where.append(has(select(acc.debtor_id).where(acc.product == product)))
    if status == CaseStatus.CLOSED.value:  # closed: a closed case and no live one
        where.append(and_(has(select(cs.debtor_id).where(cs.status == status)),
                          debtors.c.id.not_in(select(cs.debtor_id).where(cs.status != status))))
    elif status:
        where.append(has(select(cs.debtor_id).where(cs.status == status)))
    return where


class ListDetails:
    """Per-debtor extras for one page of the list, fetched with one query each."""

    def __init__(self) -> None:
        self.phones: dict[int, str] = {}
        self.accounts: dict[int, int] = defaultdict(int)
        self.max_dpd: dict[int, int] = defaultdict(int)
        self.bucket_sets: dict[int, set[str]] = defaultdict(set)
        self.products: dict[int, set[str]] = defaultdict(set)
        self.owed: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.case_status: dict[int, str] = {}

    def buckets(self, labels: tuple[str, ...], debtor_id: int) -> tuple[str, ...]:
        """The debtor's buckets in the order of `labels` (M0, M1..Mn, WO)."""
        order = {label: i for i, label in enumerate(labels)}
        return tuple(sorted(self.bucket_sets.get(debtor_id, ()), key=lambda b: (order.get(b, 99), b)))


def list_details(conn: Connection, ids: list[int], principal: Principal) -> ListDetails:
    """Accounts, DPD, buckets, products, outstanding, own phone (masked) and case status for a page.

    Accounts and cases are those the principal may see (an agency user: only the agency's accounts).
    """
    d = ListDetails()
    if not ids:
        return d
    visible = [c for c in (account_scope(principal),) if c is not None]
    for a in conn.execute(
        select(accounts.c.debtor_id, accounts.c.bucket, accounts.c.product, accounts.c.currency,
               accounts.c.dpd, OUTSTANDING.label("owed")).where(accounts.c.debtor_id.in_(ids), *visible)
    ):
        d.accounts[a.debtor_id] += 1
        d.max_dpd[a.debtor_id] = max(d.max_dpd[a.debtor_id], int(a.dpd))
        d.bucket_sets[a.debtor_id].add(a.bucket)
        d.products[a.debtor_id].add(a.product)
        d.owed[a.debtor_id][a.currency] += int(a.owed)
    cp = contact_points.c
    usable = case((cp.status == "valid", 0), (cp.status == "unverified", 1), else_=2)
    own = [Relationship.SELF.value, *sorted(r.value for r in COMPANY_ROLES)]  # never a third party's phone
    for r in conn.execute(
        select(cp.debtor_id, cp.value)
        .where(cp.debtor_id.in_(ids), cp.channel == "phone", cp.relationship.in_(own))
        .order_by(cp.debtor_id, case((cp.relationship == "self", 0), else_=1), usable, cp.id)
    ):
        d.phones.setdefault(r.debtor_id, mask_phone(r.value))
    visible_cases = [c for c in (case_scope(principal),) if c is not None]
    for c in conn.execute(
        select(cases.c.debtor_id, cases.c.status).where(cases.c.debtor_id.in_(ids), *visible_cases)
        .order_by(cases.c.debtor_id, case((cases.c.status == "closed", 1), else_=0), cases.c.id.desc())
    ):
        d.case_status.setdefault(c.debtor_id, c.status)
    return d


def contact_view(c: Row) -> ContactView:
    """A contact point row as a masked view."""
    return ContactView(
        id=c.id, channel=c.channel, value=mask_contact(c.channel, c.value), relationship=c.relationship,
        contact_name=mask_name(c.contact_name) if c.contact_name else None, source=c.source,
        consent=c.consent, consent_at=c.consent_at, status=c.status, timezone=c.timezone,
        last_verified_at=c.last_verified_at,
    )


def account_views(conn: Connection, query: Select, debtor_name: str, on: date) -> tuple[AccountView, ...]:
    """The accounts a query selects, each with its due items, payments and bucket history."""
    rows = conn.execute(query).all()
    ids = [a.id for a in rows]
    items: dict[int, list[Row]] = defaultdict(list)
    paid: dict[int, list[Row]] = defaultdict(list)
    spells: dict[int, list[Row]] = defaultdict(list)
    if ids:
        for r in conn.execute(select(due_items).where(due_items.c.account_id.in_(ids))
                              .order_by(due_items.c.account_id, due_items.c.due_date)):
            items[r.account_id].append(r)
        pay = payments.c
        for r in conn.execute(select(payments).where(pay.account_id.in_(ids))
                              .order_by(pay.account_id, pay.paid_on.desc(), pay.id.desc())):
            paid[r.account_id].append(r)
        for r in conn.execute(select(bucket_history).where(bucket_history.c.account_id.in_(ids))
                              .order_by(bucket_history.c.account_id, bucket_history.c.entered_on,
                                        bucket_history.c.id)):
            spells[r.account_id].append(r)
    return tuple(_account(a, debtor_name, on, items[a.id], paid[a.id], spells[a.id]) for a in rows)


def _account(a: Row, debtor_name: str, on: date, items: list[Row], paid: list[Row],
             spells: list[Row]) -> AccountView:
    cur = a.currency

    def m(minor: int) -> Money:
        """An amount in the account's currency."""
        return Money.from_minor(minor, cur)

    owed = a.principal_minor + a.interest_minor + a.fees_minor + a.penalty_minor
    as_of = a.aged_as_of or on  # overdue as aging saw it, so the items agree with the stored DPD
    return AccountView(
        id=a.id, external_id=a.external_id, debtor_id=a.debtor_id, debtor_name=debtor_name, case_id=a.case_id,
        product=a.product, sub_type=a.sub_type, currency=cur, status=a.status, open_date=a.open_date,
        credit_limit=m(a.credit_limit_minor) if a.credit_limit_minor is not None else None,
        grace_days=a.grace_days, late_fee=m(a.late_fee_minor), penalty_rate_ppm=a.penalty_rate_ppm,
        principal=m(a.principal_minor), interest=m(a.interest_minor), fees=m(a.fees_minor),
        penalty=m(a.penalty_minor), credit=m(a.credit_minor), outstanding=m(owed), dpd=a.dpd,
        bucket=a.bucket, aged_as_of=a.aged_as_of, last_payment_date=a.last_payment_date,
        last_payment=m(a.last_payment_minor) if a.last_payment_minor is not None else None,
        due_items=tuple(
            DueItemView(due_date=i.due_date, amount=m(i.amount_minor), paid=m(i.paid_minor),
                        unpaid=m(max(0, i.amount_minor - i.paid_minor)),
                        overdue=i.paid_minor < i.amount_minor and i.due_date < as_of)
            for i in items
        ),
        payments=tuple(
            PaymentView(reference=p.reference, paid_on=p.paid_on, amount=Money.from_minor(p.amount_minor,
                        p.currency), channel=p.channel, status=p.status)
            for p in paid
        ),
        bucket_history=tuple(BucketSpell(s.bucket, s.entered_on, s.left_on, s.dpd_at_entry) for s in spells),
    )


def require_debtor_in_scope(conn: Connection, principal: Principal, debtor_id: int) -> None:
    """NotFound (404, never 403) unless the debtor exists and lies in the principal's scope."""
    from arrears.core.errors import NotFound

    scope = debtor_scope(principal)
    query = select(debtors.c.id).where(debtors.c.id == debtor_id, *([] if scope is None else [scope]))
    if conn.execute(query).first() is None:
        raise NotFound(f"debtor {debtor_id} not found")
