"""Where an address stands on its preferences page, and saving preferences in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import (
    BLOCKED,
    OPT_IN_COOLDOWN,
    PENDING,
    RECEIVING,
    UNSUBSCRIBED,
    confirm_subscription,
    preferences_page,
    request_subscription,
    save_preferences,
    suppress,
    unsubscribe,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session like a request's: each service call owns its transaction."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _pending(session: Session, email: str = "ada@example.org", at: datetime = T0) -> tuple[int, str]:
    with session.begin():
        opt_in = request_subscription(session, email, now=at)
        assert opt_in is not None
        sid = session.query(Subscriber.id).filter_by(email=email).scalar()
    return int(sid), opt_in.token


def _confirmed(session: Session, at: datetime = T0) -> int:
    sid, token = _pending(session, at=at)
    with session.begin():
        confirm_subscription(session, token, now=at + timedelta(minutes=5))
    return sid


def _standing(session: Session, sid: int) -> str:
    page = preferences_page(session, sid)
    assert page is not None
    return page.standing


def test_standings(session: Session) -> None:
    """Pending, receiving, unsubscribed, then a new confirmation receiving again; a bounce blocks for good."""
    sid, _ = _pending(session)
    assert _standing(session, sid) == PENDING
    assert preferences_page(session, sid + 1000) is None
    sid = _confirmed(session, at=T0 + OPT_IN_COOLDOWN)  # a second request, once the mail cooldown is over
    assert _standing(session, sid) == RECEIVING
    with session.begin():
        unsubscribe(session, sid, now=T0 + timedelta(days=1))
    assert _standing(session, sid) == UNSUBSCRIBED
    with session.begin():
        opt_in = request_subscription(session, "ada@example.org", now=T0 + timedelta(days=2))
    assert opt_in is not None and _standing(session, sid) == UNSUBSCRIBED  # only the click resumes
    with session.begin():
        confirm_subscription(session, opt_in.token, now=T0 + timedelta(days=2, minutes=1))
    assert _standing(session, sid) == RECEIVING
    with session.begin():
        suppress(session, "ada@example.org", "hard-bounce", now=T0 + timedelta(days=3))
    assert _standing(session, sid) == BLOCKED
    with session.begin():
        assert request_subscription(session, "ada@example.org", now=T0 + timedelta(days=4)) is None


def test_save_stores_valid_forms_only(session: Session) -> None:
    """A valid form is stored in arXiv's spelling; errors store nothing; an unsubscribed address stores nothing."""
    sid = _confirmed(session)
    bad = save_preferences(session, sid, {"categories": "cs.CL, foo", "max_papers": "0"})
    assert bad is not None and not bad.saved and set(bad.errors) == {"categories", "max_papers"}
    good = save_preferences(session, sid, {"categories": "CS.cl, math", "max_papers": "5"})
    assert good is not None and good.saved and good.standing == RECEIVING
    with Session(session.get_bind()) as other:
        stored = other.get(Subscriber, sid)
        assert stored is not None and (stored.categories, stored.max_papers) == (["cs.CL", "math"], 5)
    with session.begin():
        unsubscribe(session, sid, now=T0 + timedelta(days=1))
    refused = save_preferences(session, sid, {"max_papers": "9"})
    assert refused is not None and not refused.saved and refused.standing == UNSUBSCRIBED
    with Session(session.get_bind()) as other:
        stored = other.get(Subscriber, sid)
        assert stored is not None and stored.max_papers == 5
    assert save_preferences(session, sid + 1000, {}) is None
