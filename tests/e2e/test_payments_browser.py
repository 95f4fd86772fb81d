"""The money page and the approvals inbox in real headless Chromium (/usr/bin/chromium)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from arrears.core.access import SYSTEM, Role
from arrears.core.money import Money
from arrears.payments import arrangements, service
from tests.authkit import PASSWORD, make_user
from tests.conftest import missing
from tests.e2e.conftest import build_app
from tests.e2e.test_pages_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, _free_port
from tests.integration.payments_seed import account, desk

pytestmark = pytest.mark.browser
LEAD = "browser.lead"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app on uvicorn with an account that has a payment and a waiver waiting for the team lead."""
    import uvicorn

    app, _, _ = build_app(tmp_path_factory.mktemp("payments-browser"), seed=False)
    rt = app.state.runtime
    d = desk(rt)
    make_user(rt, Role.TEAM_LEAD, username=LEAD, password=PASSWORD, team_id=d.team)
    a = account(rt, 1, d.team, d.collector.user_id)
    service.post_payment(rt, SYSTEM, account_external_id=a.external_id, reference="WEB-1",
                         amount=Money.of("600", "CNY"), paid_on=date(2026, 3, 30), channel="wechat_pay")
    waiver = arrangements.request_waiver(rt, d.collector, account_external_id=a.external_id,
                                         amount=Money.of("1000", "CNY"), reason="complaint upheld")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-payments", daemon=True)
    thread.start()
    for _ in range(600):  # start-up guard, not a speed assertion
        if srv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        pytest.fail("uvicorn did not start")
    yield {"base": f"http://127.0.0.1:{port}", "account": a, "waiver": waiver}
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


@pytest.fixture
def page(browser: Any, served: dict[str, Any]) -> Iterator[Any]:
    """A team lead logged in through the login form, browsing in English."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    p = context.new_page()
    base = served["base"]
    p.goto(base + "/login?lang=en")
    p.locator("#login-username").fill(LEAD)
    p.locator("#login-password").fill(PASSWORD)
    p.locator("form[action='/login'] button[type=submit]").click()
    p.wait_for_url(base + "/")
    yield p
    context.close()


def test_money_page_balance_as_of_a_date(page: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    ext = served["account"].external_id
    page.goto(f"{served['base']}/accounts/{ext}/money?lang=en")
    expect(page.locator("#money-owed")).to_have_text("CNY 4,400.00")
    expect(page.locator("#money-ledger tbody tr")).to_have_count(2)
    page.locator("#money-as-of").fill("2026-03-29")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#money-owed")).to_have_text("CNY 5,000.00")
    page.get_by_role("link", name="Account statement").click()
    expect(page.locator("#doc-text-en")).to_contain_text("as of 2026-03-29")
    expect(page.locator("#doc-text-zh")).to_contain_text("账户对账单")


def test_deciding_a_waiver_from_the_inbox(page: Any, served: dict[str, Any]) -> None:
    from playwright.sync_api import expect

    approval = served["waiver"]["approval_id"]
    page.goto(f"{served['base']}/approvals?lang=en")
    page.get_by_role("link", name="Approvals").first.wait_for()
    row = page.locator(f"#approval-{approval}")
    expect(row).to_contain_text("complaint upheld")
    row.locator("input[name=reason]").fill("upheld after review")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_have_text("Decision recorded.")
    expect(page.locator(f"#approval-{approval}")).to_have_count(0)
    page.goto(f"{served['base']}/accounts/{served['account'].external_id}/money?lang=en")
    expect(page.locator("#money-owed")).to_have_text("CNY 3,400.00")
