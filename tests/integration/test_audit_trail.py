"""The audit trail on SQLite and PostgreSQL: the chain, the append-only guard, tampering found by verify."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Forbidden, InputRejected
from arrears.runtime import Runtime
from arrears.schema import metadata
from arrears.users import audit, audit_service
from arrears.users.audit_store import AuditFilter, guard_installed, guard_suspended, install_guard
from arrears.users.store import audit_log
from tests.authkit import make_user
from tests.security_kit import append, row, tamper

INSERT = ("insert into audit_log (seq, at, actor, actor_role, action, entity_type, entity_id, details, "
          "prev_hash, hash) values ({seq}, :at, 'mallory', 'administrator', 'payment.post', 'payment', "
          "'{entity}', '{{}}', :prev, :hash)")


def test_records_form_an_intact_chain(runtime: Runtime) -> None:
    seqs = append(runtime, 3)
    report = audit_service.verify_chain(runtime, SYSTEM)
    assert seqs == [1, 2, 3]
    assert report.intact and report.checked == 3 and report.first_break is None
    assert report.head_seq == 3 and report.head_hash == row(runtime, 3).hash
    assert row(runtime, 2).prev_hash == row(runtime, 1).hash
    assert report.guard_installed


def test_an_empty_trail_is_intact(runtime: Runtime) -> None:
    report = audit_service.verify_chain(runtime, SYSTEM)
    assert report.intact and report.checked == 0 and report.head_seq is None


@pytest.mark.parametrize("sql", [
    "update audit_log set details = '{}' where seq = 1",
    "delete from audit_log where seq = 1",
    "delete from audit_log",
])
def test_the_database_refuses_update_and_delete(runtime: Runtime, sql: str) -> None:
    append(runtime, 2)
    with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(text(sql))
    assert audit_service.verify_chain(runtime, SYSTEM).checked == 2


def test_postgres_also_refuses_truncate(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    append(runtime, 1)
    with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(text("truncate audit_log"))


def test_the_guard_comes_back_after_being_suspended(runtime: Runtime) -> None:
    append(runtime, 1)
    with runtime.engine.begin() as conn, guard_suspended(conn):
        assert not guard_installed(conn)
    with runtime.engine.connect() as conn:
        assert guard_installed(conn)
    with pytest.raises(DBAPIError, match="append-only"), runtime.engine.begin() as conn:
        conn.execute(text("update audit_log set actor = 'x'"))


def test_an_altered_details_field_is_found(runtime: Runtime) -> None:
    append(runtime, 4)
    tamper(runtime, "update audit_log set details = :d where seq = 2", d='{"i":1,"note":"y"}')
    report = audit_service.verify_chain(runtime, SYSTEM)
    assert not report.intact
    assert report.first_break is not None and report.first_break.seq == 2
    assert "altered" in report.first_break.reason


def test_an_altered_actor_is_found(runtime: Runtime) -> None:
    append(runtime, 3)
    tamper(runtime, "update audit_log set actor = 'someone-else' where seq = 3")
    first = audit_service.verify_chain(runtime, SYSTEM).first_break
    assert first is not None and first.seq == 3


def test_a_deleted_record_is_found(runtime: Runtime) -> None:
    append(runtime, 5)
    tamper(runtime, "delete from audit_log where seq = 3")
    report = audit_service.verify_chain(runtime, SYSTEM)
    assert report.checked == 4
    assert report.first_break is not None and report.first_break.seq == 4
    assert "gap" in report.first_break.reason or "previous-hash" in report.first_break.reason


def test_a_forged_record_with_a_made_up_hash_is_found(runtime: Runtime) -> None:
    append(runtime, 2)
    last = row(runtime, 2)
    tamper(runtime, INSERT.format(seq=3, entity="1"), at=last.at, prev=last.hash, hash="f" * 64)
    first = audit_service.verify_chain(runtime, SYSTEM).first_break
    assert first is not None and first.seq == 3 and "altered" in first.reason


def test_a_forged_record_slipped_into_the_middle_is_found(runtime: Runtime) -> None:
    append(runtime, 3)
    one = row(runtime, 1)
    forged = audit.link_hash(one.hash, 2, one.at, "mallory", "administrator", "payment.post", "payment", "9",
                             "{}")
    # make room by renumbering the real records 2 and 3 to 3 and 4 (keeping their hashes)
    tamper(runtime, "update audit_log set seq = seq + 10 where seq >= 2")
    tamper(runtime, "update audit_log set seq = seq - 9 where seq >= 12")
    tamper(runtime, INSERT.format(seq=2, entity="9"), at=one.at, prev=one.hash, hash=forged)
    first = audit_service.verify_chain(runtime, SYSTEM).first_break
    assert first is not None and first.seq == 3


def test_records_removed_from_the_end_are_found_with_an_anchor(runtime: Runtime) -> None:
    append(runtime, 4)
    anchor = (4, row(runtime, 4).hash)
    assert audit_service.verify_chain(runtime, SYSTEM, anchor).intact
    tamper(runtime, "delete from audit_log where seq >= 3")
    assert audit_service.verify_chain(runtime, SYSTEM).intact  # the chain alone cannot see it
    report = audit_service.verify_chain(runtime, SYSTEM, anchor)
    assert not report.intact and report.first_break is not None
    assert report.first_break.seq == 4 and "missing" in report.first_break.reason


def test_an_anchor_whose_record_was_altered_is_reported(runtime: Runtime) -> None:
    append(runtime, 2)
    report = audit_service.verify_chain(runtime, SYSTEM, (1, "a" * 64))
    assert not report.intact and "no longer" in (report.anchor_problem or "")


def test_list_filters_by_entity_actor_action_and_time(runtime: Runtime) -> None:
    clerk = make_user(runtime, Role.MANAGER, username="wang")
    append(runtime, 2, action="hold.set", entity_id=7)
    runtime.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    append(runtime, 1, principal=clerk, action="payment.post", entity_type="payment", entity_id=42)
    append(runtime, 1, principal=clerk, action="payment.reverse", entity_type="payment", entity_id=42)
    page = audit_service.list_records(runtime, SYSTEM, AuditFilter(entity_type="payment", entity_id="42"))
    assert [e.seq for e in page.items] == [4, 3] and page.total == 2
    assert {e.actor for e in page.items} == {"wang"}
    assert page.items[0].details == {"i": 0, "note": "x"}
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(actor="system")).total == 2
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(action="payment.*")).total == 2
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(action="payment.post")).total == 1
    later = runtime.clock.now() - timedelta(minutes=30)
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(since=later)).total == 2
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(until=later)).total == 2
    assert audit_service.known_actions(runtime, SYSTEM) == ["hold.set", "payment.post", "payment.reverse"]


def test_list_pages_newest_first(runtime: Runtime) -> None:
    append(runtime, 5)
    first = audit_service.list_records(runtime, SYSTEM, AuditFilter(), limit=2)
    assert [e.seq for e in first.items] == [5, 4] and first.next_before_seq == 4 and first.total == 5
    second = audit_service.list_records(runtime, SYSTEM, AuditFilter(before_seq=first.next_before_seq),
                                        limit=2)
    assert [e.seq for e in second.items] == [3, 2]
    last = audit_service.list_records(runtime, SYSTEM, AuditFilter(before_seq=2), limit=2)
    assert [e.seq for e in last.items] == [1] and last.next_before_seq is None


@pytest.mark.parametrize("value", ["' OR 1=1 --", "%", "_", "payment.%'; drop table audit_log; --", "*"])
def test_filters_are_values_never_sql(runtime: Runtime, value: str) -> None:
    append(runtime, 2)
    try:
        page = audit_service.list_records(runtime, SYSTEM, AuditFilter(actor=value, entity_id=value))
    except InputRejected:
        return
    assert page.total == 0
    assert audit_service.verify_chain(runtime, SYSTEM).checked == 2


def test_an_action_filter_with_sql_is_refused_or_matches_nothing(runtime: Runtime) -> None:
    append(runtime, 2)
    with pytest.raises(InputRejected):
        audit_service.list_records(runtime, SYSTEM, AuditFilter(action="hold.set' OR '1'='1"))
    with pytest.raises(InputRejected):
        audit_service.list_records(runtime, SYSTEM, AuditFilter(action="%*"))
    # '_' is a LIKE wildcard: the prefix is escaped, so hold_set* does not match hold.set
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(action="hold_set*")).total == 0
    assert audit_service.list_records(runtime, SYSTEM, AuditFilter(action="hold.*")).total == 2


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.AGENCY_USER, Role.STRATEGY_ANALYST])
def test_reading_the_trail_needs_audit_read(runtime: Runtime, role: Role) -> None:
    someone = make_user(runtime, role)
    with pytest.raises(Forbidden):
        audit_service.list_records(runtime, someone)
    with pytest.raises(Forbidden):
        audit_service.verify_chain(runtime, someone)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COMPLIANCE_OFFICER, Role.ADMINISTRATOR])
def test_roles_with_audit_read_see_the_trail(runtime: Runtime, role: Role) -> None:
    append(runtime, 1)
    assert audit_service.list_records(runtime, make_user(runtime, role)).total == 1


def test_create_all_installs_the_guard_too(runtime: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if runtime.engine.dialect.name == "postgresql":
        url = runtime.engine.url
        with runtime.engine.begin() as conn:
            conn.exec_driver_sql("drop schema if exists guardcheck cascade; create schema guardcheck")
        engine = create_engine(url, connect_args={"options": "-csearch_path=guardcheck"})
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'created.db'}")
    try:
        metadata.create_all(engine, tables=[audit_log])
        with engine.begin() as conn:
            assert guard_installed(conn)
            audit.record(conn, SYSTEM, "hold.set", "debtor", 1, {}, runtime.clock.now())
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("delete from audit_log"))
        with engine.begin() as conn:
            install_guard(conn)  # idempotent
            assert guard_installed(conn)
    finally:
        engine.dispose()
        if runtime.engine.dialect.name == "postgresql":
            with runtime.engine.begin() as conn:
                conn.exec_driver_sql("drop schema guardcheck cascade")


def test_concurrent_appends_from_two_connections_keep_the_chain(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite serialises writers by design)")
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        try:
            start.wait(timeout=30)
            for i in range(25):
                with runtime.engine.begin() as conn:
                    audit.record(conn, SYSTEM, "hold.set", "debtor", name, {"i": i}, runtime.clock.now())
        except BaseException as exc:  # noqa: BLE001 - surfaced in the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    report = audit_service.verify_chain(runtime, SYSTEM)
    assert report.intact and report.checked == 50 and report.head_seq == 50
