"""In real headless Chromium: log in through /login, see the home page, htmx sends the CSRF token, log out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from arrears.core.access import Role
from tests.authkit import PASSWORD, make_user
from tests.e2e.conftest import Seeded, build_app
from tests.e2e.test_pages_browser import CHROMIUM_ARGS, WAIT_MS, browser, log_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded]]:
    """The seeded app served by uvicorn, with a manager 'wang' who has a password."""
    import socket
    import threading
    import time

    import uvicorn

    app, seeded, _ = build_app(tmp_path_factory.mktemp("users-browser"))
    assert seeded is not None
    make_user(app.state.runtime, Role.MANAGER, username="wang", password=PASSWORD,
              display_name="Manager Wang")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-users", daemon=True)
    thread.start()
    for _ in range(600):  # up to 30 s to bind: a start-up guard, not a speed assertion
        if srv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}", seeded
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 (the imported fixture)
    """A fresh English page with its own cookies (no session)."""
    context = browser.new_context(locale="en", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    p = context.new_page()
    yield p
    context.close()


def test_log_in_through_the_form_and_see_the_home_page(page: Any, server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    page.goto(base + "/debtors")
    expect(page).to_have_url(base + "/login?next=/debtors")
    expect(page.locator("h1")).to_have_text("Log in")
    page.locator("#login-username").fill("wang")
    page.locator("#login-password").fill("Not-the-password-1")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    expect(page.locator("#login-username")).to_have_value("wang")
    page.locator("#login-password").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page).to_have_url(base + "/debtors")  # back where the visitor wanted to go
    page.goto(base + "/")
    expect(page.locator("h1")).to_have_text("Portfolio overview")
    expect(page.locator(".user-menu .user-name")).to_have_text("Manager Wang")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["arrears_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("arrears_session") == -1  # not readable by scripts


def test_htmx_requests_carry_the_csrf_token_and_logout_ends_the_session(page: Any,
                                                                         server: tuple[str, Seeded]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    log_in(page, base, "wang", PASSWORD)
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    assert token
    page.goto(base + "/debtors")
    def htmx_search(request: Any) -> bool:
        return "/debtors?" in request.url and request.headers.get("hx-request") == "true"

    with page.expect_request(htmx_search) as sent:
        page.locator("#q").fill("张")
    assert sent.value.headers.get("x-csrf-token") == token
    page.locator(".logout-form button").click()
    expect(page).to_have_url(base + "/login")
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login")
