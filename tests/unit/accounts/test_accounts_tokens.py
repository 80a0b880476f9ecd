"""Mailed links (RELIABILITY 13): bound to one purpose, single-use even under concurrency, and expiring."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts import tokens
from paperstand.accounts.errors import InvalidLink
from paperstand.accounts.models import AccountToken

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _issue(engine: Engine, member_id: int, purpose: str) -> str:
    with Session(engine, expire_on_commit=False) as s:
        _, secret = tokens.issue(s, member_id=member_id, purpose=purpose, now=NOW, address="ada@example.org")
        s.commit()
    return secret


def _spend(engine: Engine, secret: str, purpose: str, at: datetime = NOW) -> AccountToken:
    with Session(engine, expire_on_commit=False) as s:
        row = tokens.spend(s, secret=secret, purpose=purpose, now=at)
        s.commit()
        return row


def test_ttls_reset_is_an_hour_at_most() -> None:
    assert tokens.TTL["reset"] <= timedelta(hours=1)
    assert tokens.TTL["verify"] == timedelta(hours=72)
    assert set(tokens.TTL) == {"verify", "reset", "email"}


def test_a_token_works_once(engine: Engine) -> None:
    ada = make_member(engine, "ada")
    secret = _issue(engine, ada.id, "verify")
    assert _spend(engine, secret, "verify").member_id == ada.id
    with pytest.raises(InvalidLink, match="already used"):
        _spend(engine, secret, "verify")


@pytest.mark.parametrize(("made_for", "used_for"), [("verify", "reset"), ("reset", "verify"), ("email", "reset"),
                                                     ("reset", "email")])
def test_a_token_is_good_for_its_purpose_only(engine: Engine, made_for: str, used_for: str) -> None:
    ada = make_member(engine, "ada")
    secret = _issue(engine, ada.id, made_for)
    with pytest.raises(InvalidLink, match="not valid"):
        _spend(engine, secret, used_for)
    assert _spend(engine, secret, made_for).purpose == made_for  # the wrong use did not spend it


@pytest.mark.parametrize(("purpose", "alive", "dead"), [
    ("reset", timedelta(minutes=59), timedelta(minutes=60)),
    ("verify", timedelta(hours=71), timedelta(hours=72)),
    ("email", timedelta(hours=23), timedelta(hours=24)),
])
def test_tokens_expire(engine: Engine, purpose: str, alive: timedelta, dead: timedelta) -> None:
    ada = make_member(engine, "ada")
    late, in_time = _issue(engine, ada.id, purpose), _issue(engine, ada.id, purpose)
    with pytest.raises(InvalidLink, match="expired"):
        _spend(engine, late, purpose, NOW + dead)
    assert _spend(engine, in_time, purpose, NOW + alive).used_at is not None


def test_unknown_empty_and_huge_secrets_are_refused(engine: Engine) -> None:
    for secret in ("", "nope", "x" * 5000):
        with pytest.raises(InvalidLink, match="not valid"):
            _spend(engine, secret, "reset")


def test_concurrent_spends_let_exactly_one_through(engine: Engine) -> None:
    """Twenty requests with one link at once: one succeeds, every other one is told it was used."""
    ada = make_member(engine, "ada")
    secret = _issue(engine, ada.id, "reset")

    def attempt(_: int) -> bool:
        try:
            _spend(engine, secret, "reset")
        except InvalidLink:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(20)))
    assert outcomes.count(True) == 1


def test_void_spends_the_open_tokens_of_one_purpose(engine: Engine) -> None:
    ada = make_member(engine, "ada")
    resets = [_issue(engine, ada.id, "reset") for _ in range(3)]
    verify = _issue(engine, ada.id, "verify")
    with Session(engine, expire_on_commit=False) as s:
        tokens.void(s, member_id=ada.id, purpose="reset", now=NOW)
        s.commit()
        assert s.scalars(select(AccountToken).where(AccountToken.used_at.is_(None))).all()[0].purpose == "verify"
    for secret in resets:
        with pytest.raises(InvalidLink):
            _spend(engine, secret, "reset")
    _spend(engine, verify, "verify")
