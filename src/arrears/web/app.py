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
    return app


def app_from_environment() -> FastAPI:
    """Factory for uvicorn (`--factory`): settings from the environment."""
    return create_app()
