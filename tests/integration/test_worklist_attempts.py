"""Recording attempts on SQLite and PostgreSQL: refusals, hygiene, flags, notes, call-backs, dialers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from arrears.compliance.store import compliance_decisions, contact_attempts, debtor_flags
from arrears.core.clock import FixedClock
from arrears.core.errors import Conflict, InputRejected, NotFound
from arrears.portfolio.store import contact_points, debtors
from arrears.runtime import Runtime
from arrears.users.store import audit_log
from arrears.worklist import attempts, callbacks, history, service
from arrears.worklist.dialer import import_report
from arrears.worklist.model import AttemptReport, CallElement, CallOutcome, RaisedFlag, WorkKind
from arrears.worklist.store import debtor_leases, work_items
from tests.integration.worklist_seed import Debtor, Desk, debtor, desk, work

MORNING = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 3, 31, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


def at(rt: Runtime, moment: datetime) -> None:
    assert isinstance(rt.clock, FixedClock)
    rt.clock.set(moment)


def setup(rt: Runtime, **kw: Any) -> tuple[Desk, Debtor, int]:
    at(rt, MORNING)
    d = desk(rt)
    a = debtor(rt, 1, d.team, d.alice.user_id, **kw)
    item = work(rt, a, collector=d.alice.user_id, team=d.team)
    return d, a, item


def report(a: Debtor, outcome: CallOutcome, point: int | None = None, **kw: Any) -> AttemptReport:
    start = kw.pop("started_at", MORNING - timedelta(minutes=3))
    return AttemptReport(
        debtor_id=a.id,
        outcome=outcome,
        started_at=start,
        ended_at=kw.pop("ended_at", start + timedelta(minutes=2)),
        contact_point_id=a.mobile if point is None else point,
        **kw,
    )


def one(rt: Runtime, table: Any, *where: Any) -> Any:
    with rt.engine.connect() as conn:
        return conn.execute(select(table).where(*where)).one()


def count(rt: Runtime, table: Any) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_no_answer_is_recorded_retried_per_cadence_and_releases_the_lease(runtime: Runtime) -> None:
    d, a, item = setup(runtime)
    lease = service.next_contact(runtime, d.alice)["lease"]["id"]
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.NO_ANSWER))
    row = one(runtime, contact_attempts, contact_attempts.c.id == out["attempt_id"])
    assert (row.call_outcome, row.outcome, row.source, row.violation) == (
        "no_answer",
        "no_answer",
        "arrears",
        False,
    )
    assert row.collector_id == d.alice.user_id and row.work_item_id == item and row.lease_id == lease
    assert row.ended_at - row.started_at == timedelta(minutes=2) and row.decision_id == out["decision_id"]
    assert out["lease_released"] == lease and count(runtime, debtor_leases) == 0
    assert out["work_item"]["next"] == "retry"
    w = one(runtime, work_items, work_items.c.id == item)
    assert w.status == "open" and w.attempt_count == 1
    assert w.due_at == row.ended_at + timedelta(hours=2)
    assert out["contactability"] == "contactable"


def test_invalid_and_wrong_party_numbers_are_never_offered_again(runtime: Runtime) -> None:
    d, a, item = setup(runtime)
    service.next_contact(runtime, d.alice)
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.INVALID_NUMBER))
    assert out["contact_point_status"] == "invalid" and out["work_item"]["next"] == "other_point"
    assert one(runtime, contact_points, contact_points.c.id == a.mobile).status == "invalid"
    # the debtor's only phone is dead: the CN gate lets the queue offer the spouse, without disclosure
    nxt = service.next_contact(runtime, d.alice)
    assert nxt["status"] == "leased" and nxt["contact_point"]["id"] == a.spouse
    assert (
        nxt["script_mode"] == "third_party_no_disclosure" and nxt["contact_point"]["party"] == "third_party"
    )
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.WRONG_PARTY, a.spouse))
    assert out["contact_point_status"] == "wrong_party" and "wrong_number" in out["history_outcome"]
    assert service.next_contact(runtime, d.alice)["status"] == "nothing_allowed"  # no usable phone left
    assert one(runtime, work_items, work_items.c.id == item).status == "cancelled"
    assert out["contactability"] == "lost"


def test_refusal_makes_the_point_do_not_contact_and_rpc_verifies_a_number(runtime: Runtime) -> None:
    d, a, _ = setup(runtime, mobile_status="unverified", extra_points=(("second", "self"),))
    out = attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.RIGHT_PARTY_REACHED, elements=(CallElement.VERIFY_IDENTITY,))
    )
    assert out["contact_point_status"] == "valid"
    assert one(runtime, contact_points, contact_points.c.id == a.mobile).last_verified_at == MORNING
    row = one(runtime, contact_attempts, contact_attempts.c.id == out["attempt_id"])
    assert row.elements == ["verify_identity"] and row.conversation is True
    second = a.points["second"]
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.REFUSED_CONTACT, second))
    assert one(runtime, contact_points, contact_points.c.id == second).status == "do_not_contact"
    assert out["history_outcome"] == "refused"
    with pytest.raises(
        InputRejected
    ) as exc:  # the spouse: the CN third-party gate is shut (debtor reachable)
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.NO_ANSWER, a.spouse))
    assert exc.value.status_code == 409 and exc.value.problems[0].field == "cn.third_party"


def test_an_attempt_the_policy_forbids_is_refused_with_rules_and_nothing_is_written(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    at(runtime, NIGHT)
    with pytest.raises(InputRejected) as exc:
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.NO_ANSWER, started_at=NIGHT))
    assert exc.value.status_code == 409
    assert {"cn.night", "house.hours"} <= {p.field for p in exc.value.problems}
    assert all(p.value for p in exc.value.problems)  # the source of each rule
    assert count(runtime, contact_attempts) == 0 and count(runtime, compliance_decisions) == 0


def test_a_debtor_leased_to_another_collector_is_refused(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    service.next_contact(runtime, d.alice)
    with pytest.raises(Conflict):
        attempts.record_attempt(runtime, d.bob, report(a, CallOutcome.NO_ANSWER))


def test_bad_requests_name_the_field(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    b = debtor(runtime, 2, d.team, d.alice.user_id)
    with pytest.raises(InputRejected) as exc:
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.NO_ANSWER, b.mobile))
    assert exc.value.problems[0].field == "contact_point_id"
    with pytest.raises(NotFound):
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.NO_ANSWER, 999_999))
    with pytest.raises(NotFound):
        attempts.record_attempt(
            runtime,
            d.alice,
            AttemptReport(
                debtor_id=999_999, outcome=CallOutcome.BUSY, started_at=MORNING, contact_point_id=a.mobile
            ),
        )
    with pytest.raises(InputRejected) as exc:
        attempts.record_attempt(
            runtime, d.alice, report(a, CallOutcome.NO_ANSWER, ended_at=MORNING - timedelta(hours=1))
        )
    assert exc.value.problems[0].field == "ended_at"
    with pytest.raises(InputRejected) as exc:
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.PROMISE_TO_PAY))
    assert exc.value.problems[0].field == "promise"
    assert count(runtime, contact_attempts) == 0


def test_flags_become_holds_audited_and_stop_the_debtors_call_work(runtime: Runtime) -> None:
    d, a, item = setup(runtime)
    out = attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.DISPUTED, flags=(RaisedFlag.FRAUD_CLAIM,))
    )
    with runtime.engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(debtor_flags)))
        audited = conn.execute(select(func.count()).where(audit_log.c.action == "hold.set")).scalar_one()
    assert kinds == ["dispute", "fraud_claim"] and audited == 2 and len(out["holds"]) == 2
    assert one(runtime, work_items, work_items.c.id == item).status in ("done", "cancelled")
    assert service.next_contact(runtime, d.alice)["status"] == "queue_empty"


def test_dont_call_my_family_restricts_every_family_phone(runtime: Runtime) -> None:
    d, a, _ = setup(runtime, extra_points=(("mother", "parent"), ("boss", "employer")))
    attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.RIGHT_PARTY_REACHED, flags=(RaisedFlag.NO_FAMILY_CONTACT,))
    )
    with runtime.engine.connect() as conn:
        restricted = {
            r.contact_point_id for r in conn.execute(select(debtor_flags)) if r.kind == "channel_restriction"
        }
    assert restricted == {a.spouse, a.points["mother"]}


def test_inconvenient_time_needs_readable_windows(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    bad = {"inconvenient_time": {"windows": [{"start": "25:00", "end": "14:00"}]}}
    with pytest.raises(InputRejected) as exc:
        attempts.record_attempt(
            runtime,
            d.alice,
            report(
                a, CallOutcome.RIGHT_PARTY_REACHED, flags=(RaisedFlag.INCONVENIENT_TIME,), flag_details=bad
            ),
        )
    assert exc.value.problems[0].field.startswith("flag_details.inconvenient_time.windows[0].start")
    good = {"inconvenient_time": {"windows": [{"start": "09:00", "end": "12:00"}]}}
    out = attempts.record_attempt(
        runtime,
        d.alice,
        report(a, CallOutcome.RIGHT_PARTY_REACHED, flags=(RaisedFlag.INCONVENIENT_TIME,), flag_details=good),
    )
    assert len(out["holds"]) == 1


def test_notes_are_language_checked_and_saved_with_findings(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    out = attempts.record_attempt(
        runtime,
        d.alice,
        report(a, CallOutcome.REFUSED_TO_PAY, note="客户说不要再打电话了，再不还钱就去你单位闹"),
    )
    assert out["note"]["findings"] and "cease_request" in out["note"]["suggested_flags"]
    line = history.timeline(runtime, d.alice, a.id)["attempts"][0]
    assert line["note"]["worst_severity"] in ("high", "medium") and line["outcome"] == "refused_to_pay"
    assert line["contact_point"]["masked"].startswith("+86 139****")


def test_a_requested_call_back_is_served_first_when_due(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    b = debtor(runtime, 2, d.team, d.alice.user_id)
    work(runtime, b, collector=d.alice.user_id, team=d.team, priority=1e9)
    callback_at = MORNING + timedelta(hours=4)  # 14:00 in Shanghai
    out = attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.CALLBACK_REQUESTED, callback_at=callback_at)
    )
    assert out["callback"]["policy"]["allowed"] is True
    cb = one(runtime, work_items, work_items.c.id == out["callback"]["work_item_id"])
    assert (cb.kind, cb.collector_id, cb.due_at, cb.contact_point_id) == (
        "callback",
        d.alice.user_id,
        callback_at,
        a.mobile,
    )
    at(runtime, callback_at + timedelta(minutes=1))
    served = service.next_contact(runtime, d.alice)
    assert served["debtor"]["id"] == a.id and served["why"]["kind"] == "callback" and served["why"]["urgent"]


def test_a_call_back_at_night_is_booked_but_the_policy_says_so(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    late = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    booked = callbacks.book_callback(runtime, d.alice, a.id, late, a.mobile, "asked for late evening")
    assert booked["policy"]["allowed"] is False and booked["policy"]["fired"]
    with pytest.raises(InputRejected):
        callbacks.book_callback(runtime, d.alice, a.id, MORNING - timedelta(hours=1))


def test_a_dialers_night_call_is_recorded_as_a_violation(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    night_call = datetime(2026, 3, 30, 15, 0, tzinfo=UTC)  # 23:00 the night before
    ext = AttemptReport(
        debtor_id=a.id,
        outcome=CallOutcome.NO_ANSWER,
        started_at=night_call,
        phone="+8613900010000",
        external_ref="CALL-1",
        agent=d.bob.username,
    )
    out = attempts.record_external(runtime, d.lead, ext)
    assert out["violation"] is True and {"cn.night", "house.hours"} <= {
        v["rule_id"] for v in out["violated_rules"]
    }
    row = one(runtime, contact_attempts, contact_attempts.c.id == out["attempt_id"])
    assert row.source == "dialer" and row.collector_id == d.bob.user_id and row.contact_point_id == a.mobile
    assert attempts.record_external(runtime, d.lead, ext)["duplicate"] is True  # idempotent by call id
    unknown = AttemptReport(
        debtor_id=a.id,
        outcome=CallOutcome.THIRD_PARTY_REACHED,
        started_at=MORNING,
        phone="+8613711112222",
        external_ref="CALL-2",
    )
    out2 = attempts.record_external(runtime, d.lead, unknown)
    assert out2["violated_rules"][0]["rule_id"] == "worklist.unknown_number"
    listed = history.violations(runtime, d.lead)
    assert [v["id"] for v in listed["violations"]] == [out2["attempt_id"], out["attempt_id"]]
    assert listed["violations"][0]["debtor"]["name"] == "张*"
    with pytest.raises(Exception) as denied:
        attempts.record_external(runtime, d.alice, ext)
    assert type(denied.value).__name__ == "Forbidden"


def test_a_dialer_report_file_is_imported_whole_with_violations_marked(
    runtime: Runtime, tmp_path: Path
) -> None:
    d, a, _ = setup(runtime)
    with runtime.engine.connect() as conn:
        ext_id = conn.execute(select(debtors.c.external_id).where(debtors.c.id == a.id)).scalar_one()
    csv = tmp_path / "dialer.csv"
    csv.write_text(
        "call_id,debtor,phone,started_at,ended_at,outcome,agent,note\n"
        f"X1,{ext_id},13900010000,2026-03-30T23:10:00+08:00,2026-03-30T23:11:00+08:00,no_answer,,\n"
        f"X2,{ext_id},13900010000,2026-03-31T09:30:00+08:00,,invalid_number,,\n",
        encoding="utf-8",
    )
    summary = import_report(runtime, d.lead, csv)
    assert (summary["recorded"], summary["violations"]) == (2, 1)
    assert summary["violation_rows"][0]["call_id"] == "X1"
    assert one(runtime, contact_points, contact_points.c.id == a.mobile).status == "invalid"
    again = import_report(runtime, d.lead, csv)
    assert (again["recorded"], again["duplicates"]) == (0, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "call_id,debtor,phone,started_at,outcome\nY1,NOPE,13900010000,2026-03-31T09:30:00+08:00,busy\n",
        encoding="utf-8",
    )
    with pytest.raises(InputRejected) as exc:
        import_report(runtime, d.lead, bad)
    assert exc.value.problems[0].row == 2 and exc.value.problems[0].field == "debtor"
    assert count(runtime, contact_attempts) == 2


def test_an_inbound_call_is_recorded_without_the_outbound_policy(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    at(runtime, NIGHT)
    out = attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.RIGHT_PARTY_REACHED, started_at=NIGHT, inbound=True)
    )
    row = one(runtime, contact_attempts, contact_attempts.c.id == out["attempt_id"])
    assert row.direction == "inbound" and row.decision_id is None and not row.violation


def test_claimed_and_promised_payments_go_through_the_payments_domain(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from arrears.core.money import Money
    from arrears.worklist import bridge
    from arrears.worklist.model import ClaimTerms, PromiseTerms

    calls: list[tuple[str, dict[str, Any]]] = []
    fake = SimpleNamespace(
        make_promise=lambda conn, principal, **kw: (
            calls.append(("promise", kw))
            or SimpleNamespace(promise_id=41, status="pending_approval", approval_id=7, confirmation_id=9)
        ),
        record_claimed_payment=lambda conn, principal, **kw: (
            calls.append(("claim", kw)) or SimpleNamespace(claim_id=51, matched_payment_id=None)
        ),
    )
    monkeypatch.setattr(bridge, "_module", lambda name: fake)
    d, a, item = setup(runtime)
    terms = PromiseTerms(Money.of("500.00", "CNY"), MORNING.date() + timedelta(days=2), "wechat_pay")
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.PROMISE_TO_PAY, promise=terms))
    assert out["promise"]["promise_id"] == 41 and out["promise"]["approval_id"] == 7
    kind, kw = calls[0]
    assert kind == "promise" and kw["attempt_id"] == out["attempt_id"] and kw["account_id"] == a.account
    assert kw["amount"] == Money.of("500.00", "CNY") and kw["now"] == MORNING
    assert one(runtime, contact_attempts, contact_attempts.c.id == out["attempt_id"]).promise_id == 41
    claim = ClaimTerms(MORNING.date(), Money.of("100", "CNY"), "bank_transfer", "TX-1")
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.CLAIMED_PAID, claim=claim))
    assert out["claim"] == {**out["claim"], "claim_id": 51, "matched": False}
    past = PromiseTerms(Money.of("500.00", "CNY"), MORNING.date() - timedelta(days=1), "wechat_pay")
    with pytest.raises(InputRejected) as exc:
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.PROMISE_TO_PAY, promise=past))
    assert exc.value.problems[0].field == "promise.due_on"
    assert len(calls) == 2 and item


def test_the_timeline_is_newest_first_and_scoped(runtime: Runtime) -> None:
    d, a, _ = setup(runtime)
    attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.BUSY, started_at=MORNING - timedelta(minutes=50))
    )
    attempts.record_attempt(
        runtime,
        d.alice,
        report(
            a, CallOutcome.RIGHT_PARTY_REACHED, elements=(CallElement.OPENING, CallElement.VERIFY_IDENTITY)
        ),
    )
    lines = history.timeline(runtime, d.alice, a.id)["attempts"]
    assert [x["outcome"] for x in lines] == ["right_party_reached", "busy"]
    assert lines[0]["elements"] == ["verify_identity", "opening"] and lines[0]["elements_covered"] == "2/9"
    from arrears.core.access import Role
    from tests.authkit import make_user

    stranger = make_user(runtime, Role.COLLECTOR, team_id=None)
    with pytest.raises(NotFound):
        history.timeline(runtime, stranger, a.id)
    assert WorkKind.CALL  # the seed's item kind


def test_a_promise_taken_on_the_call_is_kept_by_payments_with_its_work(runtime: Runtime) -> None:
    from arrears.core.money import Money
    from arrears.payments.store import promise_claims, promises
    from arrears.worklist.model import ClaimTerms, PromiseTerms

    d, a, item = setup(runtime)
    terms = PromiseTerms(Money.of("800.00", "CNY"), MORNING.date() + timedelta(days=3), "alipay")
    out = attempts.record_attempt(
        runtime, d.alice, report(a, CallOutcome.PROMISE_TO_PAY, promise=terms, elements=tuple(CallElement))
    )
    promise = one(runtime, promises, promises.c.id == out["promise"]["promise_id"])
    assert (promise.amount_minor, promise.attempt_id, promise.account_id) == (
        80_000,
        out["attempt_id"],
        a.account,
    )
    assert out["promise"]["confirmation_id"] and out["work_item"]["status"] == "done"
    with runtime.engine.connect() as conn:
        kinds = sorted(r.kind for r in conn.execute(select(work_items).where(work_items.c.status == "open")))
        audited = {r.action for r in conn.execute(select(audit_log))}
    assert kinds == ["promise_followup", "promise_reminder"] and "promise.create" in audited
    claim = ClaimTerms(MORNING.date() - timedelta(days=1), Money.of("300", "CNY"), "bank_transfer", "TX-9")
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.CLAIMED_PAID, claim=claim))
    assert out["claim"]["matched"] is False
    assert (
        one(runtime, promise_claims, promise_claims.c.id == out["claim"]["claim_id"]).attempt_id
        == out["attempt_id"]
    )
    with runtime.engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).where(work_items.c.kind == "claimed_payment")).scalar_one() == 1
        )
    big = PromiseTerms(Money.of("20000.00", "CNY"), MORNING.date() + timedelta(days=5), "bank_transfer")
    out = attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.PROMISE_TO_PAY, promise=big))
    assert out["promise"]["status"] == "awaiting_approval" and out["promise"]["approval_id"]  # authority
    usd = PromiseTerms(Money.of("10", "USD"), MORNING.date() + timedelta(days=1), "alipay")
    with pytest.raises(InputRejected):  # the account is in CNY: refused by payments, nothing written
        attempts.record_attempt(runtime, d.alice, report(a, CallOutcome.PROMISE_TO_PAY, promise=usd))
    assert count(runtime, contact_attempts) == 3 and item
