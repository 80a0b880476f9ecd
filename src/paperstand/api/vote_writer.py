"""The write API's votes, recorded in batches: every vote that arrives while one batch is written goes in the next.

A vote is a few one-row statements and a commit, well under a millisecond of database work. Recorded one
by one, each vote also paid a hand-over to a worker thread (where every statement releases the interpreter
and must take it back from a busy event loop), a pooled connection, its own transaction and, on SQLite,
its turn at the write lock; twenty voters at once spent far more on those than on their votes. Here the
votes in flight share all of it, and the batch's statements are set-wise: the tokens in one query, the
papers in one, the inserts and deletes as one ``executemany`` each, every touched paper's score refreshed
together, one commit. A lone vote is a batch of one and starts at once; nobody waits for a batch to fill.

- **SQLite**: a batch runs on the event loop itself (no thread hand-over), on a connection of its own
  that never waits for SQLite's lock (``busy_timeout`` 0). If another process is writing (an import, the
  trending job) or a form's vote in this process holds the write turn, nothing was written and the batch
  goes to a worker thread, which waits for the lock as every other writer does.
- **PostgreSQL**: the same, on the loop's own connection, which gives up on a row lock after
  ``LOCK_TIMEOUT_MS`` (``lock_timeout``; the trending job or another process holding a vote's rows) and
  on any statement after ``STATEMENT_TIMEOUT_MS``; then, or when that connection is lost, the batch goes
  to a worker thread and a pooled connection that wait as long as they need. On a thread, every round trip
  of a batch (ten or so) had to take the interpreter back from the busy event loop, up to its 5 ms switch
  interval each: a batch waited tens of milliseconds for a millisecond of database work.

Nothing about a vote's answer changes: each is answered after the commit that holds it (a 2xx means it is
stored), with the counts that commit leaves, and with its own refusal (401, 403, 404) if it has one. A
batch that hits a database error is rolled back and its votes are recorded one at a time, so one vote's
error (a paper merged away under it) is never another's.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from fastapi import FastAPI, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from paperstand.accounts.models import Member
from paperstand.community.votes import Ballot, VoteState, WriteTurnTaken, record_many, unvote, upvote
from paperstand.web.auth import require_api_many
from paperstand.web.coalesce import Batched

# PostgreSQL, on the event loop: a batch's statements take well under a millisecond each; a wait longer
# than these is somebody else's lock (or a server in trouble), waited for on a thread instead.
LOCK_TIMEOUT_MS = 20
STATEMENT_TIMEOUT_MS = 500


@dataclass(frozen=True)
class VoteJob:
    """One API vote as it arrived: the request (for its token), the paper named and the direction."""

    request: Request
    paper_id: str
    up: bool


class VoteWriter:
    """Records the write API's votes of one process (see the module's docstring for how)."""

    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine  # the loop's own connection comes from here: an unpooled ``db.loop_engine``
        self.sessions = sessions
        self._conn: Connection | None = None  # the event loop's own connection
        self._thread = anyio.CapacityLimiter(1)
        self._batched: Batched[VoteJob, VoteState] = Batched(self.run, limiter=self._thread,
                                                             run_inline=self._run_on_loop)

    async def cast(self, request: Request, paper_id: str, *, up: bool) -> VoteState:
        """Record one vote; its answer once the commit holding it is done (or its refusal, raised)."""
        return await self._batched.submit(VoteJob(request, paper_id, up))

    def run(self, jobs: list[VoteJob], session: Session | None = None, *,
            wait: bool = True) -> list[VoteState | Exception]:
        """Check the jobs' tokens and record the allowed votes in one transaction; one answer per job.

        With ``wait=False`` (SQLite, on the event loop) it raises ``WriteTurnTaken`` or "database is
        locked" instead of waiting for the write lock, having recorded nothing.
        """
        if session is None:
            with self.sessions() as own:
                return self.run(jobs, own, wait=wait)
        checked = require_api_many([job.request for job in jobs], "vote", session)
        ballots = [(n, Ballot(job.paper_id, member.id, job.up))
                   for n, (job, member) in enumerate(zip(jobs, checked, strict=True)) if isinstance(member, Member)]
        answers: list[VoteState | Exception] = [m if isinstance(m, Exception) else RuntimeError("vote not recorded")
                                                for m in checked]
        now = datetime.now(UTC)
        try:
            recorded: list[VoteState | Exception] = list(record_many(session, [b for _, b in ballots], now=now,
                                                                     wait=wait))
        except Exception:
            session.rollback()
            if not wait:
                raise
            recorded = [_alone(session, ballot, now) for _, ballot in ballots]
        for (n, _), answer in zip(ballots, recorded, strict=True):
            answers[n] = answer
        return answers

    def _run_on_loop(self, jobs: list[VoteJob]) -> list[VoteState | Exception] | None:
        """The batch written at once on the loop's connection; None (nothing written) when it would wait."""
        try:
            conn = self._loop_connection()
            with Session(bind=conn, expire_on_commit=False) as session:
                return self.run(jobs, session, wait=False)
        except WriteTurnTaken:
            return None  # SQLite: a form's vote of this process is being written: wait for it on a thread
        except DBAPIError as exc:
            # Rolled back, nothing written. Mostly another process writing (an import, the trending job),
            # waited for on the thread; any other error is answered vote by vote there (``run``).
            if exc.connection_invalidated:
                self._drop_loop_connection()  # lost: the thread's pooled connection is checked first
            return None

    def _loop_connection(self) -> Connection:
        if self._conn is None:
            conn = self.engine.connect()
            if self.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout=0")  # never wait on the event loop
            else:
                conn.exec_driver_sql(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
                conn.exec_driver_sql(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
                conn.exec_driver_sql("SET synchronous_commit = off")
            conn.commit()
            self._conn = conn
        return self._conn

    def _drop_loop_connection(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                conn.invalidate()  # closed, not pooled: a pooled connection must not keep these timeouts
                conn.close()

    async def aclose(self) -> None:
        """Close the loop's connection and the batches' wake-up socket."""
        self._batched.close()
        self._drop_loop_connection()


def _alone(session: Session, ballot: Ballot, now: datetime) -> VoteState | Exception:
    cast = upvote if ballot.up else unvote
    try:
        return cast(session, public_id=ballot.public_id, member_id=ballot.member_id, now=now)
    except Exception as exc:  # noqa: BLE001 - this vote's error, answered to this vote only
        session.rollback()
        return exc


def vote_writer(app: FastAPI) -> VoteWriter:
    """The app's vote writer, made on first use."""
    writer: VoteWriter | None = getattr(app.state, "vote_writer", None)
    if writer is None:
        writer = app.state.vote_writer = VoteWriter(app.state.loop_engine, app.state.sessions)
    return writer

