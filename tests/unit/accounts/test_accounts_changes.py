"""/settings changes: password (every other login ends), address (re-verified by mail), profile, API tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from accounts_helpers import PASSWORD, SITE, joined, link_token, mails
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts import api_tokens, changes
from paperstand.accounts.errors import InvalidForm, InvalidLink, TooManyAttempts
from paperstand.accounts.models import ApiToken, Member
from paperstand.accounts.overview import settings_view
from paperstand.accounts.sessions import member_for_api_token, member_for_session, open_session
from paperstand.accounts.throttle import LoginThrottle, parse_limit
from paperstand.errors import NotFound
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import request_subscription

NOW = datetime.now(UTC)


def _member(engine: Engine, member_id: int) -> Member:
    with Session(engine) as s:
        member = s.get(Member, member_id)
        assert member is not None
        return member


def test_a_password_change_ends_every_login_but_this_one(engine: Engine) -> None:
    ada = joined(engine, "ada")
    with Session(engine) as s:
        others = [open_session(s, member_id=ada.id, now=NOW) for _ in range(2)]
        s.commit()
    with Session(engine) as s:
        fresh = changes.change_password(s, member_id=ada.id, current=PASSWORD, new="a new passphrase", now=NOW)
    with Session(engine) as s:
        assert [member_for_session(s, secret=o, now=NOW) for o in others] == [None, None]
        assert member_for_session(s, secret=fresh, now=NOW) is not None
    assert _member(engine, ada.id).password_changed_at is not None


def test_a_password_change_needs_the_current_one_and_counts_wrong_guesses(engine: Engine) -> None:
    ada = joined(engine, "ada")
    throttle = LoginThrottle(parse_limit("2 per 5 minutes"))
    for _ in range(2):
        with Session(engine) as s, pytest.raises(InvalidForm) as refused:
            changes.change_password(s, member_id=ada.id, current="guess guess", new="a new passphrase", now=NOW,
                                    throttle=throttle)
        assert "current" in refused.value.errors
    with Session(engine) as s, pytest.raises(TooManyAttempts):
        changes.change_password(s, member_id=ada.id, current=PASSWORD, new="a new passphrase", now=NOW,
                                throttle=throttle)
    with Session(engine) as s, pytest.raises(InvalidForm) as weak:
        changes.change_password(s, member_id=ada.id, current=PASSWORD, new="12345678", now=NOW)
    assert "new" in weak.value.errors


def test_an_address_change_waits_for_the_link_then_moves_and_tells_the_old_address(engine: Engine) -> None:
    ada = joined(engine, "ada")
    with Session(engine) as s, s.begin():
        request_subscription(s, "ada@work.example")
    with Session(engine) as s:
        shown = changes.request_email_change(s, member_id=ada.id, password=PASSWORD, new_email="Ada@Work.Example",
                                             site=SITE, now=NOW)
    assert shown == "ada@work.example" and _member(engine, ada.id).email == "ada@example.org"
    mail = mails(engine, "account-email_change")[-1]
    assert mail.to_address == "ada@work.example" and "/settings/email/confirm?token=" in mail.body_text
    with Session(engine, expire_on_commit=False) as s:
        moved = changes.confirm_email_change(s, secret=link_token(mail), site=SITE, now=NOW)
    assert moved.email == "ada@work.example" and moved.email_verified_at == NOW
    notice = mails(engine, "account-email_changed")[-1]
    assert notice.to_address == "ada@example.org" and "ada@work.example" in notice.body_text
    with Session(engine) as s:
        assert s.scalar(select(Subscriber.member_id).where(Subscriber.email == "ada@work.example")) == ada.id
        with pytest.raises(InvalidLink, match="already used"):
            changes.confirm_email_change(s, secret=link_token(mail), site=SITE, now=NOW)


def test_a_taken_address_gets_the_same_answer_and_no_mail(engine: Engine) -> None:
    ada, bob = joined(engine, "ada"), joined(engine, "bob")
    before = len(mails(engine))
    with Session(engine) as s:
        assert changes.request_email_change(s, member_id=ada.id, password=PASSWORD, new_email=bob.email,
                                            site=SITE, now=NOW) == bob.email
    assert len(mails(engine)) == before


def test_an_address_taken_while_the_link_waited_is_refused(engine: Engine) -> None:
    ada = joined(engine, "ada")
    with Session(engine) as s:
        changes.request_email_change(s, member_id=ada.id, password=PASSWORD, new_email="late@example.org",
                                     site=SITE, now=NOW)
    secret = link_token(mails(engine, "account-email_change")[-1])
    joined(engine, "late")  # late@example.org joins meanwhile
    with Session(engine) as s, pytest.raises(InvalidLink, match="another account"):
        changes.confirm_email_change(s, secret=secret, site=SITE, now=NOW)
    assert _member(engine, ada.id).email == "ada@example.org"


@pytest.mark.parametrize(("new", "password", "field"), [("nope", PASSWORD, "email"),
                                                        ("ada@example.org", PASSWORD, "email"),
                                                        ("x@example.org", "wrong one!", "password")])
def test_address_change_refusals(engine: Engine, new: str, password: str, field: str) -> None:
    ada = joined(engine, "ada")
    with Session(engine) as s, pytest.raises(InvalidForm) as refused:
        changes.request_email_change(s, member_id=ada.id, password=password, new_email=new, site=SITE, now=NOW)
    assert list(refused.value.errors) == [field]


def test_profile_choices_are_stored_on_one_line(engine: Engine) -> None:
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        changes.update_profile(s, member_id=ada.id, display_name="  Ada\n  Lovelace ", show_upvotes=True,
                               notify_mentions=False)
    stored = _member(engine, ada.id)
    assert (stored.display_name, stored.show_upvotes, stored.notify_mentions) == ("Ada Lovelace", True, False)
    with Session(engine) as s, pytest.raises(InvalidForm):
        changes.update_profile(s, member_id=ada.id, display_name="x" * 101, show_upvotes=True, notify_mentions=True)


def test_api_tokens_are_made_listed_and_revoked(engine: Engine) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    with Session(engine) as s:
        secret = api_tokens.create_token(s, member_id=ada.id, name=" laptop script ", now=NOW)
        view = settings_view(s, member_id=ada.id, secret_key=b"k")
        made = next(t for t in view.tokens if t.name == "laptop script")
        assert secret.startswith(made.prefix) and made.token_hash != secret
        assert member_for_api_token(s, secret=secret) is not None
        with pytest.raises(NotFound):
            api_tokens.revoke_token(s, member_id=bob.id, token_id=made.id, now=NOW)
        api_tokens.revoke_token(s, member_id=ada.id, token_id=made.id, now=NOW)
        api_tokens.revoke_token(s, member_id=ada.id, token_id=made.id, now=NOW)  # again: no change, no error
        assert member_for_api_token(s, secret=secret) is None
        assert made.id not in {t.id for t in settings_view(s, member_id=ada.id, secret_key=b"k").tokens}
        with pytest.raises(InvalidForm):
            api_tokens.create_token(s, member_id=ada.id, name="   ", now=NOW)
        assert s.get(ApiToken, made.id).revoked_at is not None  # type: ignore[union-attr]


def test_settings_link_the_digest_with_its_preferences_key(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        request_subscription(s, "ada@example.org")
    ada = joined(engine, "ada")
    with Session(engine) as s:
        view = settings_view(s, member_id=ada.id, secret_key=b"secret")
    assert view.subscription is not None and view.subscription.email == "ada@example.org"
    assert view.preferences_url is not None and view.preferences_url.startswith("/preferences/")


def test_a_digest_subscribed_after_verifying_shows_too(engine: Engine) -> None:
    ada = joined(engine, "ada")
    with Session(engine) as s:
        assert settings_view(s, member_id=ada.id, secret_key=b"k").subscription is None
    with Session(engine) as s, s.begin():
        request_subscription(s, "ada@example.org")  # the settings page's "Subscribe with ..." button
    with Session(engine) as s:
        view = settings_view(s, member_id=ada.id, secret_key=b"k")
    assert view.subscription is not None and view.preferences_url is not None


def test_token_use_is_written_at_most_once_a_minute() -> None:
    from datetime import UTC, datetime, timedelta

    from paperstand.accounts.sessions import token_use_is_stale

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert token_use_is_stale(None, now)
    assert not token_use_is_stale(now - timedelta(seconds=59), now)
    assert token_use_is_stale(now - timedelta(seconds=61), now)
    assert token_use_is_stale((now - timedelta(minutes=5)).replace(tzinfo=None), now)  # naive from SQLite
