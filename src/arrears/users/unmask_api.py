"""REST for unmasking: POST /debtors/{id}/unmask with the fields and a reason (Permission.PII_UNMASK)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from arrears.core.access import Permission, Principal
from arrears.runtime import Runtime
from arrears.users import unmask as service
from arrears.users.unmask import PiiField
from arrears.web.deps import get_runtime, requires

router = APIRouter(tags=["portfolio"])


class UnmaskIn(BaseModel):
    """Which personal data to show in clear, and why (the reason is recorded in the audit trail)."""

    model_config = ConfigDict(extra="forbid")
    fields: list[PiiField] = Field(min_length=1, max_length=4, examples=[["phone"]])
    contact_point_id: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Phone/e-mail of this contact point (default: the debtor's)")
    reason: str = Field(min_length=service.MIN_REASON, max_length=service.MAX_REASON,
                        examples=["debtor asked to confirm the number on file"])


class UnmaskOut(BaseModel):
    """The clear values (null where the debtor has none) and the audit record that logged the request."""

    debtor_id: int
    contact_point_id: int | None
    values: dict[str, str | None] = Field(description="name, identity, phone, email (+ contact_name)")
    audit_seq: int


@router.post("/debtors/{debtor_id}/unmask", response_model=UnmaskOut, summary="Unmask personal data",
             responses={403: {"description": "Lacks pii.unmask"},
                        404: {"description": "No such debtor in scope"}})
def unmask_debtor(
    body: UnmaskIn,
    debtor_id: int = Path(ge=1, le=2**63 - 1),
    principal: Principal = Depends(requires(Permission.PII_UNMASK)),
    rt: Runtime = Depends(get_runtime),
) -> UnmaskOut:
    """Show a debtor's phone, identity number, e-mail or name in clear; recorded with the reason."""
    result = service.unmask(rt, principal, debtor_id, [f.value for f in body.fields], body.reason,
                            body.contact_point_id)
    return UnmaskOut(debtor_id=result.debtor_id, contact_point_id=result.contact_point_id,
                     values=result.values, audit_seq=result.audit_seq)
