"""The schedule run inside ``paperstand serve`` (``PAPERSTAND_WORKER=on``): one machine, one command.

The same huey queue, schedule and job locks as ``paperstand worker``, on threads of the web process: a job
that one process is running is skipped by another, so several ``serve`` processes (or a ``serve`` beside a
``worker``) still run each job once at a time. Job threads run at a lower CPU priority than the threads that
answer requests, so a large embedding backfill slows pages down little.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Any

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

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer

    def stop(self) -> None:
        """Stop scheduling, and let a running job finish its current step (jobs are resumable)."""
        self.consumer.stop(graceful=False)


def start_in_process(settings: Settings) -> InProcessWorker:
    """Start the scheduler and job threads in this process; raises ``ValueError`` for a bad queue URL."""
    queue = make_queue(settings)
    register(queue, settings, jobs=IN_PROCESS_JOBS, before=lower_priority)
    # As ``paperstand worker`` does: a lock left by a killed process never expires (SQLite storage has no
    # TTL), so it is cleared on start. At worst a job then overlaps once with another process's run, which
    # is safe: jobs are idempotent and digests go through the outbox, whose claims make a double send impossible.
    consumer = _ThreadConsumer(queue, workers=JOB_THREADS, worker_type="thread", periodic=True,
                               check_worker_health=False, flush_locks=True,
                               extra_locks=",".join(lock_name(job) for job in SCHEDULE))
    consumer.start()
    log.info("in-process worker: %d scheduled jobs (%s)", len(SCHEDULE), ", ".join(SCHEDULE))
    return InProcessWorker(consumer)

