"""Portfolio read use cases: the summary, the debtor list and the one view of a debtor (masked)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.sql.elements import ColumnElement

from arrears.core.access import Permission, Principal, require
from arrears.core.clock import today
from arrears.core.errors import FieldProblem, InputRejected, NotFound
from arrears.core.masking import mask_identity, mask_name
from arrears.core.money import Money
from arrears.portfolio.aging.rules import bucket_bounds, bucket_labels
from arrears.portfolio.model import CaseStatus, Product
from arrears.portfolio.reads import (
    OUTSTANDING,
    account_scope,
    account_views,
    case_scope,
    contact_view,
    debtor_filters,
    debtor_scope,
    list_details,
    mask_address,
    mask_debtor_name,
    monies,
)
from arrears.portfolio.store import (
    accounts,
    aging_runs,
    cases,
    contact_points,
    debtors,
    import_batches,
)
from arrears.portfolio.views import (
    AccountView,
    AgingRunView,
    BucketLine,
    CaseView,
    CurrencyBalance,
    DebtorPage,
    DebtorRow,
    DebtorView,
    ImportBatchView,
    PortfolioSummary,
    ProductLine,
)
from arrears.runtime import Runtime

SORT_KEYS: tuple[str, ...] = (
    "-dpd", "dpd", "-outstanding", "outstanding", "name", "-name", "external_id", "-external_id",
)
DEFAULT_SORT = "-dpd"
MAX_PAGE_SIZE = 200
RECENT_IMPORTS = 5


def buckets_of(rt: Runtime) -> tuple[str, ...]:
    """The bucket labels in order for the configured thresholds: M0, M1..Mn, WO."""
    return bucket_labels(rt.settings.bucket_thresholds)


# --- summary -------------------------------------------------------------------------------------


def _where(condition: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    return [] if condition is None else [condition]


def portfolio_summary(rt: Runtime, principal: Principal) -> PortfolioSummary:
    """Counts, balances by currency, accounts and outstanding by bucket and product, last runs.

    Within the principal's scope: an agency user's summary covers the accounts placed with the
    agency, a collector's or team lead's their team's cases; imports show only to those who see all.
    """
    require(principal, Permission.PORTFOLIO_READ)
    mine = _where(account_scope(principal))
    with rt.engine.connect() as conn:
        counts = conn.execute(select(
            select(func.count()).select_from(debtors).where(*_where(debtor_scope(principal)))
            .scalar_subquery().label("debtors"),
            select(func.count()).select_from(accounts).where(*mine).scalar_subquery().label("accounts"),
            select(func.count()).select_from(cases).where(cases.c.status != CaseStatus.CLOSED.value,
                                                          *_where(case_scope(principal)))
            .scalar_subquery().label("open_cases"),
        )).one()
        grouped = conn.execute(
            select(accounts.c.bucket, accounts.c.product, accounts.c.currency, func.count().label("n"),
                   func.sum(accounts.c.principal_minor).label("principal"),
                   func.sum(accounts.c.interest_minor).label("interest"),
                   func.sum(accounts.c.fees_minor).label("fees"),
                   func.sum(accounts.c.penalty_minor).label("penalty"),
                   func.sum(accounts.c.credit_minor).label("credit"))
            .where(*mine)
            .group_by(accounts.c.bucket, accounts.c.product, accounts.c.currency)
        ).all()
        run = None if principal.is_agency else conn.execute(
            select(aging_runs).order_by(aging_runs.c.id.desc()).limit(1)).first()
        batches = conn.execute(
            select(import_batches).order_by(import_batches.c.id.desc()).limit(RECENT_IMPORTS)
        ).all() if principal.sees_all_teams and not principal.is_agency else []
    return PortfolioSummary(
        as_of=rt.clock.now(), debtors=counts.debtors, accounts=counts.accounts, open_cases=counts.open_cases,
        balances=_balances(grouped), buckets=_bucket_lines(rt, grouped), products=_product_lines(grouped),
        last_aging_run=_aging_run(run) if run else None,
        recent_imports=tuple(_batch(b) for b in batches),
    )


def _balances(grouped: Sequence[Row]) -> tuple[CurrencyBalance, ...]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in grouped:
        s = sums[r.currency]
        for name in ("n", "principal", "interest", "fees", "penalty", "credit"):
            s[name] += int(getattr(r, name) or 0)
    out = []
    for cur in sorted(sums):
        s = sums[cur]
        owed = s["principal"] + s["interest"] + s["fees"] + s["penalty"]
        out.append(CurrencyBalance(
            currency=cur, accounts=s["n"],
            principal=Money.from_minor(s["principal"], cur), interest=Money.from_minor(s["interest"], cur),
            fees=Money.from_minor(s["fees"], cur), penalty=Money.from_minor(s["penalty"], cur),
            outstanding=Money.from_minor(owed, cur), credit=Money.from_minor(s["credit"], cur),
        ))
    return tuple(out)


def _owed(r: Row) -> int:
    return int(r.principal or 0) + int(r.interest or 0) + int(r.fees or 0) + int(r.penalty or 0)


def _bucket_lines(rt: Runtime, grouped: Sequence[Row]) -> tuple[BucketLine, ...]:
    labels = list(buckets_of(rt))
    counts: dict[str, int] = defaultdict(int)
    owed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in grouped:
        counts[r.bucket] += r.n
        owed[r.bucket][r.currency] += _owed(r)
    labels += sorted(b for b in counts if b not in labels)  # labels from older thresholds, if any
    lines = []
    for label in labels:
        try:
            lo, hi = bucket_bounds(label, rt.settings.bucket_thresholds)
        except ValueError:
            lo, hi = 0, None
        lines.append(BucketLine(label, lo, hi, counts.get(label, 0), monies(owed.get(label, {}))))
    return tuple(lines)


def _product_lines(grouped: Sequence[Row]) -> tuple[ProductLine, ...]:
    counts: dict[str, int] = defaultdict(int)
    owed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in grouped:
        counts[r.product] += r.n
        owed[r.product][r.currency] += _owed(r)
    order = [p.value for p in Product] + sorted(p for p in counts if p not in {q.value for q in Product})
    return tuple(ProductLine(p, counts[p], monies(owed[p])) for p in order if counts.get(p))


def _aging_run(r: Row) -> AgingRunView:
    return AgingRunView(
        id=r.id, as_of=r.as_of, started_at=r.started_at, finished_at=r.finished_at,
        accounts_aged=r.accounts_aged, bucket_moves=r.bucket_moves, late_fees=r.late_fees,
        late_fees_minor=r.late_fees_minor, penalty_minor=r.penalty_minor,
    )


def _batch(r: Row) -> ImportBatchView:
    return ImportBatchView(
        reference=r.reference, kind=r.kind, file_name=r.file_name, status=r.status,
        started_at=r.started_at, finished_at=r.finished_at, rows_total=r.rows_total, rows_new=r.rows_new,
        rows_changed=r.rows_changed, rows_unchanged=r.rows_unchanged, rows_rejected=r.rows_rejected,
    )


# --- debtor list ---------------------------------------------------------------------------------


def list_debtors(
    rt: Runtime, principal: Principal, *, q: str | None = None, bucket: str | None = None,
    product: str | None = None, status: str | None = None, page: int = 1, page_size: int = 50,
    sort: str = DEFAULT_SORT,
) -> DebtorPage:
    """One page of the debtors in the principal's scope matching a search and filters (masked)."""
    require(principal, Permission.PORTFOLIO_READ)
    _check_list_args(rt, bucket, product, status, page, page_size, sort)
    where = debtor_filters(q, bucket, product, status) + _where(debtor_scope(principal))
    labels = buckets_of(rt)
    acc = accounts.c
    mine = and_(acc.debtor_id == debtors.c.id, *_where(account_scope(principal)))
    sort_columns: dict[str, ColumnElement] = {
        "dpd": select(func.coalesce(func.max(acc.dpd), -1)).where(mine).scalar_subquery(),
        "outstanding": select(func.coalesce(func.sum(OUTSTANDING), 0)).where(mine).scalar_subquery(),
        "name": debtors.c.name,
        "external_id": debtors.c.external_id,
    }
    column = sort_columns[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column.asc()
    with rt.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(debtors).where(*where)).scalar_one()
        rows = conn.execute(
            select(debtors.c.id, debtors.c.external_id, debtors.c.kind, debtors.c.name, debtors.c.timezone)
            .where(*where).order_by(order, debtors.c.id.asc())
            .limit(page_size).offset((page - 1) * page_size)
        ).all() if total else []
        details = list_details(conn, [r.id for r in rows], principal)
    items = tuple(
        DebtorRow(
            id=r.id, external_id=r.external_id, kind=r.kind, name=mask_debtor_name(r.kind, r.name),
            phone=details.phones.get(r.id, ""), timezone=r.timezone, accounts=details.accounts.get(r.id, 0),
            max_dpd=details.max_dpd.get(r.id, 0), buckets=details.buckets(labels, r.id),
            products=tuple(sorted(details.products.get(r.id, ()))),
            outstanding=monies(details.owed.get(r.id, {})), case_status=details.case_status.get(r.id),
        )
        for r in rows
    )
    return DebtorPage(items=items, total=total, page=page, page_size=page_size, sort=sort)


def _check_list_args(
    rt: Runtime, bucket: str | None, product: str | None, status: str | None, page: int, page_size: int,
    sort: str,
) -> None:
    problems: list[FieldProblem] = []

    def check(field: str, value: str | None, allowed: Iterable[str]) -> None:
        """Record a problem when a given value is not one of the allowed ones."""
        allowed = tuple(allowed)
        if value is not None and value not in allowed:
            problems.append(FieldProblem(0, field, value, "must be one of: " + ", ".join(allowed)))

    check("sort", sort, SORT_KEYS)
    check("bucket", bucket, buckets_of(rt))
    check("product", product, [p.value for p in Product])
    check("status", status, [s.value for s in CaseStatus])
    if page < 1:
        problems.append(FieldProblem(0, "page", str(page), "must be 1 or more"))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        problems.append(FieldProblem(0, "page_size", str(page_size), f"must be 1..{MAX_PAGE_SIZE}"))
    if problems:
        raise InputRejected("invalid debtor list parameters: " + "; ".join(p.describe() for p in problems),
                            problems)


# --- one debtor, one account ---------------------------------------------------------------------


def debtor_view(rt: Runtime, principal: Principal, debtor_id: int) -> DebtorView:
    """One view of a debtor: identity, local time, accounts, contacts, cases, bucket history (masked).

    A debtor outside the principal's scope is NotFound (404, not 403: existence is not revealed);
    an agency user sees only the accounts placed with the agency, a team only its cases' accounts.
    """
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        d = conn.execute(
            select(debtors).where(debtors.c.id == debtor_id, *_where(debtor_scope(principal)))).first()
        if d is None:
            raise NotFound(f"debtor {debtor_id} not found")
        accts = account_views(conn, select(accounts).where(accounts.c.debtor_id == debtor_id,
                                                           *_where(account_scope(principal)))
                              .order_by(accounts.c.id), mask_debtor_name(d.kind, d.name), today(rt.clock))
        cp = contact_points.c
        contacts = conn.execute(
            select(contact_points).where(cp.debtor_id == debtor_id)
            .order_by(case((cp.relationship == "self", 0), else_=1), cp.id)
        ).all()
        case_rows = conn.execute(
            select(cases).where(cases.c.debtor_id == debtor_id, *_where(case_scope(principal)))
            .order_by(cases.c.opened_on.desc(), cases.c.id)
        ).all()
    owed: dict[str, int] = defaultdict(int)
    for a in accts:
        owed[a.currency] += a.outstanding.minor
    zone, local = _local_time(rt, d.timezone)
    return DebtorView(
        id=d.id, external_id=d.external_id, kind=d.kind, name=mask_debtor_name(d.kind, d.name),
        name_latin=mask_name(d.name_latin) if d.name_latin else None, id_type=d.id_type,
        id_number=mask_identity(d.id_number) if d.id_number else None, occupation=d.occupation,
        employer=d.employer, preferred_language=d.preferred_language, address=mask_address(d.address),
        region=d.region, is_key_account=bool(d.is_key_account), timezone=zone,
        timezone_source=d.timezone_source, local_time=local, outstanding=monies(owed),
        max_dpd=max((a.dpd for a in accts), default=0), accounts=accts,
        contacts=tuple(contact_view(c) for c in contacts),
        cases=tuple(
            CaseView(id=c.id, status=c.status, hold_reason=c.hold_reason, close_reason=c.close_reason,
                     opened_on=c.opened_on, closed_on=c.closed_on,
                     accounts=tuple(a.external_id for a in accts if a.case_id == c.id))
            for c in case_rows
        ),
    )


def account_view(rt: Runtime, principal: Principal, external_id: str) -> AccountView:
    """One account by its external id: balances, aging state, due items, payments, bucket history.

    An account outside the principal's scope is NotFound (404).
    """
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        owner = conn.execute(
            select(debtors.c.kind, debtors.c.name).join(accounts, accounts.c.debtor_id == debtors.c.id)
            .where(accounts.c.external_id == external_id, *_where(account_scope(principal)))
        ).first()
        if owner is None:
            raise NotFound(f"account {external_id!r} not found")
        views = account_views(conn, select(accounts).where(accounts.c.external_id == external_id),
                              mask_debtor_name(owner.kind, owner.name), today(rt.clock))
    return views[0]


def _local_time(rt: Runtime, name: str) -> tuple[str, datetime]:
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        name = rt.settings.default_timezone
        zone = ZoneInfo(name)
    return name, rt.clock.now().astimezone(zone)


