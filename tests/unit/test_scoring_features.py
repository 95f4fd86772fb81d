"""Feature building from raw per-account facts, and DPD reconstructed from bucket history."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from arrears.strategy.scoring.features import (
    FEATURES,
    INDEX,
    RawData,
    build_matrix,
    cycles_past_due,
    months_between,
    reconstruct_dpd,
)

DAY = date(2026, 3, 31).toordinal()


def raw(n: int = 2, **overrides: object) -> RawData:
    i = np.arange(n, dtype=np.int64)
    base: dict[str, object] = dict(
        account_id=i + 1, debtor_id=i + 1, product=np.array(["credit_card", "business_receivable"][:n]),
        is_company=np.array([0, 1][:n]), dpd=np.array([0, 45][:n]),
        balance_minor=np.array([99_900.0, 0.0][:n]), open_day=np.array([DAY - 400, -1][:n]),
        last_paid_day=np.array([DAY - 40, -1][:n]), payments_90d=np.array([2, 0][:n]),
        paid_90d_minor=np.array([99_900.0, 0.0][:n]), payments_total=np.array([50, 0][:n]),
        broken_promises=np.array([0, 2][:n]), contactability=np.array(["contactable", "lost"][:n]),
        attempts_30d=np.array([100, 3][:n]), rpcs_30d=np.array([1, 0][:n]), episodes=np.array([1, 30][:n]),
        as_of_day=DAY,
    )
    base.update(overrides)
    return RawData(**base)  # type: ignore[arg-type]


def test_build_matrix_values() -> None:
    x = build_matrix(raw())
    assert x.shape == (2, len(FEATURES))
    first, second = x
    assert first[INDEX["dpd"]] == 0 and second[INDEX["dpd"]] == 45
    assert second[INDEX["cycles_past_due"]] == 2
    assert first[INDEX["log_balance"]] == pytest.approx(3.0)  # 999 yuan -> log10(1000)
    assert first[INDEX["product_credit_card"]] == 1 and first[INDEX["product_business_receivable"]] == 0
    assert second[INDEX["product_business_receivable"]] == 1 and second[INDEX["is_company"]] == 1
    assert first[INDEX["payments_total"]] == 36  # capped
    assert first[INDEX["months_since_payment"]] == 1  # 40 days
    assert second[INDEX["months_since_payment"]] == 36  # never paid
    assert first[INDEX["contactability"]] == 2 and second[INDEX["contactability"]] == 0
    assert first[INDEX["attempts_30d"]] == 60  # capped
    assert first[INDEX["months_on_book"]] == 13 and second[INDEX["months_on_book"]] == 0  # unknown open
    assert second[INDEX["delinquency_episodes"]] == 12  # capped
    assert second[INDEX["broken_promises"]] == 2


def test_build_matrix_on_no_rows() -> None:
    empty = {k: np.zeros(0, dtype=np.int64) for k in (
        "account_id", "debtor_id", "is_company", "dpd", "open_day", "last_paid_day", "payments_90d",
        "payments_total", "broken_promises", "attempts_30d", "rpcs_30d", "episodes")}
    data = RawData(**empty, product=np.array([], dtype=str), balance_minor=np.zeros(0),  # type: ignore[arg-type]
                   paid_90d_minor=np.zeros(0), contactability=np.array([], dtype=str), as_of_day=DAY)
    assert build_matrix(data).shape == (0, len(FEATURES))


@pytest.mark.parametrize(("dpd", "cycles"), [(0, 0), (1, 1), (30, 1), (31, 2), (180, 6), (181, 7), (900, 7)])
def test_cycles_past_due(dpd: int, cycles: int) -> None:
    assert cycles_past_due(np.array([dpd]))[0] == cycles


def test_months_between() -> None:
    out = months_between(DAY, np.array([DAY, DAY - 31, DAY - 400, -1, DAY + 5]), 36.0, 12.0)
    assert out.tolist() == [0.0, 1.0, 12.0, 36.0, 0.0]


def test_reconstruct_dpd_cases() -> None:
    t = DAY - 60
    entered = np.array([t - 10, t - 5, -1, -1, -1])  # covering rows for the first two
    entered_dpd = np.array([31, 0, 0, 0, 0])
    entered_current = np.array([0, 1, 0, 0, 0])
    first_day = np.array([t - 10, t - 5, t + 20, t + 20, -1])
    first_dpd = np.array([31, 0, 50, 10, 0])
    out = reconstruct_dpd(t, entered, entered_dpd, entered_current, first_day, first_dpd)
    # 31 + 10 days later; an M0 row: current; before history: 50 - 20 = 30 back; 10 - 20 < 0: 0; unknown
    assert out.tolist() == [41, 0, 30, 0, -1]
