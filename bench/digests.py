"""Digest delivery speed: paperstand's `digest send` vs Postfix's `smtp-source`, both into `smtp-sink`.

Builds a SQLite database with a week of featured papers (real titles and sentences when
../shared/data/real is present) and N confirmed daily subscribers with varied topics (categories,
keywords, digest sizes), then:

1. paperstand: ``--senders`` processes run the digest sender for one day at once (the outbox lets
   them share the work), each selecting, rendering (Jinja + css-inline), and delivering over one
   reused SMTP connection to Postfix's ``smtp-sink`` on localhost, recording every send.
2. anchor: Postfix's ``smtp-source`` sends N plain messages of the median digest size to the same
   sink, over the same number of reused connections (``-s senders -d``).

Prints digests/s, the anchor's messages/s, their ratio, and the senders' peak memory (max RSS).
Targets: all N delivered within 10 minutes, ratio ≥ 0.3. Needs Debian's ``postfix`` package for
smtp-sink and smtp-source (``make bench`` installs it).

    .venv/bin/python bench/digests.py [--subscribers 100000] [--senders 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REAL  # noqa: E402

DAY = date(2026, 3, 6)  # a Friday: the week before it is featured too
CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR", "cs.RO", "cs.CR", "cs.SE", "math.OC",
              "cs.NE", "cs.HC", "eess.AS", "q-bio.NC", "cs.DC", "cs.DB"]
KEYWORDS = ["transformer", "diffusion", "graph", "reinforcement", "benchmark", "robot", "language model",
            "retrieval", "privacy", "quantum", "agent", "vision", "speech", "protein", "compiler", "sparse"]
TARGET_RATIO = 0.3
TARGET_SECONDS = 600


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if path is None:
        print(f"skipped: {name} not found (install Debian's postfix package: make bench does)")
        sys.exit(0)
    return path


def _papers(n: int, rng: random.Random) -> list[tuple[str, str, list[str]]]:
    """(title, abstract, authors) for ``n`` papers: real text when available, else generated."""
    files = sorted((REAL / "arxiv-metadata" / "daily-arxiv-ai-enhanced").glob("papers_*.jsonl"))
    out: list[tuple[str, str, list[str]]] = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out.append((" ".join(rec["title"].split()), " ".join(rec["summary"].split()),
                            rec.get("authors") or ["Anonymous"]))
                if len(out) >= n:
                    return out
    words = " ".join(KEYWORDS).split() + ["method", "data", "results", "model", "network", "learning"]
    while len(out) < n:
        title = " ".join(rng.choice(words) for _ in range(8)).capitalize()
        abstract = ". ".join(" ".join(rng.choice(words) for _ in range(14)).capitalize() for _ in range(6)) + "."
        out.append((title, abstract, [f"Author {rng.randint(1, 999)}"]))
    return out


def build(db_path: Path, subscribers: int, seed: int = 11) -> None:
    """A migrated database with 7 featured days (35 papers each) and ``subscribers`` confirmed subscribers."""
    from paperstand.db import make_engine, migrate
    from paperstand.ingest.record import PaperRecord
    from paperstand.papers.store import store_batch

    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{db_path}")
    migrate(engine)
    records = []
    for i, (title, abstract, authors) in enumerate(_papers(7 * 35, rng)):
        records.append(PaperRecord(source="listing", title=title, abstract=abstract, authors=authors,
                                   categories=rng.sample(CATEGORIES, rng.choice((1, 2, 3))),
                                   featured_on=DAY - timedelta(days=i // 35), position=i % 35 + 1,
                                   hf_upvotes=rng.randint(0, 200)))
    with engine.begin() as conn:
        store_batch(conn, records)
    now = datetime(2026, 3, 1, tzinfo=UTC).isoformat(sep=" ")
    rows = []
    for i in range(subscribers):
        cats = rng.sample(CATEGORIES, rng.choice((0, 0, 1, 1, 2, 3)))
        kws = rng.sample(KEYWORDS, rng.choice((0, 0, 0, 1, 2)))
        rows.append((f"reader{i}@example.org", "confirmed", "daily", 0, rng.choice((6, 7, 8, 9)), "UTC",
                     json.dumps(cats), json.dumps(kws), rng.choice((5, 10, 10, 10, 15)), 0, now, now))
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO subscribers (email, status, frequency, weekday, send_hour, timezone, categories, keywords,"
            " max_papers, paused, created_at, confirmed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    engine.dispose()


def _sender(db_url: str, mail_url: str, barrier: object) -> None:
    """One sender process: the outbox loop of ``paperstand digest send --period DAY``."""
    from paperstand.config import Settings
    from paperstand.db import make_engine
    from paperstand.digests.send import deliver
    from paperstand.mail.backends import backend_from_url

    settings = Settings(database_url=db_url, secret_key="bench", base_url="https://papers.example.org",
                        mail_from="paperstand <digests@papers.example.org>")
    engine = make_engine(db_url)
    backend = backend_from_url(mail_url)
    barrier.wait()  # type: ignore[attr-defined]
    report = deliver(engine, settings, backend)
    backend.close()
    print(f"  sender {os.getpid()}: {report.sent} sent, {report.skipped} skipped", flush=True)


def run_paperstand(db_path: Path, port: int, senders: int) -> tuple[float, int, int, float]:
    """Seconds to deliver everything, digests sent, rows skipped, peak RSS of a sender in MiB."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from paperstand.db import make_engine
    from paperstand.digests.outbox import plan
    from paperstand.papers.periods import day_period

    db_url = f"sqlite:///{db_path}"
    engine = make_engine(db_url)
    start = time.perf_counter()
    with Session(engine) as session, session.begin():
        plan(session, day_period(DAY), datetime.now(UTC))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(senders)
    procs = [ctx.Process(target=_sender, args=(db_url, f"smtp://127.0.0.1:{port}?timeout=30", barrier))
             for _ in range(senders)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - start
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT status, count(*) FROM digest_outbox GROUP BY status")).all())
    engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, counts.get("sent", 0), counts.get("skipped", 0), peak


def median_digest_size(db_path: Path, sample: int = 300) -> int:
    """Bytes of a typical digest as sent (rendered for a sample of subscribers)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from paperstand.config import Settings
    from paperstand.db import make_engine
    from paperstand.digests.preview import render_for
    from paperstand.papers.periods import day_period
    from paperstand.subscriptions.models import Subscriber

    settings = Settings(database_url=f"sqlite:///{db_path}", secret_key="bench", base_url="https://papers.example.org")
    engine = make_engine(settings.effective_database_url)
    sizes = []
    with Session(engine) as session:
        for sub in session.execute(select(Subscriber).limit(sample)).scalars():
            message = render_for(session, settings, sub, DAY.isoformat(), day_period(DAY))
            if message is not None:
                sizes.append(len(message.as_bytes()))
    engine.dispose()
    return int(statistics.median(sizes))


def run_anchor(port: int, messages: int, size: int, sessions: int) -> float:
    """Seconds for smtp-source to send ``messages`` plain messages of ``size`` bytes over reused connections."""
    start = time.perf_counter()
    subprocess.run([_tool("smtp-source"), "-s", str(sessions), "-d", "-m", str(messages), "-l", str(size),
                    "-f", "digests@papers.example.org", "-t", "reader@example.org", f"127.0.0.1:{port}"],
                   check=True)
    return time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--senders", type=int, default=2, help="sender processes (and smtp-source sessions)")
    args = parser.parse_args()
    sink_bin = _tool("smtp-sink")
    _tool("smtp-source")
    port = _free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    sink = subprocess.Popen([sink_bin, *user, f"127.0.0.1:{port}", "256"])
    try:
        time.sleep(0.5)
        with tempfile.TemporaryDirectory(prefix="paperstand-digests-") as tmp:
            db_path = Path(tmp) / "digests.db"
            t0 = time.perf_counter()
            build(db_path, args.subscribers)
            print(f"built {args.subscribers:,} subscribers in {time.perf_counter() - t0:.1f} s")
            size = median_digest_size(db_path)
            print(f"median digest size: {size:,} bytes")
            anchor_before = run_anchor(port, args.subscribers, size, args.senders)
            elapsed, sent, skipped, peak = run_paperstand(db_path, port, args.senders)
            anchor_after = run_anchor(port, args.subscribers, size, args.senders)
    finally:
        sink.terminate()
        sink.wait()
    anchor = statistics.median([anchor_before, anchor_after])
    rate, anchor_rate = sent / elapsed, args.subscribers / anchor
    print(f"paperstand: {sent:,} digests sent ({skipped:,} skipped: nothing matched) in {elapsed:.1f} s "
          f"= {rate:,.0f} digests/s with {args.senders} sender(s); peak RSS per sender {peak:.0f} MiB")
    print(f"anchor smtp-source: {args.subscribers:,} messages of {size:,} bytes in {anchor_before:.1f} s and "
          f"{anchor_after:.1f} s (before/after) = {anchor_rate:,.0f} messages/s with -s {args.senders} -d")
    ratio = rate / anchor_rate
    print(f"ratio: {ratio:.2f}x (target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'}); "
          f"all {args.subscribers:,} in {elapsed:.0f} s (target <= {TARGET_SECONDS} s: "
          f"{'met' if elapsed <= TARGET_SECONDS else 'NOT met'})")


if __name__ == "__main__":
    main()
