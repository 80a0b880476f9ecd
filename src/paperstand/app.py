"""The web application: settings, database, templates, routers, security headers, error pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from paperstand import __version__
from paperstand.api.docs import install_docs
from paperstand.config import Settings
from paperstand.db import make_engine, make_sessionmaker, migrate
from paperstand.site.service import record_public_url
from paperstand.web.cache import install_page_cache
from paperstand.web.errors import install_error_handlers
from paperstand.web.manners import install as install_http_manners
from paperstand.web.security import install_security_headers

HERE = Path(__file__).parent
log = logging.getLogger("paperstand")


def create_app(settings: Settings | None = None, *, background_harvest: bool = False) -> FastAPI:
    """Build the app; ``background_harvest`` starts a first harvest when the database is empty."""
    settings = settings or Settings()
    engine = make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        record_public_url(engine, settings.effective_base_url)  # digests sent from other shells link here
        if background_harvest:
            _start_first_harvest(app)
        yield
        engine.dispose()

    # docs_url=None: FastAPI's /docs loads Swagger UI from a CDN; install_docs serves it locally.
    app = FastAPI(title="paperstand", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Daily research papers: pages, and a JSON API compatible with Hugging Face's.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.harvest_thread = None
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_handlers(app)
    install_docs(app)
    _install_routers(app)
    install_http_manners(app)  # HEAD, cross-origin API reads, ETag/Last-Modified/304
    install_security_headers(app)
    install_page_cache(app)  # outermost: a hit skips routing and every other layer
    return app


def _install_routers(app: FastAPI) -> None:
    from paperstand.api.routes import router as api_router
    from paperstand.web.routes import router as web_router
    from paperstand.web.templating import install as install_filters

    install_filters(app.state.templates.env)
    app.include_router(api_router)
    app.include_router(web_router)


def _start_first_harvest(app: FastAPI) -> None:
    from paperstand.ingest.harvest import first_harvest_in_background

    app.state.harvest_thread = first_harvest_in_background(app.state.engine, app.state.settings, log)
