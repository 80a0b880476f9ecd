"""Joining and verifying (RELIABILITY 11): the same answer for a registered address, names unique in any case."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from accounts_helpers import PASSWORD, SITE, joined, link_token, mails
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts.errors import InvalidForm, InvalidLink
from paperstand.accounts.models import Member
from paperstand.accounts.roles import allowed
from paperstand.accounts.service import join, resend_verification, verify_email
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import request_subscription

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _join(engine: Engine, email: str = "ada@example.org", name: str = "ada", password: str = PASSWORD) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return join(s, email=email, name=name, password=password, site=SITE, now=NOW)


def _members(engine: Engine) -> list[Member]:
    with Session(engine) as s:
        return list(s.scalars(select(Member).order_by(Member.id)))


def test_join_makes_an_unverified_member_and_queues_the_link(engine: Engine) -> None:
    assert _join(engine, email="  Ada@Example.ORG ") == "ada@example.org"
    [ada] = _members(engine)
    assert (ada.name, ada.name_key, ada.email, ada.role) == ("ada", "ada", "ada@example.org", "member")
    assert ada.email_verified_at is None and not allowed(ada, "vote")
    assert ada.password_hash.startswith("$argon2id$")
    [mail] = mails(engine)
    assert (mail.kind, mail.to_address) == ("account-verify", "ada@example.org")
    assert "https://papers.test/verify?token=" in mail.body_text and "72 hours" in mail.body_text


def test_the_link_verifies_once_and_rights_begin(engine: Engine) -> None:
    _join(engine)
    secret = link_token(mails(engine)[0])
    with Session(engine, expire_on_commit=False) as s:
        ada = verify_email(s, secret=secret, now=NOW + timedelta(hours=1))
    assert ada.email_verified_at == NOW + timedelta(hours=1) and allowed(ada, "vote")
    with Session(engine) as s, pytest.raises(InvalidLink, match="already used"):
        verify_email(s, secret=secret, now=NOW)


def test_a_registered_address_gets_the_same_answer_and_its_owner_a_notice(engine: Engine) -> None:
    _join(engine)
    answer = _join(engine, email="ADA@example.org", name="ada2", password="another fine password")
    assert answer == "ada@example.org"
    assert [m.name for m in _members(engine)] == ["ada"]
    notice = mails(engine)[-1]
    assert notice.kind == "account-exists" and notice.to_address == "ada@example.org"
    assert "https://papers.test/reset" in notice.body_text and "token=" not in notice.body_text
    for _ in range(5):  # a flood of attempts sends the owner one notice per window
        _join(engine, email="ada@example.org", name="ada3", password="another fine password")
    assert len(mails(engine, "account-exists")) == 1


def test_a_taken_name_is_refused_whatever_the_address(engine: Engine) -> None:
    """Names are public, so saying one is taken is fine; it is said for new and known addresses alike."""
    _join(engine)
    for email in ("new@example.org", "ada@example.org"):
        with pytest.raises(InvalidForm) as refused:
            _join(engine, email=email, name="ADA")
        assert "taken" in refused.value.errors["name"]
    assert len(_members(engine)) == 1


@pytest.mark.parametrize(("field", "email", "name", "password"), [
    ("email", "not-an-address", "bob", PASSWORD),
    ("email", "a@b", "bob", PASSWORD),
    ("name", "bob@example.org", "b", PASSWORD),
    ("name", "bob@example.org", "bob smith", PASSWORD),
    ("name", "bob@example.org", "x" * 41, PASSWORD),
    ("name", "bob@example.org", "Settings", PASSWORD),
    ("name", "bob@example.org", "admin", PASSWORD),
    ("password", "bob@example.org", "bob", "short"),
    ("password", "bob@example.org", "bob", "password1"),
])
def test_bad_fields_are_named_and_nothing_is_stored(engine: Engine, field: str, email: str, name: str,
                                                    password: str) -> None:
    with pytest.raises(InvalidForm) as refused:
        _join(engine, email=email, name=name, password=password)
    assert list(refused.value.errors) == [field]
    assert _members(engine) == [] and mails(engine) == []


def test_every_bad_field_is_named_at_once(engine: Engine) -> None:
    with pytest.raises(InvalidForm) as refused:
        _join(engine, email="nope", name="!", password="1")
    assert set(refused.value.errors) == {"email", "name", "password"}


def test_concurrent_joins_with_one_name_leave_one_member(engine: Engine) -> None:
    def attempt(i: int) -> str:
        try:
            _join(engine, email=f"twin{i}@example.org", name="Twin")
        except InvalidForm as exc:
            return exc.errors["name"]
        return "joined"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, range(12)))
    assert outcomes.count("joined") == 1 and all("taken" in o for o in outcomes if o != "joined")
    assert [m.name for m in _members(engine)] == ["Twin"]


def test_a_verified_address_links_its_subscription(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        request_subscription(s, "ada@example.org")
    ada = joined(engine, "ada")
    with Session(engine) as s:
        assert s.scalar(select(Subscriber.member_id).where(Subscriber.email == "ada@example.org")) == ada.id


def test_resending_the_link_is_limited_and_stops_once_verified(engine: Engine) -> None:
    ada = joined(engine, "ada", verify=False)
    with Session(engine) as s:
        for _ in range(4):
            assert resend_verification(s, member_id=ada.id, site=SITE, now=NOW)
    assert len(mails(engine, "account-verify")) == 2  # the join's, and one per window however often asked
    with Session(engine) as s:
        verify_email(s, secret=link_token(mails(engine, "account-verify")[-1]), now=NOW)
        assert not resend_verification(s, member_id=ada.id, site=SITE, now=NOW + timedelta(hours=1))


def test_a_link_to_an_address_the_account_left_no_longer_verifies(engine: Engine) -> None:
    _join(engine)
    secret = link_token(mails(engine)[0])
    with Session(engine) as s:
        s.execute(Member.__table__.update().values(email="elsewhere@example.org"))
        s.commit()
    with Session(engine) as s, pytest.raises(InvalidLink, match="no longer uses"):
        verify_email(s, secret=secret, now=NOW)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.email_verified_at.is_not(None))) == 0


def test_members_made_directly_still_count_for_uniqueness(engine: Engine) -> None:
    make_member(engine, "bob")
    with pytest.raises(InvalidForm):
        _join(engine, email="other@example.org", name="BOB")
