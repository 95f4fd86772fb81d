"""Desk benchmark: the server time of each desk interaction on the demo portfolio (target <= 200 ms each).

Loads the demo portfolio (`arrears demo`: import, aging, demo users and allocation) into SQLite, queues a
call for each of collector.zh's cases, then plays the desk as collector.zh does it: open the desk, take the
next contact (pre-call panel included), open an objection's answer, the live note check, record the call
(every fourth with a promise), give back a lease; and the team lead's board and a collector's day. The time
is measured inside the ASGI app (the HTTP client's own time is not counted).

    python -m benchmarks.bench_desk                  # 5,000 demo debtors, 40 calls
    python -m benchmarks.bench_desk --quick          # 500 demo debtors, 10 calls
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from arrears import migrate
from arrears.core.clock import FixedClock
from arrears.db import make_engine
from arrears.portfolio.store import cases
from arrears.runtime import Runtime
from arrears.settings import Settings
from arrears.users.store import user_row
from arrears.worklist.model import PlannedWork, WorkKind
from arrears.worklist.planning import add_work
from benchmarks.common import Result

NOW = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: inside the contact window
TARGET_S = 0.200
Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


class Timed:
    """An ASGI wrapper that records the server time of every request under a label the caller sets."""

    def __init__(self, app: ASGI) -> None:
        self.app = app
        self.label = ""
        self.times: dict[str, list[float]] = defaultdict(list)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http" and self.label:
                self.times[self.label].append(time.perf_counter() - start)


def load(rt: Runtime, debtors: int) -> tuple[int, int, int]:
    """The demo portfolio and users, a due call per case of collector.zh: (collector id, cases, work)."""
    from arrears.portfolio.demo.service import load_demo
    from arrears.portfolio.demo.users import ensure_demo_users

    load_demo(rt, debtors=debtors, seed=20260331, as_of=NOW.date())
    ensure_demo_users(rt)
    with rt.engine.connect() as conn:
        collector = user_row(conn, username="collector.zh")
        assert collector is not None
        rows = conn.execute(select(cases.c.id, cases.c.debtor_id, cases.c.team_id)
                            .where(cases.c.collector_id == collector.id, cases.c.status == "open")).all()
    made = 0
    with rt.engine.begin() as conn:
        for i, r in enumerate(rows):
            item = PlannedWork(debtor_id=r.debtor_id, kind=WorkKind.CALL, due_at=NOW - timedelta(hours=1),
                               reason="bench call", source="bench", source_ref=str(r.id), case_id=r.id,
                               collector_id=int(collector.id), team_id=r.team_id,
                               priority=float(len(rows) - i))
            made += 1 if add_work(conn, item, NOW) is not None else 0
    return int(collector.id), len(rows), made


def login(http: TestClient, username: str) -> None:
    """Log in through the form; keep the session's CSRF token on the client."""
    form = http.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', form.text)
    assert token is not None
    http.post("/login", data={"username": username, "password": "arrears-demo-2026", "next": "/",
                              "login_csrf": token.group(1)})
    page = http.get("/desk" if username.startswith("collector") else "/team")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None, page.text[:500]
    http.headers["X-CSRF-Token"] = csrf.group(1)


def fields(html: str, **extra: object) -> dict[str, object]:
    """The attempt form's hidden fields plus what the collector fills in."""
    form = re.search(r'<form id="attempt-form".*?</form>', html, re.S)
    assert form is not None, html[:500]
    out: dict[str, object] = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                                             form.group(0)))
    out.update(extra)
    return out


def play(timed: Timed, http: TestClient, lead: TestClient, calls: int, clock: FixedClock,
         collector_id: int) -> int:
    """The collector's loop; returns how many calls were recorded."""
    hx = {"HX-Request": "true"}
    recorded = 0

    def as_(label: str) -> None:
        timed.label = label

    as_("open the desk")
    http.get("/desk?lang=zh-CN")
    for n in range(calls):
        clock.set(NOW + timedelta(minutes=3 * n))
        as_("next contact + pre-call panel")
        nxt = http.post("/desk/next", headers=hx)
        if 'id="attempt-form"' not in nxt.text:
            break
        as_("objection answer")
        http.get("/desk/objections/already_paid", headers=hx)
        as_("live note check")
        http.post("/desk/note-check", headers=hx, data={"note": "客户说下周发工资后还款，请求宽限几天"})
        if n % 10 == 9:
            lease = re.search(r"/desk/leases/(\d+)/release", nxt.text)
            assert lease is not None
            as_("give back a lease")
            http.post(f"/desk/leases/{lease.group(1)}/release", headers=hx)
            continue
        extra: dict[str, object] = {"outcome": "no_answer"}
        if n % 4 == 0:
            extra = {"outcome": "promise_to_pay", "elements": ["verify_identity", "opening", "arrangement"],
                     "note": "客户承诺周五还款", "promise_amount": "300.00", "promise_due_on": "2026-04-03",
                     "promise_channel": "alipay"}
        as_("record the call")
        done = http.post("/desk/attempts", headers=hx, data=fields(nxt.text, **extra))
        recorded += 1 if 'id="desk-done"' in done.text else 0
    as_("team board")
    for _ in range(5):
        lead.get("/team?lang=zh-CN")
    as_("a collector's day")
    for _ in range(5):
        lead.get(f"/team/collectors/{collector_id}")
    timed.label = ""
    return recorded


def warm_up(timed: Timed, http: TestClient, lead: TestClient) -> None:
    """The first request of each kind in a fresh process (templates compiled, catalogs and the language
    check's lexicons loaded, modules imported): timed under "cold start", not in the figures."""
    hx = {"HX-Request": "true"}
    timed.label = "cold start"
    http.get("/desk")
    nxt = http.post("/desk/next", headers=hx)
    http.post("/desk/note-check", headers=hx, data={"note": "预热"})
    http.get("/desk/objections/busy", headers=hx)
    lease = re.search(r"/desk/leases/(\d+)/release", nxt.text)
    if lease is not None:
        http.post(f"/desk/leases/{lease.group(1)}/release", headers=hx)
    lead.get("/team")
    timed.label = ""


def main(argv: list[str] | None = None) -> list[Result]:
    """Run the desk benchmark; one median and one max per interaction."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_desk")
    parser.add_argument("--debtors", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="500 debtors, 10 calls")
    args = parser.parse_args(argv)
    if args.quick:
        args.debtors, args.calls = 500, 10
    from arrears.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="arrears-bench-desk-") as tmp:
        settings = Settings(database_url="", var_dir=Path(tmp), environment="test")
        engine = make_engine(settings)
        migrate.upgrade(engine)
        clock = FixedClock(NOW)
        rt = Runtime(settings=settings, engine=engine, clock=clock)
        collector_id, n_cases, n_work = load(rt, args.debtors)
        engine.dispose()
        app = create_app(settings, clock)
        timed = Timed(app)
        with TestClient(timed) as http, TestClient(timed) as lead:  # type: ignore[arg-type]
            login(http, "collector.zh")
            login(lead, "lead.zh")
            warm_up(timed, http, lead)
            recorded = play(timed, http, lead, args.calls, clock, collector_id)
        app.state.runtime.engine.dispose()
    results: list[Result] = []
    note = f"SQLite, demo portfolio of {args.debtors:,} debtors, {n_cases:,} cases of collector.zh " \
           f"({n_work:,} queued), {recorded} calls recorded"
    cold = timed.times.pop("cold start", [])
    for label, times in timed.times.items():
        ms = [t * 1000 for t in times]
        worst = max(times)
        results.append(Result(f"desk: {label} (median)", round(statistics.median(ms), 1), "ms", "<= 200 ms",
                              statistics.median(times) <= TARGET_S, f"n={len(ms)}; {note}"))
        results.append(Result(f"desk: {label} (max)", round(max(ms), 1), "ms", "<= 200 ms", worst <= TARGET_S,
                              f"n={len(ms)}"))
    if cold:
        results.append(Result("desk: cold start, first requests of a fresh process (max)",
                              round(max(cold) * 1000, 1), "ms", "informational", None,
                              f"n={len(cold)}: first next contact, note check (lexicons), pages"))
    return results


if __name__ == "__main__":
    for r in main():
        print(f"{r.name}: {r.value:,.1f} {r.unit} (target {r.target}) {'' if r.passed is None else r.passed}"
              f"  {r.notes}")
