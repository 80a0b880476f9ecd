"""The dev-set evaluation of bench/search_quality.py: half-remembered queries over the 23,730 real papers.

Kept apart from the title → abstract mode so each stays small; run it through ``search_quality.py --set dev``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, real_abstract_files

DEV_SET = ROOT / "bench" / "search_dev_set.jsonl"
MODES = ("keyword", "semantic", "hybrid")
ENGINES = ("bm25", *MODES)
SPLITS = ("tune", "held")
K = 10
# Marks a database whose import and embedding ran to the end (a stopped build is started again).
DONE_FILE = "built.json"
_TOKEN = re.compile(r"\w+")


def load_dev_set(path: Path = DEV_SET) -> list[dict[str, str]]:
    """The set's rows: ``arxiv_id``, ``split`` (tune or held) and ``query``."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def settings_for(folder: Path) -> Any:
    """Settings for a database and data folder of its own under ``folder``."""
    from paperstand.config import Settings

    return Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'papers.db'}")


def build(folder: Path) -> Any:
    """Import, index and embed the real papers into ``folder`` (reused when a finished build is there)."""
    from paperstand.db import make_engine, migrate
    from paperstand.ingest.run import import_file
    from paperstand.search.embed_text import MODEL_ID
    from paperstand.search.sync import keyword_index_dir, reindex
    from paperstand.search.vectors import embed_pending

    settings = settings_for(folder)
    done = folder / DONE_FILE
    fresh = not (done.exists() and json.loads(done.read_text()).get("model") == MODEL_ID)
    if fresh:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "papers.db").unlink(missing_ok=True)
    engine = make_engine(settings.effective_database_url)
    migrate(engine)
    started = time.perf_counter()
    if fresh:
        for path in real_abstract_files():
            import_file(engine, path, index=False)
    # The keyword index is rebuilt every run (seconds): index-time changes are measured without a re-embed.
    reindex(engine, keyword_index_dir(settings.data_dir))
    report = embed_pending(engine, settings, device="cpu", progress=lambda d, t: print(
        f"\r  embedded {d:,}/{t:,}", end="", flush=True))
    print(f"\r  built in {time.perf_counter() - started:.0f} s ({report.lines()[0] if report.lines() else ''})")
    done.write_text(json.dumps({"model": MODEL_ID}))
    return engine, settings


def arxiv_ids(engine: Any) -> dict[int, str]:
    """Paper id → arXiv id."""
    from sqlalchemy import text

    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, arxiv_id FROM papers")).all())


def bm25_ranker() -> Callable[[str], list[str]]:
    """The anchor: a plain Okapi BM25 over each paper's title and abstract; returns a query's top arXiv ids."""
    import numpy as np
    from rank_bm25 import BM25Okapi

    ids, docs, seen = [], [], set()
    for path in real_abstract_files():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec["id"] not in seen:
                    seen.add(rec["id"])
                    ids.append(rec["id"])
                    docs.append(_TOKEN.findall(f"{rec['title']} {rec['summary']}".lower()))
    bm25 = BM25Okapi(docs)

    def rank(query: str) -> list[str]:
        scores = bm25.get_scores(_TOKEN.findall(query.lower()))
        return [ids[i] for i in np.argsort(-scores, kind="stable")[:K]]

    return rank


def rank_of(target: str, ranked: list[str]) -> int | None:
    """The 1-based place of ``target`` in ``ranked``, or ``None`` when absent."""
    return ranked.index(target) + 1 if target in ranked else None


def metrics(ranks: list[int | None]) -> tuple[float, float, float]:
    """Recall@5, recall@10 and MRR@10 of a list of 1-based ranks (``None``: not found in the top 10)."""
    n = max(1, len(ranks))
    return (sum(1 for r in ranks if r and r <= 5) / n, sum(1 for r in ranks if r and r <= K) / n,
            sum(1 / r for r in ranks if r and r <= K) / n)


def evaluate(engine: Any, settings: Any, rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Each row with the target's rank under every engine (``None``: not in the top 10)."""
    from sqlalchemy.orm import Session

    from paperstand.search.service import search

    names = arxiv_ids(engine)
    bm25 = bm25_ranker()
    out = []
    with Session(engine) as session:
        for row in rows:
            ranks: dict[str, int | None] = {"bm25": rank_of(row["arxiv_id"], bm25(row["query"]))}
            for mode in MODES:
                page = search(session, row["query"], settings=settings, mode=mode, limit=K)  # type: ignore[arg-type]
                ranks[mode] = rank_of(row["arxiv_id"], [names[r.paper.id] for r in page.results])
            out.append({**row, "ranks": ranks})
    return out


def report(results: list[dict[str, Any]]) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Print recall@5, recall@10 and MRR@10 per split and engine; returns them."""
    table: dict[str, dict[str, tuple[float, float, float]]] = {}
    for split in SPLITS:
        part = [r for r in results if r["split"] == split]
        print(f"{split} slice: {len(part)} queries")
        print(f"  {'engine':<9} {'recall@5':>9} {'recall@10':>10} {'MRR@10':>7}")
        table[split] = {}
        for engine in ENGINES:
            table[split][engine] = r5, r10, mrr = metrics([r["ranks"][engine] for r in part])
            print(f"  {engine:<9} {r5:>9.3f} {r10:>10.3f} {mrr:>7.3f}")
    held = table["held"]
    ok = held["hybrid"][1] >= 0.90 and held["hybrid"][1] - held["bm25"][1] >= 0.15 and held["hybrid"][0] >= 0.80
    print(f"held slice target (hybrid recall@10 >= 0.90 and 15 points above BM25, recall@5 >= 0.80): "
          f"{'met' if ok else 'NOT met'}")
    return table


def run_dev_set(folder: Path, dump: Path | None = None) -> None:
    """Build (or reuse) the real corpus, ask every dev-set query, print the figures."""
    engine, settings = build(folder)
    results = evaluate(engine, settings, load_dev_set())
    report(results)
    if dump is not None:
        dump.write_text(json.dumps(results, indent=1, ensure_ascii=False))
