"""The bulk trending recompute at scale, beside one plain SQL pass that reads the same rows (the anchor).

Builds a database of generated rows (by default 1,000,000 papers, 5,000 members, 5,000,000 votes,
500,000 comments, GitHub stars for 30% of the papers, a submitter for 10%, 20,000 verified authorship
claims) with bulk inserts (``executemany`` on SQLite, ``COPY`` on PostgreSQL). Every vote and comment
falls inside the activity window, the worst case: nearly every paper trends and is written.

Then, ``--repeat`` times:

1. paperstand: ``ranking.service.recompute_all`` into an empty table (every row written: the first
   run after installing, the worst case), then again 5 minutes later, as the worker's schedule runs it
   (only the scores that changed are written: papers whose age ticked over to the next hour);
2. anchor: one plain pass of SQL that reads the rows the recompute reads (votes, members, the
   submitters and verified authors, comments, papers' dates, stars), fetched through the driver.

Prints each run and the medians. Target: the recompute in ≤ 30 s at the full size.

    .venv/bin/python bench/trending.py                       # full size, SQLite
    .venv/bin/python bench/trending.py --quick               # 1/20 of it, for a short check
    .venv/bin/python bench/trending.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

The SQLite database is kept under bench/out/ and reused by later runs of the same size (``--rebuild``
builds it again); the PostgreSQL one lives in a schema of its own, dropped afterwards unless
``--keep SCHEMA`` names one to build once and reuse.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, cpu_model  # noqa: E402

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TARGET_SECONDS = 30.0
DAY = 86400
NOW_S = int(NOW.timestamp())


def _texts(seconds: np.ndarray) -> list[str]:
    """Whole seconds as the text SQLite stores (and PostgreSQL's COPY reads)."""
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]").astype("datetime64[us]"), unit="us")
    return [s.replace("T", " ") for s in stamps.tolist()]


def generate(papers: int, members: int, votes: int, comments: int, seed: int = 5) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (as tuples of driver values) for a database of this size."""
    rng = np.random.default_rng(seed)
    published = NOW_S - rng.integers(0, 14 * DAY, papers)
    seen = _texts(published + 3600)
    pub = _texts(published)
    paper_rows = [(i + 1, f"{i:032x}", f"Paper {i}", "", "[]", "[]", "day", "[]", 0, "[]", pub[i], seen[i], seen[i])
                  for i in range(papers)]
    joined = np.where(rng.random(members) < 0.05, NOW_S - rng.integers(0, 2 * DAY, members),
                      NOW_S - rng.integers(30 * DAY, 400 * DAY, members))
    joined_t = _texts(joined)
    member_rows = [(i + 1, f"m{i}", f"m{i}", f"m{i}@example.org", f"M {i}", "!", "member", joined_t[i], joined_t[i],
                    0, 1) for i in range(members)]
    # Unique (paper, member) pairs, as the votes table's key demands.
    keys = np.unique(rng.integers(0, papers, int(votes * 1.1)) * members + rng.integers(0, members, int(votes * 1.1)))
    # Sorted again after the random pick: the key indexes then fill in order, which loads several times faster.
    keys = np.sort(rng.permutation(keys)[:votes])
    v_paper, v_member = keys // members + 1, keys % members + 1
    v_at = np.maximum(NOW_S - rng.integers(0, 7 * DAY, len(keys)), joined[v_member - 1] + 60)
    v_t = _texts(v_at)
    vote_rows = list(zip(range(1, len(keys) + 1), v_paper.tolist(), v_member.tolist(), v_t, strict=True))
    c_paper, c_member = rng.integers(1, papers + 1, comments), rng.integers(1, members + 1, comments)
    c_t = _texts(NOW_S - rng.integers(0, 7 * DAY, comments))
    gone = rng.random(comments) < 0.05
    comment_rows = [(i + 1, int(c_paper[i]), int(c_member[i]), "x", "<p>x</p>", c_t[i], c_t[i] if gone[i] else None)
                    for i in range(comments)]
    starred = np.flatnonzero(rng.random(papers) < 0.3) + 1
    stars = rng.zipf(1.6, len(starred)) % 100_000
    star_rows = [(i + 1, int(p), "github_stars", int(s), c_t[0])
                 for i, (p, s) in enumerate(zip(starred, stars, strict=True))]
    submitted = np.flatnonzero(rng.random(papers) < 0.1) + 1
    pick_rows = [(i + 1, "2026-11-30", int(p), i + 1, "bench", int(rng.integers(1, members + 1)), 0)
                 for i, p in enumerate(submitted)]
    claimed = rng.choice(len(keys), 20_000, replace=False)  # some voters are the paper's verified authors
    # One approved member per author position (migration 0018): the paper's next position each time.
    positions: dict[int, int] = {}
    claim_rows = []
    for i, k in enumerate(claimed):
        paper = int(v_paper[k])
        positions[paper] = position = positions.get(paper, -1) + 1
        claim_rows.append((i + 1, paper, int(v_member[k]), position, "A. Author", "approved", c_t[0]))
    return {"papers": paper_rows, "members": member_rows, "votes": vote_rows, "comments": comment_rows,
            "external_signals": star_rows, "daily_picks": pick_rows, "author_claims": claim_rows}


COLUMNS = {
    "papers": "id, title_key, title, abstract, authors, categories, published_precision, versions, withdrawn, "
              "sources, published_at, first_seen_at, last_changed_at",
    "members": "id, name, name_key, email, display_name, password_hash, role, created_at, email_verified_at, "
               "show_upvotes, notify_mentions",
    "votes": "id, paper_id, member_id, created_at",
    "comments": "id, paper_id, member_id, body, html, created_at, deleted_at",
    "external_signals": "id, paper_id, name, value, observed_at",
    "daily_picks": "id, day, paper_id, position, source, member_id, curator_pick",
    "author_claims": "id, paper_id, member_id, author_index, author_name, status, created_at",
}
ORDER = ["papers", "members", "votes", "comments", "external_signals", "daily_picks", "author_claims"]


def build_sqlite(path: Path, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """A migrated SQLite database holding ``rows``, inserted with one executemany per table."""
    import sqlite3

    from paperstand.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-262144")
    # The data-version triggers cost a write per inserted row and mean nothing for a fresh database: off while
    # loading, back (as the migrations made them) before anything is measured.
    triggers = [sql for (sql,) in db.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
    db.execute("BEGIN")
    for name, in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        db.execute(f"DROP TRIGGER {name}")
    for table in ORDER:
        marks = ", ".join("?" * len(COLUMNS[table].split(",")))
        started = time.perf_counter()
        db.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows[table])
        print(f"  {table}: {len(rows[table]):,} rows in {time.perf_counter() - started:.1f} s", flush=True)
    for sql in triggers:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    """Rows in COPY's text format (the generated values hold no tabs, newlines or backslashes)."""
    return "".join("\t".join(r"\N" if v is None else str(v) for v in row) + "\n" for row in rows)


def build_postgres(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """The same rows into a migrated PostgreSQL schema, with COPY."""
    from paperstand.db import make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        # As on SQLite, no data-version (or foreign-key) triggers while loading a fresh database.
        cur.execute("SET session_replication_role = replica")
        for table in ORDER:
            started = time.perf_counter()
            with cur.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                for start in range(0, len(rows[table]), 200_000):
                    copy.write(_copy_text(rows[table][start:start + 200_000]))
            print(f"  {table}: {len(rows[table]):,} rows in {time.perf_counter() - started:.1f} s", flush=True)
        for table in ORDER:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cur.execute("SET session_replication_role = DEFAULT")
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


# What the recompute reads, table by table, as plain SQL fetched row by row.
ANCHOR = [
    "SELECT paper_id, member_id, created_at FROM votes",
    "SELECT id, created_at, banned_at FROM members",
    "SELECT paper_id, member_id FROM daily_picks WHERE member_id IS NOT NULL",
    "SELECT paper_id, member_id FROM author_claims WHERE status = 'approved'",
    "SELECT paper_id, created_at FROM comments WHERE deleted_at IS NULL AND hidden_at IS NULL",
    "SELECT id, published_at, first_seen_at FROM papers",
    "SELECT paper_id, value FROM external_signals WHERE name = 'github_stars'",
]


def anchor(engine: Any) -> float:
    """Seconds for one plain pass over the rows the recompute reads (fetched in batches, then dropped)."""
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        cur = raw.cursor()
        for sql in ANCHOR:
            cur.execute(sql)
            while cur.fetchmany(100_000):
                pass
        raw.rollback()
        return time.perf_counter() - started
    finally:
        raw.close()


def recompute(engine: Any, now: datetime) -> tuple[float, str]:
    """Seconds for one bulk recompute at ``now``, and a line: its report, CPU seconds, the machine's load."""
    from sqlalchemy.orm import Session

    from paperstand.ranking.service import recompute_all

    with Session(engine) as session:
        started, cpu = time.perf_counter(), time.process_time()
        report = recompute_all(session, now=now)
        wall = time.perf_counter() - started
    # The machine is shared: CPU seconds of this process (SQLite runs inside it) say what the work costs
    # when the wall clock also counts waiting for a core.
    return wall, f"{report.line()}; {time.process_time() - cpu:.1f} CPU s; load {os.getloadavg()[0]:.1f}"


@contextmanager
def _postgres_schema(url: str, keep: str | None) -> Iterator[tuple[str, bool]]:
    """A schema of its own (dropped after), or the kept schema ``keep``; and whether it already holds the data."""
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    schema = keep or f"bench_trending_{os.getpid()}"
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
                                   "AND table_name = 'votes'"), {"s": schema}).first() is not None
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", exists
    finally:
        if keep is None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _timed(label: str, fn: Callable[..., Any], *args: Any) -> Any:
    started = time.perf_counter()
    out = fn(*args)
    print(f"{label}: {time.perf_counter() - started:.1f} s", flush=True)
    return out


def _empty(engine: Any) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM trending_scores")


def run(url: str, repeat: int) -> None:
    """``repeat`` times: a recompute into an empty table, one 5 minutes later (the schedule), the anchor."""
    from paperstand.db import make_engine

    engine = make_engine(url)
    cold, steady, theirs = [], [], []
    try:
        for i in range(repeat):
            _empty(engine)
            at = NOW + timedelta(hours=i)
            first, line = recompute(engine, at)
            print(f"run {i + 1}, empty table: {first:.1f} s ({line})", flush=True)
            later, line = recompute(engine, at + timedelta(minutes=5))
            print(f"run {i + 1}, 5 minutes later: {later:.1f} s ({line})", flush=True)
            base = anchor(engine)
            print(f"run {i + 1}, anchor (plain SQL pass over the same rows): {base:.1f} s", flush=True)
            cold.append(first)
            steady.append(later)
            theirs.append(base)
    finally:
        engine.dispose()
    mid, base, warm = statistics.median(cold), statistics.median(theirs), statistics.median(steady)
    verdict = "met" if mid <= TARGET_SECONDS else "NOT met"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:,.0f} MiB (the generated rows included when it built them)")
    print(f"median: recompute into an empty table {mid:.1f} s ({mid / base:.2f}x the anchor), "
          f"5 minutes later {warm:.1f} s ({warm / base:.2f}x); anchor {base:.1f} s "
          f"(target ≤ {TARGET_SECONDS:.0f} s: {verdict} at this size)")


def main() -> None:
    """Parse the options, build (or reuse) the database, measure."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--votes", type=int, default=5_000_000)
    ap.add_argument("--comments", type=int, default=500_000)
    ap.add_argument("--members", type=int, default=5_000)
    ap.add_argument("--quick", action="store_true", help="a twentieth of every size, for a short check")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rebuild", action="store_true", help="build the SQLite database again even if kept")
    ap.add_argument("--postgres", metavar="URL", help="run on PostgreSQL at URL (a schema of its own) instead")
    ap.add_argument("--keep", metavar="SCHEMA", help="with --postgres: build into SCHEMA and keep it (reused "
                                                     "by later runs naming it)")
    args = ap.parse_args()
    scale = 20 if args.quick else 1
    sizes = (args.papers // scale, args.members, args.votes // scale, args.comments // scale)
    print(f"{sizes[0]:,} papers, {sizes[1]:,} members, {sizes[2]:,} votes, {sizes[3]:,} comments; {cpu_model()}, "
          f"{os.cpu_count()} cores", flush=True)
    if args.postgres:
        with _postgres_schema(args.postgres, args.keep) as (url, built):
            if built:
                print(f"reusing schema {args.keep} (drop it to build again)")
            else:
                rows = _timed("generate", generate, *sizes)
                _timed("build (COPY)", build_postgres, url, rows)
                del rows
            run(url, args.repeat)
        return
    path = OUT / f"trending-{sizes[0]}-{sizes[2]}.db"
    if args.rebuild or not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
        rows = _timed("generate", generate, *sizes)
        _timed("build (executemany)", build_sqlite, path, rows)
        del rows
    else:
        print(f"reusing {path} (--rebuild to build it again)")
    run(f"sqlite:///{path}", args.repeat)


if __name__ == "__main__":
    main()
