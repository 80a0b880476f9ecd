"""kill -9 of ``serve`` during a burst of writes: every write that got a 2xx is there, and nothing is torn.

The burst is a list of write kinds (votes, comments, or both at once from the same threads); each kind sends
its requests and later proves that what was acknowledged is stored and that the API's counts equal Hugging
Face's imported count plus the rows.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from tests.conftest import MadeMember, make_member

from paperstand.db import is_sqlite, make_engine
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch

PAPERS, THREADS, KILLS = 60, 16, 2
# Imported from Hugging Face (a separate signal the API adds to ours): every paper gets a different count.
HF_UPVOTES = {f"2503.{n:05d}": 3 * n for n in range(1, PAPERS + 1)}
HF_COMMENTS = {f"2503.{n:05d}": n % 4 for n in range(1, PAPERS + 1)}
# Writes acknowledged before each kill: the kill lands while the burst is in full flow.
ACKED_BEFORE_KILL = 100
# Settled writes each kind must have at the end: the kinds share the burst (about half each when mixed).
MIN_SETTLED = ACKED_BEFORE_KILL // 2
Key = tuple[str, object]  # (write kind, what it wrote to), e.g. ("vote", (member id, paper id))


@dataclass
class Burst:
    """What the server answered: the last acknowledged outcome per key, keys in doubt, refusals."""

    members: list[MadeMember]  # one per sending thread, so each (member, paper) pair is written in order
    papers: list[str]
    acked: dict[Key, object] = field(default_factory=dict)
    # Sent but not answered (yet, or ever: the kill cut it off): such a write may or may not have landed.
    in_doubt: set[Key] = field(default_factory=set)
    answered: int = 0
    sent: int = 0  # numbers each comment's idempotency key (and text), so no two requests share one
    refused: list[str] = field(default_factory=list)  # any non-2xx answer: none is expected
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sending(self, key: Key) -> None:
        """A write to ``key`` is on its way."""
        with self.lock:
            self.in_doubt.add(key)

    def next_number(self) -> int:
        """A number no other request of this burst gets."""
        with self.lock:
            self.sent += 1
            return self.sent

    def answer(self, key: Key, status: int, outcome: object, text: str) -> None:
        """The server answered a write to ``key``: a 2xx makes ``outcome`` what must be stored."""
        with self.lock:
            self.answered += 1
            if 200 <= status < 300:
                self.in_doubt.discard(key)
                self.acked[key] = outcome
            else:
                self.refused.append(f"{status} {text[:200]}")

    def settled(self, kind: str) -> dict[object, object]:
        """The acknowledged outcomes of ``kind`` whose last write was answered."""
        return {k[1]: v for k, v in self.acked.items() if k[0] == kind and k not in self.in_doubt}


@dataclass(frozen=True)
class WriteKind:
    """One kind of write in the burst: how a thread sends one, and how to check the stored outcome."""

    name: str
    send: Callable[[httpx.Client, str, Burst, random.Random, int], None]
    check: Callable[[Engine, str, Burst], None]


def _send_vote(client: httpx.Client, base: str, burst: Burst, rng: random.Random, thread: int) -> None:
    """Upvote a random paper as this thread's member, or (a third of the time) take the upvote back."""
    member, paper = burst.members[thread], rng.choice(burst.papers)
    up = rng.random() > 1 / 3
    key: Key = ("vote", (member.id, paper))
    url = f"{base}/api/papers/{paper}/upvote"
    burst.sending(key)
    answer = client.post(url, headers=member.bearer) if up else client.delete(url, headers=member.bearer)
    burst.answer(key, answer.status_code, up, answer.text)


def _check_votes(engine: Engine, base: str, burst: Burst) -> None:
    """Each acknowledged vote is there (or gone, for an acknowledged unvote); counts equal rows; no duplicates."""
    with engine.connect() as conn:
        rows = {(m, p) for m, p in conn.execute(text(
            "SELECT v.member_id, COALESCE(p.arxiv_id, p.local_key) FROM votes v JOIN papers p ON p.id = v.paper_id"))}
        dupes = conn.execute(text("SELECT paper_id, member_id FROM votes GROUP BY paper_id, member_id "
                                  "HAVING count(*) > 1")).all()
        per_paper: dict[str, int] = dict(conn.execute(text(
            "SELECT COALESCE(p.arxiv_id, p.local_key), count(v.id) FROM papers p "
            "LEFT JOIN votes v ON v.paper_id = p.id GROUP BY p.id, p.arxiv_id, p.local_key")).all())
    assert dupes == []
    acked = burst.settled("vote")
    assert len(acked) >= MIN_SETTLED, f"only {len(acked)} votes were acknowledged and settled"
    # Pairs whose last request was cut off by the kill may land either way; those answered cannot.
    lost = [pair for pair, up in acked.items() if (pair in rows) != up]
    assert lost == [], f"{len(lost)} acknowledged votes not as answered, e.g. {lost[:3]}"
    assert _shown(base, burst, "upvotes") == {p: HF_UPVOTES[p] + per_paper[p] for p in burst.papers}


def _shown(base: str, burst: Burst, field: str) -> dict[str, int]:
    """``field`` of every paper as the API reports it: the day's list in one call, and each paper's own
    ``/api/papers/{id}`` for a sample (one call per paper for all sixty would double the test's time)."""
    day = httpx.get(f"{base}/api/daily_papers", params={"date": "2025-03-11", "limit": 100}, timeout=30).json()
    # upvotes sits in the item's paper object, numComments beside it (as on Hugging Face).
    shown = {item["paper"]["id"]: item["paper"]["upvotes"] if field == "upvotes" else item["numComments"]
             for item in day}
    for paper in burst.papers[::12]:
        alone = httpx.get(f"{base}/api/papers/{paper}", timeout=30).json()[field]
        assert alone == shown[paper], (paper, field)
    return shown


def _send_comment(client: httpx.Client, base: str, burst: Burst, rng: random.Random, thread: int) -> None:
    """Comment on a random paper as this thread's member, with an idempotency key no other request uses."""
    member, paper, n = burst.members[thread], rng.choice(burst.papers), burst.next_number()
    key: Key = ("comment", f"crash-{n}")
    body = f"Comment {n} from {member.name}: **bold** and `code`"
    burst.sending(key)
    answer = client.post(f"{base}/api/papers/{paper}/comments", json={"body": body},
                         headers={**member.bearer, "Idempotency-Key": f"crash-{n}"})
    burst.answer(key, answer.status_code, (member.name, paper, body), answer.text)


def _check_comments(engine: Engine, base: str, burst: Burst) -> None:
    """Each acknowledged comment is stored once, as sent; the API's numComments is Hugging Face's plus the rows."""
    with engine.connect() as conn:
        rows = {key: (name, paper, body) for key, name, paper, body in conn.execute(text(
            "SELECT c.idempotency_key, m.name, COALESCE(p.arxiv_id, p.local_key), c.body FROM comments c "
            "JOIN members m ON m.id = c.member_id JOIN papers p ON p.id = c.paper_id"))}
        total = conn.execute(text("SELECT count(*) FROM comments")).scalar_one()
        per_paper: dict[str, int] = dict(conn.execute(text(
            "SELECT COALESCE(p.arxiv_id, p.local_key), count(c.id) FROM papers p "
            "LEFT JOIN comments c ON c.paper_id = p.id GROUP BY p.id, p.arxiv_id, p.local_key")).all())
    assert total == len(rows)  # every stored comment came from one request of the burst
    acked = burst.settled("comment")
    assert len(acked) >= MIN_SETTLED, f"only {len(acked)} comments were acknowledged"
    lost = [key for key, sent in acked.items() if rows.get(key) != sent]
    assert lost == [], f"{len(lost)} acknowledged comments missing or changed, e.g. {lost[:3]}"
    assert _shown(base, burst, "numComments") == {p: HF_COMMENTS[p] + per_paper[p] for p in burst.papers}


WRITE_KINDS = {"vote": WriteKind("vote", _send_vote, _check_votes),
               "comment": WriteKind("comment", _send_comment, _check_comments)}


@contextmanager
def _serve(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A ``paperstand serve`` process (killed by the test, or terminated at the end) and its URL."""
    proc = subprocess.Popen([sys.executable, "-m", "paperstand", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{env['PAPERSTAND_PORT']}"
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, "serve exited on start"
        try:
            urllib.request.urlopen(base + "/api/daily_papers?limit=1", timeout=2).read()
            break
        except OSError:
            assert time.monotonic() < deadline, "serve did not start in 30 s"
            time.sleep(0.2)
    try:
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _senders(kinds: list[WriteKind], base: str, burst: Burst, stop: threading.Event,
             cycle: int) -> list[threading.Thread]:
    def run(thread: int) -> None:
        rng = random.Random(cycle * THREADS + thread)  # each run of the burst writes anew
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    rng.choice(kinds).send(client, base, burst, rng, thread)
                except (httpx.TransportError, OSError):
                    stop.wait()  # the server is gone (killed): that write stays in doubt; wait for the next one
                    return

    return [threading.Thread(target=run, args=(n,), daemon=True) for n in range(THREADS)]


def _populate(engine: Engine) -> Burst:
    ids = [f"2503.{n:05d}" for n in range(1, PAPERS + 1)]
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=f"Crash-safe paper {n}", arxiv_id=pid,
                                       hf_upvotes=HF_UPVOTES[pid], hf_comments=HF_COMMENTS[pid],
                                       featured_on=date(2025, 3, 11), position=n) for n, pid in enumerate(ids, 1)])
    return Burst([make_member(engine, f"voter{n}") for n in range(THREADS)], ids)


# Votes and comments in one burst, from the same threads: the kill finds both kinds mid-flight.
@pytest.mark.parametrize("kinds", [["vote", "comment"]])
def test_kill_9_during_a_burst_keeps_every_acknowledged_write(db_url: str, tmp_path: Path, kinds: list[str]) -> None:
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "var"),
           "PAPERSTAND_PORT": str(_free_port()), "PAPERSTAND_HARVEST_ON_START": "false", "PAPERSTAND_WORKER": "off",
           "PAPERSTAND_LOG_LEVEL": "WARNING", "PAPERSTAND_SERVE_WORKERS": "1", "PAPERSTAND_RATE_LIMITS": "off"}
    subprocess.run([sys.executable, "-m", "paperstand", "migrate"], env=env, check=True, capture_output=True)
    engine = make_engine(db_url)
    burst = _populate(engine)
    chosen, rng = [WRITE_KINDS[k] for k in kinds], random.Random(9)
    for kill in range(KILLS):
        with _serve(env) as (proc, base):
            stop = threading.Event()
            threads = _senders(chosen, base, burst, stop, kill)
            for t in threads:
                t.start()
            target = burst.answered + ACKED_BEFORE_KILL
            deadline = time.monotonic() + 60
            while burst.answered < target and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            stop.set()
            for t in threads:
                t.join(timeout=30)
        assert burst.answered >= target, f"kill {kill}: the burst never got going"
    assert burst.refused == [], burst.refused[:5]  # e.g. "database is locked" reaching a client
    assert burst.in_doubt, "the last kill must cut requests off mid-flight"
    if is_sqlite(db_url):
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
    with _serve(env) as (_, base):  # the server comes back on the same database and reports the rows
        for kind in chosen:
            kind.check(engine, base, burst)
    engine.dispose()
