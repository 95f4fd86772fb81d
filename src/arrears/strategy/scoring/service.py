"""Scoring use cases: train, list, activate models; score the portfolio; read one account's score.

Every use case takes the acting principal and checks its permission first: STRATEGY_MANAGE to train
and activate, PORTFOLIO_READ to read, BATCH_RUN to score or refresh the whole portfolio.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from arrears.core.access import Permission, Principal, require
from arrears.core.clock import today
from arrears.core.errors import Conflict, NotFound
from arrears.core.progress import Progress, no_progress
from arrears.portfolio.store import accounts
from arrears.runtime import Runtime
from arrears.strategy.scoring import store
from arrears.strategy.scoring.features import FEATURES, build_matrix
from arrears.strategy.scoring.jobs import ScoreSummary, active_scorer, score_portfolio
from arrears.strategy.scoring.model import dump
from arrears.strategy.scoring.reads import read_range
from arrears.strategy.scoring.rules import band_of, reason_label
from arrears.strategy.scoring.scope import account_scope
from arrears.strategy.scoring.train import MIN_AUC_TO_ACTIVATE, build_training_set, fit
from arrears.users.audit import record


@dataclass
class TrainResult:
    """A trained, stored model version and whether it is now the active one."""

    version: int
    kind: str
    metrics: dict[str, Any]
    activated: bool
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One stored model version (without its bytes)."""

    version: int
    kind: str
    status: str
    trained_at: Any
    trained_by: str
    as_of: date
    metrics: dict[str, Any]
    features: list[str]
    activated_at: Any
    activated_by: str | None


@dataclass(frozen=True, slots=True)
class AccountScore:
    """One account's score with its reasons labelled in a language."""

    account_id: int
    external_id: str
    probability: float
    band: str
    reasons: list[dict[str, str]]
    model_version: str
    scored_on: date | None
    stored: bool  # False: computed just now with the scorer in force (not yet scored by a run)


def train_model(rt: Runtime, principal: Principal, as_of: date | None = None, *, activate: bool = False,
                kind: str = "hist_gradient_boosting", snapshots: int = 6,
                progress: Progress = no_progress) -> TrainResult:
    """Train a model on the history up to as_of, store it as a new version, optionally activate it.

    Too little history raises InsufficientHistory (422) and stores nothing: the model in force stays.
    """
    require(principal, Permission.STRATEGY_MANAGE)
    as_of = as_of or today(rt.clock)
    with rt.engine.connect() as conn:
        ts = build_training_set(conn, as_of, snapshots, progress)
    model, metrics = fit(ts, kind)
    payload, checksum = dump(model)
    warnings: list[str] = []
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        result = conn.execute(store.model_versions.insert().values(
            kind=kind, status="trained", trained_at=now, trained_by=principal.username, as_of=as_of,
            params=model.params, metrics=metrics, features=list(FEATURES), payload=payload, checksum=checksum,
        ).returning(store.model_versions.c.version))
        version = int(result.scalar_one())
        record(conn, principal, "model.train", "model_version", version,
               {"kind": kind, "as_of": as_of.isoformat(), "auc": metrics["auc"], "ks": metrics["ks"],
                "examples": metrics["examples"]}, now)
        activated = False
        if activate:
            if not metrics["auc"] >= MIN_AUC_TO_ACTIVATE:
                warnings.append(f"not activated: holdout AUC {metrics['auc']} is below "
                                f"{MIN_AUC_TO_ACTIVATE}; the model in force stays (activate it explicitly "
                                "if you must)")
            else:
                _activate(conn, principal, version, now)
                activated = True
    return TrainResult(version, kind, metrics, activated, warnings)


def _activate(conn: Any, principal: Principal, version: int | None, now: Any) -> None:
    previous = store.active_model_row(conn)
    store.set_active(conn, version, now, principal.username)
    entity = version if version is not None else "scorecard"
    before = previous.version if previous is not None else None
    record(conn, principal, "model.activate", "model_version", entity,
           {"version": version, "previous": before}, now)


def activate_model(rt: Runtime, principal: Principal, version: int | None) -> ModelInfo | None:
    """Make a stored version the active model (None: no model, the default scorecard); audited."""
    require(principal, Permission.STRATEGY_MANAGE)
    now = rt.clock.now()
    with rt.engine.begin() as conn:
        if version is not None:
            row = store.model_row(conn, version)
            if row is None:
                raise NotFound(f"model version {version} not found")
            if row.status == "active":
                raise Conflict(f"model version {version} is already active")
        _activate(conn, principal, version, now)
        row = store.model_row(conn, version) if version is not None else None
        return _info(row) if row is not None else None


def _info(row: Any) -> ModelInfo:
    metrics = row.metrics if isinstance(row.metrics, dict) else json.loads(row.metrics)
    return ModelInfo(int(row.version), row.kind, row.status, row.trained_at, row.trained_by, row.as_of,
                     metrics, list(row.features), row.activated_at, row.activated_by)


def list_models(rt: Runtime, principal: Principal) -> list[ModelInfo]:
    """Every stored model version, newest first."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        return [_info(r) for r in store.model_rows(conn)]


def score_all(rt: Runtime, principal: Principal, as_of: date | None = None,
              progress: Progress = no_progress) -> ScoreSummary:
    """Score every active account now (what the nightly run does), in one transaction."""
    require(principal, Permission.BATCH_RUN)
    as_of = as_of or today(rt.clock)
    with rt.engine.begin() as conn:
        return score_portfolio(conn, as_of, rt.clock.now(), progress)


def account_score(rt: Runtime, principal: Principal, external_id: str,
                  language: str = "zh-CN") -> AccountScore:
    """One account's latest score (computed on the spot when no run has scored it yet)."""
    require(principal, Permission.PORTFOLIO_READ)
    with rt.engine.connect() as conn:
        acc = conn.execute(select(accounts.c.id, accounts.c.external_id)
                           .where(accounts.c.external_id == external_id, account_scope(principal))).first()
        if acc is None:
            raise NotFound(f"account {external_id} not found")
        row = conn.execute(select(store.account_scores)
                           .where(store.account_scores.c.account_id == acc.id)).first()
        if row is not None:
            codes = row.reasons if isinstance(row.reasons, list) else json.loads(row.reasons)
            return AccountScore(int(acc.id), acc.external_id, float(row.probability), row.band,
                                _labelled(codes, language), row.model_version, row.scored_on, True)
        scorer, _ = active_scorer(conn)
        raw = read_range(conn, int(acc.id), int(acc.id), today(rt.clock), current=True, active_only=False)
        probs, reasons = scorer.score(build_matrix(raw))
    p = round(float(probs[0]), 6)
    return AccountScore(int(acc.id), acc.external_id, p, band_of(p), _labelled(reasons[0], language),
                        scorer.version, None, False)


def _labelled(codes: list[str], language: str) -> list[dict[str, str]]:
    return [{"code": c, "label": reason_label(c, language), "label_en": reason_label(c, "en")} for c in codes]
