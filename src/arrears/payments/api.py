"""REST for payments, promises, plans, settlements, waivers and approvals (tag "payments")."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path as FsPath
from pathlib import PurePath
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile

from arrears.core.access import Permission, Principal
from arrears.core.errors import FieldProblem, InputRejected
from arrears.payments import arrangements, service
from arrears.payments.channels import LAYOUTS
from arrears.payments.schemas import (
    MAX_AMOUNT,
    ClaimIn,
    DecisionIn,
    JudgeIn,
    PaymentIn,
    PlanIn,
    PromiseIn,
    ReversalIn,
    SettlementIn,
    WaiverIn,
    money,
)
from arrears.runtime import Runtime
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["payments"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "The role lacks the permission (or may not decide this request)"},
    404: {"description": "No such account, debtor, payment or request in scope"},
    409: {"description": "Contradicts what is recorded (a reference with other details, already reversed)"},
    422: {"description": "Bad input: problems name each field (and row, for files); nothing was written"},
}
def _id() -> Any:
    return Path(ge=1, le=2**63 - 1)


def _external() -> Any:
    return Path(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f/]*$")


def _as_of(description: str = "End of this day (1990-2200); default today") -> Any:
    return Query(None, description=description)


def _day(value: date | None, field: str = "as_of") -> date | None:
    if value is not None and not date(1990, 1, 1) <= value <= date(2200, 12, 31):
        raise InputRejected(f"{field} out of range", [FieldProblem(0, field, value.isoformat(), "1990-2200")])
    return value


def _currency(rt: Runtime, account: str, given: str | None) -> str:
    if given:
        return given
    from arrears.payments import queries

    with rt.engine.connect() as conn:
        return str(queries.account_by_external(conn, account).currency)


def _debtor_currency(rt: Runtime, debtor_id: int, account_id: int | None, given: str | None) -> str:
    if given:
        return given
    from arrears.payments import queries

    with rt.engine.connect() as conn:
        if account_id is not None:
            try:
                return str(queries.account(conn, account_id).currency)
            except Exception:  # noqa: BLE001  (the service reports the unknown account)
                return rt.settings.default_currency
        accs = queries.debtor_accounts(conn, debtor_id)
    return str(accs[0].currency) if accs else rt.settings.default_currency


@router.post("/payments", responses=ERRORS, summary="Post a payment")
def post_payment(body: PaymentIn, principal: Principal = Depends(requires(Permission.PAYMENT_POST)),
                 rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Post one payment; the same reference with the same details again is a no-op (duplicate: true)."""
    currency = _currency(rt, body.account, body.currency)
    done = service.post_payment(rt, principal, account_external_id=body.account, reference=body.reference,
                                amount=money(body.amount, currency), paid_on=body.paid_on,
                                channel=body.channel)
    return asdict(done)


@router.post("/payments/{reference}/reversal", responses=ERRORS, summary="Reverse a payment")
def reverse_payment(body: ReversalIn, reference: str = _external(),
                    principal: Principal = Depends(requires(Permission.PAYMENT_REVERSE)),
                    rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Reverse a posted payment (bounced): exactly what it paid re-opens; its credit is taken back."""
    return service.reverse_payment(rt, principal, reference=reference, reason=body.reason)


@router.post("/payments/files", responses=ERRORS, summary="Post a payment-channel file")
def post_file(
    file: UploadFile = File(...,
                            description="Bank CSV/XLSX, WeChat Pay or Alipay bill, B2B remittance advice"),
    layout: Literal["bank", "wechat_pay", "alipay", "b2b_remittance"] | None = Form(
        None, description=f"One of {', '.join(LAYOUTS)}; default: recognised from the headers"),
    encoding: Literal["utf-8", "utf-8-sig", "gb18030", "gbk"] | None = Form(None),
    principal: Principal = Depends(requires(Permission.PAYMENT_POST)),
    rt: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    """Every row is checked first; any problem refuses the whole file (422, each problem with its row)."""
    with tempfile.TemporaryDirectory(prefix="arrears-payments-") as tmp:
        name = PurePath((file.filename or "payments.csv").replace("\\", "/")).name or "payments.csv"
        target = FsPath(tmp) / name
        with target.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 20)
        return service.post_file(rt, principal, target, layout=layout, encoding=encoding, file_name=name)


@router.get("/accounts/{external_id}/balance", responses=ERRORS, summary="Balance as of a date")
def balance(external_id: str = _external(), as_of: date | None = _as_of(),
            principal: Principal = Depends(requires(Permission.PORTFOLIO_READ)),
            rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Components, credit and the ledger up to the end of the day, rebuilt from the account's ledger."""
    return service.balance(rt, principal, external_id, _day(as_of))


@router.get("/accounts/{external_id}/statement", responses=ERRORS, summary="Statement (zh-CN and English)")
def statement(external_id: str = _external(), as_of: date | None = _as_of(),
              principal: Principal = Depends(requires(Permission.PORTFOLIO_READ)),
              rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """A balance statement as of a date with the arrangements in force, in both languages."""
    return arrangements.statement(rt, principal, external_id, _day(as_of))


@router.post("/promises", responses=ERRORS, summary="Take a promise to pay")
def create_promise(body: PromiseIn, principal: Principal = Depends(requires(Permission.PROMISE_CREATE)),
                   rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Pending, or awaiting approval above the taker's authority; reminder, follow-up and confirmation."""
    currency = _debtor_currency(rt, body.debtor_id, body.account_id, body.currency)
    out = service.take_promise(rt, principal, debtor_id=body.debtor_id, account_id=body.account_id,
                               amount=money(body.amount, currency), due_on=body.due_on,
                               due_time=body.due_time,
                               channel=body.channel, note=body.note)
    return asdict(out)


@router.get("/promises", responses=ERRORS, summary="Promises")
def list_promises(status: Literal["pending", "awaiting_approval", "kept", "partly_kept", "broken", "rejected",
                                  "cancelled"] | None = Query(None),
                  due_from: date | None = _as_of(), due_to: date | None = _as_of(),
                  limit: int = Query(100, ge=1, le=1000),
                  principal: Principal = Depends(requires(Permission.PORTFOLIO_READ)),
                  rt: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    """Promises in your scope, by status and due date, soonest due first."""
    return service.list_promises(rt, principal, status=status, due_from=_day(due_from, "due_from"),
                                 due_to=_day(due_to, "due_to"), limit=limit)


@router.get("/debtors/{debtor_id}/promises", responses=ERRORS, summary="A debtor's promise history")
def debtor_promises(debtor_id: int = _id(),
                    principal: Principal = Depends(requires(Permission.PORTFOLIO_READ)),
                    rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Made, kept, partly kept, broken, pending, and each promise, newest first."""
    hist = service.history(rt, principal, debtor_id)
    out = asdict(hist)
    out["kept_rate"] = hist.kept_rate
    for item in out["items"]:
        item["amount"] = str(item["amount"]["amount"])
        item["paid"] = str(item["paid"]["amount"])
    return out


@router.post("/claims", responses=ERRORS, summary="Record 'I already paid'")
def claim(body: ClaimIn, principal: Principal = Depends(requires(Permission.PROMISE_CREATE)),
          rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Matched to a posted payment by reference or amount and date, else queued for checking."""
    currency = _debtor_currency(rt, body.debtor_id, body.account_id, body.currency)
    out = service.claim_payment(rt, principal, debtor_id=body.debtor_id, account_id=body.account_id,
                                paid_on=body.paid_on, amount=money(body.amount, currency),
                                channel=body.channel,
                                reference=body.reference)
    return asdict(out)


@router.post("/promises/judge", responses=ERRORS, summary="Judge promises due by a date")
def judge(body: JudgeIn, principal: Principal = Depends(requires(Permission.BATCH_RUN)),
          rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Kept, partly kept or broken from payments; broken ones raise work at once (also run nightly)."""
    return asdict(service.judge(rt, principal, body.as_of))


@router.post("/plans", responses=ERRORS, summary="Agree a payment plan")
def create_plan(body: PlanIn, principal: Principal = Depends(requires(Permission.ARRANGEMENT_REQUEST)),
                rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Instalments followed like promises; active at once within the collector's limit, else approval."""
    currency = _currency(rt, body.account, None)
    return arrangements.create_plan(
        rt, principal, account_external_id=body.account, total=money(body.total, currency, "total"),
        instalments=body.instalments, frequency=body.frequency, start_on=body.start_on, channel=body.channel,
        reage=body.reage, note=body.note)


@router.get("/accounts/{external_id}/settlement-offer", responses=ERRORS, summary="Settlement floor")
def settlement_offer(external_id: str = _external(),
                     principal: Principal = Depends(requires(Permission.ARRANGEMENT_REQUEST)),
                     rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """The lowest settlement within policy for the account's bucket, and who must approve it."""
    return arrangements.settlement_offer(rt, principal, external_id)


@router.post("/settlements", responses=ERRORS, summary="Ask for a settlement")
def request_settlement(body: SettlementIn,
                       principal: Principal = Depends(requires(Permission.ARRANGEMENT_REQUEST)),
                       rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Approved at once within policy, else an approval request (below the floor: a committee)."""
    currency = _currency(rt, body.account, None)
    return arrangements.request_settlement(
        rt, principal, account_external_id=body.account, amount=money(body.amount, currency),
        due_on=body.due_on, reason=body.reason, channel=body.channel)


@router.post("/waivers", responses=ERRORS, summary="Ask for a waiver (减免)")
def request_waiver(body: WaiverIn, principal: Principal = Depends(requires(Permission.ARRANGEMENT_REQUEST)),
                   rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Booked at once within the collector's limit, else an approval request."""
    currency = _currency(rt, body.account, None)
    parts = None
    if body.parts is not None:
        bad = [k for k, v in body.parts.items() if not Decimal(0) <= v < MAX_AMOUNT]
        if bad:
            raise InputRejected("waiver parts out of range",
                                [FieldProblem(0, f"parts.{k}", str(body.parts[k]), "0 or more, below 1e13")
                                 for k in bad])
        parts = {k: money(v, currency, f"parts.{k}") for k, v in body.parts.items()}
    amount = money(body.amount, currency) if body.amount is not None else None
    return arrangements.request_waiver(rt, principal, account_external_id=body.account, reason=body.reason,
                                       amount=amount, parts=parts)


@router.get("/approvals", responses=ERRORS, summary="Approval inbox")
def approvals_inbox(status: Literal["pending", "approved", "rejected", "cancelled"] = Query("pending"),
                    principal: Principal = Depends(requires(Permission.ARRANGEMENT_APPROVE)),
                    rt: Runtime = Depends(get_runtime)) -> list[dict[str, Any]]:
    """The requests you may decide (your level or below; never your own), oldest first."""
    return [_jsonable(r) for r in arrangements.inbox(rt, principal, status)]


@router.post("/approvals/{approval_id}/decision", responses=ERRORS, summary="Decide an approval request")
def decide(body: DecisionIn, approval_id: int = _id(),
           principal: Principal = Depends(requires(Permission.ARRANGEMENT_APPROVE)),
           rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """Approve or reject with a reason; a committee needs two managers; never your own request."""
    return arrangements.decide(rt, principal, approval_id, approve=body.approve, reason=body.reason)


@router.get("/documents/{document_id}", responses=ERRORS, summary="An arrangement document")
def document(document_id: int = _id(), principal: Principal = Depends(requires(Permission.PORTFOLIO_READ)),
             rt: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    """A written confirmation (promise, plan, settlement, waiver) in zh-CN and English."""
    return arrangements.document(rt, principal, document_id)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}

