"""``paperstand worker``: run the schedule, list it, or run one job now."""

from __future__ import annotations

import logging
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.worker.jobs import JOBS
from paperstand.worker.queue import lock_name, make_queue, register
from paperstand.worker.schedule import SCHEDULE

console = Console(stderr=True)


def worker(
    workers: Annotated[int, typer.Option(min=1, max=32, help="Jobs run in parallel threads.")] = 2,
    list_jobs: Annotated[bool, typer.Option("--list", help="Print the schedule and exit.")] = False,
    run: Annotated[str | None, typer.Option(help="Run this job once now, in this process, and exit "
                                                  f"({', '.join(JOBS)}).")] = None,
) -> None:
    """Run every recurring job on its schedule (harvest, digests, embedding), until stopped with Ctrl-C.

    The queue is SQLite in the data folder by default (no server needed); set PAPERSTAND_QUEUE_URL=redis://…
    to share one Redis queue between workers on several machines. Running several workers at once is
    safe: a job runs once at a time, and digests are sent once per subscriber and day or week.
    The schedule lives in paperstand/worker/schedule.py.
    """
    settings = Settings()
    if list_jobs:
        table = Table("job", "minute", "hour (UTC)", "what it does")
        for name, when in SCHEDULE.items():
            table.add_row(name, when.minute, when.hour, when.about)
        Console().print(table)
        return
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    engine.dispose()
    if run is not None:
        if run not in JOBS:
            raise typer.BadParameter(f"unknown job {run!r}; jobs: {', '.join(JOBS)}", param_hint="--run")
        console.print(f"{run}: {JOBS[run](settings)}", highlight=False)
        return
    try:
        queue = make_queue(settings)
    except ValueError as exc:
        console.print(str(exc), style="red")
        raise typer.Exit(2) from None
    register(queue, settings)
    where = "Redis" if settings.queue_url else f"SQLite at {settings.data_dir / 'queue.db'}"
    console.print(f"worker: {len(SCHEDULE)} scheduled jobs ({', '.join(SCHEDULE)}), queue on {where}; "
                  "Ctrl-C stops", highlight=False)
    # A lock left by a killed worker never expires: clear ours on start. At worst a job then overlaps
    # once with another worker's run, which is safe (jobs are idempotent, digests go through the outbox).
    queue.create_consumer(workers=workers, periodic=True, check_worker_health=True, flush_locks=True,
                          extra_locks=",".join(lock_name(job) for job in SCHEDULE)).run()
