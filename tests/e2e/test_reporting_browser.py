"""The reporting dashboard in real headless Chromium: the ECharts charts draw (a canvas each).

Saves docs/screenshots/reporting_dashboard.png and reporting_rolls.png.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from arrears.core.access import SYSTEM, Role
from arrears.reporting import service
from arrears.runtime import Runtime
from arrears.users.principals import SESSION_COOKIE
from tests.authkit import make_team, make_user, session
from tests.conftest import missing
from tests.e2e.conftest import build_app
from tests.integration.reporting_seed import seed_weeks

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 20_000  # an upper bound for a chart to appear; never a speed assertion


class _Jar:
    """Catches the session cookie authkit.session would put on an HTTP client."""

    def __init__(self) -> None:
        self.cookies = self
        self.value = ""

    def set(self, name: str, value: str) -> None:
        assert name == SESSION_COOKIE
        self.value = value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The app on a livelier portfolio, served by uvicorn; yields (base URL, a manager's session cookie)."""
    import uvicorn

    app, _, _ = build_app(tmp_path_factory.mktemp("reporting-browser"), seed=False)
    rt: Runtime = app.state.runtime
    seed_weeks(rt)
    service.refresh(rt, SYSTEM, as_of=date(2026, 3, 31), start=date(2026, 2, 25))
    jar = _Jar()
    session(rt, jar, make_user(rt, Role.MANAGER, username="manager", team_id=make_team(rt, "Managers")))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, name="uvicorn-reporting", daemon=True)
    thread.start()
    for _ in range(600):  # up to 30 s to bind; a start-up guard, not a speed assertion
        if srv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not srv.started:
        srv.should_exit = True
        pytest.fail("uvicorn did not start")
    yield f"http://127.0.0.1:{port}", jar.value
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
def page(browser: Any, server: tuple[str, str]) -> Iterator[Any]:
    """A page logged in as a manager (session cookie), asking for English."""
    base, cookie = server
    context = browser.new_context(locale="en-US", viewport={"width": 1366, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": base}])
    p = context.new_page()
    yield p
    context.close()


def test_dashboard_draws_every_chart(page: Any, server: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + "/reports?from=2026-03-03&to=2026-03-30&lang=en")
    expect(page.locator("h1")).to_have_text("Reports")
    for chart in ("chart-trend", "chart-funnel", "chart-flows", "chart-league"):
        expect(page.locator(f'[data-chart="{chart}"] canvas')).to_have_count(1)
    expect(page.locator('#kpi-tiles [data-kpi="connect_rate"] .tile-value')).to_contain_text("%")
    expect(page.locator("#table-groups tbody tr")).to_have_count(3)  # North, South, East
    assert errors == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reporting_dashboard.png"), full_page=True)


def test_rolls_and_arms_pages_draw(page: Any, server: tuple[str, str]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    page.goto(base + "/reports/rolls?from=2025-10-01&to=2026-03-30&lang=zh-CN")
    expect(page.locator("h1")).to_have_text("迁移与回收")
    for chart in ("chart-rolls", "chart-flows", "chart-curves"):
        expect(page.locator(f'[data-chart="{chart}"] canvas')).to_have_count(1)
    expect(page.locator('#roll-table tbody tr[data-month="2026-02-01"]').first).to_contain_text("M1")
    page.screenshot(path=str(SCREENSHOTS / "reporting_rolls.png"), full_page=True)
    page.goto(base + "/reports/collectors?lang=en&from=2026-03-03&to=2026-03-30")
    expect(page.locator('[data-chart="chart-league"] canvas')).to_have_count(1)
    expect(page.locator("#league-table tbody tr")).to_have_count(9)
