"""Subscribe with double opt-in: request, confirm, unsubscribe; who may receive mail; the preferences page."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.backup.journal import record
from paperstand.config import Settings
from paperstand.errors import DomainError
from paperstand.subscriptions.models import OptInToken, Subscriber, Suppression
from paperstand.subscriptions.preferences import InvalidPreferences, apply_preferences, parse_preferences

# How long a confirmation link works (RELIABILITY 4: single-use, expires in 72 h).
OPT_IN_TTL = timedelta(hours=72)
# Suppressions that also block a new opt-in mail: mailing a bounced or complaining address is harmful.
BLOCKING_REASONS = frozenset({"hard-bounce", "soft-bounces", "complaint"})
MAX_EMAIL_LENGTH = 254
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


class InvalidEmail(DomainError):
    """The address cannot be a deliverable email address."""


class InvalidToken(DomainError):
    """A confirmation link that is unknown, used or expired."""

    status = 400
    title = "This link does not work"


@dataclass(frozen=True)
class OptIn:
    """A confirmation mail to send: to whom, and the raw token for its link."""

    email: str
    token: str


def hash_token(token: str) -> str:
    """Tokens are stored hashed, so a database leak does not leak working links."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(text: str) -> str:
    """The canonical (trimmed, lower-case) form of an address, or ``InvalidEmail``."""
    email = text.strip().lower()
    # Control characters (NUL above all: PostgreSQL refuses it) and lone surrogates have no place in an
    # address, and would otherwise be written raw into a To: line.
    if any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f or 0xd800 <= ord(c) <= 0xdfff or c in "\u2028\u2029"
           for c in email):
        raise InvalidEmail(f"{text.strip()[:80]!r} is not an email address (it holds control characters)",
                           hint="Use a full address such as ada@example.org.")
    if not email or len(email) > MAX_EMAIL_LENGTH or not _EMAIL.match(email):
        raise InvalidEmail(f"{text.strip()[:80]!r} is not an email address",
                           hint="Use a full address such as ada@example.org.")
    return email


def _suppressions(session: Session, email: str) -> list[Suppression]:
    return list(session.execute(select(Suppression).where(Suppression.email == email)).scalars())


def request_subscription(session: Session, email_text: str, *, now: datetime | None = None) -> OptIn | None:
    """Record a pending subscription and return the opt-in mail to send (``None``: send nothing).

    The caller shows the same answer whatever happened, so the form never reveals who subscribes.
    """
    now = now or datetime.now(UTC)
    email = normalize_email(email_text)
    if any(s.reason in BLOCKING_REASONS for s in _suppressions(session, email)):
        return None
    subscriber = session.execute(select(Subscriber).where(Subscriber.email == email)).scalar_one_or_none()
    if subscriber is None:
        subscriber = Subscriber(email=email, status="pending", created_at=now, categories=[], keywords=[])
        session.add(subscriber)
        session.flush()
    elif may_receive(session, subscriber):
        return None  # already confirmed: nothing to do, and nothing to tell a stranger
    token = secrets.token_urlsafe(32)
    session.add(OptInToken(token_hash=hash_token(token), subscriber_id=subscriber.id,
                           expires_at=now + OPT_IN_TTL))
    return OptIn(email=email, token=token)


def confirm_subscription(session: Session, token: str, *, now: datetime | None = None) -> Subscriber:
    """Spend a confirmation token; the subscriber becomes confirmed."""
    now = now or datetime.now(UTC)
    row = session.execute(select(OptInToken).where(OptInToken.token_hash == hash_token(token))
                          .with_for_update()).scalar_one_or_none()
    if row is None:
        raise InvalidToken("this confirmation link is not valid", hint="Subscribe again to get a new link.")
    if row.used_at is not None:
        raise InvalidToken("this confirmation link was already used", hint="Your subscription is confirmed.")
    if row.expires_at <= now:
        raise InvalidToken("this confirmation link has expired", hint="Subscribe again to get a new link.")
    row.used_at = now
    subscriber = session.get(Subscriber, row.subscriber_id)
    assert subscriber is not None  # the foreign key guarantees it
    subscriber.status, subscriber.confirmed_at, subscriber.unsubscribed_at = "confirmed", now, None
    return subscriber


def unsubscribe(session: Session, subscriber_id: int, *, now: datetime | None = None,
                journal: Settings | Path | None = None) -> Subscriber | None:
    """Stop all mail to a subscriber: status, and a suppression row that outlives any backup restore."""
    now = now or datetime.now(UTC)
    subscriber = session.get(Subscriber, subscriber_id, with_for_update=True)
    if subscriber is None:
        return None
    if subscriber.status != "unsubscribed":
        subscriber.status, subscriber.unsubscribed_at = "unsubscribed", now
        suppress(session, subscriber.email, "unsubscribed", now=now, journal=journal)
    return subscriber


def suppress(session: Session, email: str, reason: str, *, now: datetime | None = None,
             journal: Settings | Path | None = None) -> None:
    """Add an address to the append-only suppression list (and to the data folder's journal, see backup)."""
    row = Suppression(email=normalize_email(email), reason=reason, created_at=now or datetime.now(UTC))
    session.add(row)
    if journal is not None:
        record(journal, row.email, reason, row.created_at)


def may_receive(session: Session, subscriber: Subscriber) -> bool:
    """Whether digests may go to this subscriber: confirmed, and no suppression since confirming.

    Comparing with the confirmation time (not the status column) keeps an unsubscribe in force even
    after restoring a backup taken before it, once the suppression list is re-applied.
    """
    return _allowed(subscriber, _suppressions(session, subscriber.email))


def receivable(session: Session, subscribers: list[Subscriber]) -> set[int]:
    """The ids among ``subscribers`` that ``may_receive`` allows, with one query for the whole batch."""
    emails = {s.email for s in subscribers}
    found: dict[str, list[Suppression]] = {}
    if emails:
        for row in session.execute(select(Suppression).where(Suppression.email.in_(emails))).scalars():
            found.setdefault(row.email, []).append(row)
    return {s.id for s in subscribers if _allowed(s, found.get(s.email, []))}


def _allowed(subscriber: Subscriber, suppressions: list[Suppression]) -> bool:
    if subscriber.status != "confirmed" or subscriber.confirmed_at is None:
        return False
    return all(s.created_at < subscriber.confirmed_at and s.reason not in BLOCKING_REASONS for s in suppressions)


# Where an address stands, as the preferences page tells it.
RECEIVING, PENDING, UNSUBSCRIBED, BLOCKED = "receiving", "pending", "unsubscribed", "blocked"


@dataclass(frozen=True)
class PreferencesPage:
    """A subscriber as the preferences page shows them: their standing, and the outcome of a save."""

    subscriber: Subscriber
    standing: str  # RECEIVING, PENDING, UNSUBSCRIBED or BLOCKED
    errors: dict[str, str] = field(default_factory=dict)  # form field → message; nothing was stored
    saved: bool = False


def standing(session: Session, subscriber: Subscriber) -> str:
    """Whether digests go to this address, and if not, why: a bounce or complaint outranks everything."""
    suppressions = _suppressions(session, subscriber.email)
    if any(s.reason in BLOCKING_REASONS for s in suppressions):
        return BLOCKED  # a new opt-in mail would go to a dead or unwilling mailbox: never sent
    if _allowed(subscriber, suppressions):
        return RECEIVING
    # Confirmed but suppressed later (an unsubscribe re-applied after a backup restore) reads as unsubscribed.
    return PENDING if subscriber.status == "pending" else UNSUBSCRIBED


def preferences_page(session: Session, subscriber_id: int) -> PreferencesPage | None:
    """The subscriber and their standing, or ``None`` when the subscriber no longer exists."""
    with session.begin():
        subscriber = session.get(Subscriber, subscriber_id)
        return PreferencesPage(subscriber, standing(session, subscriber)) if subscriber is not None else None


def save_preferences(session: Session, subscriber_id: int, form: dict[str, str]) -> PreferencesPage | None:
    """Validate the form and store it in one transaction; refused (nothing stored) unless digests can resume."""
    with session.begin():
        subscriber = session.get(Subscriber, subscriber_id, with_for_update=True)
        if subscriber is None:
            return None
        where = standing(session, subscriber)
        if where in (UNSUBSCRIBED, BLOCKED):
            return PreferencesPage(subscriber, where)
        try:
            prefs = parse_preferences(form)
        except InvalidPreferences as exc:
            return PreferencesPage(subscriber, where, errors=exc.errors)
        apply_preferences(subscriber, prefs)
        return PreferencesPage(subscriber, where, saved=True)
