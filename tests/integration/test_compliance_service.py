"""The contact-policy service on SQLite and PostgreSQL: decisions from rows, the decision log, holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from arrears.compliance import service
from arrears.compliance.model import ContactChannel, HoldKind, Outcome, Party, Purpose
from arrears.compliance.store import compliance_decisions
from arrears.core.access import SYSTEM
from arrears.core.errors import Conflict, InputRejected, NotFound
from arrears.portfolio.store import accounts, cases, contact_points, debtors
from arrears.runtime import Runtime

SH = ZoneInfo("Asia/Shanghai")
STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def seed(
    rt: Runtime,
    region: str = "CN",
    tz: str = "Asia/Shanghai",
    product: str = "credit_card",
    case_status: str | None = None,
) -> dict[str, int]:
    """A debtor with a mobile, a relative's phone and an account; ids by name."""
    with rt.engine.begin() as conn:
        debtor_id = conn.execute(
            insert(debtors)
            .values(
                external_id="D1",
                kind="person",
                name="张三",
                timezone=tz,
                timezone_source="address",
                region=region,
                row_hash="h",
                created_at=STAMP,
                updated_at=STAMP,
            )
            .returning(debtors.c.id)
        ).scalar_one()
        ids = {"debtor": debtor_id}
        for name, rel in (("mobile", "self"), ("sister", "relative"), ("office", "employer")):
            ids[name] = conn.execute(
                insert(contact_points)
                .values(
                    debtor_id=debtor_id,
                    relationship=rel,
                    channel="phone",
                    value=f"+86138000000{len(ids)}",
                    timezone=tz,
                    source="debtor_provided",
                    consent="debtor_gave",
                    status="valid",
                    row_hash="h",
                    created_at=STAMP,
                    updated_at=STAMP,
                )
                .returning(contact_points.c.id)
            ).scalar_one()
        case_id = None
        if case_status:
            case_id = conn.execute(
                insert(cases)
                .values(
                    debtor_id=debtor_id,
                    status=case_status,
                    opened_on=STAMP.date(),
                    created_at=STAMP,
                    updated_at=STAMP,
                )
                .returning(cases.c.id)
            ).scalar_one()
        conn.execute(
            insert(accounts).values(
                external_id="A1",
                debtor_id=debtor_id,
                case_id=case_id,
                product=product,
                currency="CNY",
                row_hash="h",
                created_at=STAMP,
                updated_at=STAMP,
            )
        )
    return ids


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=SH)


def test_check_uses_the_accounts_rule_sets_and_logs_the_decision(runtime: Runtime) -> None:
    ids = seed(runtime)
    night = service.check_contact(
        runtime,
        SYSTEM,
        ids["debtor"],
        ContactChannel.CALL,
        ids["mobile"],
        at=at(3, 22),
        requested_by="agent-7",
    )
    assert not night.decision.allowed
    assert [n for n, _ in night.decision.rulesets] == ["cn-gbt45251", "house-default"]
    assert night.decision.earliest_allowed == at(4, 9)
    assert night.collector_type == "in_house"
    day = service.check_contact(
        runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["mobile"], at=at(3, 10)
    )
    assert day.decision.allowed
    log = service.decisions(runtime, SYSTEM, ids["debtor"])
    assert [row["id"] for row in log] == [day.id, night.id]
    row = log[1]
    assert row["allowed"] is False and row["requested_by"] == "agent-7"
    assert row["rulesets"] == [
        {"name": "cn-gbt45251", "version": "2025.1"},
        {"name": "house-default", "version": "2026.1"},
    ]
    assert "cn.night" in row["rules_checked"] and "house.hours" in row["rules_checked"]
    assert {h["rule_id"] for h in row["fired"]} == {"cn.night", "house.hours"}
    assert row["earliest_allowed"] == at(4, 9)
    assert row["proposed_at"] == at(3, 22) and row["evaluated_at"] == runtime.clock.now()


def test_history_rows_count(runtime: Runtime) -> None:
    ids = seed(runtime)
    for hour, outcome, agency in (
        (9, Outcome.CONNECTED_RPC, False),
        (10, Outcome.CONNECTED_RPC, True),
        (11, Outcome.CONNECTED_RPC, True),
    ):
        service.record_attempt(
            runtime,
            SYSTEM,
            ids["debtor"],
            ContactChannel.CALL,
            outcome,
            at(3, hour),
            ids["mobile"],
            by_agency=agency,
        )
    d = service.check_contact(
        runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["mobile"], at=at(3, 15)
    )
    assert {h.rule_id for h in d.decision.denials} == {"cn.daily_connected"}


def test_third_party_after_failures_from_rows(runtime: Runtime) -> None:
    ids = seed(runtime)
    for hour in (9, 10, 11):
        service.record_attempt(
            runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, Outcome.NO_ANSWER, at(2, hour), ids["mobile"]
        )
    d = service.check_contact(
        runtime,
        SYSTEM,
        ids["debtor"],
        ContactChannel.CALL,
        ids["sister"],
        Party.THIRD_PARTY,
        at(3, 10),
        purpose=Purpose.LOCATE,
    )
    assert d.decision.allowed and d.decision.script_mode == "third_party_no_disclosure"


def test_a_refusal_makes_the_contact_point_do_not_contact_for_good(runtime: Runtime) -> None:
    ids = seed(runtime)
    service.record_attempt(
        runtime,
        SYSTEM,
        ids["debtor"],
        ContactChannel.CALL,
        Outcome.REFUSED,
        at(2, 10),
        ids["sister"],
        Party.THIRD_PARTY,
    )
    with runtime.engine.connect() as conn:
        status = conn.execute(
            select(contact_points.c.status).where(contact_points.c.id == ids["sister"])
        ).scalar()
    assert status == "do_not_contact"
    later = at(2, 10) + timedelta(days=400)  # long after the history window: the refusal still counts
    d = service.check_contact(
        runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["sister"], Party.THIRD_PARTY, later
    )
    assert {"cn.refusal", "cn.contact_status"} <= {h.rule_id for h in d.decision.denials}
    assert d.decision.earliest_allowed is None


def test_holds_set_and_lift_with_who_when_and_why(runtime: Runtime) -> None:
    ids = seed(runtime)
    hold = service.set_hold(
        runtime, SYSTEM, ids["debtor"], HoldKind.DISPUTE, "agent-7", "disputes the late fee", at=at(2, 9)
    )
    assert hold["active"] and hold["set_by"] == "agent-7" and hold["set_at"] == at(2, 9)
    denied = service.check_contact(
        runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["mobile"], at=at(3, 10)
    )
    assert "house.dispute" in {h.rule_id for h in denied.decision.denials}
    lifted = service.lift_hold(runtime, SYSTEM, hold["id"], "lead-2", "fee waived", at=at(3, 11))
    assert not lifted["active"] and lifted["lifted_by"] == "lead-2" and lifted["lift_reason"] == "fee waived"
    assert lifted["lifted_at"] == at(3, 11)
    assert service.check_contact(
        runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["mobile"], at=at(3, 12)
    ).decision.allowed
    with pytest.raises(Conflict, match="already lifted"):
        service.lift_hold(runtime, SYSTEM, hold["id"], "lead-2", "again")
    assert [h["id"] for h in service.holds(runtime, SYSTEM, ids["debtor"])] == [hold["id"]]
    assert service.holds(runtime, SYSTEM, ids["debtor"], include_lifted=False) == []


def test_declarations_are_validated_and_honoured(runtime: Runtime) -> None:
    ids = seed(runtime)
    with pytest.raises(InputRejected, match=r"detail.windows\[0\].end"):
        service.set_hold(
            runtime,
            SYSTEM,
            ids["debtor"],
            HoldKind.INCONVENIENT_TIME,
            "agent-7",
            "lunch",
            {"windows": [{"start": "12:00", "end": "2pm"}]},
        )
    with pytest.raises(InputRejected, match="reason"):
        service.set_hold(runtime, SYSTEM, ids["debtor"], HoldKind.CEASE_REQUEST, "agent-7", " ")
    service.set_hold(
        runtime, SYSTEM, ids["debtor"], HoldKind.EMPLOYER_FORBIDS, "agent-7", "employer policy", at=at(1, 9)
    )
    d = service.check_contact(
        runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["office"], Party.THIRD_PARTY, at(3, 10)
    )
    assert "house.employer" in {h.rule_id for h in d.decision.denials}


def test_agency_placement_and_unknown_things(runtime: Runtime) -> None:
    ids = seed(runtime, region="US", tz="America/Chicago", product="consumer_loan", case_status="placed")
    d = service.check_contact(
        runtime,
        SYSTEM,
        ids["debtor"],
        ContactChannel.CALL,
        ids["mobile"],
        at=datetime(2026, 4, 7, 10, tzinfo=ZoneInfo("America/Chicago")),
    )
    assert d.collector_type == "agency" and [n for n, _ in d.decision.rulesets] == [
        "us-regf",
        "house-default",
    ]
    with pytest.raises(NotFound):
        service.check_contact(runtime, SYSTEM, 999_999, ContactChannel.CALL)
    with pytest.raises(NotFound, match="not one of debtor"):
        service.check_contact(runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, 999_999)
    with pytest.raises(NotFound):
        service.lift_hold(runtime, SYSTEM, 999_999, "x", "y")
    with pytest.raises(InputRejected, match="naive"):
        service.check_contact(
            runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["mobile"], at=datetime(2026, 4, 7, 10)
        )  # noqa: DTZ001
    with runtime.engine.connect() as conn:
        assert conn.execute(select(compliance_decisions.c.id)).all() != []


def test_an_unknown_stored_zone_is_a_clear_error(runtime: Runtime) -> None:
    ids = seed(runtime, tz="Asia/Shangai")
    with pytest.raises(InputRejected, match="timezone: unknown time zone 'Asia/Shangai'"):
        service.check_contact(
            runtime, SYSTEM, ids["debtor"], ContactChannel.CALL, ids["mobile"], at=at(3, 10)
        )
