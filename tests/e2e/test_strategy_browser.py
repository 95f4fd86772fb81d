"""The strategy pages in headless Chromium: check a file (htmx), store and activate it, reassign a case."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from arrears.core.access import Role
from arrears.portfolio.store import cases
from arrears.strategy.treatments import DEFAULT_FILE
from tests.authkit import PASSWORD, make_team, make_user
from tests.e2e.conftest import PHONES, Seeded, build_app
from tests.e2e.test_pages_browser import browser, log_in  # noqa: F401  (the shared browser fixture)

pytestmark = pytest.mark.browser
TEXT = DEFAULT_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded, Any]]:
    """The app served by uvicorn, with an analyst, and a team lead whose team holds Zhang's case."""
    import socket
    import threading
    import time

    import uvicorn

    app, seeded, _ = build_app(tmp_path_factory.mktemp("strategy_browser"))
    assert seeded is not None
    rt = app.state.runtime
    team = make_team(rt, "催收一组 Team A (zh-CN)")
    make_user(rt, Role.STRATEGY_ANALYST, username="browser.analyst", password=PASSWORD)
    make_user(rt, Role.TEAM_LEAD, username="browser.lead", password=PASSWORD, team_id=team)
    make_user(rt, Role.COLLECTOR, username="li.browser", team_id=team)
    with rt.engine.begin() as conn:
        conn.execute(update(cases).where(cases.c.debtor_id == seeded.zhang).values(team_id=team))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(600):  # a start-up guard, not a speed assertion
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", seeded, rt
    srv.should_exit = True
    thread.join(timeout=30)


def test_check_store_and_activate_a_treatment_file(site: tuple[str, Seeded, Any], browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    base, _, _ = site
    page = browser.new_page()
    log_in(page, base, "browser.analyst")
    page.goto(base + "/strategy?lang=en")
    expect(page.locator("h1")).to_have_text("Strategy")
    page.locator("#yaml-text").fill(TEXT.replace("percent: 20,", "percent: 25,"))
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#validation-problems")).to_contain_text("105%, not 100%")
    page.locator("#yaml-text").fill(TEXT)
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#validation")).to_contain_text("The file is valid")
    page.locator("#upload-reason").fill("first version from the browser")
    page.locator("input[name=activate]").check()
    page.get_by_role("button", name="Store").click()
    expect(page.locator("#strategy-done")).to_contain_text("default@2026.1")
    expect(page.locator("#in-force-label")).to_have_text("default@2026.1")
    expect(page.locator("#experiments-table")).to_contain_text("early-sms-first")
    page.close()


def test_team_lead_reassigns_on_the_cases_page(site: tuple[str, Seeded, Any], browser: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    base, seeded, rt = site
    with rt.engine.connect() as conn:
        case_id = conn.execute(select(cases.c.id).where(cases.c.debtor_id == seeded.zhang)).scalar_one()
    page = browser.new_page()
    log_in(page, base, "browser.lead")
    page.goto(base + "/strategy/cases?lang=zh-CN")
    expect(page.locator("h1")).to_contain_text("分案")
    row = page.locator(f"#case-{case_id}")
    assert PHONES["zhang_self"] not in page.content()
    row.locator("select[name=to]").select_option(label="Li.Browser")
    row.locator("input[name=reason]").fill("续催同一催收员")
    row.get_by_role("button", name="重新分配").click()
    expect(page.locator("#reassign-done")).to_contain_text(str(case_id))
    expect(page.locator(f"#case-{case_id}")).to_contain_text("Li.Browser")
    page.close()
