"""The schedule run inside ``paperstand serve`` (``PAPERSTAND_WORKER=on``): one machine, one command.

The same huey queue, schedule and job locks as ``paperstand worker``, on threads of the web process: a job
that one process is running is skipped by another, so several ``serve`` processes (or a ``serve`` beside a
``worker``) still run each job once at a time. Job threads run at a lower CPU priority than the threads that
answer requests, so a large embedding backfill slows pages down little.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import IO, Any

from huey.consumer import Consumer

from paperstand.config import Settings
from paperstand.worker.jobs import IN_PROCESS_JOBS
from paperstand.worker.queue import lock_name, make_queue, register
from paperstand.worker.schedule import SCHEDULE

log = logging.getLogger("paperstand.worker")

# How much lower job threads run than request threads (Linux nice levels; 19 is the lowest priority).
JOB_NICENESS = 10
# Job threads: two, so that a long embedding run never holds up a digest that is due.
JOB_THREADS = 2
# The longest an idle job thread waits before looking at the queue again (one cheap read of the queue).
IDLE_POLL_S = 2.0


class _ThreadConsumer(Consumer):
    """huey's consumer without its signal handlers: the web server owns the process's signals."""

    def _set_signal_handlers(self) -> None:
        return None


def lower_priority() -> None:
    """Run the calling thread (and the threads it starts) at :data:`JOB_NICENESS` on Linux; elsewhere no-op."""
    # Not Linux, or not allowed: jobs then run at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICENESS)


class InProcessWorker:
    """The running schedule inside a web process; :meth:`stop` ends it."""

    def __init__(self, consumer: Any, tasks: dict[str, Any] | None = None) -> None:
        self.consumer = consumer
        self.tasks = tasks or {}

    def stop(self) -> None:
        """Stop scheduling, and let a running job finish its current step (jobs are resumable)."""
        global _running
        if _running is self:
            _running = None
        self.consumer.stop(graceful=False)


# The worker running in this process, if any: what ``nudge`` hands a job to.
_running: InProcessWorker | None = None


def nudge(job: str) -> bool:
    """Queue a run of ``job`` now, for this process's job threads; False when none run here (the schedule will).

    A request that queued a mail calls this after its commit, so a verification link arrives in seconds, not
    at the next minute. The run takes the job's usual lock: one already running makes this one a no-op.
    """
    worker = _running
    task = worker.tasks.get(job) if worker is not None else None
    if task is None:
        return False
    try:
        task()
    except Exception:  # the queue is unreachable: the scheduled run still comes
        log.warning("could not queue an immediate %s run", job, exc_info=True)
        return False
    return True


# Lock files held by this process, by data folder; kept open (and so locked) while it leads that folder.
_leading: dict[Path, IO[bytes]] = {}


def claim_jobs(settings: Settings) -> bool:
    """Whether this process runs a data folder's background work (recurring jobs, the first harvest).

    ``serve --workers N`` starts N processes that all build the app; an exclusive ``flock`` on a file in the
    data folder lets exactly one of them lead. The kernel drops the lock when that process ends, however it
    ends, and the process uvicorn starts in its place takes it over. (Across machines, the queue's job
    locks keep each job to one run at a time.)
    """
    folder = settings.data_dir.resolve()
    if folder in _leading:
        return True
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / "serve-jobs.lock", "ab")  # noqa: SIM115 - held open on purpose
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    _leading[folder] = handle
    return True


def release_jobs(settings: Settings) -> None:
    """Stop leading the folder (the app stops), so another process of it may take over."""
    handle = _leading.pop(settings.data_dir.resolve(), None)
    if handle is not None:
        handle.close()


def start_in_process(settings: Settings) -> InProcessWorker:
    """Start the scheduler and job threads in this process; raises ``ValueError`` for a bad queue URL."""
    global _running
    queue = make_queue(settings)
    tasks = register(queue, settings, jobs=IN_PROCESS_JOBS, before=lower_priority)
    # As ``paperstand worker`` does: a lock left by a killed process never expires (SQLite storage has no
    # TTL), so it is cleared on start. At worst a job then overlaps once with another process's run, which
    # is safe: jobs are idempotent and digests go through the outbox, whose claims make a double send impossible.
    # max_delay: an idle job thread looks at the queue at least every IDLE_POLL_S seconds (huey's default is 10),
    # so a nudged mail delivery starts within a couple of seconds.
    consumer = _ThreadConsumer(queue, workers=JOB_THREADS, worker_type="thread", periodic=True,
                               check_worker_health=False, flush_locks=True, max_delay=IDLE_POLL_S,
                               extra_locks=",".join(lock_name(job) for job in SCHEDULE))
    consumer.start()
    log.info("in-process worker: %d scheduled jobs (%s)", len(SCHEDULE), ", ".join(SCHEDULE))
    _running = InProcessWorker(consumer, tasks)
    return _running

