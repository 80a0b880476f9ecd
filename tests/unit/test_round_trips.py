"""Round trips to PostgreSQL: a batch of votes takes four, errors arrive as SQLAlchemy's, no state leaks.

Round trips are counted from libpq's own trace of the connection, which lists every message sent (F)
and received (B) in order: a round trip is a run of messages sent, then the answers waited for.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.community.models import Vote
from paperstand.community.votes import Ballot, VoteState, record_many
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.round_trips import one_round_trip, reads_without_begin

NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
IDS = ["2503.00001", "2503.00002"]


def _papers(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title=f"Paper {n}", arxiv_id=i, featured_on=date(2025, 3, 11),
                                       position=n) for n, i in enumerate(IDS, 1)])


@contextmanager
def _answers(session: Session) -> Iterator[list[str]]:
    """The directions (F sent, B received) of the messages on the session's connection while the block runs."""
    from psycopg import pq

    pgconn = session.connection().connection.dbapi_connection.pgconn  # type: ignore[union-attr]
    seen: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trace"
        with path.open("w") as out:
            pgconn.trace(out.fileno())
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
            try:
                yield seen
            finally:
                pgconn.untrace()
        seen += [line[0] for line in path.read_text().splitlines() if line[:2] in ("F\t", "B\t")]


def _round_trips(directions: list[str]) -> int:
    """Runs of sent messages, each followed by answers."""
    return sum(1 for before, now in zip(["B", *directions], directions, strict=False) if (before, now) == ("B", "F"))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_batch_of_votes_takes_four_round_trips(engine: Engine) -> None:
    _papers(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    with Session(engine) as s:
        record_many(s, [Ballot(IDS[0], ada.id, True)], now=NOW)  # Ada's vote on A is there to be taken back
        with _answers(s) as answers:
            states = record_many(s, [Ballot(IDS[0], bob.id, True), Ballot(IDS[1], ada.id, True),
                                     Ballot(IDS[0], ada.id, False)], now=NOW)
    # The papers; BEGIN with the inserts and deletes; the activity read; the scores with the COMMIT.
    assert _round_trips(answers) == 4
    assert [(a.local, a.voted) for a in states if isinstance(a, VoteState)] == [(1, True), (1, True), (1, False)]
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Vote)).scalar() == 2


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_error_answered_at_the_end_of_a_shared_round_trip_is_sqlalchemys(engine: Engine) -> None:
    _papers(engine)
    with Session(engine) as s:
        with pytest.raises(IntegrityError), one_round_trip(s):  # a vote of a member who does not exist
            s.execute(text("INSERT INTO votes (paper_id, member_id, created_at) "
                           "SELECT min(id), -1, now() FROM papers"))
        s.rollback()
        assert s.execute(text("SELECT count(*) FROM votes")).scalar() == 0


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_both_helpers_do_nothing_on_sqlite(engine: Engine) -> None:
    with Session(engine) as s, reads_without_begin(s), one_round_trip(s):
        assert s.execute(text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_reads_without_begin_leave_the_connection_in_transactions(engine: Engine) -> None:
    with Session(engine) as s:
        driver = s.connection().connection.dbapi_connection
        with reads_without_begin(s):
            assert driver.autocommit is True  # type: ignore[union-attr]
            s.execute(text("SELECT 1"))
        assert driver.autocommit is False  # type: ignore[union-attr]
        s.execute(text("CREATE TEMPORARY TABLE t (x int)"))
        s.rollback()  # rolled back, so the write above was in a transaction
        with pytest.raises(Exception, match="does not exist"):
            s.execute(text("SELECT * FROM t"))
        s.rollback()
        s.execute(text("SELECT 1"))
        with reads_without_begin(s):  # a transaction is open: its reads stay in it
            assert driver.autocommit is False  # type: ignore[union-attr]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_failed_batch_writes_nothing_and_leaves_the_connection_in_transactions(engine: Engine) -> None:
    _papers(engine)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        driver = s.connection().connection.dbapi_connection
        with pytest.raises(IntegrityError):  # a member who does not exist: the foreign key, at the pipeline's end
            record_many(s, [Ballot(IDS[0], ada.id, True), Ballot(IDS[1], -1, True)], now=NOW)
        s.rollback()
        assert driver.autocommit is False  # type: ignore[union-attr]
        assert s.execute(select(func.count()).select_from(Vote)).scalar() == 0
        [state] = record_many(s, [Ballot(IDS[0], ada.id, True)], now=NOW)  # and the connection still works
    assert isinstance(state, VoteState) and state.local == 1
