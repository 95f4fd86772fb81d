"""Arrangement use cases (each in its own transaction): plans, settlement offers and requests, waivers,
approval decisions and the inbox, arrangement documents and statements, an account's money view."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import NotFound
from arrears.core.money import Money
from arrears.payments import approvals, documents, ledger, plans, posting, promises, queries, settlements
from arrears.payments.model import ApprovalKind
from arrears.payments.store import arrangement_documents, payment_plans, plan_instalments, waivers
from arrears.payments.store import promises as promises_t
from arrears.payments.store import settlements as settlements_t
from arrears.portfolio.store import payments
from arrears.runtime import Runtime


def create_plan(rt: Runtime, principal: Principal, *, account_external_id: str,
                **terms: Any) -> dict[str, Any]:
    """Agree a payment plan (see plans.create_in)."""
    with rt.engine.begin() as conn:
        account = queries.account_by_external(conn, account_external_id, principal)
        return plans.create_in(conn, principal, account_id=account.id, now=rt.clock.now(), **terms)


def settlement_offer(rt: Runtime, principal: Principal, account_external_id: str) -> dict[str, Any]:
    """The settlement floor within policy for an account."""
    with rt.engine.connect() as conn:
        account = queries.account_by_external(conn, account_external_id, principal)
        return settlements.offer(conn, principal, account.id)


def request_settlement(rt: Runtime, principal: Principal, *, account_external_id: str,
                       **terms: Any) -> dict[str, Any]:
    """Ask for a settlement (see settlements.request_in)."""
    with rt.engine.begin() as conn:
        account = queries.account_by_external(conn, account_external_id, principal)
        return settlements.request_in(conn, principal, account_id=account.id, now=rt.clock.now(), **terms)


def request_waiver(rt: Runtime, principal: Principal, *, account_external_id: str,
                   **terms: Any) -> dict[str, Any]:
    """Ask for a waiver (see settlements.waiver_in)."""
    with rt.engine.begin() as conn:
        account = queries.account_by_external(conn, account_external_id, principal)
        return settlements.waiver_in(conn, principal, account_id=account.id, now=rt.clock.now(), **terms)


_APPLY = {
    ApprovalKind.PROMISE: promises.apply_decision,
    ApprovalKind.PLAN: plans.apply_decision,
    ApprovalKind.SETTLEMENT: settlements.apply_settlement_decision,
    ApprovalKind.WAIVER: settlements.apply_waiver_decision,
}


def decide(rt: Runtime, principal: Principal, approval_id: int, *, approve: bool,
           reason: str) -> dict[str, Any]:
    """Decide an approval request with a reason; once settled, the arrangement follows at once."""
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        done = approvals.decide(conn, principal, approval_id, approve=approve, reason=reason, now=now)
        if done.final is not None:
            _APPLY[ApprovalKind(done.approval.kind)](conn, principal, int(done.approval.entity_id),
                                                     done.final.value == "approved", now)
        row = approvals.get(conn, approval_id)
    return {"approval_id": approval_id, "kind": row.kind, "entity_id": row.entity_id,
            "decision": done.decision,
            "status": row.status, "level": row.level, "approvals_needed": row.approvals_needed}


def inbox(rt: Runtime, principal: Principal, status: str = "pending") -> list[dict[str, Any]]:
    """The approval requests the principal may decide."""
    with rt.engine.connect() as conn:
        return approvals.inbox(conn, principal, status=status)


def document(rt: Runtime, principal: Principal, document_id: int) -> dict[str, Any]:
    """One arrangement document (confirmation) in both languages, within scope."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        docs = arrangement_documents
        row = conn.execute(select(docs).where(docs.c.id == document_id)).first()
        if row is None:
            raise NotFound(f"document {document_id} not found")
        queries.debtor(conn, row.debtor_id, principal)
    return {"id": row.id, "kind": row.kind, "entity_id": row.entity_id, "debtor_id": row.debtor_id,
            "account_id": row.account_id, "language": row.language, "text_zh": row.text_zh,
            "text_en": row.text_en,
            "created_at": row.created_at.isoformat(), "created_by": row.created_by}


def _arrangements(conn: Any, account: Any) -> dict[str, list[dict[str, Any]]]:
    cur = account.currency

    def money(minor: int) -> str:
        return Money.from_minor(minor, cur).format()

    out: dict[str, list[dict[str, Any]]] = {"promises": [], "plans": [], "settlements": [], "waivers": []}
    for p in conn.execute(select(promises_t).where(promises_t.c.account_id == account.id)
                          .order_by(promises_t.c.id.desc()).limit(50)):
        out["promises"].append({"id": p.id, "amount": money(p.amount_minor), "paid": money(p.paid_minor),
                                "due_on": p.due_on.isoformat(), "channel": p.channel, "status": p.status,
                                "document_id": p.confirmation_id})
    for p in conn.execute(select(payment_plans).where(payment_plans.c.account_id == account.id)
                          .order_by(payment_plans.c.id.desc())):
        insts = conn.execute(select(plan_instalments).where(plan_instalments.c.plan_id == p.id)
                             .order_by(plan_instalments.c.seq)).all()
        out["plans"].append({"id": p.id, "total": money(p.total_minor), "status": p.status,
                             "frequency": p.frequency,
                             "document_id": p.confirmation_id,
                             "instalments": [{"seq": i.seq, "due_on": i.due_on.isoformat(),
                                              "amount": money(i.amount_minor), "paid": money(i.paid_minor),
                                              "status": i.status} for i in insts]})
    for s in conn.execute(select(settlements_t).where(settlements_t.c.account_id == account.id)
                          .order_by(settlements_t.c.id.desc())):
        out["settlements"].append({"id": s.id, "amount": money(s.amount_minor),
                                   "balance": money(s.balance_minor),
                                   "floor": money(s.floor_minor), "due_on": s.due_on.isoformat(),
                                   "status": s.status, "document_id": s.confirmation_id})
    query = select(waivers).where(waivers.c.account_id == account.id).order_by(waivers.c.id.desc())
    for w in conn.execute(query):
        out["waivers"].append({"id": w.id, "amount": money(w.amount_minor), "status": w.status,
                               "reason": w.reason,
                               "document_id": w.confirmation_id})
    return out


def money_view(rt: Runtime, principal: Principal, external_id: str,
               as_of: date | None = None) -> dict[str, Any]:
    """An account's money: balances as of a date, the ledger, payments and arrangements."""
    require(principal, Permission.PORTFOLIO_READ)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        account = queries.account_by_external(conn, external_id, principal, lock=True)
        today = posting.today_for(conn, account, now)
        ledger.sync(conn, account, today, now, "system")
        day = as_of or today
        rows = ledger.entries(conn, account.id, day)
        book = ledger.total_of(rows)
        paid = conn.execute(select(payments).where(payments.c.account_id == account.id)
                            .order_by(payments.c.paid_on.desc(), payments.c.id.desc()).limit(100)).all()
        arr = _arrangements(conn, account)
    cur = account.currency
    return {
        "account": account, "as_of": day, "today": today, "currency": cur,
        "parts": {c.value: Money.from_minor(v, cur) for c, v in book.parts.items()},
        "owed": Money.from_minor(book.owed, cur), "credit": Money.from_minor(book.credit, cur),
        "ledger": [ledger.describe(r) for r in rows], "payments": paid, **arr,
    }


def statement(rt: Runtime, principal: Principal, external_id: str,
              as_of: date | None = None) -> dict[str, Any]:
    """A balance statement as of a date with the arrangements in force, in zh-CN and English."""
    view = money_view(rt, principal, external_id, as_of)
    live = [f"P{p['id']} {p['amount']} {p['due_on']}" for p in view["promises"] if p["status"] == "pending"]
    live += [f"L{p['id']} {p['total']} ({p['frequency']})" for p in view["plans"]
             if p["status"] == "active"]
    live += [f"S{s['id']} {s['amount']} {s['due_on']}" for s in view["settlements"]
             if s["status"] == "approved"]
    text = documents.statement(documents.account_tail(view["account"].external_id), view["as_of"],
                               view["parts"],
                               view["credit"], live)
    return {"account": view["account"].external_id, "as_of": view["as_of"].isoformat(), "text_zh": text.zh,
            "text_en": text.en}
