"""In real headless Chromium: hostile texts never run as script, and the unmask form works with htmx."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from arrears.users.principals import SESSION_COOKIE
from tests.conftest import missing
from tests.e2e.conftest import PHONES
from tests.e2e.security_app import HOSTILE, HostileApp, build_hostile_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_MS = 15_000  # an upper bound for an element to appear; never a speed assertion


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, HostileApp]]:
    """The hostile app served by uvicorn in a background thread."""
    import uvicorn

    hostile = build_hostile_app(Path(tmp_path_factory.mktemp("xss-browser")))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(hostile.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-security", daemon=True)
    thread.start()
    for _ in range(600):  # up to 30 s to bind: a start-up guard, not a speed assertion
        if srv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}", hostile
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


@pytest.fixture
def page(browser: Any, server: tuple[str, HostileApp]) -> Iterator[Any]:
    """A page logged in as the administrator (session cookie), in English."""
    base, hostile = server
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    context.add_cookies([{"name": SESSION_COOKIE, "value": hostile.admin_cookie, "url": base}])
    p = context.new_page()
    yield p
    context.close()


def test_no_dialog_fires_on_pages_showing_hostile_texts(page: Any, server: tuple[str, HostileApp]) -> None:
    from playwright.sync_api import expect

    base, hostile = server
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/debtors/{hostile.company}?lang=en")
    expect(page.locator(".debtor-name")).to_have_text(HOSTILE)
    page.goto(f"{base}/debtors/{hostile.person}")
    expect(page.locator("body")).to_contain_text("onerror=alert(2)")
    page.goto(f"{base}/debtors")
    page.get_by_label("Search").fill("img src")  # htmx swaps in the two debtors with hostile names
    expect(page.locator("#debtor-table tbody tr")).to_have_count(2)
    expect(page.locator("#debtor-table")).to_contain_text(HOSTILE)
    page.goto(f"{base}/audit")
    expect(page.locator("#audit-table")).to_contain_text("<script>alert(1)</script>")
    expect(page.locator("#chain-status")).to_contain_text("Chain intact")
    assert dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_unmask_through_the_debtor_page(page: Any, server: tuple[str, HostileApp]) -> None:
    from playwright.sync_api import expect

    base, hostile = server
    zhang = hostile.seeded.zhang
    page.goto(f"{base}/debtors/{zhang}")
    assert PHONES["zhang_self"] not in page.content()
    page.locator("#unmask summary").click()
    page.get_by_label("Reason for unmasking").fill("too short")
    page.locator("#unmask-submit").click()
    assert PHONES["zhang_self"] not in page.content()  # the browser refuses: minlength 10
    page.get_by_label("Reason for unmasking").fill("debtor asked to confirm the number on file")
    page.locator("#unmask-submit").click()
    expect(page.locator("#unmasked-values")).to_contain_text(PHONES["zhang_self"])
    expect(page.locator("#unmask-result")).to_contain_text("Recorded in the audit trail")
    page.goto(f"{base}/audit?action=pii.unmask")
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    expect(page.locator("#audit-table")).to_contain_text("debtor asked to confirm the number on file")
