"""The huey queue the worker runs on: SQLite in the data folder by default, Redis when configured."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from paperstand.config import Settings
from paperstand.worker.jobs import JOBS
from paperstand.worker.schedule import SCHEDULE

log = logging.getLogger("paperstand.worker")


def make_queue(settings: Settings) -> Huey:
    """The queue named by ``PAPERSTAND_QUEUE_URL`` (``redis://…``), or the embedded SQLite queue."""
    url = settings.queue_url
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("paperstand", url=url)
    if url:
        raise ValueError(f"queue: unsupported PAPERSTAND_QUEUE_URL {url!r}; use redis://host:port/db or leave it "
                         "unset for the SQLite queue")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("paperstand", filename=str((settings.data_dir / "queue.db").resolve()))


def register(huey: Huey, settings: Settings, *, jobs: Mapping[str, Callable[[Settings], str]] = JOBS,
             before: Callable[[], None] | None = None) -> dict[str, Any]:
    """Register every scheduled job as a periodic task; returns the tasks by job name (to enqueue by hand).

    ``jobs`` replaces the job functions (the web process embeds on the CPU); ``before`` runs on the job's
    thread before each run (the web process lowers its priority there).
    """
    tasks: dict[str, Any] = {}
    for name, when in SCHEDULE.items():
        job = _locked(huey, name, jobs[name], settings, before)
        tasks[name] = huey.periodic_task(when.crontab(), name=name)(job)
    return tasks


def lock_name(job: str) -> str:
    """The queue lock that keeps one run of ``job`` at a time."""
    return f"paperstand-{job}"


def _locked(huey: Huey, name: str, job: Callable[[Settings], str], settings: Settings,
            before: Callable[[], None] | None) -> Callable[[], str]:
    def run() -> str:
        if before is not None:
            before()
        # One run of a job at a time across every worker on this queue; a second one skips.
        # huey's lock TTL needs Redis 7.4+ and SQLite storage has none, so a worker killed mid-job
        # would hold the lock for good: each worker clears these locks when it starts instead.
        with huey.lock_task(lock_name(name)):
            log.info("%s: starting", name)
            summary = job(settings)
            log.info("%s: %s", name, summary)
            return summary

    run.__name__ = name
    return run
