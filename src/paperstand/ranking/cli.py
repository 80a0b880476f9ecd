"""``paperstand trending``: recompute the stored trending scores now (the worker does it every 5 minutes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.progress import counting_progress
from paperstand.ranking.service import recompute_all

app = typer.Typer(help="Trending scores: recompute them now.", no_args_is_help=True)
console = Console(stderr=True)


def _moment(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time such as 2026-03-02T09:00:00+00:00",
                                 param_hint="--at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("recompute")
def recompute(at: Annotated[str | None, typer.Option(
        help="Score as of this time (ISO 8601, default UTC) instead of now, e.g. to see tomorrow's order.")]
        = None) -> None:
    """Recompute every trending paper's stored score, and drop the papers that stopped trending.

    /papers/trending, `?sort=trending` in the API and the digests' "top" papers read these scores. The worker
    runs this every 5 minutes and a vote refreshes its paper at once, so running it by hand is only needed
    after a bulk import of votes or to score as of another time (`--at`).
    """
    now = _moment(at)
    engine = make_engine(Settings().effective_database_url)
    migrate(engine)
    try:
        with counting_progress(console) as progress, Session(engine) as session:
            task = progress.add_task("scoring", total=None, unit="papers")

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            report = recompute_all(session, now=now, progress=advance)
    finally:
        engine.dispose()
    console.print(report.line(), highlight=False)
