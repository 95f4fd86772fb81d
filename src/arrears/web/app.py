"""The FastAPI app factory: wires settings, engine and clock into routers; nothing happens at import."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from arrears import __version__
from arrears.core.clock import Clock
from arrears.core.errors import ArrearsError, InputRejected
from arrears.runtime import Runtime
from arrears.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the web app (pages + REST API) for the given settings."""
    runtime = Runtime.build(settings, clock)
    app = FastAPI(
        title="Arrears",
        version=__version__,
        description="Debt-collections platform: portfolio, import, aging, contact policy, work queue.",
        openapi_tags=[
            {"name": "portfolio", "description": "Debtors, accounts, cases"},
            {"name": "import", "description": "Bulk import of accounts, contacts and payments"},
            {"name": "aging", "description": "Days past due, buckets, late fees and penalty interest"},
            {"name": "compliance", "description": "Contact policy, holds, decision log, language check"},
            {"name": "audit", "description": "The append-only, hash-chained audit trail"},
            {"name": "strategy", "description": "Segments, treatments, experiments, scores, best time"},
            {"name": "worklist", "description": "Work queue: next contact, leases, attempts, call-backs"},
            {"name": "payments", "description": "Payments, balances, promises, plans, settlements, waivers"},
            {"name": "reports", "description": "KPIs, trends, funnel, roll rates, recovery, arm tests"},
            {"name": "users", "description": "Log in for a bearer token; users, roles, teams, agencies"},
            {"name": "system", "description": "Health and version"},
        ],
        docs_url=None,
    )
    app.state.runtime = runtime
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.exception_handler(ArrearsError)
    async def _arrears_error(_request: Request, exc: ArrearsError) -> JSONResponse:
        body: dict[str, object] = {"error": type(exc).__name__, "detail": str(exc)}
        if isinstance(exc, InputRejected):
            body["problems"] = [
                {"file": p.file, "row": p.row, "field": p.field, "value": p.value, "reason": p.reason}
                for p in exc.problems[:1000]
            ]
        return JSONResponse(status_code=exc.status_code, content=body)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI served from vendored files (no CDN: the app works offline)."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json", title="Arrears API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/healthz", tags=["system"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        with runtime.engine.connect() as conn:
            conn.execute(text("select 1"))
        return {"status": "ok", "version": __version__, "database": runtime.engine.dialect.name}

    from arrears.compliance.api import router as compliance_router
    from arrears.compliance.language.api import router as language_router
    from arrears.portfolio.aging.api import router as aging_router
    from arrears.portfolio.api import router as portfolio_router
    from arrears.portfolio.importing.api import router as import_router
    from arrears.portfolio.pages import router as portfolio_pages

    app.include_router(portfolio_router, prefix="/api/v1")
    app.include_router(import_router, prefix="/api/v1")
    app.include_router(aging_router, prefix="/api/v1")
    app.include_router(compliance_router, prefix="/api/v1")
    app.include_router(language_router, prefix="/api/v1")
    app.include_router(portfolio_pages)

    from arrears.users.http import install as install_users

    install_users(app)  # login/logout, /admin/users, /api/v1/auth, 401 -> /login for pages, 403 pages

    from arrears.users.audit_api import router as audit_router
    from arrears.users.audit_pages import router as audit_pages
    from arrears.users.unmask_api import router as unmask_router
    from arrears.users.unmask_pages import router as unmask_pages

    app.include_router(audit_router, prefix="/api/v1")
    app.include_router(unmask_router, prefix="/api/v1")
    app.include_router(audit_pages)
    app.include_router(unmask_pages)

    from arrears.strategy.best_time.api import router as best_time_router
    from arrears.strategy.scoring.api import router as scoring_router

    app.include_router(scoring_router, prefix="/api/v1")
    app.include_router(best_time_router, prefix="/api/v1")

    from arrears.strategy.api import router as strategy_router
    from arrears.strategy.pages import router as strategy_pages

    app.include_router(strategy_router, prefix="/api/v1")
    app.include_router(strategy_pages)

    from arrears.worklist.api import router as worklist_router

    app.include_router(worklist_router, prefix="/api/v1")

    from arrears.payments.api import router as payments_router
    from arrears.payments.pages import router as payments_pages

    app.include_router(payments_router, prefix="/api/v1")
    app.include_router(payments_pages)

    from arrears.reporting.api import router as reporting_router
    from arrears.reporting.pages import router as reporting_pages

    app.include_router(reporting_router, prefix="/api/v1")
    app.include_router(reporting_pages)

    from arrears.sim.api import router as sim_router

    app.include_router(sim_router, prefix="/api/v1")

    from arrears.desk.pages import router as desk_pages

    app.include_router(desk_pages)
    return app


def app_from_environment() -> FastAPI:
    """Factory for uvicorn (`--factory`): settings from the environment."""
    return create_app()
