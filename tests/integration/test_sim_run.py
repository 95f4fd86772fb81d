"""A small simulation end to end on each backend: the real nightly run, work queue, attempts and payments."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from arrears.compliance.store import contact_attempts
from arrears.payments.store import promises
from arrears.portfolio.store import payments
from arrears.runtime import Runtime
from arrears.sim import engine, report
from arrears.sim.config import parse
from arrears.strategy import store as strategy_store

SH = ZoneInfo("Asia/Shanghai")


def test_small_simulation_end_to_end(runtime: Runtime, tmp_path: Path) -> None:
    cfg = parse(
        {
            "name": "small",
            "debtors": 100,
            "days": 5,
            "start": "2026-03-02",
            "collectors_per_arm": 1,
            "arms": [{"name": "default"}, {"name": "oldest", "ordering": "oldest_first"}],
        }
    )
    seen: list[tuple[int, int | None, str]] = []
    run = engine.run(
        cfg, tmp_path / "db", lambda d, t=None, label="": seen.append((d, t, label)), runtime=runtime
    )
    t = run.tally
    assert seen[-1][:2] == (5, 5)
    assert t.attempts > 150 and t.refused == 0
    with runtime.engine.connect() as conn:
        rows = conn.execute(
            select(
                contact_attempts.c.started_at,
                contact_attempts.c.collector_id,
                contact_attempts.c.violation,
                contact_attempts.c.source,
            )
        ).all()
        assert len(rows) == t.attempts
        assert not any(r.violation for r in rows)
        assert {r.source for r in rows} == {"arrears"}
        assert conn.execute(select(func.count()).select_from(promises)).scalar_one() == t.promises
        paid = conn.execute(
            select(func.count(), func.coalesce(func.sum(payments.c.amount_minor), 0))
            .select_from(payments)
            .where(payments.c.reference.like("SIM-%"))
        ).one()
        runs = conn.execute(select(strategy_store.batch_runs.c.status)).scalars().all()
    assert paid[0] == t.payments and int(paid[1]) == t.collected_minor
    assert runs == ["completed"] * 5
    per_day: Counter[tuple[int, object]] = Counter()
    for r in rows:
        local = r.started_at.astimezone(SH)
        assert local.weekday() < 5 and 9 <= local.hour < 18
        per_day[(r.collector_id, local.date())] += 1
    assert max(per_day.values()) <= 250
    assert len({c for c, _ in per_day}) == 2  # both arms' collectors worked

    built = report.build(run)
    assert [a.name for a in built.arms] == ["default", "oldest"]
    for arm in built.arms:
        assert arm.row is not None and arm.figures["attempts"] > 0
        assert arm.figures["rpc_rate"] is not None and 0 < arm.figures["rpc_rate"] < 1
        assert arm.violations == 0
    assert sum(a.figures["attempts"] or 0 for a in built.arms) == t.attempts
    assert [(v["arm"], v["baseline"]) for v in built.verdicts] == [("default", "oldest")]
    assert built.verdicts[0]["verdict"] in {"better", "worse", "no_difference", "not_enough_data"}
    assert built.verdicts[0]["no_violations"] is True
    paths = report.write(built, tmp_path / "out", "zh-CN")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert [a["arm"] for a in data["arms"]] == ["default", "oldest"]
    assert len(data["arms"][0]["daily"]) == 5
    html = paths["html"].read_text(encoding="utf-8")
    assert "资产组合模拟" in html and "echarts.min.js" in html and 'id="chart1"' in html
    assert (tmp_path / "out" / "echarts.min.js").stat().st_size > 100_000
    header = paths["csv"].read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:4] == ["arm", "ordering", "collectors", "debtors"] and "collected_per_hour" in header


def test_same_seed_same_run(tmp_path: Path) -> None:
    cfg = parse({"debtors": 40, "days": 2, "start": "2026-03-02"})
    outcomes = []
    for n in (1, 2):
        run = engine.run(cfg, tmp_path / f"db{n}")
        with run.runtime.engine.connect() as conn:
            outcomes.append(
                conn.execute(
                    select(
                        contact_attempts.c.debtor_id,
                        contact_attempts.c.started_at,
                        contact_attempts.c.call_outcome,
                    ).order_by(contact_attempts.c.id)
                ).all()
            )
        run.runtime.engine.dispose()
    assert outcomes[0] and outcomes[0] == outcomes[1]
