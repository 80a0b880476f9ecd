"""``outbox.claim``: a guarded claim under a lease; expired leases are taken over; concurrent claimers split rows."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.digests.outbox import LEASE, OUT, claim, record_sent_many, release
from paperstand.subscriptions.models import Subscriber

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
DAY = date(2026, 3, 2)


def _outbox(engine: Engine, n: int, *, due_at: datetime = T0) -> list[int]:
    """``n`` pending rows due at ``due_at``, one per new subscriber; their ids in order."""
    with Session(engine) as s, s.begin():
        subs = [Subscriber(email=f"c{i}@example.org", status="confirmed", confirmed_at=T0, created_at=T0,
                           categories=[], keywords=[]) for i in range(n)]
        s.add_all(subs)
        s.flush()
        s.execute(OUT.insert(), [{"subscriber_id": sub.id, "period": DAY.isoformat(), "first_day": DAY,
                                  "last_day": DAY, "status": "pending", "attempts": 0,
                                  "next_attempt_at": due_at + timedelta(seconds=i), "created_at": T0}
                                 for i, sub in enumerate(subs)])
    with engine.connect() as conn:
        return list(conn.execute(select(OUT.c.id).order_by(OUT.c.id)).scalars())


def _claim(engine: Engine, owner: str, now: datetime, limit: int = 100) -> list[int]:
    with engine.begin() as conn:
        return claim(conn, owner, now, limit)


def _leases(engine: Engine) -> dict[int, tuple[str | None, datetime | None]]:
    with engine.connect() as conn:
        return {i: (o, u) for i, o, u in conn.execute(select(OUT.c.id, OUT.c.lease_owner, OUT.c.lease_until))}


def test_claim_takes_due_rows_in_order_under_a_lease(engine: Engine) -> None:
    """Oldest due first, at most ``limit``; each taken row names its owner and the lease's end."""
    ids = _outbox(engine, 5)
    assert _claim(engine, "a", T0 + timedelta(seconds=10), limit=3) == ids[:3]
    leases = _leases(engine)
    assert [leases[i] for i in ids] == [("a", T0 + timedelta(seconds=10) + LEASE)] * 3 + [(None, None)] * 2


def test_a_leased_row_is_not_claimed_twice(engine: Engine) -> None:
    """While a lease runs, other claimers get only the rows nobody holds, then nothing."""
    ids = _outbox(engine, 5)
    now = T0 + timedelta(minutes=1)
    assert _claim(engine, "a", now, limit=3) == ids[:3]
    assert _claim(engine, "b", now, limit=3) == ids[3:]
    assert _claim(engine, "c", now + LEASE - timedelta(seconds=1)) == []
    assert {owner for owner, _ in _leases(engine).values()} == {"a", "b"}


def test_rows_not_yet_due_or_done_are_not_claimed(engine: Engine) -> None:
    """A row scheduled later (a retry's wait) or already sent stays where it is."""
    ids = _outbox(engine, 3, due_at=T0 + timedelta(hours=1))
    assert _claim(engine, "a", T0) == []
    now = T0 + timedelta(hours=2)
    with engine.begin() as conn:
        assert claim(conn, "a", now, limit=1) == ids[:1]
        record_sent_many(conn, [{"row_id": ids[0], "owner": "a", "now": now}])
    assert _claim(engine, "b", now + LEASE + timedelta(seconds=1)) == ids[1:]


def test_an_expired_lease_is_reclaimed_and_the_old_owner_loses_it(engine: Engine) -> None:
    """A crashed sender's rows come back after LEASE; its late report then changes nothing."""
    ids = _outbox(engine, 2)
    start = T0 + timedelta(seconds=10)
    assert _claim(engine, "crashed", start) == ids
    assert _claim(engine, "b", start + LEASE - timedelta(seconds=1)) == []
    later = start + LEASE + timedelta(seconds=1)
    assert _claim(engine, "b", later) == ids
    assert set(_leases(engine).values()) == {("b", later + LEASE)}
    with engine.begin() as conn:
        record_sent_many(conn, [{"row_id": i, "owner": "crashed", "now": later} for i in ids])
        release(conn, ids, "crashed")
    with engine.connect() as conn:
        assert set(conn.execute(select(OUT.c.status, OUT.c.lease_owner))) == {("pending", "b")}


def test_released_rows_can_be_claimed_at_once(engine: Engine) -> None:
    """A sender handing rows back (its lease is nearly over) lets the next one take them now."""
    ids = _outbox(engine, 3)
    assert _claim(engine, "a", T0 + timedelta(seconds=5)) == ids
    with engine.begin() as conn:
        release(conn, ids[1:], "a")
    assert _claim(engine, "b", T0 + timedelta(seconds=6)) == ids[1:]


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: claims cannot overlap")


def test_concurrent_claimers_skip_locked_rows_without_waiting(engine: Engine) -> None:
    """A claim inside an open transaction locks its rows; a second claimer takes others at once."""
    _postgres_only(engine)
    ids = _outbox(engine, 6)
    now = T0 + timedelta(minutes=1)
    with engine.connect() as first, engine.connect() as second:
        first.begin()
        second.begin()
        # Without SKIP LOCKED the second claim would wait for the first transaction: fail instead of hanging.
        second.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
        taken_first = claim(first, "a", now, limit=3)
        taken_second = claim(second, "b", now, limit=3)
        first.commit()
        second.commit()
    assert taken_first == ids[:3] and taken_second == ids[3:]


def test_many_claimers_at_once_take_every_row_exactly_once(engine: Engine) -> None:
    """Eight threads claiming small batches until nothing is left: every row once, none twice."""
    _postgres_only(engine)
    ids = _outbox(engine, 60)
    now = T0 + timedelta(minutes=2)
    taken: dict[str, list[int]] = {}
    start = threading.Barrier(8)

    def worker(owner: str) -> None:
        start.wait()
        mine: list[int] = []
        while batch := _claim(engine, owner, now, limit=4):
            mine += batch
        taken[owner] = mine

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    every = [i for mine in taken.values() for i in mine]
    assert len(taken) == 8 and sorted(every) == ids
    leases = _leases(engine)
    assert all(leases[i][0] == owner for owner, mine in taken.items() for i in mine)
