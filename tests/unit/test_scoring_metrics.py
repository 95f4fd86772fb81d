"""AUC, KS, Brier and the reliability table against small cases worked by hand (and scikit-learn)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from arrears.strategy.scoring.model import auc, brier, ks, reliability


def test_auc_perfect_inverted_and_ties() -> None:
    y = np.array([0, 0, 1, 1])
    assert auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert auc(y, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5  # ties count half


def test_auc_by_hand() -> None:
    # pairs (pos, neg): 0.4>0.1 yes, 0.4>0.35 yes, 0.4>0.8 no; 0.9 beats all three -> 5 of 6
    y = np.array([0, 0, 1, 0, 1])
    p = np.array([0.1, 0.35, 0.4, 0.8, 0.9])
    assert auc(y, p) == pytest.approx(5 / 6)


def test_auc_matches_sklearn_on_random_data() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 500)
    p = np.round(rng.random(500), 2)  # with ties
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p))


def test_auc_and_ks_need_both_classes() -> None:
    assert math.isnan(auc(np.array([1, 1]), np.array([0.2, 0.3])))
    assert math.isnan(ks(np.array([0, 0]), np.array([0.2, 0.3])))


def test_ks_by_hand() -> None:
    # payers at 0.6, 0.8; non-payers at 0.2, 0.7. CDFs at 0.2: 0 vs .5; 0.6: .5 vs .5; 0.7: .5 vs 1
    y = np.array([1, 1, 0, 0])
    p = np.array([0.6, 0.8, 0.2, 0.7])
    assert ks(y, p) == pytest.approx(0.5)
    assert ks(np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.2, 0.1])) == 1.0  # fully separated
    assert ks(np.array([1, 0]), np.array([0.5, 0.5])) == 0.0


def test_brier() -> None:
    y = np.array([1, 0, 1])
    p = np.array([0.8, 0.3, 0.5])
    assert brier(y, p) == pytest.approx((0.04 + 0.09 + 0.25) / 3)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p))


def test_reliability_by_decile() -> None:
    p = np.arange(20) / 20  # 0.00 .. 0.95
    y = (np.arange(20) >= 10).astype(int)
    table = reliability(y, p)
    assert len(table) == 10 and all(r["count"] == 2 for r in table)
    assert table[0] == {"decile": 1, "count": 2, "predicted": pytest.approx(0.025), "observed": 0.0}
    assert table[9]["observed"] == 1.0 and table[9]["predicted"] == pytest.approx(0.925)
    assert reliability(np.array([]), np.array([])) == []
