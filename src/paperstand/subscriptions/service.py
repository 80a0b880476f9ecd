"""Subscribe with double opt-in: request, confirm, unsubscribe; who may receive mail; the preferences page."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table, or_, select, update
from sqlalchemy.orm import Session

from paperstand.backup.journal import record
from paperstand.config import Settings
from paperstand.dialect import insert_or_ignore
from paperstand.errors import DomainError
from paperstand.subscriptions.models import OptInToken, Subscriber, Suppression
from paperstand.subscriptions.preferences import InvalidPreferences, apply_preferences, parse_preferences

# How long a confirmation link works (RELIABILITY 4: single-use, expires in 72 h).
OPT_IN_TTL = timedelta(hours=72)
# At most one confirmation mail per address in this window: identical concurrent (or repeated) requests
# must not mail-bomb the address, while someone who lost the first mail can ask again a little later.
OPT_IN_COOLDOWN = timedelta(minutes=10)
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


# The guarded writes below are Core statements on the tables: the row count, not the session, decides.
_SUBSCRIBERS, _TOKENS = cast(Table, Subscriber.__table__), cast(Table, OptInToken.__table__)
_SUPPRESSIONS = cast(Table, Suppression.__table__)


def _suppressions(session: Session, email: str) -> list[Suppression]:
    # populate_existing: a suppression's time may have moved forward through a Core UPDATE (``store_suppression``).
    query = select(Suppression).where(Suppression.email == email).execution_options(populate_existing=True)
    return list(session.execute(query).scalars())


def _changed(result: Result[Any]) -> int:
    """How many rows a single UPDATE statement changed: the number that decides who won a race."""
    return cast(CursorResult[Any], result).rowcount


def request_subscription(session: Session, email_text: str, *, now: datetime | None = None) -> OptIn | None:
    """Record a pending subscription and return the opt-in mail to send (``None``: send nothing).

    The caller shows the same answer whatever happened, so the form never reveals who subscribes.
    Concurrent identical requests all succeed; at most one of them per ``OPT_IN_COOLDOWN`` gets a mail.
    """
    now = now or datetime.now(UTC)
    email = normalize_email(email_text)
    if any(s.reason in BLOCKING_REASONS for s in _suppressions(session, email)):
        return None
    subscriber = _subscriber_row(session, email, now)
    if may_receive(session, subscriber):
        return None  # already confirmed: nothing to do, and nothing to tell a stranger
    if not _claim_opt_in_mail(session, subscriber.id, now):
        return None  # a mail went out moments ago (or is going out now, from a concurrent request)
    token = secrets.token_urlsafe(32)
    session.add(OptInToken(token_hash=hash_token(token), subscriber_id=subscriber.id,
                           expires_at=now + OPT_IN_TTL))
    return OptIn(email=email, token=token)


def _subscriber_row(session: Session, email: str, now: datetime) -> Subscriber:
    """The address's subscriber, created pending if new: an upsert, so a concurrent twin never fails."""
    session.execute(insert_or_ignore(session, _SUBSCRIBERS, keys=["email"]).values(
        email=email, status="pending", created_at=now, categories=[], keywords=[]))
    query = select(Subscriber).where(Subscriber.email == email).execution_options(populate_existing=True)
    return session.execute(query).scalar_one()


def _claim_opt_in_mail(session: Session, subscriber_id: int, now: datetime) -> bool:
    """Take the right to send the next opt-in mail; one guarded UPDATE, so one concurrent request wins."""
    result = session.execute(
        update(_SUBSCRIBERS)
        .where(Subscriber.id == subscriber_id,
               or_(Subscriber.opt_in_sent_at.is_(None), Subscriber.opt_in_sent_at <= now - OPT_IN_COOLDOWN))
        .values(opt_in_sent_at=now))
    return _changed(result) == 1


def confirm_subscription(session: Session, token: str, *, now: datetime | None = None) -> Subscriber:
    """Spend a confirmation token; the subscriber becomes confirmed. Of concurrent spends, one succeeds."""
    now = now or datetime.now(UTC)
    digest = hash_token(token)
    # The guarded UPDATE is the lock: a second spender finds used_at set and changes nothing (SQLite has
    # no SELECT ... FOR UPDATE, so reading first and writing after would let both through).
    spent = session.execute(
        update(_TOKENS)
        .where(OptInToken.token_hash == digest, OptInToken.used_at.is_(None), OptInToken.expires_at > now)
        .values(used_at=now))
    row = session.execute(select(OptInToken).where(OptInToken.token_hash == digest)
                          .execution_options(populate_existing=True)).scalar_one_or_none()
    if row is None:
        raise InvalidToken("this confirmation link is not valid", hint="Subscribe again to get a new link.")
    if not _changed(spent):
        if row.used_at is not None:
            raise InvalidToken("this confirmation link was already used", hint="Your subscription is confirmed.")
        raise InvalidToken("this confirmation link has expired", hint="Subscribe again to get a new link.")
    subscriber = session.get(Subscriber, row.subscriber_id, populate_existing=True)
    assert subscriber is not None  # the foreign key guarantees it
    subscriber.status, subscriber.confirmed_at, subscriber.unsubscribed_at = "confirmed", now, None
    # The mail reached its owner, so the cooldown has done its job: someone who unsubscribes and comes back
    # at once gets a new link straight away (only the mailbox's owner can confirm, so this floods no one).
    subscriber.opt_in_sent_at = None
    return subscriber


def unsubscribe(session: Session, subscriber_id: int, *, now: datetime | None = None,
                journal: Settings | Path | None = None) -> Subscriber | None:
    """Stop all mail to a subscriber: status, and a suppression row that outlives any backup restore.

    Repeating it (or running it concurrently) changes nothing more: the guarded UPDATE lets one through.
    """
    now = now or datetime.now(UTC)
    ended = session.execute(update(_SUBSCRIBERS)
                            .where(Subscriber.id == subscriber_id, Subscriber.status != "unsubscribed")
                            .values(status="unsubscribed", unsubscribed_at=now))
    subscriber = session.get(Subscriber, subscriber_id, populate_existing=True)
    if subscriber is not None and _changed(ended):
        suppress(session, subscriber.email, "unsubscribed", now=now, journal=journal)
    return subscriber


def suppress(session: Session, email: str, reason: str, *, now: datetime | None = None,
             journal: Settings | Path | None = None) -> bool:
    """Add an address to the suppression list (and to the data folder's journal, see backup).

    True when it was new (or later than the one stored); only then is it journalled, so a repeated bounce
    or unsubscribe adds neither a row nor a line.
    """
    email, at = normalize_email(email), now or datetime.now(UTC)
    if not store_suppression(session, email, reason, at):
        return False
    if journal is not None:
        record(journal, email, reason, at)
    return True


def store_suppression(session: Session, email: str, reason: str, at: datetime) -> bool:
    """Insert one (address, reason) suppression, or move the stored one's time forward to ``at``.

    True when something changed. Concurrent writers of one pair store one row (insert-or-ignore); the time
    moves forward so that an unsubscribe after a re-confirmation still outranks that confirmation.
    """
    # RETURNING, not rowcount: drivers report -1 for an INSERT that returns the new key implicitly.
    added = session.execute(insert_or_ignore(session, _SUPPRESSIONS, keys=["email", "reason"])
                            .values(email=email, reason=reason, created_at=at).returning(Suppression.id))
    if added.first() is not None:
        return True
    renewed = session.execute(update(_SUPPRESSIONS)
                              .where(Suppression.email == email, Suppression.reason == reason,
                                     Suppression.created_at < at)
                              .values(created_at=at))
    return _changed(renewed) == 1


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
        query = select(Suppression).where(Suppression.email.in_(emails)).execution_options(populate_existing=True)
        for row in session.execute(query).scalars():
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
