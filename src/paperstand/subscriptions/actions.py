"""What the subscribe and unsubscribe pages do, each action one transaction of its own.

The routes parse the form or the link and call one of these; the rules themselves live in
``subscriptions.service``, which runs inside whatever transaction its caller holds.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from paperstand.config import Settings
from paperstand.errors import NotFound
from paperstand.subscriptions.links import read_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import OptIn, confirm_subscription, request_subscription, unsubscribe

# Keys are 32 characters; anything longer is cut before decoding so a huge path costs nothing.
MAX_KEY_LENGTH = 64


def start_subscription(session: Session, email_text: str, *, now: datetime | None = None) -> OptIn | None:
    """Record a pending subscription and commit; the opt-in mail to send, or ``None`` (send nothing)."""
    with session.begin():
        return request_subscription(session, email_text, now=now)


def confirm_opt_in(session: Session, token: str, *, now: datetime | None = None) -> Subscriber:
    """Spend a confirmation token and commit; the now confirmed subscriber."""
    with session.begin():
        return confirm_subscription(session, token, now=now)


def _unsubscribe_id(secret_key: bytes, key: str) -> int:
    subscriber_id = read_key(secret_key, "unsubscribe", key[:MAX_KEY_LENGTH])
    if subscriber_id is None:
        raise NotFound("this unsubscribe link is not valid", hint="Use the link from your latest email.")
    return subscriber_id


def unsubscribe_target(session: Session, *, secret_key: bytes, key: str) -> Subscriber:
    """The subscriber an unsubscribe link names (changing nothing), or ``NotFound``."""
    with session.begin():
        subscriber = session.get(Subscriber, _unsubscribe_id(secret_key, key))
    if subscriber is None:
        raise NotFound("this subscription no longer exists")
    return subscriber


def unsubscribe_by_key(session: Session, *, secret_key: bytes, key: str, now: datetime | None = None,
                       journal: Settings | None = None) -> Subscriber:
    """Unsubscribe whoever an unsubscribe link names and commit (repeating it is harmless), or ``NotFound``.

    ``journal`` (the settings) also appends the unsubscribe to the data folder's suppression journal, which a
    restore of an older backup re-applies.
    """
    subscriber_id = _unsubscribe_id(secret_key, key)
    with session.begin():
        subscriber = unsubscribe(session, subscriber_id, now=now, journal=journal)
    if subscriber is None:
        raise NotFound("this subscription no longer exists")
    return subscriber
