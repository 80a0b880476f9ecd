"""Double opt-in: pending until confirmed, single-use expiring tokens, suppression that survives."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperstand.subscriptions.models import OptInToken, Subscriber
from paperstand.subscriptions.service import (
    OPT_IN_TTL,
    InvalidEmail,
    InvalidToken,
    confirm_subscription,
    hash_token,
    may_receive,
    request_subscription,
    suppress,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session that commits what each step does, like a request would."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _subscriber(session: Session, email: str) -> Subscriber:
    return session.execute(select(Subscriber).where(Subscriber.email == email)).scalar_one()


def test_subscribe_is_pending_until_confirmed(session: Session) -> None:
    """A new address gets a token and cannot receive digests before confirming."""
    opt_in = request_subscription(session, "  Ada@Example.ORG ", now=T0)
    session.commit()
    assert opt_in is not None and opt_in.email == "ada@example.org"
    sub = _subscriber(session, "ada@example.org")
    assert sub.status == "pending" and not may_receive(session, sub)
    stored = session.execute(select(OptInToken.token_hash)).scalar_one()
    assert stored == hash_token(opt_in.token) and opt_in.token not in stored
    confirmed = confirm_subscription(session, opt_in.token, now=T0 + timedelta(hours=1))
    session.commit()
    assert confirmed.status == "confirmed" and may_receive(session, confirmed)


def test_token_is_single_use(session: Session) -> None:
    """A second use of the same link is refused."""
    opt_in = request_subscription(session, "bo@example.org", now=T0)
    assert opt_in is not None
    confirm_subscription(session, opt_in.token, now=T0)
    with pytest.raises(InvalidToken, match="already used"):
        confirm_subscription(session, opt_in.token, now=T0)


def test_token_expires_after_72_hours(session: Session) -> None:
    """A link older than the TTL is refused and confirms nothing."""
    opt_in = request_subscription(session, "cy@example.org", now=T0)
    assert opt_in is not None
    with pytest.raises(InvalidToken, match="expired"):
        confirm_subscription(session, opt_in.token, now=T0 + OPT_IN_TTL)
    assert _subscriber(session, "cy@example.org").status == "pending"


def test_unknown_token(session: Session) -> None:
    """A made-up token is refused."""
    with pytest.raises(InvalidToken, match="not valid"):
        confirm_subscription(session, "nope", now=T0)


def test_confirmed_address_gets_no_second_mail(session: Session) -> None:
    """Subscribing again once confirmed sends nothing (and the page says the same as always)."""
    opt_in = request_subscription(session, "di@example.org", now=T0)
    assert opt_in is not None
    confirm_subscription(session, opt_in.token, now=T0)
    assert request_subscription(session, "DI@example.org", now=T0) is None
    assert session.execute(select(func.count()).select_from(Subscriber)).scalar_one() == 1


@pytest.mark.parametrize("bad", ["", "ada", "ada@", "@example.org", "ada@example", "a b@example.org",
                                 "ada@example.org\r\nBcc: x@y.z", "x" * 250 + "@example.org"])
def test_invalid_addresses(session: Session, bad: str) -> None:
    """Anything that is not one plain address is refused (CR/LF included)."""
    with pytest.raises(InvalidEmail):
        request_subscription(session, bad, now=T0)


def test_unsubscribe_suppression_survives_an_old_confirmation(session: Session) -> None:
    """A suppression newer than the confirmation wins, whatever the status column says."""
    opt_in = request_subscription(session, "ed@example.org", now=T0)
    assert opt_in is not None
    sub = confirm_subscription(session, opt_in.token, now=T0)
    suppress(session, "ed@example.org", "unsubscribed", now=T0 + timedelta(days=1))
    session.flush()
    assert sub.status == "confirmed"  # as a restored backup would say
    assert not may_receive(session, sub)
    again = request_subscription(session, "ed@example.org", now=T0 + timedelta(days=2))
    assert again is not None  # an explicit new opt-in is allowed after unsubscribing
    confirm_subscription(session, again.token, now=T0 + timedelta(days=2))
    assert may_receive(session, sub)


def test_hard_bounce_blocks_even_the_opt_in_mail(session: Session) -> None:
    """No mail at all goes to an address that bounced hard."""
    suppress(session, "fi@example.org", "hard-bounce", now=T0)
    assert request_subscription(session, "fi@example.org", now=T0) is None
