"""Search latency at arXiv scale: p50/p95 per search mode, end to end, beside the bare engine call.

Builds (once, cached under bench/out/) a SQLite database of N papers (default 1,000,000) made from
real titles, sentences and author names, imported through paperstand's import pipeline (which also
fills the FTS5 table), plus the tantivy index built from it. Then runs 1,000 queries, a third each
rare words, very common words ("neural network", "learning") and natural-language questions,
through every mode in ``MODES`` (end to end: parse, search, highlight, as the web page calls it) and
every engine call in ``ANCHORS`` (the bare engine on a prepared query), interleaved query by query.
Targets: keyword p95 <= 10 ms on the 2-core development machine.

    .venv/bin/python bench/search_speed.py [--n 1000000] [--queries 1000] [--modes keyword,keyword-fts5]

Semantic and hybrid: every paper needs a vector, and embedding a million abstracts would take this
machine hours. The corpus's papers reuse ~23,700 real titles, so the real model embeds each distinct
title once and a paper's vector is its title's vector plus a little Gaussian noise, normalised (papers
sharing a title stay near, not identical). These go into ``paper_embeddings`` and a usearch index
built with the shipped parameters. Queries are embedded for real, end to end (the query cache keeps
repeated ones, as it does in the web process). The anchors are the bare ANN search on precomputed
query vectors, and for hybrid the bare tantivy search plus the bare ANN search.
Targets: keyword p95 <= 10 ms, hybrid p95 <= 30 ms, process RSS <= 1.5 GB with the corpus loaded.
"""

from __future__ import annotations

import argparse
import random
import resource
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import os  # noqa: E402

from _common import OUT, cpu_model, real_sentences_and_titles  # noqa: E402
from import_jsonl import generate  # noqa: E402
from paperstand.db import make_engine, migrate  # noqa: E402
from paperstand.ingest.run import import_file  # noqa: E402
from paperstand.search import tantivy_index  # noqa: E402
from paperstand.search.database import fts5_match  # noqa: E402
from paperstand.search.keyword import keyword_search  # noqa: E402
from paperstand.search.query import parse_query  # noqa: E402
from paperstand.search.sync import reindex  # noqa: E402

TARGET_P95_MS = {"keyword": 10.0, "hybrid": 30.0}
TARGET_RSS_MB = 1500  # "1.5 GB", read strictly
# Spread of the noise added to a title's vector (per dimension, before normalising).
NOISE = 0.02
SLOW_MODES = {"keyword-fts5"}
COMMON = ["neural network", "learning", "deep learning", "language models", "model", "neural networks",
          "reinforcement learning", "data", "large language models", "training", "image", "graph"]
QUESTIONS = ["how can we {v} {n}?", "what is the best way to {v} {n}", "which methods {v} {n} in practice?",
             "why do {n} fail and how to {v} them", "can {n} be used to {v} {n2}?"]
VERBS = ["improve", "evaluate", "compress", "train", "explain", "detect", "align", "accelerate", "scale"]


def build(n: int) -> tuple[Path, Path]:
    """The cached database and tantivy index for ``n`` papers, built on first use."""
    OUT.mkdir(parents=True, exist_ok=True)
    db, index_dir = OUT / f"search_{n}.db", OUT / f"search_{n}.tantivy"
    if db.exists() and tantivy_index.read_meta(index_dir):
        return db, index_dir
    snapshot = OUT / f"snapshot_{n}.jsonl"
    if not snapshot.exists():
        print(f"generating {n:,} papers in {snapshot} ...", flush=True)
        generate(snapshot, n)
    for stale in OUT.glob(f"search_{n}.db*"):
        stale.unlink()
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    start = time.perf_counter()
    summary = import_file(engine, snapshot, "arxiv-jsonl")
    print(f"imported {summary.new:,} papers (with FTS5) in {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    with engine.begin() as conn:  # merge FTS5 segments, as a long-running database would have
        conn.exec_driver_sql("INSERT INTO papers_fts (papers_fts) VALUES ('optimize')")
    print(f"FTS5 optimize in {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    # The import filled FTS5 already: build only the tantivy index.
    total = reindex(engine, index_dir, database=False)
    print(f"tantivy index of {total:,} papers in {time.perf_counter() - start:.0f} s", flush=True)
    engine.dispose()
    return db, index_dir


def queries(count: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query) pairs: a third rare words, a third common words, a third questions."""
    _, titles, _ = real_sentences_and_titles(5000)
    rng = random.Random(seed)
    vocab: dict[str, int] = {}
    for t in titles:
        for w in t.lower().split():
            w = w.strip(".,:;()?!\"'")
            if w.isalpha() and len(w) > 6:
                vocab[w] = vocab.get(w, 0) + 1
    rare = sorted(w for w, c in vocab.items() if c == 1)
    nouns = [w for w, c in vocab.items() if c > 3] or rare
    out = []
    for i in range(count):
        kind = ("rare", "common", "question")[i % 3]
        if kind == "rare":
            q = " ".join(rng.sample(rare, rng.choice((1, 1, 2))))
        elif kind == "common":
            q = rng.choice(COMMON)
        else:
            q = rng.choice(QUESTIONS).format(v=rng.choice(VERBS), n=rng.choice(nouns), n2=rng.choice(nouns))
        out.append((kind, q))
    return out


def build_vectors(db: Path, semantic_dir: Path) -> None:
    """Fill ``paper_embeddings`` and the usearch index for the corpus (cached like the rest)."""
    import numpy as np

    from paperstand.search.ann import IndexMeta, database_key, new_index, read_meta, save_index
    from paperstand.search.embedder import MODEL_ID, get_embedder

    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)  # adds the embeddings table to a corpus built before it existed
    if read_meta(semantic_dir) is not None:
        engine.dispose()
        return
    raw = sqlite3.connect(db)
    rows = raw.execute("SELECT id, title FROM papers ORDER BY id").fetchall()
    titles = sorted({t for _, t in rows})
    start = time.perf_counter()
    vectors = get_embedder("cpu", Path("var") / "models").encode(titles, batch_size=256)
    print(f"embedded {len(titles):,} distinct titles in {time.perf_counter() - start:.0f} s", flush=True)
    at = {t: i for i, t in enumerate(titles)}
    rng = np.random.default_rng(3)
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    index = new_index()
    start = time.perf_counter()
    raw.execute("DELETE FROM paper_embeddings")
    for lo in range(0, len(rows), 100_000):
        chunk = rows[lo:lo + 100_000]
        keys = np.fromiter((pid for pid, _ in chunk), dtype=np.uint64, count=len(chunk))
        v = vectors[[at[t] for _, t in chunk]] + rng.normal(0, NOISE, (len(chunk), vectors.shape[1]))
        v = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float16)
        # Spread over the run like a real backfill's timestamps (a millisecond a paper), so the web process
        # re-reads only the last few seconds' rows beyond the index file's watermark, as in production.
        raw.executemany("INSERT INTO paper_embeddings (paper_id, model_id, content_hash, vector, embedded_at, "
                        "checked_at) VALUES (?, ?, 'bench', ?, datetime(?, '+' || (? / 1000.0) || ' seconds'), "
                        "datetime(?, '+' || (? / 1000.0) || ' seconds'))",
                        ((int(k), MODEL_ID, vec.tobytes(), now, int(k), now, int(k))
                         for k, vec in zip(keys, v, strict=True)))
        raw.commit()
        index.add(keys, v.astype(np.float32), threads=os.cpu_count() or 2)
        print(f"\r  vectors and index: {lo + len(chunk):,}/{len(rows):,}", end="", flush=True)
    # The watermark (the newest row) is read back as an aware UTC time, like the table's timestamps.
    newest = raw.execute("SELECT max(embedded_at) FROM paper_embeddings").fetchone()[0]
    save_index(semantic_dir, index, IndexMeta(MODEL_ID, database_key(engine), newest.replace(" ", "T") + "+00:00",
                                              len(index)))
    print(f"\nindexed {len(index):,} vectors in {time.perf_counter() - start:.0f} s", flush=True)
    raw.close()
    engine.dispose()


def modes(db: Path, index_dir: Path) -> tuple[dict[str, Callable[[str], object]], dict[str, Callable[[str], object]]]:
    """End-to-end modes and bare engine calls, each a callable taking the query text."""
    from sqlalchemy.orm import Session

    from paperstand.search.live import get_live_index
    from paperstand.search.semantic import embed_query
    from paperstand.search.service import search

    engine = make_engine(f"sqlite:///{db}")
    raw = sqlite3.connect(db, check_same_thread=False)
    shards = [tantivy_index.open_index(p).searcher() for p in tantivy_index.shard_paths(index_dir)]
    pool = ThreadPoolExecutor(max_workers=max(1, len(shards)))
    print(f"tantivy index: {len(shards)} shard(s)", flush=True)
    fts_sql = ("SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? "
               "ORDER BY bm25(papers_fts, 10.0, 4.0, 1.0) LIMIT 10")
    prepared: dict[str, object] = {}
    vectors: dict[str, object] = {}
    session = Session(engine)
    ann_file = None

    def bare_tantivy(q: str) -> object:
        # The query objects are prepared outside the timing: only the engine's search is measured, on every
        # shard side by side when the index is sharded (as paperstand searches it).
        queries = prepared[q]
        futures = [pool.submit(lambda s=s, qy=qy: s.search(qy, limit=10, count=False))
                   for s, qy in zip(shards[1:], queries[1:], strict=True)]
        return [shards[0].search(queries[0], limit=10, count=False)] + [f.result() for f in futures]

    def bare_fts5(q: str) -> object:
        return raw.execute(fts_sql, (prepared["fts:" + q],)).fetchall()

    def bare_ann(q: str) -> object:
        # The graph alone, as hybrid search asks it (100 candidates): no re-scoring, no paper lookups.
        return ann_file.search(vectors[q], 100, threads=1)  # type: ignore[union-attr]

    def prepare(qs: list[str]) -> None:
        nonlocal ann_file
        for q in qs:
            parsed = parse_query(q)
            stats = tantivy_index._Stats(shards)
            prepared[q] = [tantivy_index.build_query(parsed, stats if len(shards) > 1 else shards[0]) for _ in shards]
            prepared["fts:" + q] = fts5_match(parsed) or '""'
            vectors[q] = embed_query(parsed.text or q)
        ann_file = get_live_index(engine).snapshot(engine).ann

    def service(mode: str) -> Callable[[str], object]:
        return lambda q: search(session, q, mode=mode, limit=10)  # type: ignore[arg-type]

    end_to_end = {
        "keyword": lambda q: keyword_search(engine, parse_query(q), limit=10, index_dir=index_dir),
        "keyword-fts5": lambda q: keyword_search(engine, parse_query(q), limit=10, engine="database"),
        "semantic": service("semantic"),
        "hybrid": service("hybrid"),
    }
    anchors: dict[str, Callable[[str], object]] = {
        "keyword": bare_tantivy, "keyword-fts5": bare_fts5, "semantic": bare_ann,
        "hybrid": lambda q: (bare_tantivy(q), bare_ann(q)),
    }
    anchors["_prepare"] = prepare  # type: ignore[assignment]
    return end_to_end, anchors


def web_rss(db: Path, qs: list[str]) -> float:
    """Peak RSS (MB) of a real ``paperstand serve`` on the corpus after it answered every query in every mode."""
    import socket
    import subprocess

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PAPERSTAND_DATABASE_URL": f"sqlite:///{db}", "PAPERSTAND_PORT": str(port),
           "PAPERSTAND_HARVEST_ON_START": "false", "PAPERSTAND_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "paperstand.cli", "serve"], env=env)
    try:
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/papers/search", params={"q": "x"}, timeout=60)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for mode in ("keyword", "semantic", "hybrid"):
                for q in qs:
                    client.get("/api/papers/search", params={"q": q, "mode": mode, "limit": 10}).raise_for_status()
        with open(f"/proc/{server.pid}/status") as fh:
            peak = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
        return peak / 1024
    finally:
        server.terminate()
        server.wait(timeout=30)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1)] * 1000


def main() -> None:
    """Build or reuse the corpus, time every mode and anchor, print a table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="papers in the corpus (default 1000000)")
    ap.add_argument("--queries", type=int, default=1000, help="queries per mode (default 1000)")
    ap.add_argument("--modes", default="keyword,semantic,hybrid,keyword-fts5", help="comma-separated modes to time")
    ap.add_argument("--slow-every", type=int, default=10,
                    help="time the database-engine modes (keyword-fts5) on every k-th query only (default 10): "
                         "at 1M papers they take seconds per common word")
    args = ap.parse_args()
    db, index_dir = build(args.n)
    # The search service finds its indexes under the data folder, as in the web process.
    data = OUT / f"search_{args.n}.data"
    (data / "search").mkdir(parents=True, exist_ok=True)
    link = data / "search" / "keyword"
    if not link.exists():
        link.symlink_to(index_dir.resolve())
    os.environ["PAPERSTAND_DATA_DIR"] = str(data)
    wanted = [m for m in args.modes.split(",") if m]
    if {"semantic", "hybrid"} & set(wanted):
        build_vectors(db, data / "search" / "semantic")
    qs = queries(args.queries)
    end_to_end, anchors = modes(db, index_dir)
    anchors.pop("_prepare")([q for _, q in qs])  # type: ignore[operator]
    times: dict[str, dict[str, list[float]]] = {m: {"e2e": [], "bare": []} for m in wanted}
    kinds: dict[str, dict[str, list[float]]] = {m: {} for m in wanted}
    for mode in wanted:  # warm the page cache and the index once per mode
        for _, q in qs[:3 if mode in SLOW_MODES else 30]:
            end_to_end[mode](q)
    for i, (kind, q) in enumerate(qs):
        for mode in wanted:
            if mode in SLOW_MODES and i % args.slow_every:
                continue
            t0 = time.perf_counter()
            end_to_end[mode](q)
            t1 = time.perf_counter()
            anchors[mode](q)
            t2 = time.perf_counter()
            times[mode]["e2e"].append(t1 - t0)
            times[mode]["bare"].append(t2 - t1)
            kinds[mode].setdefault(kind, []).append(t1 - t0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocessor: {cpu_model()}")
    print(f"\ncorpus: {args.n:,} papers  queries: {len(qs):,} (rare/common/question thirds)  "
          f"benchmark process peak RSS: {rss_mb:,.0f} MB (it also holds the anchors' own engine handles)")
    print(f"{'mode':<14}{'queries':>8}{'e2e p50':>10}{'e2e p95':>10}{'bare p50':>10}{'bare p95':>10}"
          "   p95 by kind (e2e)")
    for mode in wanted:
        e2e, bare = times[mode]["e2e"], times[mode]["bare"]
        by_kind = "  ".join(f"{k} {pct(v, 95):.1f}" for k, v in kinds[mode].items())
        target = TARGET_P95_MS.get(mode)
        met = target is not None and pct(e2e, 95) <= target
        verdict = "" if target is None else f"  (target p95 <= {target} ms: {'met' if met else 'NOT met'})"
        print(f"{mode:<14}{len(e2e):>8}{pct(e2e, 50):>9.2f} {pct(e2e, 95):>9.2f} {pct(bare, 50):>9.2f} "
              f"{pct(bare, 95):>9.2f}   {by_kind} ms{verdict}")
    print(f"mean e2e keyword: {statistics.mean(times[wanted[0]]['e2e']) * 1000:.2f} ms")
    if {"semantic", "hybrid"} & set(wanted):
        peak = web_rss(db, [q for _, q in qs])
        print(f"web process (paperstand serve) peak RSS after {len(qs):,} queries in each mode: {peak:,.0f} MB "
              f"(target <= {TARGET_RSS_MB} MB: {'met' if peak <= TARGET_RSS_MB else 'NOT met'})")


if __name__ == "__main__":
    main()
