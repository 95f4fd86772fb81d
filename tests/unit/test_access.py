"""Roles and permissions: the matrix's shape and the require() guard."""

from __future__ import annotations

import pytest

from arrears.core.access import ROLE_PERMISSIONS, SYSTEM, Permission, Principal, Role, require
from arrears.core.errors import Forbidden


def test_every_role_has_permissions_and_administrator_has_all() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert ROLE_PERMISSIONS[Role.ADMINISTRATOR] == frozenset(Permission)
    assert all(ROLE_PERMISSIONS[r] for r in Role)


def test_collector_cannot_post_payments_or_manage_users() -> None:
    collector = Principal(1, "li", Role.COLLECTOR, team_id=3)
    require(collector, Permission.WORK_QUEUE)
    for perm in (Permission.PAYMENT_POST, Permission.USERS_MANAGE, Permission.PII_UNMASK):
        with pytest.raises(Forbidden, match=perm.value):
            require(collector, perm)


def test_scope_flags() -> None:
    assert not Principal(1, "a", Role.COLLECTOR).sees_all_teams
    assert Principal(2, "m", Role.MANAGER).sees_all_teams
    assert Principal(3, "x", Role.AGENCY_USER, agency_id=9).is_agency
    assert SYSTEM.can(Permission.BATCH_RUN)
