"""Idempotent writes: the opt-in mail cooldown, single-use tokens under threads, one suppression per reason."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from paperstand.backup import journal
from paperstand.db import alembic_config, make_engine
from paperstand.subscriptions.actions import confirm_opt_in, start_subscription, unsubscribe_by_key
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import OptInToken, Subscriber, Suppression
from paperstand.subscriptions.preferences import InvalidPreferences, is_timezone, parse_preferences
from paperstand.subscriptions.service import (
    OPT_IN_COOLDOWN,
    InvalidToken,
    confirm_subscription,
    may_receive,
    request_subscription,
    suppress,
    unsubscribe,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THREADS = 20


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose steps each own a transaction, like requests."""
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _subscribe(session: Session, email: str, at: datetime) -> str | None:
    with session.begin():
        opt_in = request_subscription(session, email, now=at)
    return opt_in.token if opt_in else None


def _count(session: Session, model: type) -> int:
    with Session(session.get_bind()) as other:
        return int(other.scalar(select(func.count()).select_from(model)) or 0)


def test_a_second_subscribe_inside_the_cooldown_sends_nothing(session: Session) -> None:
    """Repeats within ten minutes send no mail and mint no token; after that a new mail goes out."""
    assert _subscribe(session, "ada@example.org", T0) is not None
    assert _subscribe(session, "ADA@example.org ", T0 + timedelta(minutes=1)) is None
    assert _subscribe(session, "ada@example.org", T0 + OPT_IN_COOLDOWN - timedelta(seconds=1)) is None
    assert _count(session, OptInToken) == 1 and _count(session, Subscriber) == 1
    again = _subscribe(session, "ada@example.org", T0 + OPT_IN_COOLDOWN)
    assert again is not None and _count(session, OptInToken) == 2
    assert _subscribe(session, "ada@example.org", T0 + OPT_IN_COOLDOWN + timedelta(minutes=1)) is None
    assert _subscribe(session, "bob@example.org", T0 + timedelta(minutes=1)) is not None  # per address


def test_confirming_ends_the_cooldown(session: Session) -> None:
    """Confirm, unsubscribe and come straight back: the new link is sent at once (only the owner can confirm)."""
    token = _subscribe(session, "ada@example.org", T0)
    assert token is not None
    with session.begin():
        sid = confirm_subscription(session, token, now=T0 + timedelta(minutes=1)).id
    with session.begin():
        unsubscribe(session, sid, now=T0 + timedelta(minutes=2))
    assert _subscribe(session, "ada@example.org", T0 + timedelta(minutes=3)) is not None


def test_concurrent_confirms_and_unsubscribes_from_threads(engine: Engine, tmp_path: Path) -> None:
    """Threads with their own sessions: one confirm wins, the rest are refused; one unsubscribe is journalled."""
    def with_session(fn):  # type: ignore[no-untyped-def]
        def run(_: int) -> object:
            with Session(engine, expire_on_commit=False) as s:
                try:
                    return fn(s)
                except InvalidToken as exc:
                    return exc
        return run

    subscribes = list(ThreadPoolExecutor(THREADS).map(
        with_session(lambda s: start_subscription(s, "ada@example.org")), range(THREADS)))
    opt_ins = [o for o in subscribes if o is not None]
    assert len(opt_ins) == 1
    token = opt_ins[0].token  # type: ignore[attr-defined]
    confirms = list(ThreadPoolExecutor(THREADS).map(with_session(lambda s: confirm_opt_in(s, token)), range(THREADS)))
    assert sum(isinstance(c, Subscriber) for c in confirms) == 1
    assert all("already used" in c.message for c in confirms if isinstance(c, InvalidToken))
    secret = b"k" * 32
    key = make_key(secret, "unsubscribe", next(c for c in confirms if isinstance(c, Subscriber)).id)
    path = tmp_path / "journal.jsonl"
    list(ThreadPoolExecutor(THREADS).map(
        with_session(lambda s: unsubscribe_by_key(s, secret_key=secret, key=key, journal=path)), range(THREADS)))
    with Session(engine) as s:
        assert s.execute(select(Suppression.email, Suppression.reason)).all() == [("ada@example.org", "unsubscribed")]
    assert len(list(journal.read(path))) == 1


def test_one_suppression_per_address_and_reason(session: Session, tmp_path: Path) -> None:
    """Repeats add neither a row nor a journal line; a later one moves the time forward and is journalled."""
    path = tmp_path / "journal.jsonl"
    with session.begin():
        assert suppress(session, "ada@example.org", "hard-bounce", now=T0, journal=path)
        assert not suppress(session, "Ada@Example.org", "hard-bounce", now=T0, journal=path)
        assert not suppress(session, "ada@example.org", "hard-bounce", now=T0 - timedelta(days=1), journal=path)
        assert suppress(session, "ada@example.org", "complaint", now=T0, journal=path)
        assert suppress(session, "ada@example.org", "hard-bounce", now=T0 + timedelta(days=1), journal=path)
    with session.begin():
        rows = session.execute(select(Suppression.reason, Suppression.created_at).order_by(Suppression.reason)).all()
    assert rows == [("complaint", T0), ("hard-bounce", T0 + timedelta(days=1))]
    assert [(e.reason, e.at) for e in journal.read(path)] == [
        ("hard-bounce", T0), ("complaint", T0), ("hard-bounce", T0 + timedelta(days=1))]


def test_an_unsubscribe_after_coming_back_outranks_the_new_confirmation(session: Session) -> None:
    """Unsubscribe, re-confirm, unsubscribe again: still one row, dated the second time, and no mail."""
    token = _subscribe(session, "ada@example.org", T0)
    assert token is not None
    with session.begin():
        sid = confirm_subscription(session, token, now=T0).id
    with session.begin():
        unsubscribe(session, sid, now=T0 + timedelta(days=1))
    token = _subscribe(session, "ada@example.org", T0 + timedelta(days=2))
    assert token is not None
    with session.begin():
        confirm_subscription(session, token, now=T0 + timedelta(days=2))
    with session.begin():
        sub = unsubscribe(session, sid, now=T0 + timedelta(days=3))
        assert sub is not None
        # What a restore of a backup taken before the second unsubscribe sees: confirmed again.
        sub.status = "confirmed"
        assert not may_receive(session, sub)
        stored = session.execute(select(Suppression.created_at)).scalars().all()
    assert stored == [T0 + timedelta(days=3)]


def test_migration_keeps_the_newest_of_duplicate_suppressions(db_url: str) -> None:
    """Upgrading to 0010 over duplicate rows leaves one per (address, reason), the newest."""
    engine = make_engine(db_url)
    cfg = alembic_config(db_url)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0009")
        with engine.begin() as conn:
            for reason, day in [("unsubscribed", 1), ("unsubscribed", 3), ("unsubscribed", 2), ("hard-bounce", 1)]:
                conn.execute(text("INSERT INTO suppressions (email, reason, created_at) VALUES (:e, :r, :c)"),
                             {"e": "ada@example.org", "r": reason, "c": datetime(2026, 3, day, 9)})
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        with Session(engine) as s:
            rows = s.execute(select(Suppression.reason, Suppression.created_at).order_by(Suppression.reason)).all()
        assert rows == [("hard-bounce", datetime(2026, 3, 1, 9, tzinfo=UTC)),
                        ("unsubscribed", datetime(2026, 3, 3, 9, tzinfo=UTC))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("zone", ["America", "America/", "A" * 300, "../../etc/passwd", "UTC\x00", "Europe/Nowhere",
                                  "/usr/share/zoneinfo/UTC", ""])
def test_time_zones_are_checked_against_the_zone_list(zone: str) -> None:
    """Folders, paths, NULs and over-long names are refused as a field error, never an OSError."""
    assert not is_timezone(zone)
    if zone:  # an empty field means UTC
        with pytest.raises(InvalidPreferences) as caught:
            parse_preferences({"timezone": zone})
        assert set(caught.value.errors) == {"timezone"}


def test_real_time_zones_are_accepted() -> None:
    """IANA names (and UTC) pass."""
    assert all(is_timezone(z) for z in ("UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Asia/Tokyo"))
    assert parse_preferences({"timezone": " Asia/Tokyo "}).timezone == "Asia/Tokyo"

