"""The pages in real headless Chromium (Debian's /usr/bin/chromium; Playwright never downloads a browser)."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arrears.core.access import Role
from tests.authkit import PASSWORD, make_user
from tests.conftest import missing
from tests.e2e.conftest import ID_NUMBERS, PHONES, XSS_NAME, Seeded, build_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 15_000  # generous upper bound for an element to appear; never a speed assertion
USER = "browser.manager"  # every page here is seen by a logged-in manager (sees every team)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    """The full app served by uvicorn in a background thread on a free 127.0.0.1 port."""
    import uvicorn

    app, seeded, _ = build_app(tmp_path_factory.mktemp("browser"))
    assert seeded is not None
    make_user(app.state.runtime, Role.MANAGER, username=USER, password=PASSWORD)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-test", daemon=True)
    thread.start()
    for _ in range(600):  # up to 30 s to bind; a start-up guard, not a speed assertion
        if srv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}", seeded
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system package."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        expect.set_options(timeout=WAIT_MS)
        yield b
        b.close()


def log_in(page: Any, base: str, username: str = USER, password: str = PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto(base + "/login")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(base + "/")


def _page(browser: Any, locale: str, base: str) -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    log_in(page, base)
    return page


@pytest.fixture
def page(browser: Any, server: tuple[str, Seeded]) -> Iterator[Any]:
    """A fresh page (own cookies) whose browser asks for Chinese, logged in through /login."""
    p = _page(browser, "zh-CN", server[0])
    yield p
    p.context.close()


def test_home_shows_the_bucket_table_and_figures(page: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.locator("h1")).to_have_text("资产组合概览")
    expect(page.locator("[data-kpi=debtors]")).to_have_text("5")
    expect(page.locator("[data-kpi=open_cases]")).to_have_text("4")
    rows = page.locator("#bucket-table tbody tr")
    expect(rows).to_have_count(8)
    expect(rows.nth(2)).to_contain_text("M2")
    expect(rows.nth(2)).to_contain_text("31–60")
    expect(rows.nth(2)).to_contain_text("CNY 10,734.56")
    expect(page.locator("#product-table")).to_contain_text("信用卡")
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"


def test_switching_language_and_back(page: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    page.goto(base + "/")
    expect(page.locator("h1")).to_have_text("资产组合概览")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Portfolio overview")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("#bucket-table thead")).to_contain_text("Days past due")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Debtors").click()
    expect(page.locator("h1")).to_have_text("Debtors")  # the choice sticks across pages
    page.get_by_role("link", name="中文").click()
    expect(page.locator("h1")).to_have_text("债务人")
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_debtor_list_filters_live_and_opens_a_debtor(page: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, seeded = server
    page.goto(base + "/debtors?lang=en")
    rows = page.locator("#debtor-table tbody tr")
    expect(rows).to_have_count(5)
    page.evaluate("window.__stillHere = true")  # survives only if htmx swaps instead of navigating
    page.get_by_label("Search").press_sequentially("张")
    expect(rows).to_have_count(1)
    expect(page.locator(".result-count")).to_have_text("Showing 1–1 of 1 debtors")
    expect(page).to_have_url(re.compile(r"/debtors\?q=%E5%BC%A0&sort=-dpd$"))  # empty filters dropped
    page.get_by_label("Search").fill("")
    expect(rows).to_have_count(5)
    page.get_by_label("Bucket").select_option("M4")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("深圳市前海某某贸易有限公司")
    page.get_by_label("Bucket").select_option("")
    page.get_by_label("Case status").select_option("open")
    expect(rows).to_have_count(2)
    assert page.evaluate("window.__stillHere") is True
    page.get_by_role("link", name="张*").click()
    expect(page.locator("h1")).to_contain_text("D-0001")
    assert page.url.endswith(f"/debtors/{seeded.zhang}")


def test_debtor_page_shows_masked_phones_only(page: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, seeded = server
    page.goto(f"{base}/debtors/{seeded.zhang}?lang=en")
    values = page.locator("#contact-table .contact-value")
    expect(values).to_have_count(3)
    assert values.all_inner_texts() == ["+86 138****5678", "z***@example.com", "+86 139****4321"]
    text = page.locator("body").inner_text()
    html = page.content()
    for secret in (*PHONES.values(), *ID_NUMBERS.values(), "13812345678", "13987654321", "张伟"):
        assert secret not in text and secret not in html, secret
    expect(page.locator("#local-time")).to_have_text("18:00")


def test_a_script_in_a_name_never_runs(page: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, seeded = server
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/debtors/{seeded.xss}?lang=en")
    expect(page.locator(".debtor-name")).to_have_text(XSS_NAME)
    page.goto(f"{base}/debtors?lang=en")
    expect(page.locator("#debtor-table")).to_contain_text(XSS_NAME)
    page.get_by_label("Search").fill("<script>")  # the search term comes back escaped, too
    expect(page.locator("#debtor-table tbody tr")).to_have_count(1)
    expect(page.get_by_label("Search")).to_have_value("<script>")
    page.reload()  # the pushed URL renders the same filtered page on the server
    expect(page.locator("#debtor-table tbody tr")).to_have_count(1)
    assert dialogs == []


def test_screenshots_of_the_main_pages(browser: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, seeded = server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p = _page(browser, "en", base)
    try:
        for name, url, ready in (("home", "/", "#bucket-table"), ("debtors", "/debtors", "#debtor-table"),
                                 ("debtor", f"/debtors/{seeded.zhang}", "#contact-table")):
            p.goto(base + url)
            expect(p.locator(ready)).to_be_visible()
            target = SCREENSHOTS / f"{name}.png"
            p.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000
    finally:
        p.context.close()


def test_landmarks_one_heading_and_labelled_controls(page: Any, server: tuple[str, Seeded]) -> None:
    base, seeded = server
    for url in ("/", "/debtors", f"/debtors/{seeded.zhang}", f"/debtors/{seeded.company}"):
        page.goto(base + url)
        for role in ("banner", "main", "contentinfo"):
            assert page.get_by_role(role).count() == 1, (url, role)
        assert page.get_by_role("navigation", name="主导航").count() == 1, url
        assert page.locator("h1").count() == 1, url
        unlabelled = page.evaluate(
            "[...document.querySelectorAll('input, select, textarea')]"
            ".filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))"
            ".map(e => e.name || e.id)"
        )
        assert unlabelled == [], (url, unlabelled)
        headless_tables = page.evaluate(
            "[...document.querySelectorAll('table')].filter(t => !t.querySelector('th')).length"
        )
        assert headless_tables == 0, url
