"""Payment plans in the caller's transaction: create (instalments, approval by the plan matrix, reminders,
confirmation), judge instalments from payments like promises, break after N missed, complete when all
are kept, and re-age the account where the product's policy allows it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from arrears.core.access import SYSTEM, Permission, Principal, require
from arrears.core.errors import FieldProblem, InputRejected
from arrears.core.i18n import normalise_language
from arrears.core.money import Money
from arrears.payments import approvals, documents, ledger, queries
from arrears.payments.judging import (
    end_of_day,
    instalments_paid,
    judge,
    local_today,
    plan_breaks,
    reage_items,
    reminder_at,
    schedule,
    split_amount,
    tolerance,
)
from arrears.payments.matrix import level_for, needs_approval
from arrears.payments.model import ApprovalKind, LedgerKind, PlanStatus, PromiseStatus
from arrears.payments.policy import Policy
from arrears.payments.policy import default as default_policy
from arrears.payments.rules import Delta
from arrears.payments.store import payment_plans, plan_instalments, reagings
from arrears.portfolio.store import accounts, bucket_history, debtors, due_items, payments
from arrears.users import audit
from arrears.worklist.model import PlannedWork, WorkKind
from arrears.worklist.planning import add_work, cancel_work

SOURCE = "plan"


def _problems(policy: Policy, account: Any, total: Money, count: int, frequency: str, start_on: date,
              today: date, reage: bool) -> list[FieldProblem]:
    q = policy.plans
    out: list[FieldProblem] = []
    if total.currency != account.currency:
        out.append(FieldProblem(0, "currency", total.currency, f"the account is in {account.currency}"))
    elif total.minor <= 0:
        out.append(FieldProblem(0, "total", str(total.amount), "must be more than zero"))
    elif total.minor > queries.owed_of(account):
        out.append(FieldProblem(0, "total", str(total.amount), "more than the account owes"))
    if not q.min_instalments <= count <= q.max_instalments:
        out.append(FieldProblem(0, "instalments", str(count),
                                f"between {q.min_instalments} and {q.max_instalments}"))
    elif total.minor > 0 and total.minor < count:
        out.append(FieldProblem(0, "instalments", str(count), "more instalments than minor units"))
    if frequency not in q.frequencies:
        out.append(FieldProblem(0, "frequency", frequency, f"one of {', '.join(q.frequencies)}"))
    if start_on < today or start_on > today + timedelta(days=q.max_first_due_days):
        out.append(FieldProblem(0, "start_on", start_on.isoformat(),
                                f"the first instalment within {q.max_first_due_days} days from today"))
    if reage and account.product not in q.reage_products:
        out.append(FieldProblem(0, "reage", "true", f"the policy does not allow re-aging {account.product}"))
    return out


def create_in(conn: Connection, principal: Principal, *, account_id: int, total: Money, instalments: int,
              frequency: str, start_on: date, channel: str, now: datetime, reage: bool = False,
              note: str = "",
              policy: Policy | None = None) -> dict[str, Any]:
    """Agree a payment plan on an account; active at once within the collector's limit, else approval."""
    require(principal, Permission.ARRANGEMENT_REQUEST)
    policy = policy or default_policy()
    account = queries.account(conn, account_id, principal, lock=True)
    debtor = queries.debtor(conn, account.debtor_id)
    tz = queries.zone_of(debtor.timezone)
    today = local_today(now, tz)
    problems = _problems(policy, account, total, instalments, frequency, start_on, today, reage)
    if problems:
        raise InputRejected("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)
    level = level_for(total.minor, policy.limits(total.currency, plan=True))
    status = PlanStatus.AWAITING_APPROVAL if needs_approval(level) else PlanStatus.ACTIVE
    p = policy.promises
    case = queries.case_of(conn, account.case_id)
    plan_id = int(conn.execute(payment_plans.insert().values(
        debtor_id=account.debtor_id, account_id=account.id, case_id=account.case_id, total_minor=total.minor,
        currency=total.currency, instalments=instalments, frequency=frequency, start_on=start_on,
        status=status.value, max_missed=policy.plans.max_missed, grace_days=p.grace_days,
        tolerance_minor=tolerance(total.minor // instalments, p.tolerance_minor, p.tolerance_percent),
        reage=1 if reage else 0, collector_id=principal.user_id, created_by=principal.username, note=note,
        created_at=now, updated_at=now,
    ).returning(payment_plans.c.id)).scalar_one())
    dates = schedule(start_on, instalments, frequency)
    amounts = split_amount(total.minor, instalments)
    conn.execute(plan_instalments.insert(), [
        {"plan_id": plan_id, "seq": i + 1, "due_on": d, "amount_minor": a, "paid_minor": 0,
         "status": "pending"}
        for i, (d, a) in enumerate(zip(dates, amounts, strict=True))])
    approval_id = None
    if status is PlanStatus.AWAITING_APPROVAL:
        approval_id = approvals.request(
            conn, principal, kind=ApprovalKind.PLAN, entity_id=plan_id, debtor_id=account.debtor_id,
            account_id=account.id, team_id=case.team_id if case is not None else principal.team_id,
            amount_minor=total.minor, currency=total.currency, level=level, reason=note or "payment plan",
            summary=f"plan {total.format()} in {instalments} {frequency} instalments from {start_on}",
            now=now)
    text = documents.plan_confirmation(
        plan_id, [(d, Money.from_minor(a, total.currency)) for d, a in zip(dates, amounts, strict=True)],
        channel, documents.account_tail(account.external_id), policy.plans.max_missed)
    doc = queries.save_document(conn, kind="plan", entity_id=plan_id, debtor_id=account.debtor_id,
                                account_id=account.id, language=normalise_language(debtor.preferred_language),
                                text_zh=text.zh, text_en=text.en, created_by=principal.username, now=now)
    conn.execute(payment_plans.update().where(payment_plans.c.id == plan_id)
                 .values(approval_id=approval_id, confirmation_id=doc))
    if status is PlanStatus.ACTIVE:
        _activate(conn, principal, plan_id, now, policy)
    audit.record(conn, principal, "plan.create", "plan", plan_id, {
        "account_id": account.id, "total_minor": total.minor, "currency": total.currency,
        "instalments": instalments, "frequency": frequency, "start_on": start_on.isoformat(),
        "status": status.value, "level": level.value, "reage": reage}, now)
    return {"plan_id": plan_id, "status": status.value, "approval_id": approval_id, "confirmation_id": doc,
            "level": level.value, "instalments": [{"seq": i + 1, "due_on": d.isoformat(), "amount_minor": a}
                                                  for i, (d, a) in enumerate(zip(dates, amounts,
                                                                                 strict=True))]}


def _activate(conn: Connection, principal: Principal, plan_id: int, now: datetime,
              policy: Policy | None = None) -> None:
    """Queue a reminder before every instalment; re-age at once when the policy says so."""
    plan = conn.execute(select(payment_plans).where(payment_plans.c.id == plan_id)).one()
    tz_name = conn.execute(select(debtors.c.timezone).where(debtors.c.id == plan.debtor_id)).scalar()
    tz = queries.zone_of(tz_name)
    case = queries.case_of(conn, plan.case_id)
    policy = policy or default_policy()
    for inst in conn.execute(select(plan_instalments).where(plan_instalments.c.plan_id == plan_id)):
        amount = Money.from_minor(inst.amount_minor, plan.currency)
        add_work(conn, PlannedWork(
            debtor_id=plan.debtor_id, kind=WorkKind.PROMISE_REMINDER,
            due_at=reminder_at(inst.due_on, None, tz, now, policy.promises),
            not_after=end_of_day(inst.due_on, tz),
            reason=f"plan instalment {inst.seq}/{plan.instalments} of {amount.format()} due {inst.due_on}",
            source=SOURCE, source_ref=f"{plan_id}:{inst.seq}", case_id=plan.case_id,
            account_id=plan.account_id,
            collector_id=case.collector_id if case is not None else plan.collector_id,
            team_id=case.team_id if case is not None else None, expected_recovery_minor=inst.amount_minor),
            now)
    if plan.reage and policy.plans.reage_after_kept == 0:
        reage(conn, principal, plan_id, now, policy)


def apply_decision(conn: Connection, principal: Principal, plan_id: int, approved: bool,
                   now: datetime) -> None:
    """An approver decided a plan: it becomes active (reminders queued) or rejected."""
    plan = conn.execute(select(payment_plans).where(payment_plans.c.id == plan_id)).first()
    if plan is None or plan.status != PlanStatus.AWAITING_APPROVAL.value:
        return
    status = PlanStatus.ACTIVE if approved else PlanStatus.REJECTED
    conn.execute(payment_plans.update().where(payment_plans.c.id == plan_id)
                 .values(status=status.value, updated_at=now))
    if approved:
        _activate(conn, principal, plan_id, now)
        tz = conn.execute(select(debtors.c.timezone).where(debtors.c.id == plan.debtor_id)).scalar()
        judge_plans(conn, as_of=local_today(now, queries.zone_of(tz)), now=now, account_ids=[plan.account_id])
    audit.record(conn, principal, f"plan.{'approve' if approved else 'reject'}", "plan", plan_id,
                 {"status": status.value}, now)


def _paid_since(conn: Connection, account_id: int, since: date, posted_from: datetime) -> int:
    """Payments on the account paid from `since` and posted after the plan was agreed."""
    return int(conn.execute(select(func.coalesce(func.sum(payments.c.amount_minor), 0)).where(
        payments.c.account_id == account_id, payments.c.status == "posted", payments.c.paid_on >= since,
        payments.c.created_at >= posted_from,
    )).scalar_one())


def judge_plans(conn: Connection, *, as_of: date, now: datetime, account_ids: Sequence[int] | None = None,
                reopen: bool = False, principal: Principal = SYSTEM) -> dict[str, int]:
    """Judge the instalments of active plans; break a plan after N missed, complete it when all are kept."""
    live = [PlanStatus.ACTIVE.value] + ([PlanStatus.COMPLETED.value] if reopen else [])
    query = select(payment_plans, debtors.c.timezone).join(debtors,
                                                           debtors.c.id == payment_plans.c.debtor_id)\
        .where(payment_plans.c.status.in_(live))
    if account_ids is not None:
        query = query.where(payment_plans.c.account_id.in_(list(account_ids)))
    counts = {"instalments_judged": 0, "plans_broken": 0, "plans_completed": 0, "work_items": 0}
    for plan in conn.execute(query.order_by(payment_plans.c.id)).all():
        opens = plan.created_at.astimezone(queries.zone_of(plan.timezone)).date()
        insts = list(conn.execute(select(plan_instalments).where(plan_instalments.c.plan_id == plan.id)
                                  .order_by(plan_instalments.c.seq)))
        received = _paid_since(conn, plan.account_id, opens, plan.created_at)
        paid = instalments_paid([int(i.amount_minor) for i in insts], received)
        statuses = []
        for inst, got in zip(insts, paid, strict=True):
            new = judge(int(inst.amount_minor), got, inst.due_on, int(plan.grace_days),
                        int(plan.tolerance_minor),
                        as_of)
            statuses.append(new)
            if new.value != inst.status or got != inst.paid_minor:
                conn.execute(plan_instalments.update().where(plan_instalments.c.id == inst.id).values(
                    status=new.value, paid_minor=got,
                    judged_at=None if new is PromiseStatus.PENDING else now))
            if new.value != inst.status:
                counts["instalments_judged"] += 1
                counts["work_items"] += _instalment_work(conn, plan, inst, new, got, now)
        if plan_breaks(statuses, int(plan.max_missed)):
            conn.execute(payment_plans.update().where(payment_plans.c.id == plan.id).values(
                status=PlanStatus.BROKEN.value, ended_on=as_of, updated_at=now))
            for inst in insts:
                cancel_work(conn, SOURCE, f"{plan.id}:{inst.seq}", now, [WorkKind.PROMISE_REMINDER.value])
            counts["plans_broken"] += 1
            audit.record(conn, principal, "plan.break", "plan", plan.id, {"as_of": as_of.isoformat()}, now)
        elif all(s is PromiseStatus.KEPT for s in statuses):
            if plan.status != PlanStatus.COMPLETED.value:
                conn.execute(payment_plans.update().where(payment_plans.c.id == plan.id).values(
                    status=PlanStatus.COMPLETED.value, ended_on=as_of, updated_at=now))
                counts["plans_completed"] += 1
        elif plan.status == PlanStatus.COMPLETED.value:
            conn.execute(payment_plans.update().where(payment_plans.c.id == plan.id).values(
                status=PlanStatus.ACTIVE.value, ended_on=None, updated_at=now))
        kept = sum(1 for s in statuses if s is PromiseStatus.KEPT)
        if plan.reage and plan.reaged_at is None and kept >= default_policy().plans.reage_after_kept > 0:
            reage(conn, principal, plan.id, now)
    return counts


def _instalment_work(conn: Connection, plan: Any, inst: Any, new: PromiseStatus, got: int,
                     now: datetime) -> int:
    ref = f"{plan.id}:{inst.seq}"
    if new is PromiseStatus.KEPT:
        cancel_work(conn, SOURCE, ref, now)
        return 0
    if new not in (PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT):
        return 0
    short = Money.from_minor(int(inst.amount_minor) - got, plan.currency)
    case = queries.case_of(conn, plan.case_id)
    made = add_work(conn, PlannedWork(
        debtor_id=plan.debtor_id, kind=WorkKind.BROKEN_PROMISE, due_at=now, source=SOURCE, source_ref=ref,
        reason=(f"plan instalment {inst.seq}/{plan.instalments} due {inst.due_on} missed: "
                f"{short.format()} short"),
        case_id=plan.case_id, account_id=plan.account_id,
        collector_id=case.collector_id if case is not None else plan.collector_id,
        team_id=case.team_id if case is not None else None, expected_recovery_minor=short.minor), now)
    return 1 if made else 0


def reage(conn: Connection, principal: Principal, plan_id: int, now: datetime,
          policy: Policy | None = None) -> bool:
    """Re-age the plan's account: overdue unpaid amounts move onto the coming instalment dates, DPD 0."""
    plan = conn.execute(select(payment_plans).where(payment_plans.c.id == plan_id)).one()
    account = queries.account(conn, plan.account_id, lock=True)
    if account.product not in (policy or default_policy()).plans.reage_products or plan.reaged_at is not None:
        return False
    tz = conn.execute(select(debtors.c.timezone).where(debtors.c.id == plan.debtor_id)).scalar()
    today = local_today(now, queries.zone_of(tz))
    account = ledger.sync(conn, account, today, now, principal.username)
    d = due_items.c
    before = [(r.due_date, int(r.amount_minor), int(r.paid_minor))
              for r in conn.execute(select(due_items).where(d.account_id == account.id))]
    coming = [i.due_on for i in conn.execute(select(plan_instalments.c.due_on).where(and_(
        plan_instalments.c.plan_id == plan_id, plan_instalments.c.due_on >= today)))]
    if not coming:
        return False
    after = reage_items(before, today, coming)
    old = {day: (a, p) for day, a, p in before}
    for day, (amount, paid) in after.items():
        if day not in old:
            conn.execute(due_items.insert().values(account_id=account.id, due_date=day, amount_minor=amount,
                                                   principal_minor=amount, paid_minor=paid))
        elif old[day] != (amount, paid):
            conn.execute(due_items.update().where(d.account_id == account.id, d.due_date == day)
                         .values(amount_minor=amount))
    conn.execute(reagings.insert().values(
        account_id=account.id, plan_id=plan_id, dpd_before=account.dpd, bucket_before=account.bucket,
        due_before=json.dumps([[x.isoformat(), a, p] for x, a, p in before]),
        due_after=json.dumps([[x.isoformat(), a, p] for x, (a, p) in sorted(after.items())]),
        actor=principal.username, at=now))
    if account.bucket != "M0":
        conn.execute(bucket_history.update().where(bucket_history.c.account_id == account.id,
                                                   bucket_history.c.left_on.is_(None)).values(left_on=today))
        conn.execute(bucket_history.insert().values(account_id=account.id, bucket="M0", entered_on=today,
                                                    dpd_at_entry=0))
    conn.execute(accounts.update().where(accounts.c.id == account.id).values(dpd=0, bucket="M0",
                                                                             updated_at=now))
    ledger.insert(conn, account, LedgerKind.REAGE, Delta(), today, now, principal.username, "plan", plan_id,
                  f"re-aged from {account.bucket} ({account.dpd} DPD)")
    conn.execute(payment_plans.update().where(payment_plans.c.id == plan_id).values(reaged_at=now))
    audit.record(conn, principal, "plan.reage", "account", account.id,
                 {"plan_id": plan_id, "dpd_before": account.dpd, "bucket_before": account.bucket}, now)
    return True
