"""Training on a planted history, activation and rollback, refusals, scoring with the model in force."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from arrears.core.access import SYSTEM, Role
from arrears.core.errors import Conflict, Forbidden, NotFound
from arrears.runtime import Runtime
from arrears.strategy.scoring import service
from arrears.strategy.scoring.jobs import score_portfolio
from arrears.strategy.scoring.store import account_scores, model_versions
from arrears.strategy.scoring.train import InsufficientHistory
from arrears.users.store import audit_log
from tests.authkit import make_user
from tests.integration import scoring_seed as seed

AS_OF = date(2026, 3, 31)


@pytest.fixture
def groups(runtime: Runtime) -> dict[str, list[int]]:
    with runtime.engine.begin() as conn:
        return seed.planted_history(conn, AS_OF, n_accounts=240)


def _scores(runtime: Runtime) -> dict[int, tuple[float, str, list[str], str]]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(account_scores)).all()
    return {r.account_id: (r.probability, r.band, r.reasons, r.model_version) for r in rows}


def _actions(runtime: Runtime) -> list[str]:
    with runtime.engine.connect() as conn:
        return [a for (a,) in conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq))]


def test_train_activate_and_score(runtime: Runtime, groups: dict[str, list[int]]) -> None:
    result = service.train_model(runtime, SYSTEM, AS_OF, activate=True)
    assert result.activated and result.version == 1 and not result.warnings
    m = result.metrics
    assert m["auc"] > 0.85, m  # the planted signal is found on accounts never seen in training
    assert m["examples"] >= 500 and len(m["reliability"]) == 10 and m["ks"] > 0.5
    assert m["snapshots"][-1] == (AS_OF - timedelta(days=30)).isoformat()
    assert _actions(runtime) == ["model.train", "model.activate"]
    summary = service.score_all(runtime, SYSTEM, AS_OF)
    assert summary.model_version == "model-1" and summary.scored == 240 and summary.warning is None
    scores = _scores(runtime)
    payers = [scores[a][0] for a in groups["payers"]]
    strugglers = [scores[a][0] for a in groups["strugglers"]]
    assert sum(payers) / len(payers) > sum(strugglers) / len(strugglers) + 0.3
    assert all(0 <= p <= 1 for p in payers + strugglers)
    reasons = [code for a in groups["strugglers"] for code in scores[a][2]]
    assert {"LAST_PAYMENT", "RECENT_PAYMENTS", "DPD", "PAYMENT_HISTORY"} & set(reasons)
    one = service.account_score(runtime, SYSTEM, _external(runtime, groups["strugglers"][0]), "zh-CN")
    assert one.stored and one.model_version == "model-1" and one.band in "ABCDE"
    assert all(r["label"] != r["label_en"] for r in one.reasons)  # Chinese labels
    models = service.list_models(runtime, SYSTEM)
    assert [(x.version, x.status) for x in models] == [(1, "active")]


def _external(runtime: Runtime, account_id: int) -> str:
    from arrears.portfolio.store import accounts

    with runtime.engine.connect() as conn:
        found = conn.execute(select(accounts.c.external_id).where(accounts.c.id == account_id))
        return str(found.scalar_one())


def test_too_little_history_keeps_the_model_in_force(runtime: Runtime, groups: dict[str, list[int]]) -> None:
    service.train_model(runtime, SYSTEM, AS_OF, activate=True)
    with pytest.raises(InsufficientHistory, match="too little history"):
        service.train_model(runtime, SYSTEM, AS_OF - timedelta(days=900), activate=True)  # before any account
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(model_versions.c.version, model_versions.c.status)).all()
    assert [tuple(r) for r in rows] == [(1, "active")]  # nothing stored, version 1 still in force
    assert _actions(runtime) == ["model.train", "model.activate"]


def test_an_empty_portfolio_scores_with_the_scorecard(runtime: Runtime) -> None:
    with pytest.raises(InsufficientHistory):
        service.train_model(runtime, SYSTEM, AS_OF)
    with runtime.engine.begin() as conn:
        d = seed.debtor(conn)
        seed.account(conn, d, dpd=10)
        seed.account(conn, d, dpd=10, status="closed")  # closed accounts are not scored
        summary = score_portfolio(conn, AS_OF, runtime.clock.now())
    assert summary.model_version == "scorecard-default-1" and summary.scored == 1


def test_activate_rollback_and_scorecard(runtime: Runtime, groups: dict[str, list[int]]) -> None:
    service.train_model(runtime, SYSTEM, AS_OF, activate=True)
    second = service.train_model(runtime, SYSTEM, AS_OF, kind="logistic")
    assert not second.activated and second.version == 2
    assert service.activate_model(runtime, SYSTEM, 2).status == "active"  # type: ignore[union-attr]
    statuses = {m.version: m.status for m in service.list_models(runtime, SYSTEM)}
    assert statuses == {1: "retired", 2: "active"}
    service.activate_model(runtime, SYSTEM, 1)  # rollback
    assert {m.version: m.status for m in service.list_models(runtime, SYSTEM)} == {1: "active", 2: "retired"}
    with pytest.raises(Conflict):
        service.activate_model(runtime, SYSTEM, 1)
    with pytest.raises(NotFound):
        service.activate_model(runtime, SYSTEM, 42)
    assert service.activate_model(runtime, SYSTEM, None) is None  # back to the scorecard
    assert service.score_all(runtime, SYSTEM, AS_OF).model_version == "scorecard-default-1"
    assert _actions(runtime).count("model.activate") == 4
    analyst_free = make_user(runtime, Role.COLLECTOR)
    with pytest.raises(Forbidden):
        service.activate_model(runtime, analyst_free, 1)
    with pytest.raises(Forbidden):
        service.train_model(runtime, analyst_free, AS_OF)


def test_a_corrupt_active_model_falls_back_to_the_scorecard(runtime: Runtime,
                                                             groups: dict[str, list[int]]) -> None:
    service.train_model(runtime, SYSTEM, AS_OF, activate=True, kind="logistic")
    with runtime.engine.begin() as conn:
        conn.execute(update(model_versions).values(checksum="0" * 64))
        summary = score_portfolio(conn, AS_OF, runtime.clock.now())
        count = conn.execute(select(func.count()).select_from(account_scores)).scalar_one()
    assert summary.model_version == "scorecard-default-1" and count == 240
    assert summary.warning and "checksum" in summary.warning


def test_account_score_on_the_spot_and_scope(runtime: Runtime) -> None:
    with runtime.engine.begin() as conn:
        d = seed.debtor(conn)
        acc = seed.account(conn, d, dpd=200, external_id="ACC-1")
    result = service.account_score(runtime, SYSTEM, "ACC-1", "en")
    assert not result.stored and result.scored_on is None and result.account_id == acc
    assert result.reasons[0] == {"code": "DPD", "label": "Days past due", "label_en": "Days past due"}
    collector = make_user(runtime, Role.COLLECTOR)  # no team: sees no case of this account
    with pytest.raises(NotFound):
        service.account_score(runtime, collector, "ACC-1")
    with pytest.raises(NotFound):
        service.account_score(runtime, SYSTEM, "NOPE")
