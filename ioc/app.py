"""The composition root: ``create_app(settings)`` wires plumbing and feature packages together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import procrastinate
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from sqlalchemy.engine import Engine

import dashboard
import dashboard.admin
import dashboard.agency
import dashboard.kpi
import dashboard.open311
import dashboard.opendata
import dashboard.operator
import dashboard.public
import reports
import routing
from dashboard.admin import views as admin_users_views
from dashboard.kpi import rollup as kpi_rollup
from dashboard.kpi import views as kpi_views
from dashboard.open311 import admin as open311_admin
from dashboard.open311 import views as open311_views
from dashboard.opendata import admin_views as opendata_admin_views
from dashboard.opendata import snapshots as opendata_snapshots
from dashboard.opendata import views as opendata_views
from dashboard.operator import live_views as operator_live_views
from dashboard.operator import templates_admin as reject_templates_views
from dashboard.operator import tile_views as operator_tile_views
from dashboard.operator import triage as triage_views
from dashboard.operator import views as operator_views
from dashboard.public import views as public_views
from ioc import db, jobs, logs
from ioc.auth import tasks as auth_tasks
from ioc.auth import views as auth_views
from ioc.settings import Settings
from ioc.web import assets, caching, live, problems, templating
from ioc.web import views as frame_views
from ioc.web.middleware import RequestContext
from reports import api as reports_api
from reports import views as reports_views
from reports.feedback import views as feedback_views
from reports.lifecycle import api as lifecycle_api
from reports.lifecycle import sweep as deadline_sweep
from reports.media import sweep as media_sweep
from reports.media import videos as media_videos
from reports.notify import purge as notify_purge
from reports.notify import tasks as notify_tasks
from reports.notify import views as notify_views
from reports.tracking import housekeeping
from routing import api_views
from routing import views as routing_views
from routing.admin import rules_views as admin_rules_views
from routing.admin import views as admin_views
from routing.basemap import views as basemap_views

FEATURE_PACKAGES = (
    routing,
    reports,
    dashboard,
    dashboard.admin,
    dashboard.agency,
    dashboard.operator,
    dashboard.kpi,
    dashboard.public,
    dashboard.open311,
    dashboard.opendata,
)
# The tasks of the feature packages, and their periodic jobs.
JOB_BLUEPRINTS = (
    jobs.blueprint,
    auth_tasks.blueprint,
    media_sweep.blueprint,
    housekeeping.blueprint,
    deadline_sweep.blueprint,
    notify_tasks.blueprint,
    notify_purge.blueprint,
    kpi_rollup.blueprint,
    media_videos.blueprint,
    opendata_snapshots.blueprint,
)


def job_app(settings: Settings) -> procrastinate.App:
    """The job queue app with every feature package's tasks (the worker's, and the tests')."""
    return jobs.make_app(db.database_url(settings), JOB_BLUEPRINTS)


def content_security_policy(settings: Settings, nonce: str) -> str:
    """Only this origin, plus the configured tile server for map images.

    Scripts: our own files, and inline scripts only with this response's nonce (folium inlines
    its code; ``ioc.web.maps.render`` adds the nonce). Styles stay inline-allowed: folium and
    Leaflet set style attributes, and a style cannot run code.
    """
    tile_host = ""
    if settings.map.tile_url:
        parts = urlsplit(settings.map.tile_url.replace("{s}", "a"))
        tile_host = f" {parts.scheme}://{parts.netloc}".replace("://a.", "://*.")
    return (
        "default-src 'self'; "
        f"img-src 'self' data: blob:{tile_host}; "
        "media-src 'self' blob:; "  # the reporting page reads a chosen video's length
        f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """A configured application; nothing is built at import time."""
    settings.check_secret()
    logs.configure(json=settings.log_json)
    owns_engine = engine is None
    engine = engine or db.make_engine(db.database_url(settings))

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        yield
        await live.close_hubs(application)  # the LISTEN connections of live updates
        if owns_engine:  # an engine passed in belongs to the caller, who may still use it
            engine.dispose()

    app = FastAPI(
        title="IOC — Phản ánh hiện trường",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by ioc.web.views from the app's own Swagger UI copy
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = db.make_sessionmaker(engine)
    template_dirs = [
        Path(pkg.__file__).parent / "templates" for pkg in FEATURE_PACKAGES if pkg.__file__
    ]
    app.state.templates = templating.make_environment(template_dirs)
    problems.install(app)
    if assets.missing():
        logs.get_logger("ioc.app").warning(
            "assets_missing",
            missing=assets.missing(),
            hint="run `make setup` (npm ci, ioc assets sync)",
        )
    app.mount("/static", caching.CachedStaticFiles(directory=assets.STATIC_DIR), name="static")
    for router in (
        frame_views.router,
        auth_views.router,
        routing_views.router,
        api_views.router,
        admin_views.router,
        admin_rules_views.router,
        admin_users_views.router,
        reports_api.router,
        lifecycle_api.router,
        reports_views.router,
        dashboard.agency.router,
        notify_views.router,
        operator_live_views.router,
        triage_views.router,
        reject_templates_views.router,
        operator_tile_views.router,
        operator_views.router,
        kpi_views.router,
        public_views.router,
        feedback_views.router,
        open311_views.router,
        open311_admin.router,
        basemap_views.router,
        opendata_views.router,
        opendata_admin_views.router,
    ):
        app.include_router(router)
    # Residents on 3G: pages, scripts and GeoJSON shrink three- to sixfold (images are skipped).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(RequestContext, csp=partial(content_security_policy, settings))
    return app


def app_from_env() -> FastAPI:
    """The app configured from the environment (the uvicorn factory)."""
    from ioc.settings import get_settings

    return create_app(get_settings())
