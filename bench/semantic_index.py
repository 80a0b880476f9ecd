"""Semantic index: ANN (usearch HNSW, memory-mapped) against exact search on synthetic vectors.

    .venv/bin/python bench/semantic_index.py [--n 200000] [--queries 1000]

Vectors are synthetic unit vectors of the model's dimension shaped like real embeddings (low intrinsic
dimension); queries are noisy copies of stored vectors. Reports the build rate, the file size per vector,
p50/p95 latency of one query (k=10) for exact float32 dot products and for the ANN on a read-only memory map,
recall@10 of the ANN against exact, and the process's resident memory before and after the queries.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from paperstand.search.ann import EXPANSION_SEARCH, new_index
from paperstand.search.embedder import DIM


def rss_mib() -> float:
    """Resident set size of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def embedding_like(n: int, rng: np.random.Generator, latent: int = 48) -> np.ndarray:
    """``n`` unit vectors with the low intrinsic dimension of real sentence embeddings (a random projection of
    ``latent`` dimensions plus noise), float32; uniform random vectors would have no meaningful neighbours."""
    proj = rng.standard_normal((latent, DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 50_000):
        m = min(50_000, n - start)
        block = rng.standard_normal((m, latent)).astype(np.float32) @ proj
        block += 0.5 * rng.standard_normal((m, DIM)).astype(np.float32)
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def main() -> None:
    """Build, save, map and query; print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--ef", type=int, nargs="*", default=[48, 200], help="expansion_search values to try")
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    vecs = embedding_like(args.n, rng)
    keys = np.arange(1, args.n + 1, dtype=np.uint64)
    picks = rng.integers(0, args.n, args.queries)
    queries = vecs[picks] + 0.05 * rng.standard_normal((args.queries, DIM)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    index = new_index()
    t = time.perf_counter()
    index.add(keys, vecs)
    build_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.usearch"
        index.save(str(path))
        size = path.stat().st_size
        index.reset()
        del index
        from usearch.index import Index

        rss0 = rss_mib()
        view = Index.restore(str(path), view=True)
        exact_ms, exact_top = [], []
        for q in queries:
            t = time.perf_counter()
            scores = vecs @ q
            top = np.argpartition(-scores, 10)[:10]
            exact_ms.append((time.perf_counter() - t) * 1000)
            exact_top.append({int(i) + 1 for i in top})
        ann_rows = []
        for ef in sorted({EXPANSION_SEARCH, *args.ef}):
            view.expansion_search = ef
            ann_ms, recall = [], []
            for q, truth in zip(queries, exact_top, strict=True):
                t = time.perf_counter()
                m = view.search(q, 10, threads=1)
                ann_ms.append((time.perf_counter() - t) * 1000)
                recall.append(len(truth & {int(k) for k in m.keys}) / 10)
            ann_rows.append((ef, np.percentile(ann_ms, 50), np.percentile(ann_ms, 95), np.mean(recall)))
        rss1 = rss_mib()
    print(f"vectors: {args.n:,}  build: {args.n / build_s:,.0f}/s  file: {size / args.n:,.0f} bytes/vector "
          f"({size / args.n * 1e6 / 2**30:.2f} GiB per million)")
    print(f"exact  p50 {np.percentile(exact_ms, 50):6.2f} ms  p95 {np.percentile(exact_ms, 95):6.2f} ms")
    for ef, p50, p95, rec in ann_rows:
        print(f"ANN    p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  recall@10 {rec:.3f}  (expansion_search {ef})")
    print(f"RSS after mapping {rss0:,.0f} MiB, after the ANN queries {rss1:,.0f} MiB "
          f"(+{rss1 - rss0:,.0f}; exact needs the float32 matrix: {vecs.nbytes / 2**20:,.0f} MiB)")


if __name__ == "__main__":
    main()
