"""The FastAPI application: routes, error mapping, static files and offline API docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from safeground.server import errors, ogcapi, routes
from safeground.server.limits import BodyLimit
from safeground.server.pool import StorePool
from safeground.server.settings import Settings
from safeground.services.accounts import LoginThrottle

HERE = Path(__file__).parent
STATIC = HERE.parent / "static"  # vendored Leaflet, swagger-ui and the offline basemap
WEB = HERE / "web"  # the page itself


def create_app(settings: Settings) -> FastAPI:
    """The server for ``settings`` (its store pool opens now and closes on shutdown)."""
    pool = StorePool(settings.db, settings.pool_size)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.close()

    app = FastAPI(
        title="safeground",
        description="Hazard register, land release and reconstruction: the team server.",
        docs_url=None,  # the default pages load their scripts from a CDN; ours are vendored
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.pool = pool
    app.state.login_throttle = LoginThrottle()
    # OGC API first: its item pages are the busiest route, and routes match in order
    app.include_router(ogcapi.router)
    app.include_router(routes.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/web", StaticFiles(directory=WEB), name="web")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", headers=_PAGE_HEADERS)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="safeground API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/vendor/leaflet/images/marker-icon.png",
        )

    errors.install(app)
    app.add_middleware(ogcapi.ItemPages)  # inside the headers and the body limit
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)
    return app


def from_env() -> FastAPI:
    """The app from the environment (SAFEGROUND_DB, SAFEGROUND_SECRET_KEY, ...): the
    factory each uvicorn worker process calls."""
    return create_app(Settings.from_env())


_PAGE_HEADERS = {
    # everything the page loads comes from this server: no CDN, no inline script
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'",
}


class _SecurityHeaders:
    def __init__(self, app: object) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        async def with_headers(message: dict) -> None:  # type: ignore[type-arg]
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message["headers"] = headers
            await send(message)  # type: ignore[operator]

        await self.app(scope, receive, with_headers)  # type: ignore[operator]
