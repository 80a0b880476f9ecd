"""The ``paperstand`` command: serve, migrate, import and harvest."""

from __future__ import annotations

import logging
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy import Engine

from paperstand.config import Settings
from paperstand.db import make_engine, migrate

if TYPE_CHECKING:
    from paperstand.ingest.harvest import HarvestReport

app = typer.Typer(
    help="paperstand — a self-hostable research-paper hub.\n\n"
    "Start with `paperstand serve`, then `paperstand import FILE` or `paperstand harvest`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
console = Console(stderr=True)
out = Console()


def _add_subcommands() -> None:
    from paperstand.backup.cli import backup_command, restore_command
    from paperstand.digests.cli import app as digest_app
    from paperstand.mail.cli import app as mail_app
    from paperstand.search.cli import embed, search_command
    from paperstand.worker.cli import worker

    app.add_typer(digest_app, name="digest")
    app.add_typer(mail_app, name="mail")
    app.command("worker")(worker)
    app.command("embed")(embed)
    app.command("search")(search_command)
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)


_add_subcommands()


class Format(StrEnum):
    """Input formats accepted by ``import``."""

    auto = "auto"
    listing = "listing"
    hf_daily = "hf-daily"
    arxiv_atom = "arxiv-atom"
    arxiv_oai = "arxiv-oai"
    arxiv_rss = "arxiv-rss"
    arxiv_jsonl = "arxiv-jsonl"


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    return engine


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


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
) -> None:
    """Serve the site and the API (http://127.0.0.1:8000 by default), and run the recurring jobs.

    New papers are embedded for search by meaning within a minute or two and digests go out on time, with no
    other process. Set PAPERSTAND_WORKER=off to serve only (several web processes beside `paperstand worker`).
    """
    import uvicorn

    from paperstand.app import create_app
    from paperstand.failures import preflight

    # --host/--port go into the settings, so the app's own links (and the address it records) use them.
    overrides: dict[str, Any] = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = Settings(**overrides)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # migration chatter on every start
    preflight(settings)  # a read-only folder or an unreachable database: one line, before listening
    application = create_app(settings, background_harvest=harvest and settings.harvest_on_start)
    bind_host, bind_port = settings.host, settings.port
    console.print(f"paperstand serving on [bold]http://{bind_host}:{bind_port}[/] "
                  f"({_safe_url(settings.effective_database_url)})")
    if settings.worker == "on":
        # One command is the whole product: digests, embedding and harvests run on threads of this process.
        console.print("recurring jobs (digests, embedding, harvest) run in this process; "
                      "PAPERSTAND_WORKER=off leaves them to `paperstand worker`", highlight=False)
    uvicorn.run(application, host=bind_host, port=bind_port, log_level=settings.log_level.lower())


@app.command("import")
def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Files to import; the format is detected from content.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Force a format instead of detecting it.")] = (
        Format.auto),
    featured_on: Annotated[str | None, typer.Option(
        help="Feature every imported paper on this day (YYYY-MM-DD), in file order.")] = None,
) -> None:
    """Import papers from files: listing captures, Hugging Face JSON, arXiv Atom/OAI-PMH/RSS/JSON lines.

    Files compressed with gzip, bzip2, xz or zstd are read as they are decompressed (recognised by their
    content, whatever their name), so the Kaggle snapshot can be imported as downloaded. Importing the
    same file twice changes nothing. Bad records are reported with file, record/line and reason; valid
    records still land; the exit code is 1 when anything was rejected.

    Examples:

    * `paperstand import daily-papers-listing.txt --featured-on 2025-03-11`
    * `paperstand import daily_papers.json arxiv-page.xml arxiv-metadata-oai-snapshot.json.gz`
    """
    from paperstand.ingest.run import ImportSummary, import_file

    day = _parse_date(featured_on, "--featured-on")
    engine = _engine(Settings())
    summary = ImportSummary()
    with _progress() as progress:
        for path in files:
            size = path.stat().st_size if path.is_file() else None
            task = progress.add_task(path.name, total=None, unit="records", estimated=True)
            import_file(engine, path, fmt.value, featured_on=day, summary=summary,
                        progress=partial(_advance, progress, task, size), index=False)
            _finish(progress, task)
        if summary.new or summary.changed_ids:
            # Once for all the files: the keyword indexes read what this run added or rewrote.
            from paperstand.search.sync import sync_search_indexes

            papers = summary.new + len(set(summary.changed_ids))
            task = progress.add_task("indexing for search", total=papers, unit="papers")
            sync_search_indexes(engine, summary.changed_ids)
            progress.update(task, completed=papers)
    _print_summary(summary)
    if summary.rejected:
        raise typer.Exit(1)


@app.command()
def harvest(
    since: Annotated[str | None, typer.Option(
        help="First day to fetch (YYYY-MM-DD); default PAPERSTAND_HARVEST_DAYS days ago.")] = None,
    until: Annotated[str | None, typer.Option(help="Last day to fetch (YYYY-MM-DD); default today.")] = None,
    categories: Annotated[str | None, typer.Option(
        help="Comma-separated arXiv categories, e.g. cs.LG,cs.CL (default PAPERSTAND_HARVEST_CATEGORIES).")] = None,
) -> None:
    """Fetch new papers from arXiv (OAI-PMH) and Hugging Face daily papers for a date range.

    arXiv's rate limit (one request every 3 s) and Retry-After answers are honoured, and failed
    requests are retried. Every page is stored as it arrives, so an interrupted harvest keeps
    what it fetched; running it again changes nothing that is already current.
    """
    from datetime import timedelta

    from paperstand.ingest.harvest import harvest as run_harvest

    settings = Settings()
    start = _parse_date(since, "--since") or date.today() - timedelta(days=settings.harvest_days)
    end = _parse_date(until, "--until")
    cats = [c.strip() for c in categories.split(",") if c.strip()] if categories else settings.category_list
    engine = _engine(settings)
    with _progress() as progress:
        task = progress.add_task("harvest", total=None)
        report = run_harvest(engine, settings, since=start, until=end, categories=cats,
                             progress=lambda msg: progress.update(task, description=str(msg)))
    _print_harvest(report)
    if report.offline or not report.ok:
        raise typer.Exit(1)


@app.command("search-index")
def search_index_cmd(
    shards: int = typer.Option(
        0, "--shards", min=0, max=4,
        help="Split the index in this many shards, searched side by side (0: one per core from 200,000 papers, "
             "else one)."),
) -> None:
    """Build or rebuild the keyword search index (tantivy, under the data dir); imports keep it current."""
    from paperstand.search.sync import reindex

    settings = Settings()
    engine = _engine(settings)
    with _progress() as progress:
        task = progress.add_task("indexing for search", total=None, unit="papers")
        n = reindex(engine, shards=shards or None,
                    progress=lambda done, total: progress.update(task, completed=done, total=total))
        progress.update(task, completed=n, total=n)
    out.print(f"search index: {n:,} papers")


def _print_harvest(report: HarvestReport) -> None:
    if report.offline:
        console.print(f"arXiv and Hugging Face are unreachable ({report.offline_reason}): "
                      "import a file instead: paperstand import FILE", style="yellow", soft_wrap=True)
    for line in report.lines():
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def _advance(progress: Progress, task: TaskID, size: int | None, records: int, position: int) -> None:
    """Show the records read; the total is estimated from the share of the file's bytes read so far."""
    total = max(records, round(records * size / position)) if size and position else None
    progress.update(task, completed=records, total=total)


def _finish(progress: Progress, task: TaskID) -> None:
    """The file is read: its count is the total, and the rate becomes the average over the file."""
    done = next(t.completed for t in progress.tasks if t.id == task)
    progress.update(task, total=done, completed=done, estimated=False)


def _progress() -> Progress:
    from paperstand.progress import counting_progress

    return counting_progress(console)


def _print_summary(summary: object) -> None:
    for line in getattr(summary, "notices", []):
        console.print(f"note: {line}", style="yellow", highlight=False, markup=False, soft_wrap=True)
    for line in getattr(summary, "rejections", []):
        console.print(f"rejected: {line}", style="red", highlight=False, markup=False, soft_wrap=True)
    table = Table(title="Import summary", show_header=True)
    for col in ("new", "updated", "unchanged", "rejected"):
        table.add_column(col, justify="right")
    table.add_row(*(str(getattr(summary, c)) for c in ("new", "updated", "unchanged", "rejected")))
    console.print(table)


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
