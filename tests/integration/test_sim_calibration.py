"""The default calibration at moderate size (400 debtors, three weeks, the strategy in force): the field
figures of the domain brief come out, within a margin for the sample (about 40 promises fall due here, so a
kept rate is known to about +/-8 points; the full 1,000 x 30 run of examples/sim/default.yaml is tighter).
Runs on the simulator's own SQLite file."""

from __future__ import annotations

import pytest

from arrears.sim import engine, report
from arrears.sim.calibration import FIELD_TARGETS
from arrears.sim.config import parse

#: widening of each field range for the sample size of this test (absolute, in the KPI's unit)
MARGIN = {"calls_per_recovery": 35.0, "recovered_per_account": 1500.0, "rpc_rate": 0.02, "kept_rate": 0.12}


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, float | None]:
    """One moderate run's KPIs for its single (default) arm."""
    cfg = parse(
        {"name": "calibration", "debtors": 400, "days": 19, "start": "2026-03-02", "collectors_per_arm": 1}
    )
    run = engine.run(cfg, tmp_path_factory.mktemp("calibration"))
    built = report.build(run)
    run.runtime.engine.dispose()
    assert run.tally.refused == 0
    return built.arms[0].figures


@pytest.mark.parametrize("target", FIELD_TARGETS, ids=[t.kpi for t in FIELD_TARGETS])
def test_field_figure_in_range(figures: dict[str, float | None], target: object) -> None:
    from arrears.sim.calibration import Target

    assert isinstance(target, Target)
    value = figures[target.kpi]
    assert value is not None, f"{target.kpi}: no value"
    margin = MARGIN[target.kpi]
    assert target.low - margin <= value <= target.high + margin, f"{target.label}: {value}"


def test_collectors_make_about_250_attempts_a_day(figures: dict[str, float | None]) -> None:
    attempts = figures["attempts"]
    assert attempts is not None
    workdays = 15  # 2026-03-02 .. 2026-03-20, Monday to Friday
    assert 200 * workdays <= attempts <= 250 * workdays
    assert figures["violations"] == 0
