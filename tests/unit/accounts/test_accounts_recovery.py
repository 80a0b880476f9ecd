"""Password reset (RELIABILITY 11-13): the same answer for every address, one hour, once, and every login ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from accounts_helpers import PASSWORD, SITE, joined, link_token, mails
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperstand.accounts.errors import InvalidForm, InvalidLink
from paperstand.accounts.models import Member, MemberSession
from paperstand.accounts.passwords import verify_password
from paperstand.accounts.recovery import request_reset, reset_password
from paperstand.accounts.sessions import member_for_session, open_session

NOW = datetime.now(UTC)
NEW = "a brand new passphrase"


def _request(engine: Engine, email: str, at: datetime = NOW) -> str:
    with Session(engine) as s:
        return request_reset(s, email=email, site=SITE, now=at)


def _reset(engine: Engine, secret: str, password: str = NEW, at: datetime = NOW) -> tuple[Member, str]:
    with Session(engine, expire_on_commit=False) as s:
        return reset_password(s, secret=secret, password=password, now=at)


def test_known_and_unknown_addresses_get_the_same_answer(engine: Engine) -> None:
    joined(engine, "ada")
    before = len(mails(engine))
    assert _request(engine, "ADA@example.org") == "ada@example.org"
    assert _request(engine, "nobody@example.org") == "nobody@example.org"
    [reset] = mails(engine)[before:]
    assert reset.kind == "account-reset" and reset.to_address == "ada@example.org"
    assert "https://papers.test/reset/confirm?token=" in reset.body_text and "60 minutes" in reset.body_text
    with pytest.raises(InvalidForm):
        _request(engine, "not an address")


def test_reset_sets_the_password_once_and_ends_every_login(engine: Engine) -> None:
    ada = joined(engine, "ada")
    with Session(engine) as s:
        old = [open_session(s, member_id=ada.id, now=NOW) for _ in range(3)]
        s.commit()
    _request(engine, "ada@example.org")
    secret = link_token(mails(engine, "account-reset")[-1])
    member, fresh = _reset(engine, secret)
    with Session(engine) as s:
        assert all(member_for_session(s, secret=o, now=NOW) is None for o in old)
        assert member_for_session(s, secret=fresh, now=NOW) is not None
        assert s.scalar(select(func.count()).select_from(MemberSession)) == 1
        stored = s.get(Member, ada.id)
        assert stored is not None and verify_password(stored.password_hash, NEW)
        assert not verify_password(stored.password_hash, PASSWORD) and stored.password_changed_at is not None
    with pytest.raises(InvalidLink, match="already used"):
        _reset(engine, secret, "yet another passphrase")


def test_a_weak_password_leaves_the_link_usable(engine: Engine) -> None:
    joined(engine, "ada")
    _request(engine, "ada@example.org")
    secret = link_token(mails(engine, "account-reset")[-1])
    with pytest.raises(InvalidForm) as refused:
        _reset(engine, secret, "password")
    assert "common" in refused.value.errors["password"]
    assert _reset(engine, secret)[0].name == "ada"


def test_the_link_expires_within_the_hour(engine: Engine) -> None:
    joined(engine, "ada")
    _request(engine, "ada@example.org")
    with pytest.raises(InvalidLink, match="expired"):
        _reset(engine, link_token(mails(engine, "account-reset")[-1]), at=NOW + timedelta(minutes=61))


def test_a_new_password_kills_the_other_reset_links(engine: Engine) -> None:
    joined(engine, "ada")
    _request(engine, "ada@example.org")
    first = link_token(mails(engine, "account-reset")[-1])
    _request(engine, "ada@example.org", at=NOW + timedelta(minutes=11))  # the next window: a second mail
    second = link_token(mails(engine, "account-reset")[-1])
    assert first != second
    _reset(engine, second)
    with pytest.raises(InvalidLink):
        _reset(engine, first, "yet another passphrase")


def test_reset_links_are_one_mail_per_window(engine: Engine) -> None:
    joined(engine, "ada")
    for _ in range(5):
        _request(engine, "ada@example.org")
    assert len(mails(engine, "account-reset")) == 1


def test_following_a_reset_link_verifies_the_address(engine: Engine) -> None:
    joined(engine, "fresh", verify=False)
    _request(engine, "fresh@example.org")
    member, _ = _reset(engine, link_token(mails(engine, "account-reset")[-1]))
    assert member.email_verified_at is not None
