"""Settlements and waivers (减免) in the caller's transaction.

A settlement offer is computed within policy (a minimum share of the balance by bucket); the concession
(balance minus settlement) picks the approval level from the matrix; below the floor only the policy's
level (a committee) may agree. An approved settlement paid in full forgives the rest in one ledger row
and closes the case (status closed, reason settled). A waiver forgives part of the components as one
ledger row. Nothing vanishes: every change is booked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from arrears.core.access import Permission, Principal, require
from arrears.core.errors import Conflict, FieldProblem, InputRejected
from arrears.core.i18n import normalise_language
from arrears.core.money import Money
from arrears.payments import approvals, documents, ledger, queries
from arrears.payments.judging import local_today
from arrears.payments.matrix import floor_share, higher, level_for, needs_approval, settlement_floor
from arrears.payments.model import ApprovalKind, LedgerKind, SettlementStatus, WaiverStatus
from arrears.payments.policy import Policy
from arrears.payments.policy import default as default_policy
from arrears.payments.rules import settlement_delta, waiver_by_order, waiver_delta
from arrears.payments.store import settlements, waivers
from arrears.portfolio.model import Component
from arrears.portfolio.store import accounts, cases, payments
from arrears.users import audit
from arrears.worklist.store import work_items

WAIVER_ORDER = (Component.PENALTY, Component.FEES, Component.INTEREST, Component.PRINCIPAL)
_LIVE = (SettlementStatus.AWAITING_APPROVAL.value, SettlementStatus.APPROVED.value)


def _reject(problems: list[FieldProblem]) -> None:
    if problems:
        raise InputRejected("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)


def offer(conn: Connection, principal: Principal, account_id: int,
          policy: Policy | None = None) -> dict[str, Any]:
    """The settlement floor for an account now: balance owed, bucket, minimum share and amount."""
    require(principal, Permission.ARRANGEMENT_REQUEST)
    policy = policy or default_policy()
    account = queries.account(conn, account_id, principal)
    owed = queries.owed_of(account)
    floor = settlement_floor(owed, account.bucket, policy.settlements)
    limits = policy.limits(account.currency)
    return {"account_id": account.id, "currency": account.currency, "bucket": account.bucket,
            "balance_minor": owed, "floor_share": str(floor_share(account.bucket, policy.settlements)),
            "floor_minor": floor, "concession_at_floor_minor": owed - floor,
            "level_at_floor": level_for(owed - floor, limits).value,
            "within_collector_limit_minor": max(owed - limits[min(limits)], floor) if owed else 0}


def request_in(conn: Connection, principal: Principal, *, account_id: int, amount: Money, due_on: date,
               reason: str, channel: str, now: datetime, policy: Policy | None = None) -> dict[str, Any]:
    """Ask for a settlement: approved at once within the collector's limit and the floor, else approval."""
    require(principal, Permission.ARRANGEMENT_REQUEST)
    policy = policy or default_policy()
    account = queries.account(conn, account_id, principal, lock=True)
    debtor = queries.debtor(conn, account.debtor_id)
    today = local_today(now, queries.zone_of(debtor.timezone))
    owed = queries.owed_of(account)
    problems: list[FieldProblem] = []
    if amount.currency != account.currency:
        problems.append(FieldProblem(0, "currency", amount.currency, f"the account is in {account.currency}"))
    elif amount.minor <= 0:
        problems.append(FieldProblem(0, "amount", str(amount.amount), "must be more than zero"))
    elif amount.minor >= owed:
        problems.append(FieldProblem(0, "amount", str(amount.amount),
                                     "not less than the balance: that is payment in full, not a settlement"))
    if due_on < today or due_on > today + timedelta(days=policy.settlements.max_days_to_pay):
        problems.append(FieldProblem(0, "due_on", due_on.isoformat(),
                                     f"within {policy.settlements.max_days_to_pay} days from today"))
    if not reason or not reason.strip():
        problems.append(FieldProblem(0, "reason", "", "give the reason for the settlement"))
    _reject(problems)
    if conn.execute(select(settlements.c.id).where(settlements.c.account_id == account.id,
                                                   settlements.c.status.in_(_LIVE))).first():
        raise Conflict(f"account {account.external_id} already has a settlement in progress")
    floor = settlement_floor(owed, account.bucket, policy.settlements)
    level = level_for(owed - amount.minor, policy.limits(account.currency))
    below = amount.minor < floor
    if below:
        level = higher(level, policy.settlements.below_floor_level)
    status = SettlementStatus.AWAITING_APPROVAL if needs_approval(level) else SettlementStatus.APPROVED
    sid = int(conn.execute(settlements.insert().values(
        debtor_id=account.debtor_id, account_id=account.id, case_id=account.case_id, balance_minor=owed,
        amount_minor=amount.minor, floor_minor=floor, currency=account.currency, bucket=account.bucket,
        due_on=due_on, status=status.value, requested_by_id=principal.user_id,
        requested_by=principal.username,
        reason=reason.strip(), created_at=now, updated_at=now,
    ).returning(settlements.c.id)).scalar_one())
    approval_id = None
    if status is SettlementStatus.AWAITING_APPROVAL:
        case = queries.case_of(conn, account.case_id)
        approval_id = approvals.request(
            conn, principal, kind=ApprovalKind.SETTLEMENT, entity_id=sid, debtor_id=account.debtor_id,
            account_id=account.id, team_id=case.team_id if case is not None else principal.team_id,
            amount_minor=owed - amount.minor, currency=account.currency, level=level, reason=reason.strip(),
            summary=(f"settle {Money.from_minor(owed, account.currency).format()} for {amount.format()}"
                     + (" (below the floor)" if below else "")), now=now)
    text = documents.settlement_confirmation(sid, Money.from_minor(owed, account.currency), amount, due_on,
                                             channel, documents.account_tail(account.external_id))
    doc = queries.save_document(conn, kind="settlement", entity_id=sid, debtor_id=account.debtor_id,
                                account_id=account.id, language=normalise_language(debtor.preferred_language),
                                text_zh=text.zh, text_en=text.en, created_by=principal.username, now=now)
    conn.execute(settlements.update().where(settlements.c.id == sid).values(approval_id=approval_id,
                                                                          confirmation_id=doc))
    audit.record(conn, principal, "settlement.request", "settlement", sid, {
        "account_id": account.id, "balance_minor": owed, "amount_minor": amount.minor, "floor_minor": floor,
        "below_floor": below, "level": level.value, "status": status.value, "reason": reason.strip()}, now)
    if status is SettlementStatus.APPROVED:
        after_payment(conn, principal, account.id, today, now)
    return {"settlement_id": sid, "status": status.value, "approval_id": approval_id, "confirmation_id": doc,
            "floor_minor": floor, "below_floor": below, "level": level.value, "balance_minor": owed}


def _paid_toward(conn: Connection, s: Any) -> int:
    """Payments posted since the settlement was asked for, paid by its due date + grace."""
    until = s.due_on + timedelta(days=default_policy().promises.grace_days)
    return int(conn.execute(select(func.coalesce(func.sum(payments.c.amount_minor), 0)).where(
        payments.c.account_id == s.account_id, payments.c.status == "posted",
        payments.c.created_at >= s.created_at, payments.c.paid_on <= until)).scalar_one())


def after_payment(conn: Connection, principal: Principal, account_id: int, today: date,
                  now: datetime) -> bool:
    """An approved settlement paid in full: forgive the rest, settle the account, close the case."""
    approved = settlements.c.status == SettlementStatus.APPROVED.value
    s = conn.execute(select(settlements).where(settlements.c.account_id == account_id, approved)).first()
    if s is None:
        return False
    paid = _paid_toward(conn, s)
    if paid < s.amount_minor:
        if paid != s.paid_minor:
            conn.execute(settlements.update().where(settlements.c.id == s.id).values(paid_minor=paid))
        return False
    account = ledger.sync(conn, queries.account(conn, account_id, lock=True), today, now, principal.username)
    forgiven = settlement_delta(ledger.book_of(account))
    ledger.post(conn, account, LedgerKind.SETTLEMENT, forgiven, today, now, principal.username, "settlement",
                s.id, f"settlement S{s.id} paid in full", status="settled")
    conn.execute(settlements.update().where(settlements.c.id == s.id).values(
        status=SettlementStatus.PAID.value, paid_minor=paid, closed_at=now, updated_at=now))
    _close_case(conn, account.case_id, today, now)
    audit.record(conn, principal, "settlement.paid", "settlement", s.id, {
        "account_id": account_id, "paid_minor": paid, "forgiven_minor": -forgiven.total}, now)
    return True


def _close_case(conn: Connection, case_id: int | None, today: date, now: datetime) -> None:
    """Close the case as settled when none of its accounts owes anything; cancel its open work."""
    if case_id is None:
        return
    owing = conn.execute(select(accounts.c.id).where(
        accounts.c.case_id == case_id, accounts.c.principal_minor + accounts.c.interest_minor
        + accounts.c.fees_minor + accounts.c.penalty_minor > 0)).first()
    if owing is not None:
        return
    conn.execute(cases.update().where(cases.c.id == case_id, cases.c.status != "closed").values(
        status="closed", close_reason="settled", closed_on=today, updated_at=now))
    # the worklist's open items for the settled case no longer apply
    conn.execute(work_items.update().where(work_items.c.case_id == case_id, work_items.c.status == "open")
                 .values(status="cancelled", updated_at=now))


def after_reversal(conn: Connection, principal: Principal, account_id: int, today: date,
                   now: datetime) -> None:
    """A payment of a paid settlement bounced: undo the forgiveness and re-open the account and case."""
    s = conn.execute(select(settlements).where(settlements.c.account_id == account_id,
                                               settlements.c.status == SettlementStatus.PAID.value)
                     .order_by(settlements.c.id.desc())).first()
    if s is None:
        return
    paid = _paid_toward(conn, s)
    if paid >= s.amount_minor:
        return
    booked = ledger.row_for(conn, LedgerKind.SETTLEMENT, "settlement", s.id)
    account = queries.account(conn, account_id, lock=True)
    if booked is not None:
        ledger.post(conn, account, LedgerKind.REVERSAL, -ledger.delta_of(booked), today, now,
                    principal.username,
                    "settlement", s.id, f"settlement S{s.id} no longer paid in full", status="active")
    conn.execute(settlements.update().where(settlements.c.id == s.id).values(
        status=SettlementStatus.APPROVED.value, paid_minor=paid, closed_at=None, updated_at=now))
    if account.case_id is not None:
        case = conn.execute(select(cases).where(cases.c.id == account.case_id)).first()
        live = conn.execute(select(cases.c.id).where(cases.c.debtor_id == account.debtor_id,
                                                     cases.c.status != "closed")).first()
        if case is not None and case.close_reason == "settled" and live is None:
            conn.execute(cases.update().where(cases.c.id == case.id).values(
                status="open", close_reason=None, closed_on=None, updated_at=now))
    audit.record(conn, principal, "settlement.reopen", "settlement", s.id, {"paid_minor": paid}, now)


def apply_settlement_decision(conn: Connection, principal: Principal, sid: int, approved: bool,
                              now: datetime) -> None:
    """An approver decided: the settlement stands (and may already be paid) or is rejected."""
    s = conn.execute(select(settlements).where(settlements.c.id == sid)).first()
    if s is None or s.status != SettlementStatus.AWAITING_APPROVAL.value:
        return
    status = SettlementStatus.APPROVED if approved else SettlementStatus.REJECTED
    conn.execute(settlements.update().where(settlements.c.id == sid).values(status=status.value,
                                                                            updated_at=now))
    if approved:
        account = queries.account(conn, s.account_id)
        from arrears.payments.posting import today_for

        after_payment(conn, principal, s.account_id, today_for(conn, account, now), now)


def lapse_settlements(conn: Connection, as_of: date, now: datetime, grace_days: int) -> int:
    """Approved settlements not paid by due + grace lapse (the full balance is owed again)."""
    result = conn.execute(settlements.update().where(
        settlements.c.status.in_(_LIVE), settlements.c.due_on < as_of - timedelta(days=grace_days),
    ).values(status=SettlementStatus.LAPSED.value, updated_at=now))
    return result.rowcount or 0


# --- waivers ------------------------------------------------------------------------------------------------


def waiver_in(conn: Connection, principal: Principal, *, account_id: int, reason: str, now: datetime,
              amount: Money | None = None, parts: dict[str, Money] | None = None,
              policy: Policy | None = None) -> dict[str, Any]:
    """Ask for a waiver (减免) of an amount (penalty and fees first) or of named components."""
    require(principal, Permission.ARRANGEMENT_REQUEST)
    policy = policy or default_policy()
    account = queries.account(conn, account_id, principal, lock=True)
    book = ledger.book_of(account)
    problems: list[FieldProblem] = []
    if not reason or not reason.strip():
        problems.append(FieldProblem(0, "reason", "", "give the reason for the waiver"))
    split: dict[Component, int] = {}
    given = list((parts or {}).values()) + ([amount] if amount is not None else [])
    if not given or (amount is not None and parts):
        problems.append(FieldProblem(0, "amount", "", "give either an amount or the components to waive"))
    elif any(m.currency != account.currency for m in given):
        problems.append(FieldProblem(0, "currency", given[0].currency,
                                     f"the account is in {account.currency}"))
    elif amount is not None:
        if amount.minor <= 0 or amount.minor > book.owed:
            problems.append(FieldProblem(0, "amount", str(amount.amount),
                                         f"between 0 and the {book.owed} owed"))
        else:
            split = waiver_by_order(book, amount.minor, WAIVER_ORDER)
    else:
        for key, m in (parts or {}).items():
            try:
                c = Component(key)
            except ValueError:
                problems.append(FieldProblem(0, f"parts.{key}", key, "not a balance component"))
                continue
            if m.minor < 0 or m.minor > book.parts[c]:
                problems.append(FieldProblem(0, f"parts.{key}", str(m.amount), f"only {book.parts[c]} owed"))
            split[c] = m.minor
        if not problems and sum(split.values()) <= 0:
            problems.append(FieldProblem(0, "parts", "", "waive more than zero"))
    _reject(problems)
    waived = sum(split.values())
    level = level_for(waived, policy.limits(account.currency))
    status = WaiverStatus.AWAITING_APPROVAL if needs_approval(level) else WaiverStatus.APPLIED
    wid = int(conn.execute(waivers.insert().values(
        debtor_id=account.debtor_id, account_id=account.id, amount_minor=waived, currency=account.currency,
        status=WaiverStatus.AWAITING_APPROVAL.value, requested_by_id=principal.user_id,
        requested_by=principal.username, reason=reason.strip(), created_at=now,
        **{f"{c.value}_minor": split.get(c, 0) for c in Component},
    ).returning(waivers.c.id)).scalar_one())
    audit.record(conn, principal, "waiver.request", "waiver", wid, {
        "account_id": account.id, "amount_minor": waived, "parts": {c.value: v for c, v in split.items()},
        "level": level.value, "reason": reason.strip()}, now)
    approval_id = None
    if status is WaiverStatus.APPLIED:
        apply_waiver(conn, principal, wid, now)
    else:
        case = queries.case_of(conn, account.case_id)
        approval_id = approvals.request(
            conn, principal, kind=ApprovalKind.WAIVER, entity_id=wid, debtor_id=account.debtor_id,
            account_id=account.id, team_id=case.team_id if case is not None else principal.team_id,
            amount_minor=waived, currency=account.currency, level=level, reason=reason.strip(),
            summary=f"waive {Money.from_minor(waived, account.currency).format()}", now=now)
        conn.execute(waivers.update().where(waivers.c.id == wid).values(approval_id=approval_id))
    return {"waiver_id": wid, "status": status.value, "approval_id": approval_id, "level": level.value,
            "amount_minor": waived, "parts": {c.value: v for c, v in split.items()}}


def apply_waiver(conn: Connection, principal: Principal, wid: int, now: datetime) -> None:
    """Book an agreed waiver as one ledger row; refused when the balances no longer allow it."""
    w = conn.execute(select(waivers).where(waivers.c.id == wid)).one()
    account = queries.account(conn, w.account_id, lock=True)
    from arrears.payments.posting import today_for

    today = today_for(conn, account, now)
    account = ledger.sync(conn, account, today, now, principal.username)
    parts = {c: int(getattr(w, f"{c.value}_minor")) for c in Component}
    try:
        delta = waiver_delta(ledger.book_of(account), parts)
    except ValueError as exc:
        raise Conflict(f"waiver W{wid} no longer fits the balances: {exc}") from None
    ledger.post(conn, account, LedgerKind.WAIVER, delta, today, now, principal.username, "waiver", wid,
                w.reason)
    text = documents.waiver_confirmation(wid, {c.value: Money.from_minor(v, w.currency) for c,
                                               v in parts.items()},
                                         Money.from_minor(w.amount_minor, w.currency))
    debtor = queries.debtor(conn, account.debtor_id)
    doc = queries.save_document(conn, kind="waiver", entity_id=wid, debtor_id=account.debtor_id,
                                account_id=account.id, language=normalise_language(debtor.preferred_language),
                                text_zh=text.zh, text_en=text.en, created_by=principal.username, now=now)
    conn.execute(waivers.update().where(waivers.c.id == wid).values(
        status=WaiverStatus.APPLIED.value, applied_at=now, confirmation_id=doc))
    audit.record(conn, principal, "waiver.apply", "waiver", wid, {
        "account_id": account.id, "amount_minor": int(w.amount_minor),
        "parts": {c.value: v for c, v in parts.items()}}, now)
    if ledger.book_of(queries.account(conn, account.id)).owed == 0:
        _close_case(conn, account.case_id, today, now)


def apply_waiver_decision(conn: Connection, principal: Principal, wid: int, approved: bool,
                          now: datetime) -> None:
    """An approver decided a waiver: booked now, or rejected."""
    w = conn.execute(select(waivers).where(waivers.c.id == wid)).first()
    if w is None or w.status != WaiverStatus.AWAITING_APPROVAL.value:
        return
    if approved:
        apply_waiver(conn, principal, wid, now)
    else:
        conn.execute(waivers.update().where(waivers.c.id == wid).values(status=WaiverStatus.REJECTED.value))
