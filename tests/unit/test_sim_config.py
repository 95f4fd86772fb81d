"""The simulation file: defaults, and every error names its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from arrears.core.errors import InputRejected
from arrears.sim.config import Ordering, load, parse

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sim"


def test_defaults() -> None:
    cfg = parse({})
    assert cfg.debtors == 1000 and cfg.days == 30
    assert cfg.shift.attempts_per_day == 250
    assert [a.name for a in cfg.arms] == ["default"]


@pytest.mark.parametrize("name", ["default.yaml", "oldest-first.yaml", "largest-balance-first.yaml"])
def test_examples_load(name: str) -> None:
    cfg = load(EXAMPLES / name)
    assert cfg.debtors == 1000 and cfg.days == 30


def test_default_example_compares_the_strategy_with_both_baselines() -> None:
    cfg = load(EXAMPLES / "default.yaml")
    assert [a.ordering for a in cfg.arms] == [
        Ordering.DEFAULT,
        Ordering.OLDEST_FIRST,
        Ordering.LARGEST_BALANCE_FIRST,
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"debtors": 0}, "debtors"),
        ({"shift": {"start": "25:00"}}, "shift.start"),
        ({"shift": {"start": "18:00", "end": "09:00"}}, "shift"),
        ({"shift": {"weekdays": [7]}}, "shift.weekdays"),
        ({"arms": [{"name": "a"}, {"name": "a"}]}, "arms"),
        ({"arms": [{"name": "a", "ordering": "random"}]}, "arms.0.ordering"),
        ({"behaviour": {"answer_rate": 2}}, "behaviour.answer_rate"),
        ({"behaviour": {"answer_rat": 0.3}}, "behaviour.answer_rat"),
        ({"colectors_per_arm": 2}, "colectors_per_arm"),
    ],
)
def test_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InputRejected) as err:
        parse(data, "x.yaml")
    assert field in [p.field for p in err.value.problems]
    assert "x.yaml" in str(err.value)


def test_a_file_that_is_not_yaml_or_not_a_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("debtors: [1, 2\n", encoding="utf-8")
    with pytest.raises(InputRejected, match="not valid YAML"):
        load(bad)
    bad.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(InputRejected, match="mapping"):
        load(bad)
    with pytest.raises(InputRejected, match="cannot read"):
        load(tmp_path / "missing.yaml")
