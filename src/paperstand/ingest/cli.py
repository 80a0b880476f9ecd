"""The ingest commands: ``paperstand import`` (files) and ``paperstand harvest`` (arXiv and Hugging Face)."""

from __future__ import annotations

import contextlib
import os
from datetime import date
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table
from sqlalchemy import Engine

from paperstand.config import Settings
from paperstand.db import make_engine, migrate

if TYPE_CHECKING:
    from paperstand.ingest.harvest import HarvestReport

console = Console(stderr=True)


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


# How much lower an import runs than the web server (Linux nice levels; 19 is the lowest priority).
IMPORT_NICENESS = 10


def _yield_cpu() -> None:
    """An import is batch work: on a machine that also serves pages, requests come first.

    Parsing and indexing a large file would otherwise take every core from the web process for minutes
    (pages measured at several times their latency during an import on two cores); at nice 10, as the
    in-process jobs run, the import takes what the server leaves. Not Linux, or not allowed: no change.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.nice(IMPORT_NICENESS)


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
    _yield_cpu()
    settings = Settings()
    engine = _engine(settings)
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
            from paperstand.search.sync import keyword_index_dir, sync_search_indexes

            papers = summary.new + len(set(summary.changed_ids))
            task = progress.add_task("indexing for search", total=papers, unit="papers")
            sync_search_indexes(engine, summary.changed_ids, keyword_index_dir(settings.data_dir))
            progress.update(task, completed=papers)
    _print_summary(summary)
    if summary.rejected:
        raise typer.Exit(1)


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
