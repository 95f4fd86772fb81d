"""Treatment versions and experiments on SQLite and PostgreSQL: upload, activate, refusals keep the version
in force, attribution, and stable arm assignment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Conflict, Forbidden, InputRejected, NotFound
from arrears.runtime import Runtime
from arrears.strategy import jobs, service
from arrears.strategy import store as st
from arrears.strategy.model import BatchStep
from arrears.strategy.rules import assign_arm
from arrears.strategy.treatments import DEFAULT_FILE
from arrears.users.store import audit_log
from tests.authkit import make_user
from tests.integration.strategy_seed import AS_OF, debtor, desk

TEXT = DEFAULT_FILE.read_text(encoding="utf-8")
V2 = (
    TEXT.replace('version: "2026.1"', 'version: "2026.2"')
    .replace("percent: 80,", "percent: 50,")
    .replace("percent: 20,", "percent: 50,")
)


def _active(rt: Runtime) -> str | None:
    with rt.engine.connect() as conn:
        row = st.active_version_row(conn)
    return None if row is None else f"{row.name}@{row.version}"


def test_upload_activate_and_history(runtime: Runtime) -> None:
    analyst = make_user(runtime, Role.STRATEGY_ANALYST)
    first = service.upload(runtime, analyst, TEXT, "default.yaml", "first strategy", activate=True)
    assert first["in_force"] and first["label"] == "default@2026.1" and len(first["checksum"]) == 64
    again = service.upload(runtime, analyst, TEXT, "default.yaml", "same file again")
    assert again["id"] == first["id"]  # idempotent by content
    second = service.upload(runtime, analyst, V2, "v2.yaml", "even split")
    assert not second["in_force"] and _active(runtime) == "default@2026.1"
    service.activate(runtime, analyst, second["id"], "try an even split")
    assert _active(runtime) == "default@2026.2"
    listing = service.list_versions(runtime, analyst)
    assert (
        listing["in_force"]["label"] == "default@2026.2"
        and listing["in_force"]["reason"] == "try an even split"
    )
    assert [a["reason"] for a in listing["activations"]] == ["try an even split", "first strategy"]
    assert {v["label"]: v["status"] for v in listing["versions"]} == {
        "default@2026.1": "retired",
        "default@2026.2": "active",
    }
    shown = service.show_version(runtime, analyst, first["id"])
    assert shown["yaml_text"] == TEXT and shown["summary"]["paths"][0]["id"] == "key-account"
    experiments = service.list_experiments(runtime, analyst)
    assert [(a["arm"], a["percent"]) for a in experiments[0]["arms"]] == [
        ("champion", 50.0),
        ("challenger", 50.0),
    ]
    with runtime.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))]
    assert actions.count("treatment.upload") == 2 and actions.count("treatment.activate") == 2


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("match: {buckets: [M1]}", "match: {buckets: [M7]}", "unknown bucket 'M7'"),
        ("percent: 20,", "percent: 25,", "105%, not 100%"),
        ("- {channel: call, every_days: 1}", "- {channel: call, every_days: 1, per_day: 5}", "5 calls a day"),
    ],
)
def test_a_bad_file_is_refused_and_the_version_in_force_stays(
    runtime: Runtime, old: str, new: str, needle: str
) -> None:
    service.upload(runtime, SYSTEM, TEXT, "default.yaml", "initial", activate=True)
    bad = TEXT.replace('version: "2026.1"', 'version: "2026.9"').replace(old, new, 1)
    with pytest.raises(InputRejected) as info:
        service.upload(runtime, SYSTEM, bad, "bad.yaml", "broken change", activate=True)
    assert any(needle in p.reason and p.file == "bad.yaml" and p.row > 0 for p in info.value.problems)
    assert _active(runtime) == "default@2026.1"
    with runtime.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(st.treatment_versions)).scalar_one() == 1
    check = service.validate(runtime, SYSTEM, bad, "bad.yaml")
    assert not check.valid and any(needle in p.reason for p in check.problems)


def test_changed_content_needs_a_new_version_and_reasons_are_required(runtime: Runtime) -> None:
    service.upload(runtime, SYSTEM, TEXT, "default.yaml", "initial")
    with pytest.raises(Conflict):
        service.upload(runtime, SYSTEM, TEXT.replace("every_days: 14}", "every_days: 21}", 1), "x.yaml", "x")
    with pytest.raises(InputRejected):
        service.upload(runtime, SYSTEM, TEXT, "default.yaml", "", activate=True)
    with pytest.raises(NotFound):
        service.activate(runtime, SYSTEM, 987654, "no such version")
    with pytest.raises(Forbidden):
        service.upload(runtime, make_user(runtime, Role.TEAM_LEAD), TEXT, "x.yaml", "not mine")


def test_arm_assignment_is_stable_recorded_and_survives_a_new_split(runtime: Runtime) -> None:
    d = desk(runtime)
    ids = [debtor(runtime, i, 10, team=d.zh_team)["account"] for i in range(40)]
    service.upload(runtime, SYSTEM, TEXT, "default.yaml", "initial", activate=True)
    assert jobs.run_nightly(runtime, SYSTEM, AS_OF, steps=[BatchStep.TREATMENTS]).status == "completed"
    experiment = service.list_experiments(runtime, SYSTEM)[0]
    arms = experiment["arms"]
    with runtime.engine.connect() as conn:
        drawn = dict(conn.execute(select(st.arm_assignments.c.account_id, st.arm_assignments.c.arm)).all())
        paths = dict(
            conn.execute(select(st.account_treatments.c.account_id, st.account_treatments.c.path)).all()
        )
    assert sorted(drawn) == sorted(ids) and sum(a["accounts"] for a in arms) == 40
    assert all(drawn[i] == assign_arm(i, "early-sms-first", _arms()) for i in ids)
    assert all(paths[i] == ("early" if drawn[i] == "champion" else "early-sms") for i in ids)
    service.upload(runtime, SYSTEM, V2, "v2.yaml", "even split", activate=True)  # shares change: arms kept
    runtime.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    assert jobs.run_nightly(
        runtime, SYSTEM, AS_OF + timedelta(days=1), steps=[BatchStep.TREATMENTS]
    ).status == ("completed")
    with runtime.engine.connect() as conn:
        assert (
            dict(conn.execute(select(st.arm_assignments.c.account_id, st.arm_assignments.c.arm)).all())
            == drawn
        )
    renamed = V2.replace('version: "2026.2"', 'version: "2026.3"').replace(
        "arm: challenger", "arm: sms-first"
    )
    service.upload(runtime, SYSTEM, renamed, "v3.yaml", "rename the challenger", activate=True)
    with runtime.engine.connect() as conn:  # the removed arm's accounts draw again on the next night
        left = set(conn.execute(select(st.arm_assignments.c.arm)).scalars())
    assert left == {"champion"}


def _arms() -> tuple:  # type: ignore[type-arg]
    from arrears.strategy.treatments import parse

    return parse(TEXT, "d.yaml", ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "WO")).experiments[0].arms


def test_experiments_end_when_a_version_drops_them(runtime: Runtime) -> None:
    service.upload(runtime, SYSTEM, TEXT, "default.yaml", "initial", activate=True)
    head, _ = TEXT.split("experiments:")
    without = head.replace('version: "2026.1"', 'version: "2026.4"')
    service.upload(runtime, SYSTEM, without, "no-exp.yaml", "stop the test", activate=True)
    experiment = service.list_experiments(runtime, SYSTEM)[0]
    assert experiment["status"] == "ended" and experiment["ended_on"] is not None
