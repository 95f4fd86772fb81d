"""Promises to pay and 'I already paid' claims, in the CALLER's transaction (the attempt service's, the
REST endpoint's): take a promise (approval above authority, reminder and follow-up work, written
confirmation, audit), record a claim (matched to a posted payment or queued for checking), judge promises
from payments (kept as soon as covered; partly kept or broken after due + grace), a debtor's history.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection, Row

from arrears.core.access import SYSTEM, Permission, Principal, Role, require
from arrears.core.errors import FieldProblem, InputRejected
from arrears.core.i18n import normalise_language
from arrears.core.money import Money
from arrears.payments import approvals, documents, queries
from arrears.payments.judging import (
    PaidItem,
    PromiseWindow,
    attribute,
    end_of_day,
    followup_at,
    judge,
    local_today,
    reminder_at,
    tolerance,
)
from arrears.payments.matrix import ROLE_LEVEL
from arrears.payments.model import (
    LEVEL_RANK,
    OPEN_PROMISE,
    ApprovalKind,
    ClaimOutcome,
    ClaimStatus,
    PromiseHistory,
    PromiseItem,
    PromiseOutcome,
    PromiseStatus,
)
from arrears.payments.policy import Policy
from arrears.payments.policy import default as default_policy
from arrears.payments.store import promise_claims, promises
from arrears.portfolio.store import accounts, debtors, payments
from arrears.users import audit
from arrears.worklist.model import PlannedWork, WorkKind
from arrears.worklist.planning import add_work, cancel_work

MAX_AHEAD = timedelta(days=366)
CLAIM_MATCH_DAYS = 3
SOURCE = "promise"
_FOLLOW_KINDS = (WorkKind.PROMISE_REMINDER.value, WorkKind.PROMISE_FOLLOWUP.value)


def _reject(problems: list[FieldProblem]) -> None:
    if problems:
        raise InputRejected("; ".join(f"{p.field}: {p.reason}" for p in problems), problems)


def _owner(principal: Principal, case: Row | None) -> int | None:
    """Who follows the work up: the collector who took it, else the case's collector."""
    if principal.role in (Role.COLLECTOR, Role.AGENCY_USER) and principal.user_id is not None:
        return principal.user_id
    return case.collector_id if case is not None else None


def _accounts_for(conn: Connection, principal: Principal, debtor_id: int, account_id: int | None,
                  currency: str, field: str) -> tuple[Row, list[Row], list[FieldProblem]]:
    """The debtor (in scope), the promise's account(s) and any currency problem."""
    debtor = queries.debtor(conn, debtor_id, principal)
    problems: list[FieldProblem] = []
    if account_id is not None:
        acc = queries.account(conn, account_id, principal)
        if acc.debtor_id != debtor_id:
            raise InputRejected(f"account {account_id} is not debtor {debtor_id}'s",
                                [FieldProblem(0, "account_id", str(account_id),
                                              "not an account of the debtor")])
        accs = [acc]
    else:
        accs = queries.debtor_accounts(conn, debtor_id)
        if not accs:
            raise InputRejected(f"debtor {debtor_id} has no account",
                                [FieldProblem(0, "account_id", "", "the debtor has no account")])
    currencies = {a.currency for a in accs}
    if currency not in currencies:
        problems.append(FieldProblem(0, field, currency,
                                     f"the account is in {', '.join(sorted(currencies))}, not {currency}"))
    return debtor, [a for a in accs if a.currency == currency], problems


def _needs_approval(conn: Connection, principal: Principal, amount_minor: int, due_on: date, today: date,
                    policy: Policy) -> str | None:
    """Why a promise needs approval (above the taker's authority or too far ahead), or None."""
    row = queries.user(conn, principal.user_id)
    authority = int(row.promise_authority_minor) if row is not None else 0
    if authority > 0 and amount_minor > authority:
        return f"amount above the collector's authority ({amount_minor} > {authority} minor units)"
    level = ROLE_LEVEL.get(principal.role)
    own = LEVEL_RANK[level] if level is not None else 0
    too_far = (due_on - today).days > policy.promises.max_days_ahead
    if too_far and own < LEVEL_RANK[policy.promises.approval_level]:
        return f"due more than {policy.promises.max_days_ahead} days ahead"
    return None


def make_promise(conn: Connection, principal: Principal, *, debtor_id: int, account_id: int | None,
                 amount: Money, due_on: date, due_time: time | None, channel: str, now: datetime,
                 attempt_id: int | None = None, note: str = "",
                 policy: Policy | None = None) -> PromiseOutcome:
    """Take a promise to pay: checked, approval when above authority, reminder + follow-up, confirmation."""
    require(principal, Permission.PROMISE_CREATE)
    policy = policy or default_policy()
    debtor, accs, problems = _accounts_for(conn, principal, debtor_id, account_id, amount.currency,
                                           "currency")
    tz = queries.zone_of(debtor.timezone)
    today = local_today(now, tz)
    if amount.minor <= 0:
        problems.append(FieldProblem(0, "amount", str(amount.amount), "must be more than zero"))
    if due_on < today:
        problems.append(FieldProblem(0, "due_on", due_on.isoformat(),
                                     f"before the debtor's local today ({today.isoformat()})"))
    elif due_on > today + MAX_AHEAD:
        problems.append(FieldProblem(0, "due_on", due_on.isoformat(), "more than a year ahead"))
    if not channel or not channel.strip():
        problems.append(FieldProblem(0, "channel", "", "name the payment channel"))
    _reject(problems)
    account = accs[0] if account_id is not None else None
    case = queries.case_of(conn, account.case_id if account is not None else None) or \
        queries.live_case_of_debtor(conn, debtor_id)
    why = _needs_approval(conn, principal, amount.minor, due_on, today, policy)
    status = PromiseStatus.AWAITING_APPROVAL if why else PromiseStatus.PENDING
    p = policy.promises
    promise_id = int(conn.execute(promises.insert().values(
        debtor_id=debtor_id, account_id=account_id, case_id=case.id if case is not None else None,
        amount_minor=amount.minor, currency=amount.currency, due_on=due_on, due_time=due_time,
        channel=channel.strip(), status=status.value, paid_minor=0, grace_days=p.grace_days,
        tolerance_minor=tolerance(amount.minor, p.tolerance_minor, p.tolerance_percent), note=note,
        attempt_id=attempt_id, collector_id=principal.user_id, created_by=principal.username,
        created_at=now, updated_at=now,
    ).returning(promises.c.id)).scalar_one())
    approval_id = None
    if why:
        approval_id = approvals.request(
            conn, principal, kind=ApprovalKind.PROMISE, entity_id=promise_id, debtor_id=debtor_id,
            account_id=account_id, team_id=case.team_id if case is not None else principal.team_id,
            amount_minor=amount.minor, currency=amount.currency, level=p.approval_level, reason=why,
            summary=f"promise {amount.format()} due {due_on.isoformat()} via {channel}", now=now)
    text = documents.promise_confirmation(
        amount, due_on, due_time, channel.strip(),
        documents.account_tail(account.external_id if account is not None else accs[0].external_id),
        promise_id, awaiting_approval=bool(why))
    confirmation_id = queries.save_document(
        conn, kind="promise", entity_id=promise_id, debtor_id=debtor_id, account_id=account_id,
        language=normalise_language(debtor.preferred_language), text_zh=text.zh, text_en=text.en,
        created_by=principal.username, now=now)
    conn.execute(promises.update().where(promises.c.id == promise_id)
                 .values(approval_id=approval_id, confirmation_id=confirmation_id))
    _plan_work(conn, principal, promise_id, debtor_id, account_id, case, amount, due_on, due_time, tz, now,
               policy)
    audit.record(conn, principal, "promise.create", "promise", promise_id, {
        "debtor_id": debtor_id, "account_id": account_id, "amount_minor": amount.minor,
        "currency": amount.currency, "due_on": due_on.isoformat(), "channel": channel,
        "status": status.value, "approval_id": approval_id, "attempt_id": attempt_id}, now)
    return PromiseOutcome(promise_id, status, approval_id, confirmation_id)


def _plan_work(conn: Connection, principal: Principal, promise_id: int, debtor_id: int,
               account_id: int | None, case: Row | None, amount: Money, due_on: date,
               due_time: time | None, tz: Any, now: datetime, policy: Policy) -> None:
    """The reminder shortly before the promise and the follow-up after it (idempotent by promise id)."""
    common: dict[str, Any] = dict(
        debtor_id=debtor_id, source=SOURCE, source_ref=str(promise_id),
        case_id=case.id if case is not None else None, account_id=account_id,
        collector_id=_owner(principal, case), team_id=case.team_id if case is not None else principal.team_id,
        expected_recovery_minor=amount.minor, priority=float(amount.minor))
    due = due_on.isoformat() + (f" {due_time.strftime('%H:%M')}" if due_time else "")
    add_work(conn, PlannedWork(kind=WorkKind.PROMISE_REMINDER,
                               due_at=reminder_at(due_on, due_time, tz, now, policy.promises),
                               not_after=end_of_day(due_on, tz),
                               reason=f"promise of {amount.format()} due {due}", **common), now)
    add_work(conn, PlannedWork(kind=WorkKind.PROMISE_FOLLOWUP,
                               due_at=followup_at(due_on, policy.promises.grace_days, tz, now,
                                                  policy.promises),
                               reason=f"check the promise of {amount.format()} due {due}", **common), now)


# --- claims -------------------------------------------------------------------------------------------------


def _match_payment(conn: Connection, account_ids: list[int], amount_minor: int, paid_on: date,
                   reference: str | None) -> int | None:
    """A posted payment the claim describes: same reference, else same amount within a few days."""
    claimed = promise_claims.c.matched_payment_id
    taken = select(claimed).where(claimed.is_not(None))
    base = select(payments.c.id).where(payments.c.account_id.in_(account_ids), payments.c.status == "posted",
                                       payments.c.id.not_in(taken))
    if reference and reference.strip():
        same = func.lower(payments.c.reference) == reference.strip().lower()
        found = conn.execute(base.where(same)).scalar()
        if found is not None:
            return int(found)
    window = (paid_on - timedelta(days=CLAIM_MATCH_DAYS), paid_on + timedelta(days=CLAIM_MATCH_DAYS))
    found = conn.execute(base.where(payments.c.amount_minor == amount_minor,
                                    payments.c.paid_on.between(*window)).order_by(payments.c.id)).scalar()
    return int(found) if found is not None else None


def record_claimed_payment(conn: Connection, principal: Principal, *, debtor_id: int, account_id: int | None,
                           paid_on: date, amount: Money, channel: str, reference: str | None, now: datetime,
                           attempt_id: int | None = None) -> ClaimOutcome:
    """'I already paid': match it to a posted payment, or queue CLAIMED_PAYMENT work to verify it."""
    require(principal, Permission.PROMISE_CREATE)
    debtor, accs, problems = _accounts_for(conn, principal, debtor_id, account_id, amount.currency,
                                           "currency")
    today = local_today(now, queries.zone_of(debtor.timezone))
    if amount.minor <= 0:
        problems.append(FieldProblem(0, "amount", str(amount.amount), "must be more than zero"))
    if paid_on > today:
        problems.append(FieldProblem(0, "paid_on", paid_on.isoformat(), "in the future"))
    elif (today - paid_on).days > MAX_AHEAD.days:
        problems.append(FieldProblem(0, "paid_on", paid_on.isoformat(), "more than a year ago"))
    if not channel or not channel.strip():
        problems.append(FieldProblem(0, "channel", "", "name the channel it was paid through"))
    _reject(problems)
    matched = _match_payment(conn, [a.id for a in accs], amount.minor, paid_on, reference)
    status = ClaimStatus.MATCHED if matched is not None else ClaimStatus.UNMATCHED
    claim_id = int(conn.execute(promise_claims.insert().values(
        debtor_id=debtor_id, account_id=account_id, paid_on=paid_on, amount_minor=amount.minor,
        currency=amount.currency, channel=channel.strip(), reference=(reference or "").strip() or None,
        status=status.value, matched_payment_id=matched, attempt_id=attempt_id,
        collector_id=principal.user_id,
        created_by=principal.username, created_at=now, resolved_at=now if matched is not None else None,
    ).returning(promise_claims.c.id)).scalar_one())
    work_id = None
    if matched is None:
        case = queries.live_case_of_debtor(conn, debtor_id)
        work_id = add_work(conn, PlannedWork(
            debtor_id=debtor_id, kind=WorkKind.CLAIMED_PAYMENT, due_at=now + timedelta(days=1),
            reason=f"claimed payment of {amount.format()} on {paid_on.isoformat()} via {channel}"
                   f"{' ref ' + reference if reference else ''}: no matching payment yet",
            source="claim", source_ref=str(claim_id), case_id=case.id if case is not None else None,
            account_id=account_id, collector_id=_owner(principal, case),
            team_id=case.team_id if case is not None else principal.team_id), now)
    audit.record(conn, principal, "payment.claim", "promise_claim", claim_id, {
        "debtor_id": debtor_id, "account_id": account_id, "amount_minor": amount.minor,
        "currency": amount.currency, "paid_on": paid_on.isoformat(), "reference": reference,
        "matched_payment_id": matched}, now)
    return ClaimOutcome(claim_id, matched, work_id)


def match_open_claims(conn: Connection, payment: Row, now: datetime) -> list[int]:
    """A payment just posted: mark the unmatched claims it answers as matched and cancel their work."""
    acc_debtor = select(accounts.c.debtor_id).where(accounts.c.id == payment.account_id)
    rows = conn.execute(select(promise_claims).where(
        promise_claims.c.status == ClaimStatus.UNMATCHED.value, promise_claims.c.debtor_id.in_(acc_debtor),
        promise_claims.c.currency == payment.currency,
        or_(promise_claims.c.account_id.is_(None), promise_claims.c.account_id == payment.account_id),
    ).order_by(promise_claims.c.id)).all()
    for c in rows:
        same_ref = c.reference and c.reference.lower() == payment.reference.lower()
        near = abs((c.paid_on - payment.paid_on).days) <= CLAIM_MATCH_DAYS
        close = c.amount_minor == payment.amount_minor and near
        if same_ref or close:
            conn.execute(promise_claims.update().where(promise_claims.c.id == c.id).values(
                status=ClaimStatus.MATCHED.value, matched_payment_id=payment.id, resolved_at=now))
            cancel_work(conn, "claim", str(c.id), now)
            return [c.id]
    return []


# --- judging ------------------------------------------------------------------------------------------------


def _payments_of(conn: Connection, account_ids: list[int], since: date, until: date) -> list[PaidItem]:
    p = payments.c
    rows = conn.execute(select(p.id, p.account_id, p.paid_on, p.amount_minor, p.created_at)
                        .where(payments.c.account_id.in_(account_ids), payments.c.status == "posted",
                               payments.c.paid_on.between(since, until)))
    return [PaidItem(r.id, r.paid_on, int(r.amount_minor), r.created_at) for r in rows]


def _window(row: Any, tz_name: str | None) -> PromiseWindow:
    opens = row.created_at.astimezone(queries.zone_of(tz_name)).date()
    return PromiseWindow(row.id, opens, row.due_on, int(row.grace_days), int(row.amount_minor),
                         row.created_at)


def judge_promises(conn: Connection, *, as_of: date, now: datetime, principal: Principal = SYSTEM,
                   account_ids: list[int] | None = None, reopen: bool = False) -> dict[str, int]:
    """Judge the open promises (of some accounts, or all): kept when covered, else after due + grace.

    `reopen` re-judges kept/partly kept promises too (after a reversal took money away).
    """
    statuses = [s.value for s in OPEN_PROMISE]
    if reopen:
        statuses += [PromiseStatus.KEPT.value, PromiseStatus.PARTLY_KEPT.value]
    query = (select(promises, debtors.c.timezone).join(debtors, debtors.c.id == promises.c.debtor_id)
             .where(promises.c.status.in_(statuses)))
    if account_ids is not None:
        debtor_ids = select(accounts.c.debtor_id).where(accounts.c.id.in_(account_ids))
        query = query.where(or_(promises.c.account_id.in_(account_ids),
                                and_(promises.c.account_id.is_(None), promises.c.debtor_id.in_(debtor_ids))))
    else:
        query = query.where(promises.c.due_on <= as_of)
    open_rows = conn.execute(query.order_by(promises.c.id)).all()
    counts: dict[str, int] = defaultdict(int)
    groups: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for r in open_rows:
        groups[(r.account_id, r.debtor_id if r.account_id is None else None, r.currency)].append(r)
    for (acc_id, debtor_id, currency), rows in groups.items():
        if acc_id is not None:
            scope_ids = [acc_id]
            peers_cond = promises.c.account_id == acc_id
        else:
            scope_ids = [a.id for a in queries.debtor_accounts(conn, debtor_id, currency)]
            peers_cond = and_(promises.c.account_id.is_(None), promises.c.debtor_id == debtor_id,
                              promises.c.currency == currency)
        tz_name = rows[0].timezone
        windows = [_window(r, tz_name) for r in rows]
        since = min(w.opens_on for w in windows)
        until = max(w.closes_on for w in windows)
        mine = {r.id for r in rows}
        peers = conn.execute(select(promises).where(
            peers_cond, promises.c.id.not_in(mine),
            promises.c.status.not_in([PromiseStatus.REJECTED.value, PromiseStatus.CANCELLED.value]),
            promises.c.due_on >= since - timedelta(days=400), promises.c.due_on <= until)).all()
        judged = (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT)
        windows += [_window(p, tz_name) for p in peers if p.status in judged]
        paid = attribute(_payments_of(conn, scope_ids, since, until), windows) if scope_ids else {}
        for r in rows:
            _settle(conn, principal, r, paid.get(r.id, 0), as_of, now, counts)
    return dict(counts)


def _settle(conn: Connection, principal: Principal, r: Any, paid: int, as_of: date, now: datetime,
            counts: dict[str, int]) -> None:
    """Store one promise's judgement and raise or cancel its work."""
    new = judge(int(r.amount_minor), paid, r.due_on, int(r.grace_days), int(r.tolerance_minor), as_of)
    was = PromiseStatus(r.status)
    if new is PromiseStatus.PENDING and was is PromiseStatus.AWAITING_APPROVAL:
        new = was
    if new == was and paid == r.paid_minor:
        return
    conn.execute(promises.update().where(promises.c.id == r.id).values(
        status=new.value, paid_minor=paid, updated_at=now,
        judged_at=now if new not in OPEN_PROMISE else None))
    if new == was:
        return
    counts["judged"] += 1
    counts[new.value] += 1
    if was is PromiseStatus.AWAITING_APPROVAL:
        approvals.cancel_for(conn, ApprovalKind.PROMISE, r.id, now)
    if new in (PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT):
        cancel_work(conn, SOURCE, str(r.id), now, _FOLLOW_KINDS)
    if new in (PromiseStatus.BROKEN, PromiseStatus.PARTLY_KEPT):
        money = Money.from_minor(int(r.amount_minor), r.currency)
        short = Money.from_minor(int(r.amount_minor) - paid, r.currency)
        case = queries.case_of(conn, r.case_id)
        made = add_work(conn, PlannedWork(
            debtor_id=r.debtor_id, kind=WorkKind.BROKEN_PROMISE, due_at=now, source=SOURCE,
            source_ref=str(r.id), reason=f"promise of {money.format()} due {r.due_on.isoformat()} "
                                         f"{'broken' if new is PromiseStatus.BROKEN else 'partly kept'}: "
                                         f"{short.format()} short",
            case_id=r.case_id, account_id=r.account_id,
            collector_id=r.collector_id if r.collector_id is not None else (
                case.collector_id if case else None),
            team_id=case.team_id if case is not None else None,
            expected_recovery_minor=int(r.amount_minor) - paid,
            priority=float(int(r.amount_minor) - paid)), now)
        counts["work_items"] += 1 if made else 0
    audit.record(conn, principal, "promise.judge", "promise", r.id,
                 {"from": was.value, "to": new.value, "paid_minor": paid, "as_of": as_of.isoformat()}, now)


def promise_history(conn: Connection, debtor_id: int) -> PromiseHistory:
    """A debtor's promises: made, kept, partly kept, broken, pending, and each one, newest first."""
    rows = conn.execute(select(promises).where(promises.c.debtor_id == debtor_id)
                        .order_by(promises.c.created_at.desc(), promises.c.id.desc())).all()
    items = tuple(PromiseItem(
        id=r.id, account_id=r.account_id, amount=Money.from_minor(r.amount_minor, r.currency),
        paid=Money.from_minor(r.paid_minor, r.currency), due_on=r.due_on, due_time=r.due_time,
        channel=r.channel, status=PromiseStatus(r.status), created_at=r.created_at, created_by=r.created_by,
        judged_at=r.judged_at) for r in rows)
    count = defaultdict(int, {s: sum(1 for i in items if i.status is s) for s in PromiseStatus})
    made = sum(1 for i in items if i.status not in (PromiseStatus.REJECTED, PromiseStatus.CANCELLED))
    return PromiseHistory(
        debtor_id=debtor_id, made=made, kept=count[PromiseStatus.KEPT],
        partly_kept=count[PromiseStatus.PARTLY_KEPT],
        broken=count[PromiseStatus.BROKEN],
        pending=count[PromiseStatus.PENDING] + count[PromiseStatus.AWAITING_APPROVAL], items=items)


def apply_decision(conn: Connection, principal: Principal, promise_id: int, approved: bool,
                   now: datetime) -> None:
    """An approver decided: the promise stands (pending) or is rejected (its work cancelled)."""
    row = conn.execute(select(promises).where(promises.c.id == promise_id)).first()
    if row is None or row.status != PromiseStatus.AWAITING_APPROVAL.value:
        return
    status = PromiseStatus.PENDING if approved else PromiseStatus.REJECTED
    conn.execute(promises.update().where(promises.c.id == promise_id)
                 .values(status=status.value, updated_at=now))
    if not approved:
        cancel_work(conn, SOURCE, str(promise_id), now)
    audit.record(conn, principal, f"promise.{'approve' if approved else 'reject'}", "promise", promise_id,
                 {"status": status.value}, now)
