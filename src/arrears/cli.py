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


def main() -> None:
    """Console-script entry point."""
    _register()
    try:
        app()
    except ArrearsError as exc:
        raise fail(exc) from exc


if __name__ == "__main__":
    main()
