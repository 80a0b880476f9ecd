"""How fast are recommendations at scale? Synthetic vectors, a real SQLite database, a real ``paperstand serve``.

Builds (once, cached under bench/out/recommend/) a database of ``--papers`` papers spread over ten years of
arXiv dates, each with a stored float16 vector near one of 2,000 topic centres, and ``--members`` members
with ``--signals`` upvotes each on papers of one topic. Then measures:

1. the worker's retrain of every member (``recommend.training.retrain_all``), wall time and peak memory;
2. one member's retrain after a new vote (``retrain_member``), median and worst of 50;
3. ``GET /for-you?week=...`` on a running ``paperstand serve`` (one process, jobs off), logged in as a member,
   200 requests over random members and weeks: median and p95.

    nice -n 10 .venv/bin/python bench/recommend_speed.py [--papers 1000000 --members 10000 --signals 50]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT  # noqa: E402

WORK = OUT / "recommend"
TOPICS, NOISE = 2000, 0.6
FIRST_DAY, DAYS = date(2016, 6, 1), 3650
CHUNK = 20000


def _papers(conn, n: int, rng: np.random.Generator, now: datetime) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Insert ``n`` papers and their vectors; returns each paper's topic."""
    from sqlalchemy import insert

    from paperstand.papers.models import Paper
    from paperstand.search import terms
    from paperstand.search.embed_text import DIM, MODEL_ID
    from paperstand.search.models import PaperEmbedding

    centres = rng.standard_normal((TOPICS, DIM)).astype(np.float32)
    topics = rng.integers(0, TOPICS, n)
    days = np.sort(rng.integers(0, DAYS, n))
    for start in range(0, n, CHUNK):
        ids = range(start + 1, min(n, start + CHUNK) + 1)
        rows = []
        for pid in ids:
            at = datetime.combine(FIRST_DAY + timedelta(days=int(days[pid - 1])), datetime.min.time(), UTC)
            topic = topics[pid - 1]
            rows.append({"id": pid, "title_key": f"{pid:032x}", "title": f"Synthetic paper {pid} on topic {topic}",
                         "abstract": f"Words about topic {topic} and method {pid % 97}.",
                         "authors": ["A. Author"], "categories": ["cs.LG"], "versions": [], "withdrawn": False,
                         "sources": ["bench"], "first_seen_at": now, "last_changed_at": now, "published_at": at,
                         "arxiv_id": f"s{pid}"})
        v = centres[topics[start:start + len(rows)]] + NOISE * rng.standard_normal((len(rows), DIM)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        conn.execute(insert(Paper), rows)
        counts = terms.pack([f"{r['title']} {r['abstract']}" for r in rows])  # as the embedding job stores them
        vecs = [{"paper_id": pid, "model_id": MODEL_ID, "content_hash": "x", "vector": v[i].astype("<f2").tobytes(),
                 "terms": counts[i], "embedded_at": now, "checked_at": now} for i, pid in enumerate(ids)]
        conn.execute(insert(PaperEmbedding), vecs)
    return topics


def _members(conn, members: int, signals: int, topics: np.ndarray, rng: np.random.Generator,  # type: ignore[no-untyped-def]
             now: datetime) -> None:
    from sqlalchemy import insert

    from paperstand.accounts.models import Member
    from paperstand.community.models import Vote

    by_topic = np.argsort(topics, kind="stable")
    bounds = np.searchsorted(topics[by_topic], np.arange(TOPICS + 1))
    for start in range(0, members, 1000):
        ms = range(start + 1, min(members, start + 1000) + 1)
        conn.execute(insert(Member), [{"id": m, "name": f"m{m}", "name_key": f"m{m}", "email": f"m{m}@example.org",
                                       "display_name": "", "password_hash": "!", "role": "member", "created_at": now,
                                       "email_verified_at": now, "show_upvotes": False, "notify_mentions": False}
                                      for m in ms])
        votes = []
        for m in ms:
            t = int(rng.integers(0, TOPICS))
            pool = by_topic[bounds[t]:bounds[t + 1]] + 1
            for pid in rng.choice(pool, min(signals, len(pool)), replace=False):
                votes.append({"paper_id": int(pid), "member_id": m, "created_at": now})
        conn.execute(insert(Vote), votes)


def build(path: Path, papers: int, members: int, signals: int) -> None:
    """The benchmark database at ``path`` (kept: a second run reuses it)."""
    from paperstand.db import make_engine, migrate

    if path.exists():
        print(f"reusing {path}")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{tmp}")
    migrate(engine)
    rng, now, started = np.random.default_rng(11), datetime.now(UTC), time.monotonic()
    with engine.begin() as conn:
        topics = _papers(conn, papers, rng, now)
    print(f"  {papers:,} papers with vectors in {time.monotonic() - started:.0f} s", flush=True)
    with engine.begin() as conn:
        _members(conn, members, signals, topics, rng, now)
    engine.dispose()
    tmp.rename(path)
    print(f"built {path} in {time.monotonic() - started:.0f} s ({path.stat().st_size / 2**30:.2f} GiB)")


def retrain_everyone(url: str) -> None:
    """Step 1: the worker's full retrain."""
    from sqlalchemy.orm import Session

    from paperstand.db import make_engine
    from paperstand.recommend.training import retrain_all

    engine = make_engine(url)
    with Session(engine) as s:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = retrain_all(s)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"retrain all: {report.line()}; {report.members / max(report.seconds, 1e-9):,.0f} members/s; "
          f"peak RSS {peak / 1024:,.0f} MiB (was {before / 1024:,.0f} MiB before)")
    with Session(engine) as s:
        again = retrain_all(s)
    print(f"retrain all again (nothing changed): {again.line()}")
    engine.dispose()


def retrain_after_vote(url: str, members: int, papers: int) -> None:
    """Step 2: one member votes, their model is retrained."""
    from sqlalchemy import insert
    from sqlalchemy.orm import Session

    from paperstand.community.models import Vote
    from paperstand.db import make_engine
    from paperstand.recommend.training import retrain_member

    engine = make_engine(url)
    times = []
    # A new draw each run: a vote the database already holds would change nothing (and be skipped).
    rng = random.Random(time.time_ns())
    with Session(engine) as s:
        while len(times) < 50:
            m = rng.randint(1, members)
            s.execute(insert(Vote).prefix_with("OR IGNORE"),
                      {"paper_id": rng.randint(1, papers), "member_id": m, "created_at": datetime.now(UTC)})
            s.commit()
            started = time.perf_counter()
            changed = retrain_member(s, member_id=m)
            s.commit()
            if changed:
                times.append(time.perf_counter() - started)
    times.sort()
    print(f"one member's retrain after a vote: median {times[25] * 1000:.0f} ms, worst {times[-1] * 1000:.0f} ms "
          f"(50 members)")
    engine.dispose()


def _cookie(url: str, member_id: int) -> str:
    from sqlalchemy.orm import Session

    from paperstand.accounts.sessions import open_session
    from paperstand.db import make_engine

    engine = make_engine(url)
    with Session(engine) as s:
        cookie = open_session(s, member_id=member_id, now=datetime.now(UTC))
        s.commit()
    engine.dispose()
    return cookie


def serve(url: str, members: int, requests: int) -> None:
    """Step 3: /for-you on a real server."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": url, "PAPERSTAND_DATA_DIR": str(WORK / "serve"),
           "PAPERSTAND_PORT": str(port), "PAPERSTAND_HARVEST_ON_START": "false", "PAPERSTAND_LOG_LEVEL": "WARNING",
           "PAPERSTAND_WORKER": "off", "PAPERSTAND_SERVE_WORKERS": "1",
           # One client asks 200 pages in a row: the per-address page limit would answer 429.
           "PAPERSTAND_RATE_LIMITS": "off"}
    proc = subprocess.Popen([sys.executable, "-m", "paperstand", "serve"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/api/daily_papers?limit=1", timeout=5).read()
                break
            except OSError:
                time.sleep(0.3)
        rng = random.Random(9)
        cookies = {m: _cookie(url, m) for m in rng.sample(range(1, members + 1), 20)}
        times, sizes = [], []
        for i in range(requests + 10):
            m = rng.choice(sorted(cookies))
            day = FIRST_DAY + timedelta(days=rng.randint(0, DAYS - 1))
            year, week, _ = day.isocalendar()
            req = urllib.request.Request(f"{base}/for-you?week={year}-W{week:02d}",
                                         headers={"Cookie": f"ps_session={cookies[m]}"})
            started = time.perf_counter()
            with urllib.request.urlopen(req, timeout=30) as answer:
                body = answer.read()
                assert answer.status == 200
            if i >= 10:  # the first requests warm the process
                times.append(time.perf_counter() - started)
                sizes.append(body.count(b'class="reasons"'))
        times.sort()
        print(f"/for-you on a real serve: median {times[len(times) // 2] * 1000:.0f} ms, "
              f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms over {len(times)} requests "
              f"({np.mean(sizes):.0f} recommended papers a page)")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    """Build or reuse the database and run the three measurements."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--signals", type=int, default=50)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--skip", default="", help="comma-separated steps to skip: retrain,vote,serve")
    args = ap.parse_args()
    import paperstand.models  # noqa: F401  every table, for the foreign keys between them

    tag = hashlib.sha256(f"{args.papers}/{args.members}/{args.signals}".encode()).hexdigest()[:8]
    path = WORK / f"speed-{args.papers}-{args.members}-{args.signals}-{tag}.db"
    build(path, args.papers, args.members, args.signals)
    url = f"sqlite:///{path}"
    skip = set(args.skip.split(","))
    if "retrain" not in skip:
        retrain_everyone(url)
    if "vote" not in skip:
        retrain_after_vote(url, args.members, args.papers)
    if "serve" not in skip:
        serve(url, args.members, args.requests)


if __name__ == "__main__":
    main()
