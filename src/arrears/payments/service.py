"""Payments use cases: each begins and commits its own transaction (a failed request writes nothing).

Posting (REST, CLI, channel files), reversals, balances as of a date, promises and claims from the REST
side, and the judging run. Arrangements (plans, settlements, waivers, approvals) are in arrangements.py.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import Conflict, FieldProblem, InputRejected
from arrears.core.money import Money
from arrears.payments import channels, jobs, ledger, posting, promises, queries
from arrears.payments.model import ClaimOutcome, JudgeSummary, PromiseHistory, PromiseOutcome
from arrears.payments.posting import Posted
from arrears.payments.store import payment_files
from arrears.payments.store import promises as promises_t
from arrears.portfolio.importing import values as vl
from arrears.portfolio.importing.account_fields import parse_currency
from arrears.portfolio.reads import account_scope, debtor_scope
from arrears.portfolio.store import accounts, debtors, payments
from arrears.runtime import Runtime
from arrears.users import audit

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.]{2,63}")


def post_payment(rt: Runtime, principal: Principal, *, account_external_id: str, reference: str,
                 amount: Money,
                 paid_on: date, channel: str, source: str = "api") -> Posted:
    """Post one payment (idempotent by reference)."""
    require(principal, Permission.PAYMENT_POST)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        account = queries.account_by_external(conn, account_external_id, principal, lock=True)
        return posting.post_in(conn, principal, account=account, reference=reference, amount=amount,
                               paid_on=paid_on, channel=channel, source=source, now=now)


def reverse_payment(rt: Runtime, principal: Principal, *, reference: str, reason: str) -> dict[str, Any]:
    """Reverse a posted payment: what it paid re-opens exactly."""
    require(principal, Permission.PAYMENT_REVERSE)
    with rt.engine.begin() as conn:
        return posting.reverse_in(conn, principal, reference=reference, reason=reason, now=rt.clock.now())


def _resolve(conn: Any, principal: Principal, hints: list[str]) -> dict[str, Any]:
    """Accounts named in the rows' account/memo text, by external id (within scope)."""
    tokens = {t for h in hints for t in _TOKEN.findall(h)}
    found: dict[str, Any] = {}
    items = sorted(tokens)
    scope = account_scope(principal)
    for start in range(0, len(items), 500):
        query = select(accounts).where(accounts.c.external_id.in_(items[start:start + 500]))
        if scope is not None:
            query = query.where(scope)
        for row in conn.execute(query):
            found[row.external_id] = row
    return found


def _plan_rows(conn: Any, principal: Principal, cf: channels.ChannelFile) -> tuple[list[dict[str, Any]], int]:
    """Check every row before anything is written; returns the payments to post and how many repeat."""
    known = _resolve(conn, principal, [r.account_hint for r in cf.rows if not r.skip])
    problems = list(cf.problems)
    plan: list[dict[str, Any]] = []
    seen: dict[str, tuple[Any, ...]] = {}
    for r in cf.rows:
        if r.skip or r.paid_on is None or not r.reference:
            continue
        matches = {t: known[t] for t in _TOKEN.findall(r.account_hint) if t in known}
        if len(matches) != 1:
            reason = "unknown account: import it first" if not matches else "names more than one account"
            problems.append(FieldProblem(r.row, "account", r.account_hint.strip(), reason, cf.name))
            continue
        account = next(iter(matches.values()))
        if r.currency:
            try:
                code = parse_currency(r.currency)
            except vl.BadValue as exc:
                problems.append(FieldProblem(r.row, "currency", r.currency, str(exc), cf.name))
                continue
            if code != account.currency:
                problems.append(FieldProblem(r.row, "currency", r.currency,
                                             f"account {account.external_id} is in {account.currency}",
                                             cf.name))
                continue
        try:
            minor = vl.parse_amount(r.amount_text, account.currency)
        except vl.BadValue as exc:
            problems.append(FieldProblem(r.row, "amount", r.amount_text, str(exc), cf.name))
            continue
        key = (account.id, minor, r.paid_on)
        if r.reference in seen:
            if seen[r.reference] != key:
                problems.append(FieldProblem(r.row, "reference", r.reference,
                                             "appears earlier in the file with other details",
                                             cf.name))
            continue
        seen[r.reference] = key
        plan.append({"row": r.row, "account": account, "reference": r.reference, "minor": minor,
                     "paid_on": r.paid_on, "channel": r.channel})
    refs = [p["reference"] for p in plan]
    recorded = {}
    for start in range(0, len(refs), 500):
        for row in conn.execute(select(payments).where(payments.c.reference.in_(refs[start:start + 500]))):
            recorded[row.reference] = row
    repeats = 0
    fresh = []
    for p in plan:
        old = recorded.get(p["reference"])
        if old is None:
            fresh.append(p)
        elif posting.same_payment(old, p["account"].id, p["minor"], p["account"].currency, p["paid_on"]):
            repeats += 1
        else:
            problems.append(FieldProblem(p["row"], "reference", p["reference"],
                                         "already recorded with different details (account, date or amount)",
                                         cf.name))
    if problems:
        raise InputRejected(f"{cf.name}: {len(problems)} problem(s); nothing was posted", problems)
    return fresh, repeats


def _quiet(conn: Any, account_ids: set[int]) -> frozenset[int]:
    """Of these accounts, those with no open promise, plan, settlement or claim (nothing to judge)."""
    from arrears.payments.store import payment_plans, promise_claims, settlements

    live = ["pending", "awaiting_approval"]
    busy: set[int] = set()
    ids = sorted(account_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        a, p, claims = accounts.c, promises_t.c, promise_claims.c
        debtors_of = select(a.debtor_id).where(a.id.in_(chunk))
        query = select(a.id).where(a.id.in_(chunk), or_(
            a.id.in_(select(p.account_id).where(p.status.in_(live))),
            a.debtor_id.in_(select(p.debtor_id).where(p.account_id.is_(None), p.status.in_(live),
                                                      p.debtor_id.in_(debtors_of))),
            a.id.in_(select(payment_plans.c.account_id).where(payment_plans.c.status == "active")),
            a.id.in_(select(settlements.c.account_id).where(settlements.c.status == "approved")),
            a.debtor_id.in_(select(claims.debtor_id).where(claims.status == "unmatched"))))
        busy |= {int(r[0]) for r in conn.execute(query)}
    return frozenset(account_ids - busy)


def post_file(rt: Runtime, principal: Principal, path: Path, *, layout: str | None = None,
              encoding: str | None = None, file_name: str | None = None) -> dict[str, Any]:
    """Post a channel file: every row checked first; any problem refuses the whole file (nothing posted)."""
    require(principal, Permission.PAYMENT_POST)
    cf = channels.read(path, layout, encoding)
    if file_name:
        cf.name = file_name
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        fresh, repeats = _plan_rows(conn, principal, cf)
        posted_minor: dict[str, int] = {}
        results = []
        quiet = _quiet(conn, {p["account"].id for p in fresh})
        for p in sorted(fresh, key=lambda p: (p["paid_on"], p["row"])):
            account = queries.account(conn, p["account"].id, lock=True)
            try:
                done = posting.post_in(conn, principal, account=account, reference=p["reference"],
                                       amount=Money.from_minor(p["minor"], account.currency),
                                       paid_on=p["paid_on"],
                                       channel=p["channel"], source="file", now=now, row=p["row"],
                                       file=cf.name, quiet=quiet)
            except (InputRejected, Conflict) as exc:
                problems = getattr(exc, "problems", None) or [
                    FieldProblem(p["row"], "reference", p["reference"], str(exc), cf.name)]
                raise InputRejected(f"{cf.name}: row {p['row']}: {exc}; nothing was posted",
                                    problems) from None
            posted_minor[account.currency] = posted_minor.get(account.currency, 0) + p["minor"]
            results.append({"row": p["row"], "reference": done.reference, "payment_id": done.payment_id,
                            "account": account.external_id, "amount_minor": p["minor"]})
        skipped = [{"row": r.row, "reference": r.reference, "reason": r.skip} for r in cf.rows if r.skip]
        file_id = int(conn.execute(payment_files.insert().values(
            file_name=cf.name, file_sha256=cf.sha256, layout=cf.layout, rows_total=len(cf.rows),
            posted=len(results), duplicates=repeats, skipped=len(skipped),
            posted_minor=sum(posted_minor.values()), actor=principal.username, created_at=now,
        ).returning(payment_files.c.id)).scalar_one())
        audit.record(conn, principal, "payment.file", "payment_file", file_id, {
            "file": cf.name, "layout": cf.layout, "sha256": cf.sha256, "posted": len(results),
            "duplicates": repeats, "skipped": len(skipped), "posted_minor": posted_minor}, now)
    return {"file_id": file_id, "file": cf.name, "layout": cf.layout, "encoding": cf.encoding,
            "rows": len(cf.rows), "posted": len(results), "duplicates": repeats, "skipped": skipped,
            "posted_minor": posted_minor, "payments": results[:200]}


def balance(rt: Runtime, principal: Principal, external_id: str, as_of: date | None = None) -> dict[str, Any]:
    """An account's balances as of the end of a day (default: today), rebuilt from its ledger."""
    require(principal, Permission.PORTFOLIO_READ)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        account = queries.account_by_external(conn, external_id, principal, lock=True)
        today = posting.today_for(conn, account, now)
        ledger.sync(conn, account, today, now, "system")
        day = as_of or today
        rows = ledger.entries(conn, account.id, day)
    book = ledger.total_of(rows)
    cur = account.currency
    return {
        "account": account.external_id, "account_id": account.id, "currency": cur, "as_of": day.isoformat(),
        "components": {c.value: str(Money.from_minor(v, cur).amount) for c, v in book.parts.items()},
        "components_minor": {c.value: v for c, v in book.parts.items()},
        "owed_minor": book.owed, "owed": str(Money.from_minor(book.owed, cur).amount),
        "credit_minor": book.credit, "credit": str(Money.from_minor(book.credit, cur).amount),
        "ledger": [ledger.describe(r) for r in rows],
    }


def take_promise(rt: Runtime, principal: Principal, **terms: Any) -> PromiseOutcome:
    """Take a promise to pay (outside a call: e.g. an inbound message); see promises.make_promise."""
    with rt.engine.begin() as conn:
        return promises.make_promise(conn, principal, now=rt.clock.now(), **terms)


def claim_payment(rt: Runtime, principal: Principal, **terms: Any) -> ClaimOutcome:
    """Record 'I already paid'; see promises.record_claimed_payment."""
    with rt.engine.begin() as conn:
        return promises.record_claimed_payment(conn, principal, now=rt.clock.now(), **terms)


def history(rt: Runtime, principal: Principal, debtor_id: int) -> PromiseHistory:
    """A debtor's promise history (within scope)."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        queries.debtor(conn, debtor_id, principal)
        return promises.promise_history(conn, debtor_id)


def list_promises(rt: Runtime, principal: Principal, *, status: str | None = None,
                  due_from: date | None = None,
                  due_to: date | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Promises in the principal's scope, soonest due first."""
    require(principal, Permission.PORTFOLIO_READ)
    p = promises_t.c
    query = select(promises_t)
    scope = debtor_scope(principal)
    if scope is not None:
        query = query.where(p.debtor_id.in_(select(debtors.c.id).where(scope)))
    if status:
        query = query.where(p.status == status)
    if due_from:
        query = query.where(p.due_on >= due_from)
    if due_to:
        query = query.where(p.due_on <= due_to)
    with rt.engine.connect() as conn:
        rows = conn.execute(query.order_by(p.due_on, p.id).limit(limit)).all()
    return [{"id": r.id, "debtor_id": r.debtor_id, "account_id": r.account_id,
             "amount": str(Money.from_minor(r.amount_minor, r.currency).amount), "currency": r.currency,
             "paid": str(Money.from_minor(r.paid_minor, r.currency).amount), "due_on": r.due_on.isoformat(),
             "due_time": r.due_time.strftime("%H:%M") if r.due_time else None, "channel": r.channel,
             "status": r.status, "created_by": r.created_by, "created_at": r.created_at.isoformat(),
             "approval_id": r.approval_id, "confirmation_id": r.confirmation_id} for r in rows]


def judge(rt: Runtime, principal: Principal, as_of: date) -> JudgeSummary:
    """Judge promises, instalments and settlements due by a date, in one transaction."""
    require(principal, Permission.BATCH_RUN)
    if not date(2000, 1, 1) <= as_of <= date(2200, 12, 31):
        raise InputRejected("as_of out of range", [FieldProblem(0, "as_of", as_of.isoformat(), "2000-2200")])
    with rt.engine.begin() as conn:
        return jobs.judge_due_promises(conn, as_of, rt.clock.now())
