"""The web application: settings, database, templates, routers, security headers, error pages."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from paperstand import __version__
from paperstand.api.docs import install_docs
from paperstand.config import Settings
from paperstand.db import loop_engine, make_engine, make_sessionmaker, migrate
from paperstand.exit_wait import exiting, finish_before_exit
from paperstand.site.service import record_public_url
from paperstand.web.cache import install_page_cache
from paperstand.web.errors import install_error_handlers
from paperstand.web.guard import install_request_guard
from paperstand.web.live import install_live_counts
from paperstand.web.manners import install as install_http_manners
from paperstand.web.ratelimit import install as install_rate_limits
from paperstand.web.security import install_security_headers

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paperstand.worker.inprocess import InProcessWorker

HERE = Path(__file__).parent
log = logging.getLogger("paperstand")


# A server's collector thresholds (Python's are 700, 10, 10): requests allocate and free thousands of
# objects each, so the youngest generation is collected every 7,000 allocations instead of 700, and a
# full pass (of what was allocated since start-up) waits for 100 passes of the middle one instead of 10.
# Under the votes benchmark full passes went from one every two seconds, 14 ms each, to about one in three
# minutes, and the vote p95 from 51.5 to 47.7 ms.
GC_THRESHOLDS = (7000, 10, 100)


def create_app(settings: Settings | None = None, *, background_harvest: bool = False,
               freeze_heap: bool = False) -> FastAPI:
    """Build the app; ``background_harvest`` starts a first harvest when the database is empty.

    ``freeze_heap`` (``serve``): once started, everything allocated so far is left out of the garbage
    collector's full passes (``gc.freeze``). Those passes walked every module, route, table and model of
    the process, 140 ms each with the event loop stopped, a few times a minute under load: each stalled
    every request in flight (the p99 of votes beside readers was 150 ms, 74 ms without them). The
    collector then runs less often (``GC_THRESHOLDS``). A test process builds and drops many apps, so only
    a server, which builds one, freezes.
    """
    settings = settings or Settings()
    engine = make_engine(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        record_public_url(engine, settings.effective_base_url)  # digests sent from other shells link here
        # Of several ``serve`` processes on one data folder, one leads: it harvests and runs the jobs.
        from paperstand.worker.inprocess import claim_jobs, release_jobs

        leads = claim_jobs(settings)
        if not leads:
            log.info("background jobs run in another serve process of %s", settings.data_dir)
        if background_harvest and leads:
            _start_first_harvest(app)
        worker = _start_worker(settings) if leads else None
        _warm_model(settings, engine, worker is not None)
        if freeze_heap:
            gc.collect()
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
        yield
        if worker is not None:
            worker.stop()
        release_jobs(settings)
        writer = getattr(app.state, "vote_writer", None)
        if writer is not None:
            await writer.aclose()
        for name in ("version_reader", "tally_reader"):
            reader = getattr(app.state, name, None)
            if reader is not None:  # its connection is detached from the pool: dispose() would not close it
                reader.close()
        engine.dispose()
        app.state.loop_engine.dispose()

    # docs_url=None: FastAPI's /docs loads Swagger UI from a CDN; install_docs serves it locally.
    app = FastAPI(title="paperstand", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Daily research papers: pages, and a JSON API compatible with Hugging Face's.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.loop_engine = loop_engine(engine)
    app.state.sessions = make_sessionmaker(engine)
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.harvest_thread = None
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_error_handlers(app)
    install_docs(app)
    _install_routers(app)
    install_request_guard(app)  # no control character in a path, query or form reaches a handler
    install_http_manners(app)  # HEAD, cross-origin API reads, ETag/Last-Modified/304
    install_security_headers(app)
    install_page_cache(app)  # a hit skips routing and every layer inside it
    install_live_counts(app)  # vote counts of this moment, filled into cached and fresh answers alike
    install_rate_limits(app, settings)  # outermost: a refused request costs no query, render or cache lookup
    return app


def _install_routers(app: FastAPI) -> None:
    from paperstand.api.routes import router as api_router
    from paperstand.api.write import router as write_router
    from paperstand.web.library import install as install_library_globals
    from paperstand.web.routes import router as web_router
    from paperstand.web.templating import install as install_filters

    install_filters(app.state.templates.env)
    install_library_globals(app.state.templates.env)
    app.include_router(write_router)  # first: its /api/papers/{id}/... writes must win over the reads' patterns
    app.include_router(api_router)
    app.include_router(web_router)


def app_from_environment() -> FastAPI:
    """The app of one of ``serve --workers N``'s processes, from the settings in the environment."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    return create_app(settings, background_harvest=settings.harvest_on_start, freeze_heap=True)


def _start_worker(settings: Settings) -> InProcessWorker | None:
    """The recurring jobs on threads of this process, unless ``PAPERSTAND_WORKER=off``."""
    if settings.worker != "on":
        return None
    from paperstand.worker.inprocess import start_in_process

    try:
        return start_in_process(settings)
    except ValueError as exc:  # a bad queue URL: serve anyway, and say why no job runs
        log.error("the recurring jobs are not running: %s", exc)
        return None


def _warm_model(settings: Settings, engine: Engine, worker: bool) -> None:
    """Load (or build, once) the embedding model in the background, so that no query waits for it.

    Only when it will be used: the worker embeds here, or papers are embedded already.
    """
    from paperstand.search.semantic import semantic_coverage

    if not worker:
        with engine.connect() as conn:
            if semantic_coverage(conn).embedded == 0:
                return
    thread = threading.Thread(target=_warm, args=(settings,), name="model-warm-up", daemon=True)
    thread.start()
    finish_before_exit(thread)


def _warm(settings: Settings) -> None:
    from paperstand.search.embedder import embedder_for, warm_up
    from paperstand.worker.inprocess import lower_priority

    lower_priority()
    try:
        log.info("embedding model ready in %.1f s", warm_up(embedder_for(settings)))
    except Exception:  # search by meaning then reports itself unavailable; pages keep working
        if exiting():  # the process is ending: its thread pools refuse work, and nobody needs the model now
            log.info("embedding model warm-up stopped: the process is exiting")
            return
        log.exception("the embedding model could not be loaded")


def _start_first_harvest(app: FastAPI) -> None:
    from paperstand.ingest.harvest import first_harvest_in_background

    app.state.harvest_thread = first_harvest_in_background(app.state.engine, app.state.settings, log)
