"""`arrears model ...`, `arrears score` and `arrears contactability refresh` (they act as SYSTEM)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from arrears.cli_support import console, err_console, fail, parse_as_of, progress_bar
from arrears.core.errors import ArrearsError

model_app = typer.Typer(no_args_is_help=True, add_completion=False)
contactability_app = typer.Typer(no_args_is_help=True, add_completion=False)

AsOf = Annotated[str | None, typer.Option("--as-of", metavar="YYYY-MM-DD",
                                          help="As of this date (default: today, UTC)")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables")]


def _runtime() -> Any:
    from arrears.runtime import Runtime

    return Runtime.build()


def print_metrics(metrics: dict[str, Any]) -> None:
    """Print AUC, KS, Brier and the reliability (calibration) table of a holdout."""
    head = Table(title="Holdout (accounts never seen in training)", show_header=False)
    head.add_column("metric")
    head.add_column("value", justify="right")
    for key in ("auc", "ks", "brier", "examples", "positives", "fit_rows", "calibration_rows", "holdout_rows",
                "holdout_positive_rate"):
        if key in metrics:
            head.add_row(key.upper() if key in ("auc", "ks") else key.replace("_", " "), str(metrics[key]))
    console.print(head)
    table = Table(title="Calibration by decile of predicted probability")
    for col in ("decile", "count", "predicted", "observed"):
        table.add_column(col, justify="right")
    for row in metrics.get("reliability", []):
        table.add_row(str(row["decile"]), str(row["count"]), f"{row['predicted']:.3f}",
                      f"{row['observed']:.3f}")
    console.print(table)


@model_app.command("train")
def train_command(
    as_of: AsOf = None,
    activate: Annotated[bool, typer.Option("--activate",
                                           help="Activate it when the holdout AUC is good")] = False,
    kind: Annotated[str, typer.Option("--kind", help="hist_gradient_boosting or logistic")] = (
        "hist_gradient_boosting"),
    as_json: AsJson = False,
) -> None:
    """Train a propensity-to-pay model on the portfolio's history; report AUC, KS and calibration."""
    from arrears.core.access import SYSTEM
    from arrears.core.clock import today
    from arrears.strategy.scoring.service import train_model

    rt = _runtime()
    try:
        when = parse_as_of(as_of, today(rt.clock))
        if as_json:
            result = train_model(rt, SYSTEM, when, activate=activate, kind=kind)
        else:
            with progress_bar(f"Training on the history up to {when.isoformat()}") as report:
                result = train_model(rt, SYSTEM, when, activate=activate, kind=kind, progress=report)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        typer.echo(json.dumps({"version": result.version, "kind": result.kind, "activated": result.activated,
                               "metrics": result.metrics, "warnings": result.warnings}, default=str))
        return
    console.print(f"model version {result.version} ({result.kind}) stored"
                  + (" and activated" if result.activated else ""))
    print_metrics(result.metrics)
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")


@model_app.command("list")
def list_command(as_json: AsJson = False) -> None:
    """List the stored model versions (newest first) and which one is active."""
    from arrears.core.access import SYSTEM
    from arrears.strategy.scoring.service import list_models

    rt = _runtime()
    try:
        models = list_models(rt, SYSTEM)
    finally:
        rt.engine.dispose()
    if as_json:
        typer.echo(json.dumps([{"version": m.version, "kind": m.kind, "status": m.status,
                                "trained_at": m.trained_at, "as_of": m.as_of, "auc": m.metrics.get("auc"),
                                "ks": m.metrics.get("ks")} for m in models], default=str))
        return
    if not models:
        console.print("no trained models: the default scorecard is in force")
        return
    table = Table(title="Model versions")
    for col in ("version", "kind", "status", "trained", "as of", "AUC", "KS", "Brier"):
        table.add_column(col)
    for m in models:
        table.add_row(str(m.version), m.kind, m.status, f"{m.trained_at:%Y-%m-%d %H:%M} by {m.trained_by}",
                      str(m.as_of), str(m.metrics.get("auc")), str(m.metrics.get("ks")),
                      str(m.metrics.get("brier")))
    console.print(table)
    if not any(m.status == "active" for m in models):
        console.print("no active model: the default scorecard is in force")


@model_app.command("activate")
def activate_command(
    version: Annotated[str, typer.Argument(help="A model version, or 'scorecard' for the default scorecard")],
) -> None:
    """Activate a stored model version (a rollback is activating an older one); audited."""
    from arrears.core.access import SYSTEM
    from arrears.strategy.scoring.service import activate_model

    if version != "scorecard" and not version.isdigit():
        raise typer.BadParameter("give a version number or 'scorecard'", param_hint="VERSION")
    rt = _runtime()
    try:
        activate_model(rt, SYSTEM, None if version == "scorecard" else int(version))
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    console.print("the default scorecard is in force" if version == "scorecard"
                  else f"model version {version} is active")


def score_command(as_of: AsOf = None, as_json: AsJson = False) -> None:
    """Score every active account (propensity to pay within 30 days) with the model in force."""
    from arrears.core.access import SYSTEM
    from arrears.core.clock import today
    from arrears.strategy.scoring.service import score_all

    rt = _runtime()
    try:
        when = parse_as_of(as_of, today(rt.clock))
        if as_json:
            summary = score_all(rt, SYSTEM, when)
        else:
            with progress_bar(f"Scoring as of {when.isoformat()}") as report:
                summary = score_all(rt, SYSTEM, when, progress=report)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        typer.echo(json.dumps(asdict(summary), default=str))
        return
    table = Table(title=f"Scores as of {summary.as_of} with {summary.model_version}")
    table.add_column("band")
    table.add_column("accounts", justify="right")
    for band, n in summary.by_band.items():
        table.add_row(band, f"{n:,}")
    table.add_row("all", f"{summary.scored:,}")
    console.print(table)
    console.print(f"mean probability {summary.mean_probability:.3f} in {summary.seconds:.1f}s")
    if summary.warning:
        err_console.print(f"[yellow]warning:[/] {summary.warning}")


@contactability_app.command("refresh")
def contactability_refresh_command(
    as_of: AsOf = None, as_json: AsJson = False,
    full: Annotated[bool, typer.Option("--full", help="Recompute every debtor")] = False,
) -> None:
    """Bring every debtor's contactability (contactable, semi-lost, lost) up to date."""
    from arrears.core.access import SYSTEM
    from arrears.core.clock import today
    from arrears.strategy.contactability import refresh_contactability

    rt = _runtime()
    try:
        when = parse_as_of(as_of, today(rt.clock))
        counts = refresh_contactability(rt, SYSTEM, when, full=full)
    except ArrearsError as exc:
        raise fail(exc) from exc
    finally:
        rt.engine.dispose()
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table(title="Contactability")
    table.add_column("state")
    table.add_column("debtors", justify="right")
    for state, n in counts.items():
        table.add_row(state, f"{n:,}")
    console.print(table)
