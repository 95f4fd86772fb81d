"""The default scorecard (points, odds, reasons), bands, and reason-code ranking and labels."""

from __future__ import annotations

import numpy as np
import pytest

from arrears.core.errors import ConfigError
from arrears.strategy.scoring.features import FEATURES, INDEX
from arrears.strategy.scoring.rules import (
    FEATURE_REASON,
    REASONS,
    band_of,
    bands,
    default_scorecard,
    parse_scorecard,
    reason_label,
    top_reasons,
)


def row(**values: float) -> np.ndarray:
    """A feature row: a contactable, current account with a payment last month, then overrides."""
    x = np.zeros((1, len(FEATURES)))
    base = {"contactability": 2, "months_since_payment": 1, "log_balance": 3.5}
    for name, value in (base | values).items():
        x[0, INDEX[name]] = value
    return x


def test_best_account_by_hand() -> None:
    card = default_scorecard()
    x = row(dpd=0, months_since_payment=0, payments_90d=3, rpcs_30d=2, log_balance=2.5)
    total, _ = card.points(x)
    # 600 + dpd 60 + last payment 50 + recent payments 35 + promises 0 + contactable 0 + RPC 15 + balance 15
    assert total[0] == 775
    odds = 0.25 * 2 ** ((775 - 600) / 40)
    probs, reasons = card.score(x)
    assert probs[0] == pytest.approx(odds / (1 + odds))
    assert reasons == [[]]  # every characteristic in its best bin


def test_worst_account_reasons_by_gap() -> None:
    card = default_scorecard()
    x = row(dpd=400, months_since_payment=36, payments_90d=0, broken_promises=3, contactability=0,
            rpcs_30d=0, log_balance=6)
    total, _ = card.points(x)
    assert total[0] == 600 - 60 - 40 + 0 - 35 - 50 + 0 - 10  # 405
    _, reasons = card.score(x)
    # gaps: DPD 120, LAST_PAYMENT 90, CONTACTABILITY 50, RECENT_PAYMENTS 35, BROKEN 35, BALANCE 25, RPC 15
    assert reasons == [["DPD", "LAST_PAYMENT", "CONTACTABILITY"]]


@pytest.mark.parametrize(("dpd", "points"), [(0, 60), (1, 40), (30, 40), (31, 20), (60, 20), (61, 0),
                                              (90, 0), (91, -30), (180, -30), (181, -60)])
def test_dpd_bins_are_inclusive_upper_bounds(dpd: int, points: float) -> None:
    card = default_scorecard()
    line = next(c for c in card.characteristics if c.feature == "dpd")
    assert line.score(np.array([float(dpd)]))[0] == points


def test_scorecard_is_monotone_in_dpd() -> None:
    card = default_scorecard()
    probs = [card.score(row(dpd=d))[0][0] for d in (0, 15, 45, 75, 120, 365)]
    assert probs == sorted(probs, reverse=True)


@pytest.mark.parametrize(("p", "band"), [(0.95, "A"), (0.6, "A"), (0.5999, "B"), (0.4, "B"), (0.3, "C"),
                                          (0.25, "C"), (0.1, "D"), (0.0999, "E"), (0.0, "E")])
def test_bands(p: float, band: str) -> None:
    assert band_of(p) == band
    assert bands(np.array([p]))[0] == band


def test_top_reasons_merges_shared_codes_and_skips_positive() -> None:
    contributions = np.array([[-0.2, -0.3, 0.5, -0.1], [0.1, 0.2, 0.3, 0.0]])
    codes = ("DPD", "DPD", "BALANCE", "PRODUCT")
    assert top_reasons(contributions, codes) == [["DPD", "PRODUCT"], []]  # DPD: -0.5 together
    assert top_reasons(np.array([[-1.0, -3.0, -2.0]]), ("A", "B", "C"), limit=2) == [["B", "C"]]


def test_every_feature_has_a_reason_with_labels_in_both_languages() -> None:
    assert set(FEATURE_REASON) == set(FEATURES)
    assert set(FEATURE_REASON.values()) <= set(REASONS)
    for code, english in REASONS.items():
        assert reason_label(code, "en") == english
        chinese = reason_label(code, "zh-CN")
        assert chinese != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), code


def _card(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "t", "version": 1, "base_points": 600, "odds_at_base": 0.25, "points_to_double_odds": 40,
        "characteristics": [{"feature": "dpd", "reason": "DPD",
                             "bins": [{"max": 0, "points": 10}, {"points": -10}]}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(("changes", "message"), [
    ({"characteristics": [{"feature": "nope", "reason": "DPD", "bins": [{"points": 1}]}]}, "unknown feature"),
    ({"characteristics": [{"feature": "dpd", "reason": "NOPE", "bins": [{"points": 1}]}]}, "unknown reason"),
    ({"characteristics": [{"feature": "dpd", "reason": "DPD", "bins": [{"max": 1, "points": 1}]}]}, "open"),
    ({"characteristics": [{"feature": "dpd", "reason": "DPD",
                           "bins": [{"max": 5, "points": 1}, {"max": 2, "points": 1}, {"points": 0}]}]},
     "ascend"),
    ({"odds_at_base": 0}, "positive"),
    ({"base_points": None}, "scorecard"),
])
def test_bad_scorecards_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_scorecard(_card(**changes))


def test_a_small_custom_scorecard() -> None:
    card = parse_scorecard(_card())
    assert card.label == "scorecard-t-1"
    probs, reasons = card.score(np.vstack([row(dpd=0), row(dpd=5)]))
    assert probs[0] == pytest.approx(0.25 * 2 ** 0.25 / (1 + 0.25 * 2 ** 0.25))
    assert reasons == [[], ["DPD"]]


def test_reason_ties_break_by_column_and_match_a_plain_sort() -> None:
    from arrears.strategy.scoring.rules import reason_matrix

    rng = np.random.default_rng(4)
    c = rng.integers(-3, 2, (500, 7)).astype(float)  # many ties
    idx, names = reason_matrix(c, tuple("ABCDEFG"))
    expected = np.argsort(c, axis=1, kind="stable")[:, :3]
    expected = np.where(np.take_along_axis(c, expected, axis=1) < 0, expected, -1)
    assert (idx == expected).all() and names == tuple("ABCDEFG")
