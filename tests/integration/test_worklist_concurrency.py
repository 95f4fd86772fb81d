"""Many collectors asking `next` at the same moment never hold the same debtor (PostgreSQL SKIP LOCKED +
the lease primary key; SQLite serialised with BEGIN IMMEDIATE)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from arrears.core.access import Role
from arrears.core.clock import FixedClock
from arrears.runtime import Runtime
from arrears.worklist import service
from arrears.worklist.store import lease_log
from tests.authkit import make_team, make_user
from tests.integration.worklist_seed import debtor, work

MORNING = datetime(2026, 3, 31, 2, 0, tzinfo=UTC)
THREADS = 20


def test_twenty_collectors_at_once_never_share_a_debtor(runtime: Runtime) -> None:
    assert isinstance(runtime.clock, FixedClock)
    runtime.clock.set(MORNING)
    team = make_team(runtime)
    collectors = [make_user(runtime, Role.COLLECTOR, team_id=team) for _ in range(THREADS)]
    debtors = [debtor(runtime, n, team, None) for n in range(1, 16)]  # fewer debtors than collectors
    for i, d in enumerate(debtors):
        work(runtime, d, collector=None, team=team, priority=float(i))
        work(
            runtime, d, collector=collectors[i].user_id, team=team, priority=float(100 + i)
        )  # same debtor twice
    barrier = threading.Barrier(THREADS)
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def ask(principal: Any) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(2):  # the second `next` resumes the same lease
                answer = service.next_contact(runtime, principal)
                with lock:
                    answers.append({"who": principal.user_id, **answer})
        except BaseException as exc:  # noqa: BLE001 - reported below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=ask, args=(c,)) for c in collectors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    leased = [a for a in answers if a["status"] == "leased"]
    holders: dict[int, set[int]] = {}
    for a in leased:
        holders.setdefault(a["debtor"]["id"], set()).add(a["who"])
    assert all(len(who) == 1 for who in holders.values()), holders
    assert len(holders) == len(debtors)  # every debtor was handed out, each to exactly one collector
    with runtime.engine.connect() as conn:
        log = conn.execute(select(lease_log.c.debtor_id, lease_log.c.collector_id)).all()
    assert len(log) == len(debtors) and len({r.debtor_id for r in log}) == len(debtors)
