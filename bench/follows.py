"""The cost of follows and watches: /following's matcher and the watch job over a generated library.

Builds ``--papers`` papers (default 20,000) published over the last 30 days, with generated titles,
abstracts, authors and categories, on SQLite and on PostgreSQL (a private schema on the test server), and
one member with 50 follows (20 authors, 10 categories, 20 saved searches) who watches ``--watched`` papers
(default 1,000) carrying one comment each, and one whose 21 follows rarely match. Then, per database, the
median of 5 runs of:

1. ``newest_matches`` (what /following lists: the matcher over the newest 3,000 papers, for each member);
2. ``watch.scan`` with nothing new (the every-2-minutes job's steady cost);
3. ``watch.scan`` after 100 of the watched papers got a new version;
4. a day's digest to ``--members`` members (two follows each, recommendations on random vectors) and to as
   many subscribers without an account: milliseconds per message, into the memory backend.

    .venv/bin/python bench/follows.py [--papers 20000] [--watched 1000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.community.models import Comment
from paperstand.db import make_engine, migrate
from paperstand.follows import service, watch
from paperstand.follows.matching import newest_matches
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = ["diffusion", "policy", "graph", "neural", "transformer", "sparse", "attention", "robot", "grasping",
         "language", "model", "retrieval", "contrastive", "vision", "speech", "energy", "kernel", "bandit",
         "reinforcement", "causal", "federated", "quantum"]
CATEGORIES = ("cs.CL", "cs.LG", "cs.CV", "cs.RO", "cs.AI", "stat.ML", "math.OC", "eess.AS", "hep-th", "q-bio.NC")
NAMES = [f"{first} {last}" for first in ("Ada", "Kofi", "Ines", "Yann", "Zoë", "Ana", "Li", "Omar")
         for last in ("Quill", "Mensah", "Moreau", "LeCun", "Ruiz", "Chen", "Haddad", "Okafor")]


def _records(n: int, version: int, now: datetime, rng: random.Random) -> list[PaperRecord]:
    return [PaperRecord(source="arxiv-oai", title=" ".join(rng.choices(WORDS, k=6)).title(),
                        arxiv_id=f"2603.{i:05d}", version=version, authors=rng.sample(NAMES, 3),
                        abstract=" ".join(rng.choices(WORDS, k=60)) + ".", categories=rng.sample(CATEGORIES, 2),
                        published_at=now - timedelta(minutes=i * 2)) for i in range(1, n + 1)]


def _build(url: str, papers: int, watched: int) -> tuple[Engine, int]:
    engine = make_engine(url)
    migrate(engine)
    rng, now = random.Random(7), datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, papers, 5000):
            store_batch(conn, _records(papers, 1, now, rng)[start:start + 5000])
    with Session(engine) as s:
        member = Member(name="ada", name_key="ada", email="ada@example.org", password_hash="!", created_at=now,
                        email_verified_at=now)
        s.add(member)
        s.commit()
        for name in NAMES[:20]:
            service.follow(s, member_id=member.id, kind="author", value=name, now=now)
        for cat in CATEGORIES:
            service.follow(s, member_id=member.id, kind="category", value=cat, now=now)
        for i in range(20):
            service.follow(s, member_id=member.id, kind="search", value=" ".join(rng.sample(WORDS, 2 + i % 2)),
                           now=now)
        for i in range(1, watched + 1):
            watch.watch(s, member_id=member.id, paper_id=f"2603.{i:05d}", now=now - timedelta(hours=1))
        s.execute(insert(Comment), [{"paper_id": i, "member_id": member.id, "body": "b", "html": "b",
                                     "created_at": now - timedelta(minutes=30)} for i in range(1, watched + 1)])
        s.commit()
        watch.scan(s, now=now)
        rare = Member(name="ines", name_key="ines", email="ines@example.org", password_hash="!", created_at=now,
                      email_verified_at=now)
        s.add(rare)
        s.commit()
        for _ in range(20):  # four-word searches and an absent author: few papers match, the whole window is read
            service.follow(s, member_id=rare.id, kind="search", value=" ".join(rng.sample(WORDS, 4)), now=now)
        service.follow(s, member_id=rare.id, kind="author", value="Nobody Here", now=now)
        return engine, member.id


def _digests(engine: Engine, members: int) -> str:
    """Milliseconds per digest: ``members`` members' digests, then as many plain subscribers' (memory backend)."""
    import numpy as np

    from paperstand.accounts.digest_link import link_subscription
    from paperstand.config import Settings
    from paperstand.digests.send import send_period
    from paperstand.mail.backends import MemoryBackend
    from paperstand.papers.periods import day_period
    from paperstand.search.embed_text import DIM, MODEL_ID
    from paperstand.search.models import PaperEmbedding
    from paperstand.search.vectors import pack_vector
    from paperstand.subscriptions.service import confirm_subscription, request_subscription

    now, rng = datetime.now(UTC), np.random.default_rng(7)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="hf-daily", title=f"Paper {i}", arxiv_id=f"2603.{i:05d}",
                                       featured_on=now.date(), position=i) for i in range(1, 21)])
    figures = []
    with Session(engine) as s:
        vectors = rng.normal(size=(3000, DIM))
        s.add_all(PaperEmbedding(paper_id=i + 1, model_id=MODEL_ID, content_hash="x", embedded_at=now,
                                 vector=pack_vector(v / np.linalg.norm(v))) for i, v in enumerate(vectors))
        s.commit()
        for kind in ("member", "plain"):
            for i in range(members):
                email = f"{kind}{i}@example.org"
                if kind == "member":
                    m = Member(name=f"m{i}", name_key=f"m{i}", email=email, password_hash="!", created_at=now,
                               email_verified_at=now)
                    s.add(m)
                    s.flush()
                    service.follow(s, member_id=m.id, kind="category", value=CATEGORIES[i % 10], now=now)
                    service.follow(s, member_id=m.id, kind="search", value=" ".join(WORDS[i % 20:i % 20 + 2]), now=now)
                opt_in = request_subscription(s, email, now=now - timedelta(days=2))
                assert opt_in is not None
                confirm_subscription(s, opt_in.token, now=now - timedelta(days=2))
                if kind == "member":
                    link_subscription(s, member_id=m.id, email=email)
                s.commit()
            settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                                secret_key="bench", base_url="https://papers.example.org")
            started = time.perf_counter()
            report = send_period(engine, settings, day_period(now.date()), MemoryBackend(f"bench-{kind}"),
                                 clock=lambda: now + timedelta(hours=1))
            figures.append(f"{kind} {(time.perf_counter() - started) * 1000 / max(report.sent, 1):.1f} ms")
    return "digests per message: " + ", ".join(figures)


def _median(work: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(url: str, label: str, papers: int, watched: int, members: int = 0) -> None:
    """Build, then print the three figures for one database."""
    engine, member_id = _build(url, papers, watched)
    with Session(engine) as s:
        listing = _median(lambda: newest_matches(s, member_id=member_id, limit=20))
        rare = _median(lambda: newest_matches(s, member_id=member_id + 1, limit=20))
        idle = _median(lambda: watch.scan(s, now=datetime.now(UTC)))
    with engine.begin() as conn:
        store_batch(conn, _records(100, 2, datetime.now(UTC), random.Random(7)))
    with Session(engine) as s:
        started = time.perf_counter()
        new = watch.scan(s, now=datetime.now(UTC))
        busy = (time.perf_counter() - started) * 1000
    digests = _digests(engine, members) if members else ""
    print(f"{label}: /following matcher {listing:.0f} ms (rarely matching follows: {rare:.0f} ms); "
          f"watch scan idle {idle:.0f} ms, with {new} new versions {busy:.0f} ms "
          f"({papers:,} papers, {watched:,} watched); {digests}")
    engine.dispose()


def main() -> None:
    """Parse the options and run each database."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=20000)
    parser.add_argument("--watched", type=int, default=1000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--members", type=int, default=100,
                        help="digests to time for members and for plain subscribers")
    args = parser.parse_args()
    for name in args.databases.split(","):
        if name == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                run(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite", args.papers, args.watched, args.members)
        else:
            schema = "bench_" + uuid.uuid4().hex[:8]
            admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            except Exception as exc:  # noqa: BLE001 - no server: say so and go on
                print(f"PostgreSQL skipped: {exc.__class__.__name__}")
                continue
            try:
                run(f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", "PostgreSQL", args.papers, args.watched,
                    args.members)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


if __name__ == "__main__":
    main()
