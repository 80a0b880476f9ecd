"""The outbox: plan one row per (subscriber, period), claim rows under a lease, deliver, record the outcome.

No lock is held while talking to the mail server. A sender killed after the server accepted a digest
but before recording it leaves its lease to expire; the row is then sent again with the same
Message-ID, so at most the leases in flight at a crash can duplicate (RELIABILITY 5-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from paperstand.digests.models import OutboxMessage
from paperstand.papers.periods import Period
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import may_receive

# How long a claimed row belongs to its sender before another may take it over.
LEASE = timedelta(minutes=5)
# Waits after the 1st, 2nd, ... temporary failure (4xx); after the last, the address is suppressed.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
OUT: Table = OutboxMessage.__table__  # type: ignore[assignment]


@dataclass
class SendReport:
    """What one run did."""

    planned: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    suppressed: int = 0


def frequency_of(period: Period) -> str:
    """Daily subscribers get day periods, weekly subscribers week periods."""
    return "daily" if period.kind == "day" else "weekly"


def plan(session: Session, period: Period, now: datetime) -> int:
    """Create the pending rows this period owes; safe to run any number of times, concurrently too."""
    subscribers = session.execute(select(Subscriber).where(
        Subscriber.status == "confirmed", Subscriber.paused.is_(False),
        Subscriber.frequency == frequency_of(period))).scalars().all()
    rows = [{"subscriber_id": s.id, "period": period.label, "status": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now} for s in subscribers if may_receive(session, s)]
    if not rows:
        return 0
    insert = postgresql.insert if session.bind and session.bind.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(OUT).on_conflict_do_nothing(index_elements=["subscriber_id", "period"])
    count = select(func.count()).select_from(OUT).where(OUT.c.period == period.label)
    before = session.execute(count).scalar_one()
    session.execute(stmt, rows)  # drivers do not agree on rowcount here, so count instead
    return int(session.execute(count).scalar_one() - before)


def claim(conn: Connection, owner: str, now: datetime, limit: int = 50) -> list[int]:
    """Take up to ``limit`` due rows under a lease; a row another sender holds is skipped."""
    free = or_(OUT.c.lease_until.is_(None), OUT.c.lease_until < now)
    due = and_(OUT.c.status == "pending", OUT.c.next_attempt_at <= now, free)
    ids = conn.execute(select(OUT.c.id).where(due).order_by(OUT.c.id).limit(limit)).scalars().all()
    claimed = []
    for row_id in ids:
        # The guarded UPDATE is the lock: only one sender's UPDATE can match a free row.
        result = conn.execute(update(OUT).where(OUT.c.id == row_id, due)
                              .values(lease_owner=owner, lease_until=now + LEASE))
        if result.rowcount == 1:
            claimed.append(row_id)
    return claimed


def record_sent(conn: Connection, row_id: int, owner: str, now: datetime) -> None:
    """Mark a row sent, if this sender still holds it."""
    conn.execute(update(OUT).where(OUT.c.id == row_id, OUT.c.lease_owner == owner)
                 .values(status="sent", sent_at=now, lease_owner=None, lease_until=None, last_error=None))


def record_skipped(conn: Connection, row_id: int, owner: str, reason: str) -> None:
    """Close a row without mailing (nothing matched this subscriber's topics this period)."""
    conn.execute(update(OUT).where(OUT.c.id == row_id, OUT.c.lease_owner == owner).values(
        status="skipped", lease_owner=None, lease_until=None, last_error=reason))


def record_retry(conn: Connection, row_id: int, owner: str, now: datetime, error: str) -> bool:
    """Schedule another attempt after a temporary failure; ``False`` when attempts are exhausted."""
    attempts = conn.execute(select(OUT.c.attempts).where(OUT.c.id == row_id)).scalar_one() + 1
    if attempts > len(RETRY_DELAYS):
        record_suppressed(conn, row_id, owner, error)
        return False
    conn.execute(update(OUT).where(OUT.c.id == row_id, OUT.c.lease_owner == owner).values(
        attempts=attempts, next_attempt_at=now + RETRY_DELAYS[attempts - 1], lease_owner=None,
        lease_until=None, last_error=error[:500]))
    return True


def record_suppressed(conn: Connection, row_id: int, owner: str, error: str) -> None:
    """Give up on a row for good (the caller suppresses the address)."""
    conn.execute(update(OUT).where(OUT.c.id == row_id, OUT.c.lease_owner == owner).values(
        status="suppressed", lease_owner=None, lease_until=None, last_error=error[:500]))


def utcnow() -> datetime:
    """The clock, in one place so tests can pass their own ``now``."""
    return datetime.now(UTC)
