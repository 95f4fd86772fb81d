"""Row scope for strategy reads: agency users see their placements, collectors and team leads their team."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from arrears.core.access import Principal
from arrears.portfolio.store import accounts, cases


def account_scope(principal: Principal) -> ColumnElement[Any]:
    """A condition on `accounts` limiting it to what the principal may see."""
    condition: ColumnElement[Any] = true()
    if principal.is_agency:
        condition = accounts.c.agency_id == principal.agency_id
    if not principal.sees_all_teams and not principal.is_agency:
        condition = exists(
            select(cases.c.id).where(cases.c.id == accounts.c.case_id, cases.c.team_id == principal.team_id)
        )
    return condition


def debtor_visible(conn: Connection, principal: Principal, debtor_id: int) -> bool:
    """Whether the principal may see the debtor (through at least one visible account)."""
    if principal.sees_all_teams and not principal.is_agency:
        return True
    found = conn.execute(
        select(accounts.c.id).where(accounts.c.debtor_id == debtor_id, account_scope(principal)).limit(1)
    ).first()
    return found is not None
