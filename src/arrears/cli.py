"""The `arrears` command: one Typer app over the same services the web uses."""

from __future__ import annotations

import typer

from arrears.cli_support import console, fail
from arrears.core.errors import ArrearsError

app = typer.Typer(
    help="Arrears: debt-collections platform.", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def init() -> None:
    """Create the database or upgrade it to the newest schema."""
    from arrears import migrate
    from arrears.runtime import Runtime

    rt = Runtime.build()
    before = migrate.current_revision(rt.engine)
    migrate.upgrade(rt.engine)
    after = migrate.current_revision(rt.engine)
    url = rt.engine.url.render_as_string(hide_password=True)
    if before == after:
        console.print(f"database {url} is up to date (revision {after})")
    else:
        console.print(f"database {url} upgraded from {before or 'empty'} to {after}")


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to bind (default from ARREARS_HOST)"),
    port: int = typer.Option(None, help="Port (default from ARREARS_PORT)"),
    workers: int = typer.Option(1, help="Worker processes"),
    reload: bool = typer.Option(False, help="Reload on code changes (development)"),
) -> None:
    """Serve the web app and the REST API."""
    import uvicorn

    from arrears.settings import Settings

    settings = Settings()
    host = host or settings.host
    port = port or settings.port
    console.print(f"Arrears is serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("arrears.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, reload=reload, log_level="info")


def _register() -> None:
    """Attach the domain commands (idempotent: tests call it too)."""
    if getattr(_register, "done", False):
        return
    _register.done = True  # type: ignore[attr-defined]
    from arrears.compliance.cli import compliance_app
    from arrears.compliance.language.cli import lint_command
    from arrears.portfolio.aging.cli import age_command
    from arrears.portfolio.demo.cli import demo_command
    from arrears.portfolio.importing.cli import import_app

    app.command("age")(age_command)
    app.command("demo")(demo_command)
    app.add_typer(import_app, name="import", help="Import accounts, contacts or payments from CSV/XLSX.")
    compliance_app.command("lint")(lint_command)
    app.add_typer(
        compliance_app, name="compliance", help="Contact policy: check scenarios, rule sets, lint text."
    )
    from arrears.users.cli import users_app

    app.add_typer(users_app, name="users", help="Users, roles, teams, agencies; the first administrator.")
    from arrears.users.audit_cli import audit_app
    from arrears.users.backup_cli import backup_app

    app.add_typer(audit_app, name="audit", help="The audit trail: verify the hash chain, list records.")
    app.add_typer(backup_app, name="backup", help="Back up and restore the SQLite database.")
    from arrears.strategy.best_time.cli import best_time_app
    from arrears.strategy.scoring.cli import contactability_app, model_app, score_command

    app.add_typer(model_app, name="model", help="Propensity-to-pay models: train, list, activate.")
    app.command("score")(score_command)
    app.add_typer(contactability_app, name="contactability", help="Contactable / semi-lost / lost.")
    app.add_typer(best_time_app, name="best-time", help="Best time to reach: refresh rates, show a debtor.")
    from arrears.strategy.cli import allocate_command, batch_app, cases_app, strategy_app

    app.add_typer(batch_app, name="batch", help="The nightly run: aging to tomorrow's work; its record.")
    app.add_typer(strategy_app, name="strategy", help="Treatment paths: validate, activate, show.")
    app.command("allocate")(allocate_command)
    app.add_typer(cases_app, name="cases", help="Cases: reassign to another collector.")
    from arrears.worklist.cli import attempts_app, queue_app

    app.add_typer(queue_app, name="queue", help="The live work queue: next contact, show, release.")
    app.add_typer(attempts_app, name="attempts", help="Call attempts: import a dialer's report.")
    from arrears.payments.cli import payments_app, promises_app

    app.add_typer(payments_app, name="payments", help="Payments: post, reverse, import files, balances.")
    app.add_typer(promises_app, name="promises", help="Promises to pay: judge, history.")
    from arrears.reporting.cli import report_app

    app.add_typer(report_app, name="report", help="KPIs, trends, roll rates, recovery curves, arm tests.")
    from arrears.sim.cli import sim_app

    app.add_typer(sim_app, name="sim", help="The portfolio simulator: run a sim.yaml, write its report.")


def main() -> None:
    """Console-script entry point."""
    _register()
    try:
        app()
    except ArrearsError as exc:
        raise fail(exc) from exc


if __name__ == "__main__":
    main()
