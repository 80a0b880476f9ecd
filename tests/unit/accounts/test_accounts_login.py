"""Logging in and out (RELIABILITY 8, 10, 11, 12): rehash, rotation, throttling, and one answer for all failures."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from accounts_helpers import PASSWORD, joined
from argon2 import PasswordHasher, Type, extract_parameters
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts import passwords, service
from paperstand.accounts.errors import NotAllowed, TooManyAttempts
from paperstand.accounts.models import Member, MemberSession
from paperstand.accounts.roles import allowed
from paperstand.accounts.sessions import member_for_session
from paperstand.accounts.throttle import LoginThrottle, parse_limit

NOW = datetime.now(UTC)


@pytest.fixture
def throttle() -> LoginThrottle:
    """Login counters of their own (in memory), at the default limit."""
    return LoginThrottle(parse_limit("10 per 5 minutes"))


def _login(engine: Engine, throttle: LoginThrottle, login: str = "ada", password: str = PASSWORD,
           client: str = "192.0.2.1", old: str = "") -> service.Login:
    with Session(engine, expire_on_commit=False) as s:
        return service.login(s, login=login, password=password, client=client, throttle=throttle, now=NOW,
                             old_secret=old)


def _sessions(engine: Engine, member_id: int) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(MemberSession)
                            .where(MemberSession.member_id == member_id)) or 0)


def _live(engine: Engine, secret: str) -> bool:
    with Session(engine) as s:
        return member_for_session(s, secret=secret, now=NOW) is not None


def test_login_by_name_or_address_in_any_case(engine: Engine, throttle: LoginThrottle) -> None:
    ada = joined(engine, "ada")
    for login in ("ada", "ADA", " ada@example.org ", "Ada@Example.org"):
        done = _login(engine, throttle, login)
        assert done.member.id == ada.id and _live(engine, done.secret)


def test_wrong_password_and_unknown_account_fail_alike(engine: Engine, throttle: LoginThrottle,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    joined(engine, "ada")
    dummies: list[int] = []
    real = passwords.dummy_verify
    monkeypatch.setattr(service, "dummy_verify", lambda: (dummies.append(1), real())[1])
    failures = []
    for login, password in (("ada", "not the password"), ("nobody", PASSWORD), ("nobody@example.org", PASSWORD)):
        with pytest.raises(service.LoginFailed) as failed:
            _login(engine, throttle, login, password)
        failures.append((failed.value.message, failed.value.hint, failed.value.status))
    assert len(set(failures)) == 1
    assert dummies == [1, 1]  # an unknown account still costs one argon2 verification


def test_old_parameters_are_rehashed_at_login(engine: Engine, throttle: LoginThrottle) -> None:
    ada = make_member(engine, "ada")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID).hash(PASSWORD)
    with Session(engine) as s:
        s.get(Member, ada.id).password_hash = weak  # type: ignore[union-attr]
        s.commit()
    _login(engine, throttle)
    with Session(engine) as s:
        stored = s.get(Member, ada.id).password_hash  # type: ignore[union-attr]
    params = extract_parameters(stored)
    assert stored != weak and params.memory_cost >= 19 * 1024 and params.time_cost >= 2
    assert passwords.verify_password(stored, PASSWORD)
    _login(engine, throttle)  # and the new hash logs in, and is kept
    with Session(engine) as s:
        assert s.get(Member, ada.id).password_hash == stored  # type: ignore[union-attr]


def test_login_rotates_the_session_and_logout_ends_it(engine: Engine, throttle: LoginThrottle) -> None:
    ada = joined(engine, "ada")
    first = _login(engine, throttle)
    second = _login(engine, throttle, old=first.secret)
    assert second.secret != first.secret
    assert not _live(engine, first.secret) and _live(engine, second.secret)
    other_browser = _login(engine, throttle)
    with Session(engine) as s:
        service.logout(s, secret=second.secret)
    assert not _live(engine, second.secret) and _live(engine, other_browser.secret)
    assert _sessions(engine, ada.id) == 1


def test_unverified_members_log_in_without_rights_and_banned_ones_are_told(engine: Engine,
                                                                           throttle: LoginThrottle) -> None:
    fresh = joined(engine, "fresh", verify=False)
    done = _login(engine, throttle, "fresh")
    assert done.member.id == fresh.id and not allowed(done.member, "vote")
    eve = joined(engine, "eve")
    with Session(engine) as s:
        s.get(Member, eve.id).banned_at, s.get(Member, eve.id).ban_reason = NOW, "spam"  # type: ignore[union-attr]
        s.commit()
    with pytest.raises(NotAllowed, match="banned"):
        _login(engine, throttle, "eve")
    with pytest.raises(service.LoginFailed):  # without the password, a banned account looks like any other
        _login(engine, throttle, "eve", "wrong password")
    assert _sessions(engine, eve.id) == 0


def test_the_eleventh_attempt_on_an_account_is_refused_from_any_address(engine: Engine,
                                                                         throttle: LoginThrottle) -> None:
    joined(engine, "ada")
    for i in range(10):
        with pytest.raises(service.LoginFailed):
            _login(engine, throttle, "ada" if i % 2 else "ada@example.org", "wrong guess", client=f"198.51.100.{i}")
    with pytest.raises(TooManyAttempts) as refused:
        _login(engine, throttle, client="203.0.113.9")  # the right password, from a new address: still no
    assert 0 < refused.value.retry_after <= 300
    assert _login(engine, LoginThrottle(parse_limit("10 per 5 minutes"))).member.name == "ada"


def test_the_eleventh_failure_from_one_address_is_refused_for_any_account(engine: Engine,
                                                                          throttle: LoginThrottle) -> None:
    joined(engine, "ada")
    for i in range(10):
        with pytest.raises(service.LoginFailed):
            _login(engine, throttle, f"guess{i}", "wrong guess", client="198.51.100.7")
    with pytest.raises(TooManyAttempts):
        _login(engine, throttle, client="198.51.100.7")
    assert _login(engine, throttle, client="198.51.100.8").member.name == "ada"  # other addresses are unaffected


def test_no_lasting_lockout_once_the_window_passes(engine: Engine) -> None:
    joined(engine, "ada")
    quick = LoginThrottle(parse_limit("3 per 2 seconds"))
    for _ in range(3):
        with pytest.raises(service.LoginFailed):
            _login(engine, quick, password="wrong guess")
    with pytest.raises(TooManyAttempts) as refused:
        _login(engine, quick)
    assert refused.value.retry_after <= 2
    time.sleep(2.2)
    assert _login(engine, quick).member.name == "ada"
