"""``paperstand embed``: compute the embeddings semantic search needs, and bring its index up to date."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.search.vectors import DEFAULT_BATCH


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
    same backfill every 15 minutes; run it by hand after a large import.

    Examples:

    * `paperstand embed`  (after `paperstand import ...`)
    * `paperstand embed --device cuda --batch 8192`  (a large backfill on a GPU)
    """
    from paperstand.search.vectors import embed_pending

    settings = Settings()
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    console = Console(stderr=True)
    columns = (TextColumn("[bold]embedding"), BarColumn(), MofNCompleteColumn(), TextColumn("papers"),
               TimeRemainingColumn())
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
