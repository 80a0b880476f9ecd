"""The outbox: plan one row per (subscriber, period), claim rows under a lease, deliver, record the outcome.

No lock is held while talking to the mail server. A sender killed after the server accepted a digest
but before recording it leaves its lease to expire; the row is then sent again with the same
Message-ID, so at most the leases in flight at a crash can duplicate (RELIABILITY 5-7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Table, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from paperstand.dialect import insert_or_ignore, skip_locked
from paperstand.digests.due import Due, Schedule, due_digest
from paperstand.digests.models import OutboxMessage
from paperstand.papers.periods import Period
from paperstand.papers.queries import latest_day
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import may_receive

# How long a claimed row belongs to its sender before another may take it over.
LEASE = timedelta(minutes=5)
# A sender stops taking rows from a batch this long before its lease ends, and hands the rest back.
LEASE_MARGIN = timedelta(seconds=30)
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


def eligible(session: Session, frequency: str | None = None) -> list[Subscriber]:
    """Confirmed, unpaused, unsuppressed subscribers (of one frequency, when given)."""
    stmt = select(Subscriber).where(Subscriber.status == "confirmed", Subscriber.paused.is_(False))
    if frequency is not None:
        stmt = stmt.where(Subscriber.frequency == frequency)
    return [s for s in session.execute(stmt).scalars().all() if may_receive(session, s)]


def _insert_rows(session: Session, rows: list[dict[str, object]]) -> int:
    """Insert outbox rows, skipping keys that exist; returns how many were new."""
    if not rows:
        return 0
    stmt = insert_or_ignore(session, OUT, keys=["subscriber_id", "period"])
    count = select(func.count()).select_from(OUT)
    before = session.execute(count).scalar_one()
    session.execute(stmt, rows)  # drivers do not agree on rowcount here, so count instead
    return int(session.execute(count).scalar_one() - before)


def _row(subscriber_id: int, label: str, first: date, last: date, now: datetime) -> dict[str, object]:
    return {"subscriber_id": subscriber_id, "period": label, "first_day": first, "last_day": last,
            "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now}


def plan(session: Session, period: Period, now: datetime) -> int:
    """Create the rows a period owes its frequency's subscribers; idempotent, also when run concurrently."""
    last = period.end - timedelta(days=1)
    return _insert_rows(session, [_row(s.id, period.label, period.start, last, now)
                                  for s in eligible(session, frequency_of(period))])


def last_covered(session: Session) -> dict[int, date]:
    """The newest featured day each subscriber's earlier digests covered."""
    rows = session.execute(select(OUT.c.subscriber_id, func.max(OUT.c.last_day)).group_by(OUT.c.subscriber_id))
    return {sid: day for sid, day in rows if day is not None}


def schedule_of(subscriber: Subscriber) -> Schedule:
    """The timing part of a subscriber's preferences."""
    return Schedule(subscriber.frequency, subscriber.send_hour, subscriber.timezone, subscriber.weekday)


def due_now(session: Session, now: datetime) -> list[tuple[Subscriber, Due]]:
    """Each eligible subscriber owed a digest now (by send hour, weekday and time zone), with its span."""
    latest = latest_day(session)
    covered = last_covered(session)
    owed = []
    for s in eligible(session):
        due = due_digest(schedule_of(s), now, last_covered=covered.get(s.id), latest_featured=latest)
        if due is not None:
            owed.append((s, due))
    return owed


def plan_due(session: Session, now: datetime) -> int:
    """Create the rows owed right now; idempotent, also when run concurrently."""
    return _insert_rows(session, [_row(s.id, d.label, d.first_day, d.last_day, now) for s, d in due_now(session, now)])


def pending_count(session: Session, now: datetime) -> int:
    """Rows a sender could claim now (for progress bars)."""
    free = or_(OUT.c.lease_until.is_(None), OUT.c.lease_until < now)
    return int(session.execute(select(func.count()).select_from(OUT).where(
        OUT.c.status == "pending", OUT.c.next_attempt_at <= now, free)).scalar_one())


def claim(conn: Connection, owner: str, now: datetime, limit: int = 100) -> list[int]:
    """Take up to ``limit`` due rows under a lease, in one statement; rows another sender holds are skipped."""
    free = or_(OUT.c.lease_until.is_(None), OUT.c.lease_until < now)
    due = and_(OUT.c.status == "pending", OUT.c.next_attempt_at <= now, free)
    # In the order of the (status, next_attempt_at) index: rows already sent are not scanned past.
    # Concurrent senders on PostgreSQL take different rows, without waiting on each other's locks.
    pick = skip_locked(conn, select(OUT.c.id).where(due).order_by(OUT.c.next_attempt_at, OUT.c.id).limit(limit))
    # A WITH query, evaluated once: as an ``IN (subquery)`` PostgreSQL re-ran the locking subquery while
    # updating, and each run, seeing the rows just leased as taken, picked further ones, so one claim
    # took every due row whatever ``limit`` said. MATERIALIZED keeps a future planner from inlining it.
    picked = pick.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    # The guarded UPDATE is the lock: ``due`` is checked again on each row as it is updated, so two
    # senders can never both take one row (SQLite serialises writers; PostgreSQL re-checks after a lock wait).
    stmt = (update(OUT).where(OUT.c.id.in_(select(picked.c.id)), due)
            .values(lease_owner=owner, lease_until=now + LEASE).returning(OUT.c.id))
    return sorted(conn.execute(stmt).scalars().all())


def release(conn: Connection, ids: list[int], owner: str) -> None:
    """Hand claimed rows back untouched, for another run to take at once."""
    if ids:
        conn.execute(update(OUT).where(OUT.c.id.in_(ids), OUT.c.lease_owner == owner)
                     .values(lease_owner=None, lease_until=None))


# Built once: recording sends runs once per group of digests, and building the statement costs more than running it.
_SENT = (update(OUT).where(OUT.c.id == bindparam("row_id"), OUT.c.lease_owner == bindparam("owner"))
         .values(status="sent", sent_at=bindparam("now"), lease_owner=None, lease_until=None, last_error=None))


def record_sent_many(conn: Connection, rows: list[dict[str, object]]) -> None:
    """Mark rows sent (``row_id``, ``owner``, ``now`` each), those this sender still holds, in one statement."""
    conn.execute(_SENT, rows)


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
