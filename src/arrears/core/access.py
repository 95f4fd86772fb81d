"""Who is acting: roles, permissions and the principal every service receives.

Services check permissions (never only the views): each use case takes a `Principal` and calls
`require(principal, Permission.X)` before it touches data. Scope (team, agency) is applied in the
queries through `principal.team_id` / `principal.agency_id`. The CLI and the nightly batch act as
`SYSTEM` unless a user is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from arrears.core.errors import Forbidden


class Role(StrEnum):
    """The roles of a collections operation."""

    COLLECTOR = "collector"
    TEAM_LEAD = "team_lead"
    MANAGER = "manager"
    STRATEGY_ANALYST = "strategy_analyst"
    COMPLIANCE_OFFICER = "compliance_officer"
    ADMINISTRATOR = "administrator"
    AGENCY_USER = "agency_user"


class Permission(StrEnum):
    """What a role may do; the names are stable (they appear in audit records and API errors)."""

    PORTFOLIO_READ = "portfolio.read"            # debtors, accounts, cases (within scope)
    PORTFOLIO_IMPORT = "portfolio.import"        # bulk import of accounts/contacts/payments
    PII_UNMASK = "pii.unmask"                    # see a full phone number / identity number, with a reason
    AGING_RUN = "aging.run"
    COMPLIANCE_CHECK = "compliance.check"        # ask the policy engine
    HOLD_SET = "compliance.hold.set"             # set a hold (dispute, cease, ...)
    HOLD_LIFT = "compliance.hold.lift"
    RULESET_MANAGE = "compliance.ruleset.manage"
    DECISIONS_READ = "compliance.decisions.read"
    NOTE_WRITE = "notes.write"
    TEMPLATE_MANAGE = "templates.manage"
    WORK_QUEUE = "worklist.work"                 # take the next contact, record attempts
    WORK_MANAGE = "worklist.manage"              # see the team's queue, reassign cases
    PAYMENT_POST = "payments.post"
    PAYMENT_REVERSE = "payments.reverse"
    PROMISE_CREATE = "promises.create"
    ARRANGEMENT_REQUEST = "arrangements.request"  # request a plan, settlement or waiver
    ARRANGEMENT_APPROVE = "arrangements.approve"  # decide approvals (limits by role in payments.rules)
    STRATEGY_READ = "strategy.read"
    STRATEGY_MANAGE = "strategy.manage"          # treatments, experiments, models
    BATCH_RUN = "batch.run"
    REPORTS_READ = "reports.read"
    USERS_MANAGE = "users.manage"
    AUDIT_READ = "audit.read"
    CLOCK_SET = "clock.set"                      # simulation mode only


P = Permission
_COLLECTOR = {
    P.PORTFOLIO_READ, P.COMPLIANCE_CHECK, P.HOLD_SET, P.NOTE_WRITE, P.WORK_QUEUE, P.PROMISE_CREATE,
    P.ARRANGEMENT_REQUEST,
}
_TEAM_LEAD = _COLLECTOR | {
    P.WORK_MANAGE, P.ARRANGEMENT_APPROVE, P.REPORTS_READ, P.DECISIONS_READ, P.PII_UNMASK,
    P.STRATEGY_READ,
}
_MANAGER = _TEAM_LEAD | {
    P.PAYMENT_POST, P.PAYMENT_REVERSE, P.PORTFOLIO_IMPORT, P.AGING_RUN, P.BATCH_RUN, P.HOLD_LIFT,
    P.AUDIT_READ, P.TEMPLATE_MANAGE,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COLLECTOR: frozenset(_COLLECTOR),
    Role.TEAM_LEAD: frozenset(_TEAM_LEAD),
    Role.MANAGER: frozenset(_MANAGER),
    Role.STRATEGY_ANALYST: frozenset({
        P.PORTFOLIO_READ, P.STRATEGY_READ, P.STRATEGY_MANAGE, P.REPORTS_READ, P.COMPLIANCE_CHECK,
    }),
    Role.COMPLIANCE_OFFICER: frozenset({
        P.PORTFOLIO_READ, P.COMPLIANCE_CHECK, P.HOLD_SET, P.HOLD_LIFT, P.RULESET_MANAGE,
        P.DECISIONS_READ, P.TEMPLATE_MANAGE, P.AUDIT_READ, P.REPORTS_READ, P.PII_UNMASK,
        P.STRATEGY_READ,
    }),
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.AGENCY_USER: frozenset({
        P.PORTFOLIO_READ, P.COMPLIANCE_CHECK, P.HOLD_SET, P.NOTE_WRITE, P.WORK_QUEUE,
        P.PROMISE_CREATE, P.ARRANGEMENT_REQUEST,
    }),
}
del P


@dataclass(frozen=True, slots=True)
class Principal:
    """The acting user as services see it: identity, role and scope."""

    user_id: int | None
    username: str
    role: Role
    team_id: int | None = None
    agency_id: int | None = None
    display_name: str = ""
    permissions: frozenset[Permission] = field(default=frozenset())

    def __post_init__(self) -> None:
        if not self.permissions:
            object.__setattr__(self, "permissions", ROLE_PERMISSIONS[self.role])

    def can(self, permission: Permission) -> bool:
        """Whether this principal holds the permission."""
        return permission in self.permissions

    @property
    def sees_all_teams(self) -> bool:
        """Managers, analysts, compliance and administrators are not limited to one team."""
        return self.role not in (Role.COLLECTOR, Role.TEAM_LEAD, Role.AGENCY_USER)

    @property
    def is_agency(self) -> bool:
        """Agency users see only what is placed with their agency."""
        return self.role is Role.AGENCY_USER


SYSTEM = Principal(user_id=None, username="system", role=Role.ADMINISTRATOR, display_name="Arrears batch/CLI")


def require(principal: Principal, permission: Permission) -> None:
    """Raise Forbidden unless the principal holds the permission."""
    if not principal.can(permission):
        who = f"{principal.username} ({principal.role.value})"
        raise Forbidden(f"{who} lacks permission '{permission.value}'")
