"""The desk pages over HTTP (full app, session cookies, CSRF): the call flow, refusals, release, the team
board, the library, and where a collector lands after logging in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from arrears.compliance.store import contact_attempts
from arrears.core.access import Principal, Role
from arrears.runtime import Runtime
from arrears.users.store import users
from arrears.worklist.store import debtor_leases
from tests.authkit import PASSWORD, make_user, session
from tests.e2e.conftest import build_app
from tests.integration.worklist_seed import Debtor, Desk, debtor, desk, work

HX = {"HX-Request": "true"}


@dataclass
class World:
    """The app, a desk, one debtor for Alice, page clients for Alice and the team lead."""

    rt: Runtime
    desk: Desk
    a: Debtor
    alice: TestClient
    lead: TestClient


def client(app: Any, rt: Runtime, principal: Principal) -> TestClient:
    c = TestClient(app)
    csrf = session(rt, c, principal)
    c.headers["X-CSRF-Token"] = csrf
    return c


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    app, _, _ = build_app(tmp_path, seed=False)
    rt: Runtime = app.state.runtime
    d = desk(rt)
    a = debtor(rt, 1, d.team, d.alice.user_id)
    work(rt, a, collector=d.alice.user_id, team=d.team)
    with client(app, rt, d.alice) as alice, client(app, rt, d.lead) as lead:
        yield World(rt, d, a, alice, lead)


def count(rt: Runtime, table: object) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def form_of(html: str, **extra: object) -> dict[str, object]:
    """The hidden fields of the attempt form, plus what the collector fills in."""
    form = re.search(r'<form id="attempt-form".*?</form>', html, re.S)
    assert form is not None
    hidden = r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"'
    fields: dict[str, object] = dict(re.findall(hidden, form.group(0)))
    fields.update(extra)
    return fields


def test_the_desk_flow_without_javascript(world: World) -> None:
    page = world.alice.get("/desk?lang=en")
    assert page.status_code == 200 and 'id="desk-next"' in page.text
    nxt = world.alice.post("/desk/next")
    assert nxt.status_code == 200 and "<html" in nxt.text and 'id="attempt-form"' in nxt.text
    assert "+86 139****0000" in nxt.text and "+8613900010000" not in nxt.text  # masked, never the number
    assert "arrears-dial:" in nxt.text and count(world.rt, debtor_leases) == 1
    saved = world.alice.post("/desk/attempts", data=form_of(
        nxt.text, outcome="callback_requested", elements=["verify_identity", "opening"], note="明天回电",
        callback_at="2026-04-01T10:30"))
    assert saved.status_code == 200 and "Call saved." in saved.text and 'id="done-callback"' in saved.text
    assert count(world.rt, contact_attempts) == 1 and count(world.rt, debtor_leases) == 0


def test_a_forbidden_attempt_is_refused_with_its_rules_and_the_form_kept(world: World) -> None:
    nxt = world.alice.post("/desk/next", headers=HX)
    assert nxt.status_code == 200 and "<html" not in nxt.text
    # the spouse while the debtor is reachable: the CN third-party gate is shut
    body = form_of(nxt.text, outcome="no_answer", contact_point_id=world.a.spouse)
    refused = world.alice.post("/desk/attempts", headers=HX, data=body)
    assert refused.headers["HX-Retarget"] == "#attempt-problems" and 'id="attempt-refused"' in refused.text
    assert "cn.third_party" in refused.text and count(world.rt, contact_attempts) == 0
    plain = world.alice.post("/desk/attempts", data=body)
    assert plain.status_code == 409 and "cn.third_party" in plain.text


def test_a_flagged_note_needs_a_review_before_it_is_saved(world: World) -> None:
    nxt = world.alice.post("/desk/next", headers=HX)
    body = form_of(nxt.text, outcome="right_party_reached", note="再不还钱就去你单位找你")
    first = world.alice.post("/desk/attempts", headers=HX, data=body)
    assert 'id="note-reviewed"' in first.text and count(world.rt, contact_attempts) == 0
    second = world.alice.post("/desk/attempts", headers=HX, data={**body, "note_reviewed": "1"})
    assert "Call saved" in second.text or "通话已保存" in second.text
    assert count(world.rt, contact_attempts) == 1


def test_the_live_note_check_and_an_objection_answer(world: World) -> None:
    checked = world.alice.post("/desk/note-check?lang=en", headers=HX, data={"note": "再不还就去你单位找你"})
    assert checked.status_code == 200 and 'id="note-flagged"' in checked.text and "LC-VISIT" in checked.text
    clean = world.alice.post("/desk/note-check?lang=en", headers=HX, data={"note": "客户承诺周五还款"})
    assert 'id="note-clean"' in clean.text
    answer = world.alice.get("/desk/objections/late_fee?lang=zh-CN")
    assert answer.status_code == 200 and "滞纳金" in answer.text
    assert world.alice.get("/desk/objections/nope").status_code == 404


def test_releasing_the_lease_and_csrf(world: World) -> None:
    nxt = world.alice.post("/desk/next", headers=HX)
    lease = re.search(r"/desk/leases/(\d+)/release", nxt.text)
    assert lease is not None
    no_csrf = TestClient(world.alice.app, cookies=world.alice.cookies)
    assert no_csrf.post(f"/desk/leases/{lease.group(1)}/release").status_code == 403
    released = world.alice.post(f"/desk/leases/{lease.group(1)}/release", headers=HX)
    assert released.status_code == 200 and 'id="desk-next"' in released.text
    assert count(world.rt, debtor_leases) == 0


def test_the_team_board_and_permissions(world: World) -> None:
    world.alice.post("/desk/next", headers=HX)
    board = world.lead.get("/team?lang=en")
    assert board.status_code == 200 and f'id="collector-{world.desk.alice.user_id}"' in board.text
    assert "张*" in board.text and 'href="/strategy/cases"' in board.text
    day = world.lead.get(f"/team/collectors/{world.desk.alice.user_id}?lang=en")
    assert day.status_code == 200 and "No call on this day." in day.text
    assert world.lead.get("/team/collectors/987654").status_code == 404
    assert world.alice.get("/team").status_code == 403
    assert world.alice.get("/desk/library").status_code == 403


def test_a_manager_edits_the_library_page(world: World) -> None:
    boss = client(world.alice.app, world.rt, make_user(world.rt, Role.MANAGER))
    page = boss.get("/desk/library?lang=en")
    assert page.status_code == 200 and 'id="obj-busy"' in page.text
    saved = boss.post("/desk/library", data={
        "key": "pay_day", "title_zh": "发工资再还", "title_en": "After pay day", "answer_zh": "哪天发工资？",
        "answer_en": "Which day?", "position": "5", "active": "1"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/desk/library?done=pay_day"
    bad = boss.post("/desk/library", data={"key": "BAD"}, follow_redirects=False)
    assert "problem=" in bad.headers["location"]
    assert "After pay day" in world.alice.get("/desk/objections/pay_day?lang=en").text


def test_a_collector_lands_on_the_desk_after_login(world: World) -> None:
    make_user(world.rt, Role.COLLECTOR, username="land.collector", password=PASSWORD, team_id=world.desk.team)
    make_user(world.rt, Role.MANAGER, username="land.manager", password=PASSWORD)
    for name, target in (("land.collector", "/desk"), ("land.manager", "/")):
        with TestClient(world.alice.app) as anon:
            form = anon.get("/login")
            token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
            assert token is not None
            done = anon.post("/login", data={"username": name, "password": PASSWORD, "next": "/",
                                             "login_csrf": token.group(1)}, follow_redirects=False)
            assert done.status_code == 303 and done.headers["location"] == target, name


def test_a_promise_above_authority_waits_in_the_team_leads_inbox(world: World) -> None:
    b = debtor(world.rt, 2, world.desk.team, world.desk.bob.user_id)
    work(world.rt, b, collector=world.desk.bob.user_id, team=world.desk.team)
    with world.rt.engine.begin() as conn:  # Bob may promise up to CNY 500.00
        bob_row = users.c.id == world.desk.bob.user_id
        conn.execute(update(users).where(bob_row).values(promise_authority_minor=50_000))
    with client(world.alice.app, world.rt, world.desk.bob) as bob:
        nxt = bob.post("/desk/next?lang=en", headers=HX)
        done = bob.post("/desk/attempts?lang=en", headers=HX, data=form_of(
            nxt.text, outcome="promise_to_pay", elements=["verify_identity", "arrangement"],
            promise_amount="800.00", promise_due_on="2026-04-05", promise_channel="wechat_pay"))
        assert "awaiting approval: above your authority" in done.text
    board = world.lead.get("/team?lang=en")
    assert 'id="team-approvals">1<' in board.text and "CNY 800.00" in board.text


def test_a_claimed_payment_is_recorded_and_followed_up(world: World) -> None:
    nxt = world.alice.post("/desk/next?lang=en", headers=HX)
    done = world.alice.post("/desk/attempts?lang=en", headers=HX, data=form_of(
        nxt.text, outcome="claimed_paid", elements=["verify_identity"], claim_paid_on="2026-03-30",
        claim_amount="200.00", claim_channel="bank_transfer", claim_reference="TX123"))
    assert "Call saved." in done.text and "not matched yet: follow-up queued" in done.text


def test_a_manager_picks_a_team_on_the_board(world: World) -> None:
    boss = client(world.alice.app, world.rt, make_user(world.rt, Role.MANAGER))
    pick = boss.get("/team?lang=en")
    assert pick.status_code == 200 and 'id="team-pick"' in pick.text
    assert f'href="/team?team={world.desk.team}"' in pick.text
    board = boss.get(f"/team?team={world.desk.team}&lang=en")
    assert f'id="collector-{world.desk.alice.user_id}"' in board.text and 'aria-current="page"' in board.text
    assert world.lead.get("/team?team=987654").status_code == 200  # another team: refused on the page
    assert 'id="team-problem"' in world.lead.get("/team?team=987654").text
