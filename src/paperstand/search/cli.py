"""The search commands: ``paperstand embed`` (compute the embeddings), ``paperstand search`` (the terminal
page) and ``paperstand search-index`` (build the keyword index)."""

from __future__ import annotations

import html
import json
import re
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeRemainingColumn
from rich.text import Text
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.search.query import SearchSyntaxError
from paperstand.search.service import MODES, parse_mode, search
from paperstand.search.vectors import DEFAULT_BATCH, embed_pending


class RateColumn(ProgressColumn):
    """Papers embedded a second, as the bar's recent average."""

    def render(self, task: Task) -> Text:
        """``123 papers/s``, or nothing before the first batch."""
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} papers/s" if speed else "", style="progress.data.speed")


class Device(StrEnum):
    """Where the embedding model runs."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


def embed(
    device: Annotated[Device, typer.Option(
        help="`auto` uses a CUDA GPU when one is usable, else the CPU (int8 ONNX Runtime).")] = Device.auto,
    batch: Annotated[int, typer.Option(
        min=1, help="Papers embedded and committed together; an interrupted run loses at most one batch.")] = (
        DEFAULT_BATCH),
    rebuild: Annotated[bool, typer.Option(
        help="Re-embed every paper and rebuild the index file (after a model change the pending papers are "
        "found anyway).")] = False,
) -> None:
    """Embed new and changed papers for semantic search, then update its index (`search/semantic` in the data dir).

    A paper is embedded once per change of its title or abstract: running this again finds nothing to do.
    Work is committed batch by batch, so an interrupted run resumes where it stopped. The worker runs the
    same backfill every minute (`paperstand serve` in-process, or `paperstand worker`); run it by hand for a
    large backfill on a GPU.

    Examples:

    * `paperstand embed`  (after `paperstand import ...`)
    * `paperstand embed --device cuda --batch 8192`  (a large backfill on a GPU)
    """
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    console = Console(stderr=True)
    columns = (TextColumn("[bold]embedding"), BarColumn(), MofNCompleteColumn(), TextColumn("papers"),
               RateColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("embed", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = embed_pending(engine, settings, device=device.value, batch=batch, rebuild=rebuild,
                                   progress=advance)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: the batches committed so far are kept; run it again to resume")
        raise typer.Exit(130) from None
    finally:
        engine.dispose()
    for line in report.lines():
        Console().print(line)


console = Console()
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _rich(fragment_html: str) -> str:
    """Highlighted HTML from the search service as rich markup (matches in bold yellow)."""
    parts, last = [], 0
    for m in _MARK.finditer(fragment_html):
        parts.append(escape(html.unescape(fragment_html[last:m.start()])))
        parts.append(f"[bold yellow]{escape(html.unescape(m.group(1)))}[/]")
        last = m.end()
    parts.append(escape(html.unescape(fragment_html[last:])))
    return "".join(parts)


def search_command(
    query: Annotated[str, typer.Argument(help='Words or a question; also "phrases", author:Name, cat:cs.CL, '
                                              "from:2024-01-01, to:2024-06, year:2025, -excluded.")],
    mode: Annotated[str, typer.Option(help=f"How to match: {', '.join(MODES)} (words and meaning fused).")]
    = "hybrid",
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many results.")] = 10,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many results (the next page).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per result, for scripts.")] = False,
) -> None:
    """Search the papers in the database, best match first.

    Examples: paperstand search "how do transformers handle long documents";
    paperstand search '"graph neural" cat:cs.LG from:2024-01-01' --mode keyword
    """
    try:
        chosen = parse_mode(mode)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--mode") from None
    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with Session(engine) as session:
        try:
            page = search(session, query, settings=settings, mode=chosen, offset=offset, limit=limit)
        except SearchSyntaxError as exc:
            raise typer.BadParameter(str(exc), param_hint="QUERY") from None
        for notice in page.notices:
            Console(stderr=True).print(notice, style="yellow")
        if as_json:
            for r in page.results:
                print(json.dumps({"id": r.paper.public_id, "title": r.paper.title, "score": round(r.score, 6),
                                  "matched": r.matched, "authors": r.paper.authors,
                                  "published": r.paper.published_at.date().isoformat()
                                  if r.paper.published_at else None}, ensure_ascii=False))
            return
        if not page.results:
            console.print(f"No results for {query!r}. Try fewer words, drop a filter, or --mode semantic.",
                          highlight=False)
            return
        for rank, r in enumerate(page.results, start=page.offset + 1):
            authors = ", ".join(r.paper.authors[:4]) + (" et al." if len(r.paper.authors) > 4 else "")
            when = r.paper.published_at.date().isoformat() if r.paper.published_at else ""
            console.print(f"[bold]{rank}. {_rich(r.title_html)}[/]", highlight=False)
            meta = [r.paper.public_id, when, authors, f"matched by {r.matched}" if r.matched else ""]
            console.print(f"   [dim]{escape(' · '.join(m for m in meta if m))}[/]", highlight=False)
            console.print(f"   {_rich(r.snippet_html)}\n", highlight=False, soft_wrap=False)
        if page.has_next:
            console.print(f"[dim]More: --offset {page.offset + page.limit}[/]")


def search_index_cmd(
    shards: int = typer.Option(
        0, "--shards", min=0, max=4,
        help="Split the index in this many shards, searched side by side (0: one per core from 200,000 papers, "
             "else one)."),
) -> None:
    """Build or rebuild the keyword search index (tantivy, under the data dir); imports keep it current."""
    from paperstand.progress import counting_progress
    from paperstand.search.sync import keyword_index_dir, reindex

    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    with counting_progress(Console(stderr=True)) as progress:
        task = progress.add_task("indexing for search", total=None, unit="papers")
        n = reindex(engine, keyword_index_dir(settings.data_dir), shards=shards or None,
                    progress=lambda done, total: progress.update(task, completed=done, total=total))
        progress.update(task, completed=n, total=n)
    Console().print(f"search index: {n:,} papers")
