"""The collector's desk and the team board in real headless Chromium (/usr/bin/chromium).

A collector logs in (and lands on the desk), takes the next contact, records a right-party contact with a
promise and sees its confirmation; a third-party contact shows the no-disclosure script; a contact the
policy forbids shows why and when it becomes allowed; a note with a threat is flagged before it is saved.
Saves docs/screenshots/desk_*.png.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from arrears.compliance.store import contact_attempts
from arrears.core.access import Role
from arrears.runtime import Runtime
from tests.authkit import PASSWORD, make_team, make_user
from tests.conftest import missing
from tests.e2e.conftest import build_app
from tests.e2e.test_pages_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, WAIT_MS, _free_port
from tests.integration.worklist_seed import debtor, work

pytestmark = pytest.mark.browser
THREAT = "客户不配合，再不还钱就去你单位找你"


def _collector(rt: Runtime, name: str, team: int) -> int:
    p = make_user(rt, Role.COLLECTOR, username=name, password=PASSWORD, team_id=team,
                  promise_authority_minor=1_000_000, display_name=name.title())
    assert p.user_id is not None
    return p.user_id


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on uvicorn at 18:00 Shanghai time with four collectors, each with one debtor to call."""
    import uvicorn

    app, _, _ = build_app(tmp_path_factory.mktemp("desk-browser"), seed=False)
    rt: Runtime = app.state.runtime
    team = make_team(rt, "Desk team")
    make_user(rt, Role.TEAM_LEAD, username="desk.lead", password=PASSWORD, team_id=team)
    make_user(rt, Role.MANAGER, username="desk.manager", password=PASSWORD)
    names = ("desk.rpc", "desk.third", "desk.night", "desk.note")
    people = {name: _collector(rt, name, team) for name in names}
    debtors = {
        "desk.rpc": debtor(rt, 1, team, people["desk.rpc"]),
        "desk.third": debtor(rt, 2, team, people["desk.third"], mobile_status="invalid"),  # spouse only
        "desk.night": debtor(rt, 3, team, people["desk.night"], tz="America/New_York", region="US"),
        "desk.note": debtor(rt, 4, team, people["desk.note"]),
    }
    for name, d in debtors.items():
        work(rt, d, collector=people[name], team=None)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-desk", daemon=True)
    thread.start()
    for _ in range(600):  # start-up guard, not a speed assertion
        if srv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        pytest.fail("uvicorn did not start")
    yield {"base": f"http://127.0.0.1:{port}", "rt": rt, "debtors": debtors, "people": people}
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system package."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT_MS)
        yield b
        b.close()


def login(browser: Any, served: dict[str, Any], username: str, landing: str) -> Any:
    """A new browser context logged in through the login form (English)."""
    context = browser.new_context(locale="en-US", viewport={"width": 1360, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    base = served["base"]
    page.goto(base + "/login?lang=en")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(base + landing)
    return page


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"desk_{name}.png"), full_page=True)


def attempts_of(rt: Runtime, debtor_id: int) -> int:
    with rt.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(contact_attempts.c.debtor_id == debtor_id))
                   .scalar_one())


def test_a_collector_records_a_right_party_contact_with_a_promise(browser: Any,
                                                                   served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = login(browser, served, "desk.rpc", "/desk")  # a collector lands on the desk
    expect(page.get_by_role("link", name="Desk", exact=True)).to_have_attribute("aria-current", "page")
    shot(page, "home")
    page.keyboard.press("?")  # the help overlay lists the shortcuts
    expect(page.locator("#desk-help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#desk-help")).to_be_hidden()
    page.keyboard.press("n")  # keyboard shortcut: next contact
    expect(page.locator("#desk-debtor-name")).to_contain_text("D1")
    expect(page.locator("#desk-number")).to_have_text("+86 139****0000")  # masked
    expect(page.locator("#desk-script")).to_have_attribute("data-mode", "standard")
    expect(page.locator("#pc-window")).to_contain_text("allowed now")
    expect(page.locator("#pc-local-time")).to_contain_text("18:00 (Asia/Shanghai)")
    unlabelled = page.evaluate(
        "[...document.querySelectorAll('#attempt-form input:not([type=hidden]), #attempt-form select,"
        " #attempt-form textarea')].filter(e => !e.labels || e.labels.length === 0).map(e => e.name)")
    assert unlabelled == []  # every field of the call form has a label
    page.locator("#desk-objections button[data-key='already_paid']").click()
    expect(page.locator("#objection-answer")).to_contain_text("transfer reference")
    page.locator("body").click(position={"x": 5, "y": 5})
    for key in ("1", "2", "3", "7"):
        page.keyboard.press(key)
    expect(page.locator("#elem-1")).to_be_checked()
    expect(page.locator("#elem-7")).to_be_checked()
    expect(page.locator("#elem-5")).not_to_be_checked()
    page.locator("#desk-outcome").select_option("promise_to_pay")
    page.locator("#desk-note").fill("客户承诺周五前还款")
    expect(page.locator("#note-clean")).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("p")
    expect(page.locator("#promise-amount")).to_be_focused()
    page.locator("#promise-amount").fill("500.00")
    page.locator("#promise-due-on").fill("2026-04-03")
    page.locator("#promise-channel").select_option("alipay")
    shot(page, "call")
    page.locator("#desk-save").click()
    expect(page.get_by_role("status")).to_have_text("Call saved.")
    expect(page.locator("#done-confirmation")).to_contain_text("CNY 500.00 by 2026-04-03")
    shot(page, "done")
    assert attempts_of(served["rt"], served["debtors"]["desk.rpc"].id) == 1
    page.context.close()


def test_a_third_party_contact_shows_the_no_disclosure_script(browser: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = login(browser, served, "desk.third", "/desk")
    page.locator("#desk-next").click()
    expect(page.locator("#desk-script")).to_have_attribute("data-mode", "third_party_no_disclosure")
    expect(page.locator("#desk-no-disclosure")).to_contain_text("disclose nothing")
    expect(page.locator("#desk-party")).to_have_text("third party")
    expect(page.locator("#desk-number")).to_have_text("+86 139****0001")  # the spouse's phone, masked
    expect(page.locator("#promise-form")).to_be_hidden()
    shot(page, "third_party")
    page.get_by_role("link", name="中文").click()  # switch language: the same lease, resumed, in Chinese
    page.locator("#desk-next").click()
    expect(page.locator("#desk-no-disclosure")).to_contain_text("不得透露")
    expect(page.locator("#desk-party")).to_have_text("第三方")
    shot(page, "third_party_zh")
    page.context.close()


def test_a_forbidden_contact_shows_why_and_when(browser: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = login(browser, served, "desk.night", "/desk")
    page.locator("#desk-next").click()
    expect(page.locator("#desk-blocked-title")).to_have_text("No contact is allowed right now")
    expect(page.locator("#desk-block-reasons tbody tr").first).to_be_visible()
    # 06:00 in New York: the house hours open at 09:00 local = 13:00 UTC = 21:00 in Shanghai (display zone)
    expect(page.locator("#desk-earliest")).to_contain_text("2026-03-31 21:00")
    expect(page.locator("#desk-block-reasons")).to_contain_text("house.hours")
    shot(page, "blocked")
    page.context.close()


def test_a_note_with_a_threat_is_flagged_before_it_is_saved(browser: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = login(browser, served, "desk.note", "/desk")
    page.locator("#desk-next").click()
    page.locator("#desk-outcome").select_option("right_party_reached")
    page.locator("#desk-note").press_sequentially(THREAT, delay=5)
    expect(page.locator("#note-flagged")).to_contain_text("LC-VISIT")
    d = served["debtors"]["desk.note"]
    assert attempts_of(served["rt"], d.id) == 0  # flagged while typing: nothing saved
    page.locator("#desk-save").click()
    expect(page.locator("#attempt-refused")).to_be_visible()
    assert attempts_of(served["rt"], d.id) == 0
    shot(page, "note_flagged")
    page.locator("#desk-note").fill("客户表示周五前还款")
    page.keyboard.press("Escape")  # leave the text field; then the shortcut saves the call
    page.keyboard.press("s")
    expect(page.get_by_role("status")).to_have_text("Call saved.")
    assert attempts_of(served["rt"], d.id) == 1
    page.context.close()


def test_the_team_lead_sees_the_team_and_a_collectors_day(browser: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = login(browser, served, "desk.lead", "/")
    page.get_by_role("link", name="Team", exact=True).click()
    row = page.locator(f"#collector-{served['people']['desk.rpc']}")
    expect(row).to_contain_text("Desk.Rpc")
    expect(row.locator("td").nth(1)).to_have_text("1")  # one call today
    expect(page.get_by_role("link", name="Reassign cases")).to_have_attribute("href", "/strategy/cases")
    shot(page, "team")
    row.get_by_role("link").first.click()
    expect(page.locator("#day-promises")).to_have_text("1")
    shot(page, "collector_day")
    page.goto(served["base"] + "/team?lang=zh-CN")
    expect(page.locator("h1")).to_have_text("团队")
    page.context.close()


def test_a_manager_edits_the_objection_library(browser: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    page = login(browser, served, "desk.manager", "/")
    page.goto(served["base"] + "/desk/library?lang=en")
    form = page.locator("#obj-busy form")
    form.locator("input[name=title_en]").fill("I'm busy right now")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#library-done")).to_contain_text("busy")
    expect(page.locator("#obj-busy-title")).to_contain_text("I'm busy right now")
    shot(page, "library")
    page.context.close()
