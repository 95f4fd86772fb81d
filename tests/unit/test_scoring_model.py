"""Training on a synthetic history with a planted signal, explanations, storage integrity, refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from arrears.strategy.scoring import trees
from arrears.strategy.scoring.features import FEATURES, INDEX
from arrears.strategy.scoring.model import ModelIntegrityError, TrainedModel, dump, load
from arrears.strategy.scoring.rules import FEATURE_REASON, top_reasons
from arrears.strategy.scoring.train import (
    MIN_EXAMPLES,
    InsufficientHistory,
    TrainingSet,
    check_sufficient,
    fit,
    split_accounts,
)

Models = dict[str, tuple[TrainedModel, dict[str, Any]]]


def planted(n: int = 3000, seed: int = 3) -> TrainingSet:
    """Payment chance driven by DPD (down), recent payments (up) and contactability (up); rest noise."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(FEATURES)))
    x[:, INDEX["dpd"]] = rng.integers(0, 200, n)
    x[:, INDEX["payments_90d"]] = rng.integers(0, 4, n)
    x[:, INDEX["contactability"]] = rng.integers(0, 3, n)
    logit = (-0.02 * x[:, INDEX["dpd"]] + 0.9 * x[:, INDEX["payments_90d"]]
             + 0.6 * x[:, INDEX["contactability"]] - 1.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return TrainingSet(x, y, np.arange(n, dtype=np.int64) // 2 + 1)  # two snapshots per account


@pytest.fixture(scope="module")
def history() -> TrainingSet:
    return planted()


@pytest.fixture(scope="module")
def models(history: TrainingSet) -> dict[str, tuple[TrainedModel, dict[str, Any]]]:
    """Each kind fitted once for the module."""
    return {kind: fit(history, kind) for kind in ("hist_gradient_boosting", "additive", "logistic")}


@pytest.mark.parametrize("kind", ["hist_gradient_boosting", "additive", "logistic"])
def test_planted_signal_is_learned(history: TrainingSet, models: Models, kind: str) -> None:
    model, metrics = models[kind]
    assert metrics["auc"] > 0.75 and metrics["ks"] > 0.35
    assert 0 < metrics["brier"] < 0.25
    assert metrics["holdout_rows"] + metrics["fit_rows"] + metrics["calibration_rows"] == len(history.y)
    # calibrated: the mean prediction is close to the holdout's payment rate
    table = metrics["reliability"]
    predicted = sum(r["predicted"] * r["count"] for r in table) / sum(r["count"] for r in table)
    assert abs(predicted - metrics["holdout_positive_rate"]) < 0.05


@pytest.mark.parametrize("kind", ["hist_gradient_boosting", "additive", "logistic"])
def test_reason_codes_point_at_the_planted_factors(history: TrainingSet, models: Models, kind: str) -> None:
    model, _ = models[kind]
    bad = np.median(history.x, axis=0)[None, :].copy()
    bad[0, INDEX["dpd"]], bad[0, INDEX["payments_90d"]], bad[0, INDEX["contactability"]] = 199, 0, 0
    reasons = top_reasons(model.contributions(bad), tuple(FEATURE_REASON[f] for f in FEATURES))[0]
    assert set(reasons[:2]) <= {"DPD", "RECENT_PAYMENTS", "CONTACTABILITY"} and reasons
    good = bad.copy()
    good[0, INDEX["dpd"]], good[0, INDEX["payments_90d"]], good[0, INDEX["contactability"]] = 0, 3, 2
    assert model.predict(good)[0] > model.predict(bad)[0] + 0.3


def test_tree_contributions_add_up_to_the_log_odds(history: TrainingSet, models: Models) -> None:
    model, _ = models["hist_gradient_boosting"]
    tables = trees.path_tables(model.base)
    x = history.x[:300]
    c = trees.contributions(tables, x)
    assert np.allclose(c.sum(axis=1) + tables.offset, model.log_odds(x))
    walked = np.column_stack([trees._walk(tables, x, int(r)) for r in tables.roots])
    assert (trees.leaves(tables, x) == walked).all()  # the pattern lookup agrees with a plain walk


def test_linear_contributions_are_exact(history: TrainingSet, models: Models) -> None:
    for kind in ("logistic", "additive"):
        model, _ = models[kind]
        x = history.x[:50]
        diff = model.log_odds(x) - model.log_odds(model.reference[None, :])
        assert np.allclose(model.contributions(x).sum(axis=1), diff)


def test_dump_and_load_verify_the_checksum(history: TrainingSet, models: Models) -> None:
    model, _ = models["logistic"]
    payload, checksum = dump(model)
    again = load(payload, checksum, FEATURES)
    assert np.allclose(again.predict(history.x[:10]), model.predict(history.x[:10]))
    with pytest.raises(ModelIntegrityError, match="checksum"):
        load(payload[:-1] + bytes([payload[-1] ^ 1]), checksum, FEATURES)
    with pytest.raises(ModelIntegrityError, match="features"):
        load(payload, checksum, FEATURES[:-1])


def test_too_little_history_is_refused() -> None:
    small = planted(MIN_EXAMPLES - 1)
    with pytest.raises(InsufficientHistory, match="too little history") as caught:
        fit(small)
    assert caught.value.problems[0].field == "history"
    few_payers = planted(2000)
    few_payers.y[:] = 0
    few_payers.y[:40] = 1
    with pytest.raises(InsufficientHistory, match="40 payers"):
        check_sufficient(few_payers)


def test_unknown_kind_is_refused(history: TrainingSet) -> None:
    from arrears.core.errors import InputRejected

    with pytest.raises(InputRejected, match="unknown model kind"):
        fit(history, "random_forest")


def test_split_keeps_an_accounts_rows_together() -> None:
    ids = np.repeat(np.arange(1, 2001), 3)
    fit_m, cal_m, hold_m = split_accounts(ids)
    assert ((fit_m.astype(int) + cal_m + hold_m) == 1).all()
    for mask in (fit_m, cal_m, hold_m):
        inside = set(ids[mask].tolist())
        assert not inside & set(ids[~mask].tolist())
    assert 0.2 < hold_m.mean() < 0.3 and 0.1 < cal_m.mean() < 0.2


def test_the_training_sample_is_independent_of_the_split() -> None:
    from arrears.strategy.scoring.train import SAMPLE_MULTIPLIER, _unit_hash, sample_fraction

    assert sample_fraction(1_000_000, 6) == pytest.approx(0.1)
    assert sample_fraction(1_000, 6) == 1.0
    ids = np.arange(1, 200_001)
    sampled = ids[_unit_hash(ids, SAMPLE_MULTIPLIER) < 0.1]
    _, _, hold = split_accounts(sampled)
    assert 0.2 < hold.mean() < 0.3  # the holdout keeps its share inside the sample


@pytest.mark.parametrize("kind", ["hist_gradient_boosting", "additive", "logistic"])
def test_explain_gives_the_same_probabilities_in_one_pass(history: TrainingSet, models: Models,
                                                          kind: str) -> None:
    model, _ = models[kind]
    x = history.x[:400]
    probs, contributions = model.explain(x)
    assert np.allclose(probs, model.predict(x), atol=1e-9)
    assert np.allclose(contributions, model.contributions(x))
