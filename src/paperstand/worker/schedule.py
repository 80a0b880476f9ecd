"""Every recurring job and when it runs: the one place to read or change the schedule.

Times are cron-style and in UTC. Each job is idempotent and guarded by a queue lock, so running several
workers at once (for availability) never runs a job twice at the same time; digests in particular are
sent through the outbox, whose unique key and leases make a double send impossible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from huey import crontab


@dataclass(frozen=True)
class Every:
    """A cron-style time specification (UTC) and what the job does, for ``paperstand worker --list``."""

    minute: str
    hour: str
    about: str

    def crontab(self) -> Callable[[datetime], bool]:
        """The huey validator for this time."""
        return crontab(minute=self.minute, hour=self.hour)


SCHEDULE: dict[str, Every] = {
    # arXiv announces new papers once a day (around 00:00 UTC on weekdays) and Hugging Face curates
    # through the day: every 3 hours keeps the site current without hammering either.
    "harvest": Every(minute="17", hour="*/3", about="fetch new papers from arXiv and Hugging Face"),
    # Subscribers choose a send hour in their own time zone; a run every minute sends each digest within a
    # minute or two of its hour. Runs that find nothing due cost a plan query and one claim.
    "digests": Every(minute="*", hour="*", about="send every digest that is due now"),
    # Semantic search sees a paper once it is embedded: every minute makes a new import findable by meaning a
    # minute or two after it lands; a run with nothing pending costs one query and loads no model.
    "embed": Every(minute="*", hour="*", about="embed new and changed papers; update the semantic index"),
    # Quiet hours, after arXiv's 00:00 UTC announcement and its harvests: one consistent copy a night, the
    # newest PAPERSTAND_BACKUP_KEEP kept (0 turns it off), so a broken disk costs at most a day of writes.
    "backup": Every(minute="41", hour="3", about="back up the database; keep the newest PAPERSTAND_BACKUP_KEEP"),
    # Verification, reset and notice mails wait in the outbox: every minute bounds the wait when no web
    # process is there to nudge the job right after the request that queued one (``worker.inprocess.nudge``).
    "send_mail": Every(minute="*", hour="*", about="deliver queued account and notice mail; retry failures"),
    # A trending score's age part loses a point a day (0.1 every 2.4 hours), and votes and comments leave the
    # week's window as time passes: every 5 minutes keeps each stored score within 0.1 of the truth. A vote
    # also refreshes its paper at once, so this run only carries time forward.
    "trending": Every(minute="*/5", hour="*", about="recompute every trending paper's stored score"),
    # Watched papers are scanned rather than hooked into imports (see follows.watch): every 2 minutes tells a
    # watcher of a comment soon after it is posted; a run costs a few queries over the watched papers only.
    "watch": Every(minute="*/2", hour="*", about="alert watchers of new versions, code and comments"),
    # /for-you trains a changed member's model on the fly (tens of ms), so this run only spares later visits
    # that work: every 10 minutes, skipping each member whose signals' fingerprint is unchanged.
    "recommend": Every(minute="*/10", hour="*", about="retrain the taste model of every member whose signals changed"),
}
