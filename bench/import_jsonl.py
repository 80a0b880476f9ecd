"""Import speed: `paperstand import` of an arXiv JSON-lines snapshot vs raw sqlite3.executemany.

Generates N papers (default 200,000) in the Kaggle arXiv snapshot format from real sentences,
imports them into a fresh SQLite database with paperstand's import pipeline (parse, normalise,
merge, store), then inserts the very rows that import stored into another fresh database with
plain ``sqlite3.executemany`` in one transaction: the anchor. Both run in the same process, in
alternation, ``--repeat`` times; the medians and their ratio are printed. Target: ratio ≥ 0.3.

    .venv/bin/python bench/import_jsonl.py [--n 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, median, real_sentences_and_titles  # noqa: E402
from paperstand.db import SQLITE_CACHE_KIB, make_engine, migrate  # noqa: E402
from paperstand.ingest.run import import_file  # noqa: E402
from paperstand.search.sync import sync_search_indexes  # noqa: E402

CATEGORIES = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR", "cs.RO", "math.OC"]
TARGET_RATIO = 0.3


def generate(path: Path, n: int, seed: int = 7) -> None:
    """Write ``n`` snapshot-format lines built from real titles, sentences and author names."""
    sentences, titles, authors = real_sentences_and_titles()
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            month, num = divmod(i, 90000)
            arxiv_id = f"{20 + month // 12:02d}{month % 12 + 1:02d}.{num + 1:05d}"
            names = rng.choice(authors)[:8]
            versions = [{"version": f"v{v}", "created": f"Mon, {1 + v} Jan 2024 10:00:00 GMT"}
                        for v in range(1, rng.choice((1, 1, 1, 2, 3)) + 1)]
            cats = rng.sample(CATEGORIES, rng.choice((1, 2, 3)))
            rec = {
                "id": arxiv_id, "submitter": names[0], "authors": ", ".join(names),
                "title": rng.choice(titles), "comments": rng.choice([None, "12 pages, 4 figures"]),
                "journal-ref": None, "doi": None, "report-no": None, "categories": " ".join(cats),
                "license": "http://creativecommons.org/licenses/by/4.0/",
                "abstract": " ".join(rng.choice(sentences) for _ in range(rng.randint(4, 8))),
                "versions": versions, "update_date": "2024-01-05",
                "authors_parsed": [[*reversed(a.rsplit(" ", 1)), ""] if " " in a else [a, "", ""]
                                   for a in names],
            }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def run_import(snapshot: Path, db_path: Path) -> tuple[float, float]:
    """Seconds for paperstand's import of the snapshot into a fresh, migrated database, and then for
    bringing the keyword index up to date (what ``paperstand import`` does once after its files)."""
    engine = make_engine(f"sqlite:///{db_path}")
    migrate(engine)
    start = time.perf_counter()
    summary = import_file(engine, snapshot, "arxiv-jsonl", index=False)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    sync_search_indexes(engine, summary.changed_ids)
    indexing = time.perf_counter() - start
    engine.dispose()
    assert summary.rejected == 0 and summary.new > 0, summary.rejections[:3]
    return elapsed, indexing


def stored_rows(db_path: Path) -> tuple[list[str], list[tuple]]:
    """Column names and every row the import stored (without the generated id)."""
    with sqlite3.connect(db_path) as conn:
        cur = conn.execute("SELECT * FROM papers ORDER BY id")
        cols = [d[0] for d in cur.description][1:]
        return cols, [row[1:] for row in cur]


def run_raw(cols: list[str], rows: list[tuple], db_path: Path) -> float:
    """Seconds for plain executemany of the same rows into a fresh database with the same schema."""
    engine = make_engine(f"sqlite:///{db_path}")
    migrate(engine)
    engine.dispose()
    conn = sqlite3.connect(db_path)
    # The same pragmas paperstand's engine sets, so only the insert path differs.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    sql = f"INSERT INTO papers ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    start = time.perf_counter()
    with conn:
        conn.executemany(sql, rows)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    """Generate, run both sides alternately, print rates and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="papers to generate (default 200000)")
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of each side (default 3)")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    snapshot = OUT / f"snapshot_{args.n}.jsonl"
    if not snapshot.exists():
        print(f"generating {args.n:,} papers in {snapshot} ...", flush=True)
        generate(snapshot, args.n)
    imports, raws, indexings = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            db_a, db_b = Path(tmp) / f"import{i}.db", Path(tmp) / f"raw{i}.db"
            seconds, indexing = run_import(snapshot, db_a)
            imports.append(seconds)
            indexings.append(indexing)
            cols, rows = stored_rows(db_a)
            raws.append(run_raw(cols, rows, db_b))
            print(f"run {i + 1}: import {args.n / imports[-1]:,.0f}/s  raw executemany "
                  f"{len(rows) / raws[-1]:,.0f}/s  keyword indexing after it {indexing:.1f} s", flush=True)
    rate_import, rate_raw = args.n / median(imports), args.n / median(raws)
    ratio = rate_import / rate_raw
    print(f"\npapers: {args.n:,}  runs: {args.repeat} (medians)")
    print(f"paperstand import (parse+merge+store): {rate_import:,.0f} papers/s")
    print(f"anchor: sqlite3.executemany of the same rows: {rate_raw:,.0f} rows/s")
    print(f"ratio: {ratio:.2f}x  (target >= {TARGET_RATIO}x: {'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    with_index = args.n / (median(imports) + median(indexings))
    print(f"keyword indexing after the import (FTS5, once per `paperstand import` run): {median(indexings):.1f} s; "
          f"import and indexing together: {with_index:,.0f} papers/s = {with_index / rate_raw:.2f}x the anchor")


if __name__ == "__main__":
    main()
