"""The ``paperstand`` command: ``serve`` and ``migrate``, and each package's commands (its ``cli.py``) registered."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import Engine

from paperstand.config import Settings
from paperstand.db import make_engine, migrate

app = typer.Typer(
    help="paperstand — a self-hostable research-paper hub.\n\n"
    "Start with `paperstand serve`, then `paperstand import FILE` or `paperstand harvest`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
console = Console(stderr=True)


def _add_subcommands() -> None:
    from paperstand.accounts.cli import app as users_app
    from paperstand.backup.cli import backup_command, restore_command
    from paperstand.digests.cli import app as digest_app
    from paperstand.library.cli import app as library_app
    from paperstand.mail.cli import app as mail_app
    from paperstand.ranking.cli import app as trending_app
    from paperstand.recommend.cli import app as recommend_app
    from paperstand.search.cli import embed, search_command
    from paperstand.worker.cli import worker

    app.add_typer(digest_app, name="digest")
    app.add_typer(mail_app, name="mail")
    app.add_typer(users_app, name="users")
    app.add_typer(trending_app, name="trending")
    app.add_typer(library_app, name="library")
    app.add_typer(recommend_app, name="recommend")
    app.command("worker")(worker)
    app.command("embed")(embed)
    app.command("search")(search_command)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


_add_subcommands()


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    return engine


@app.command("migrate")
def migrate_cmd() -> None:
    """Create or upgrade the database schema (safe to run any time)."""
    settings = Settings()
    _engine(settings)
    console.print(f"[green]Database is up to date[/] ({_safe_url(settings.effective_database_url)})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default PAPERSTAND_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PAPERSTAND_PORT, 8000).")] = None,
    harvest: Annotated[bool, typer.Option(help="Harvest in the background when the database is empty.")] = True,
    workers: Annotated[int | None, typer.Option(
        min=1, max=64, help="Web processes behind the one port (default PAPERSTAND_SERVE_WORKERS, else one per "
                            "core). The recurring jobs run in one of them only.")] = None,
) -> None:
    """Serve the site and the API (http://127.0.0.1:8000 by default), and run the recurring jobs.

    New papers are embedded for search by meaning within a minute or two and digests go out on time, with no
    other process. Set PAPERSTAND_WORKER=off to serve only (several web processes beside `paperstand worker`).

    Examples:

    * `paperstand serve` (one process per core)
    * `paperstand serve --port 8080 --workers 1`
    """
    import os

    import uvicorn

    from paperstand.app import create_app
    from paperstand.failures import preflight
    from paperstand.search.embed_text import usable_cpus
    from paperstand.web.http_protocol import OneWriteHttpToolsProtocol

    # --host/--port go into the settings, so the app's own links (and the address it records) use them.
    overrides: dict[str, Any] = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter on every start
    preflight(settings)  # a read-only folder or an unreachable database: one line, before listening
    application = create_app(settings, background_harvest=harvest and settings.harvest_on_start, freeze_heap=True)
    bind_host, bind_port = settings.host, settings.port
    console.print(f"paperstand serving on [bold]http://{bind_host}:{bind_port}[/] "
                  f"({_safe_url(settings.effective_database_url)})")
    if settings.worker == "on":
        # One command is the whole product: digests, embedding and harvests run on threads of this process.
        console.print("recurring jobs (digests, embedding, harvest) run in this process; "
                      "PAPERSTAND_WORKER=off leaves them to `paperstand worker`", highlight=False)
    processes = workers or settings.serve_workers or usable_cpus()
    if processes == 1:
        uvicorn.run(application, host=bind_host, port=bind_port, log_level=settings.log_level.lower(),
                    http=OneWriteHttpToolsProtocol)
        return
    console.print(f"{processes} web processes share the port", highlight=False)
    # Each process builds its own app from the environment: hand it what the options said.
    os.environ.update(PAPERSTAND_HOST=bind_host, PAPERSTAND_PORT=str(bind_port),
                      PAPERSTAND_HARVEST_ON_START=str(harvest and settings.harvest_on_start).lower())
    uvicorn.run("paperstand.app:app_from_environment", factory=True, workers=processes, host=bind_host,
                port=bind_port, log_level=settings.log_level.lower(), http=OneWriteHttpToolsProtocol)


def _add_package_commands() -> None:
    # Registered after ``serve`` so that ``paperstand --help`` lists the commands in this order.
    from paperstand.ingest.cli import harvest, import_cmd
    from paperstand.search.cli import search_index_cmd

    app.command("import")(import_cmd)
    app.command("harvest")(harvest)
    app.command("search-index")(search_index_cmd)


_add_package_commands()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """The ``paperstand`` command: a full disk or an unreachable database ends in one line, not a traceback."""
    import os
    import sys

    from paperstand.failures import Where, describe_failure

    try:
        app()
    except Exception as exc:
        # Settings are read again here (commands build their own): the line names their database and folder.
        try:
            where = Where.of(Settings())
        except Exception:
            where = Where()
        line = describe_failure(exc, where)
        if line is None or os.environ.get("PAPERSTAND_LOG_LEVEL", "").upper() == "DEBUG":
            raise
        print(line, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
