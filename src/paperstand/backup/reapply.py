"""Re-applying journalled suppressions to a restored database: idempotent, and never un-suppressing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.backup.journal import Entry
from paperstand.subscriptions.models import Subscriber, Suppression
from paperstand.subscriptions.service import store_suppression


@dataclass
class Reapplied:
    """What re-applying the journals changed."""

    read: int = 0
    added: int = 0
    unsubscribed: int = 0


def _key(email: str, reason: str, at: datetime) -> tuple[str, str, str]:
    # Compared as text at microsecond precision: both databases keep microseconds.
    stamp = at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return email, reason, stamp


def reapply(session: Session, entries: Iterable[Entry]) -> Reapplied:
    """Add every journalled suppression the database lacks, and end subscriptions they cancel.

    A suppression already present (same address, reason and time) is skipped, so re-applying twice
    changes nothing. An unsubscribe ends a subscription only when it was confirmed at or before the
    unsubscribe: someone who came back later keeps the subscription they chose (``may_receive``
    compares the same times).
    """
    report = Reapplied()
    have = {_key(s.email, s.reason, s.created_at) for s in session.execute(select(Suppression)).scalars()}
    cancelled: dict[str, Entry] = {}
    for entry in entries:
        report.read += 1
        key = _key(entry.email, entry.reason, entry.at)
        if key in have:
            continue
        have.add(key)
        # One row per (address, reason): a later entry moves the stored time forward instead of adding a row.
        report.added += store_suppression(session, entry.email, entry.reason, entry.at)
        if entry.reason == "unsubscribed" and (entry.email not in cancelled or cancelled[entry.email].at < entry.at):
            cancelled[entry.email] = entry
    if cancelled:
        for sub in session.execute(select(Subscriber).where(Subscriber.email.in_(cancelled))).scalars():
            at = cancelled[sub.email].at
            if sub.status != "unsubscribed" and (sub.confirmed_at is None or sub.confirmed_at <= at):
                sub.status, sub.unsubscribed_at = "unsubscribed", at
                report.unsubscribed += 1
    return report
