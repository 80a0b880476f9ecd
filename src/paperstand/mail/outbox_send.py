"""Deliver the outbox of single messages: claim due rows under a lease, send, record; retry with backoff.

As with digests (``digests/outbox.py``), no lock is held while the mail server talks: a sender killed after
the server took a message but before recording it leaves its lease to run out, and the row goes again with
the same Message-ID, so a crash duplicates at most the messages in flight and loses none.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast
from urllib.parse import urlsplit

from sqlalchemy import Connection, CursorResult, Engine, Table, and_, or_, select, update
from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.dialect import skip_locked
from paperstand.mail.backends import MailBackend
from paperstand.mail.errors import MailError, PermanentMailError
from paperstand.mail.headers import checked_address, date_header, header_text, sender_address
from paperstand.mail.models import OutgoingMail

log = logging.getLogger("paperstand.mail")

# How long a claimed row belongs to its sender; one message takes a second or two, a batch well under this.
LEASE = timedelta(minutes=5)
# Waits after the 1st, 2nd, ... temporary failure (4xx, connection refused); after the last, it is given up.
# Together about a day: a verification or reset mail older than that has expired anyway.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                timedelta(hours=6), timedelta(hours=12))
BATCH = 50
OUT: Table = OutgoingMail.__table__  # type: ignore[assignment]


@dataclass
class OutboxReport:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    def line(self) -> str:
        """One line for logs and the command line."""
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} given up"


def _due(now: datetime) -> Any:
    free = or_(OutgoingMail.leased_until.is_(None), OutgoingMail.leased_until < now)
    return and_(OutgoingMail.sent_at.is_(None), OutgoingMail.status.is_(None), OutgoingMail.next_attempt_at <= now,
                free)


def claim(conn: Connection, owner: str, now: datetime, limit: int = BATCH) -> list[int]:
    """Take up to ``limit`` due rows under a lease in one statement; rows another sender holds are skipped."""
    due = _due(now)
    pick = skip_locked(conn, select(OutgoingMail.id).where(due)
                       .order_by(OutgoingMail.next_attempt_at, OutgoingMail.id).limit(limit))
    # Evaluated once (see digests/outbox.py claim: an IN over the locking subquery took every due row on
    # PostgreSQL); ``due`` is checked again on each row as it is updated, so two senders never share a row.
    picked = pick.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    stmt = (update(OUT).where(OUT.c.id.in_(select(picked.c.id)), due)
            .values(lease_owner=owner, leased_until=now + LEASE).returning(OUT.c.id))
    return sorted(conn.execute(stmt).scalars().all())


def message_for(row: OutgoingMail, settings: Settings) -> EmailMessage:
    """The message a row describes; its Message-ID comes from the row, so a re-send after a crash reuses it."""
    host = urlsplit(settings.effective_base_url).hostname or "localhost"
    message = EmailMessage()
    message["Subject"] = header_text(row.subject)
    message["From"] = sender_address(settings.mail_from, settings.site_name)
    message["To"] = checked_address(row.to_address)
    message["Date"] = date_header()
    message["Message-ID"] = f"<outbox.{row.id}.{int(row.created_at.timestamp())}@{host}>"
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


def _record(conn: Connection, row_id: int, owner: str, **values: Any) -> bool:
    """Write an outcome if this sender still holds the row (its lease may have passed to another)."""
    result = conn.execute(update(OUT).where(OUT.c.id == row_id, OUT.c.lease_owner == owner)
                          .values(lease_owner=None, leased_until=None, **values))
    return cast(CursorResult[Any], result).rowcount == 1


def _failed(conn: Connection, row: OutgoingMail, owner: str, now: datetime, error: Exception) -> str:
    """Schedule a retry for a temporary failure, or give up; returns "retried" or "failed"."""
    attempts = row.attempts + 1
    text = str(error)[:500]
    if isinstance(error, MailError) and not isinstance(error, PermanentMailError) and attempts <= len(RETRY_DELAYS):
        _record(conn, row.id, owner, attempts=attempts, next_attempt_at=now + RETRY_DELAYS[attempts - 1],
                last_error=text)
        return "retried"
    _record(conn, row.id, owner, attempts=attempts, status="failed", last_error=text)
    log.warning("mail: gave up on %s to %s after %d attempt(s): %s", row.kind, row.to_address, attempts, text)
    return "failed"


def deliver(conn: Connection, row: OutgoingMail, owner: str, settings: Settings, backend: MailBackend,
            now: datetime) -> str:
    """Send one claimed row and record how it went: "sent", "retried" or "failed"."""
    try:
        backend.send(message_for(row, settings))
    except (MailError, ValueError) as exc:  # ValueError: an address or header that can never be sent
        return _failed(conn, row, owner, now, exc)
    _record(conn, row.id, owner, status="sent", sent_at=now, attempts=row.attempts + 1, last_error=None)
    return "sent"


def send_outbox(engine: Engine, settings: Settings, backend: MailBackend, *, now: datetime | None = None,
                limit: int | None = None) -> OutboxReport:
    """Deliver every due message (at most ``limit``), a batch at a time, each outcome committed at once."""
    report = OutboxReport()
    owner = uuid.uuid4().hex
    while limit is None or report.sent + report.retried + report.failed < limit:
        at = now or datetime.now(UTC)
        with engine.begin() as conn:
            ids = claim(conn, owner, at, BATCH if limit is None else min(BATCH, limit))
        if not ids:
            break
        for row_id in ids:
            with Session(engine) as session, session.begin():
                row = session.get(OutgoingMail, row_id)
                if row is None or row.lease_owner != owner:
                    continue  # the lease ran out and another sender has it now
                outcome = deliver(session.connection(), row, owner, settings, backend, now or datetime.now(UTC))
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def send_outbox_now(settings: Settings) -> OutboxReport:
    """``send_outbox`` with the configured database and mail backend (the job and ``paperstand mail send``)."""
    from paperstand.db import make_engine
    from paperstand.mail.backends import mail_backend

    engine = make_engine(settings.effective_database_url)
    backend = mail_backend(settings)
    try:
        return send_outbox(engine, settings, backend)
    finally:
        backend.close()
        engine.dispose()
