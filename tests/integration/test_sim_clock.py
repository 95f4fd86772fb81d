"""Simulation mode: the clock kept in the database, set by administrators only and audited (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Conflict, Forbidden, InputRejected
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.sim import service
from arrears.sim.store import DatabaseClock
from arrears.users.store import audit_log
from tests.authkit import make_user

AT = datetime(2026, 5, 4, 9, 30, tzinfo=timezone(timedelta(hours=8)))


def _manual(runtime: Runtime) -> Runtime:
    settings = runtime.settings.model_copy(update={"clock": "manual"})
    return replace(runtime, settings=settings, clock=DatabaseClock(runtime.engine))


def test_manual_clock_is_set_read_back_and_audited(runtime: Runtime) -> None:
    rt = _manual(runtime)
    admin = make_user(rt, Role.ADMINISTRATOR)
    before = service.get_clock(rt, admin)
    assert before["mode"] == "manual" and before["settable"] and before["set_by"] is None
    out = service.set_clock(rt, admin, AT, "harness day 1")
    assert datetime.fromisoformat(out["now"]) == AT
    assert out["set_by"] == admin.username
    assert rt.clock.now() == AT.astimezone(UTC)
    later = AT + timedelta(hours=3)
    service.set_clock(rt, admin, later)
    assert rt.clock.now() == later  # every reader (any worker) sees the database's moment
    assert DatabaseClock(rt.engine).now() == later
    with rt.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.actor, audit_log.c.details)
            .where(audit_log.c.action == "clock.set")
            .order_by(audit_log.c.seq)
        ).all()
    assert [r.actor for r in rows] == [admin.username, admin.username]
    assert "harness day 1" in rows[0].details and AT.isoformat() in rows[0].details


def test_system_mode_refuses_to_set_the_clock(runtime: Runtime) -> None:
    admin = make_user(runtime, Role.ADMINISTRATOR)
    assert service.get_clock(runtime, admin)["mode"] == "system"
    with pytest.raises(Conflict) as err:
        service.set_clock(runtime, admin, AT)
    assert err.value.status_code == 409
    with runtime.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.seq).where(audit_log.c.action == "clock.set")).first() is None


def test_only_administrators_see_or_set_the_clock(runtime: Runtime) -> None:
    rt = _manual(runtime)
    for role in (Role.MANAGER, Role.COLLECTOR, Role.TEAM_LEAD):
        who = make_user(rt, role)
        with pytest.raises(Forbidden):
            service.get_clock(rt, who)
        with pytest.raises(Forbidden):
            service.set_clock(rt, who, AT)
    service.set_clock(rt, SYSTEM, AT)


def test_a_naive_moment_is_refused(runtime: Runtime) -> None:
    rt = _manual(runtime)
    with pytest.raises(InputRejected, match="offset"):
        service.set_clock(rt, SYSTEM, datetime(2026, 5, 4, 9, 30))


def test_unset_manual_clock_shows_the_wall_clock(runtime: Runtime) -> None:
    rt = _manual(runtime)
    assert abs(rt.clock.now() - datetime.now(UTC)) < timedelta(minutes=5)


def test_settings_refuse_manual_clock_in_production() -> None:
    with pytest.raises(ValidationError, match="production"):
        Settings(clock="manual", environment="production")
    with pytest.raises(ValidationError, match="system"):
        Settings(clock="sundial")
    assert Settings(clock="MANUAL", environment="test").clock == "manual"
    assert Settings().clock == "system"


def test_runtime_builds_the_database_clock_in_manual_mode(runtime: Runtime) -> None:
    manual = Runtime.build(runtime.settings.model_copy(update={"clock": "manual"}))
    try:
        assert isinstance(manual.clock, DatabaseClock)
    finally:
        manual.engine.dispose()
    plain = Runtime.build(runtime.settings)
    try:
        assert not isinstance(plain.clock, DatabaseClock)
    finally:
        plain.engine.dispose()
