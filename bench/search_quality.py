"""Search quality: half-remembered queries (the dev set) and title → abstract retrieval.

``--set dev`` (the default): the 23,730 real papers are imported, keyword-indexed and embedded exactly as
``paperstand import`` / ``search-index`` / ``embed`` do (the database and its vectors are kept under
bench/out/search-quality/dev/ and reused; delete the folder to rebuild), then every query of
bench/search_dev_set.jsonl (one researcher's paraphrase of one paper, see tests/unit/test_search_quality_devset.py)
is asked through paperstand's search service in each mode, and through a plain BM25 over title + abstract
(``rank_bm25``'s Okapi BM25, its default k1 = 1.5, b = 0.75, lower-case word tokens) as the anchor. Recall@5,
recall@10 and MRR@10 are reported for the ``tune`` slice (what changes are judged on) and the ``held`` slice
(kept aside) separately. Target (held slice): hybrid recall@10 >= 0.90 and 15 points above BM25, recall@5 >= 0.80.

``--set titles``: each corpus is indexed by abstract only (every paper gets the same placeholder title), then each
paper's real title is the query and the paper itself is the one right answer. The three modes run
through paperstand's own search service, exactly as the search page and API do. Corpora:

- ``real``: the 23,730 real cs.* papers of ../shared/data/real (all indexed; ``--queries`` titles asked)
- ``seed``: the 69 papers of the Daily Papers capture in ../shared/seed

Target: hybrid at least as good as the better of keyword and semantic.

    nice -n 10 .venv/bin/python bench/search_quality.py [--set dev] [--dump ranks.json]
    .venv/bin/python bench/search_quality.py --set titles [--papers 0] [--queries 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, SHARED, real_abstract_files  # noqa: E402
from search_dev import run_dev_set  # noqa: E402

WORK = OUT / "search-quality"
# Persist the exported embedding model between runs; the databases are rebuilt each run.
os.environ.setdefault("PAPERSTAND_DATA_DIR", str(WORK))

MODES = ("keyword", "semantic", "hybrid")
PLACEHOLDER_TITLE = "untitled"
K = 10
# Characters the query language would read as syntax ("quoted", field:, -excluded); a title is plain text.
_SYNTAX = re.compile(r'["():]|(?:(?<=\s)|^)-')


def real_corpus(limit: int) -> list[tuple[str, str, str]]:
    """(arxiv id, title, abstract) of the real papers, first ``limit`` (0: all)."""
    out = []
    for path in real_abstract_files():
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                out.append((rec["id"], " ".join(rec["title"].split()), " ".join(rec["summary"].split())))
    seen, unique = set(), []
    for paper in out:
        if paper[0] not in seen:
            seen.add(paper[0])
            unique.append(paper)
    return unique[:limit] if limit else unique


def seed_corpus() -> list[tuple[str, str, str]]:
    """The capture's papers, parsed by paperstand's own listing parser."""
    from paperstand.ingest.listing import parse
    from paperstand.ingest.record import PaperRecord

    path = SHARED / "seed" / "daily-papers-listing.txt"
    if not path.exists():
        return []
    with path.open("rb") as fh:
        records = [r for r in parse(fh, str(path)) if isinstance(r, PaperRecord)]
    # Stand-in arXiv ids: id-less papers with one shared placeholder title would merge into one.
    return [(f"2599.{i:05d}", r.title, r.abstract or "") for i, r in enumerate(records, start=1)]


def build(name: str, corpus: list[tuple[str, str, str]]) -> tuple[object, dict[int, str]]:
    """A fresh SQLite database holding the abstracts under a placeholder title, keyword-indexed and embedded."""
    from paperstand.db import make_engine, migrate
    from paperstand.ingest.record import PaperRecord
    from paperstand.papers.store import store_batch
    from paperstand.search.sync import sync_search_indexes
    from paperstand.search.vectors import embed_pending

    folder = WORK / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{folder / 'papers.db'}")
    migrate(engine)
    records = [PaperRecord(source="arxiv-oai", arxiv_id=aid, title=PLACEHOLDER_TITLE,
                           abstract=abstract or "(no abstract)") for aid, _, abstract in corpus]
    with engine.begin() as conn:
        for i in range(0, len(records), 2000):
            store_batch(conn, records[i:i + 2000])
    sync_search_indexes(engine)
    started = time.perf_counter()
    from paperstand.config import Settings

    embed_pending(engine, Settings(), progress=lambda done, total: print(f"\r  {name}: embedded {done:,}/{total:,}",
                                                             end="", flush=True))
    print(f"\r  {name}: {len(corpus):,} abstracts indexed and embedded in {time.perf_counter() - started:.0f} s")
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, abstract FROM papers")).all()
    by_abstract = {abstract: pid for pid, abstract in rows}
    answers = {by_abstract[abstract or "(no abstract)"]: title for _, title, abstract in corpus
               if (abstract or "(no abstract)") in by_abstract}
    return engine, answers


def evaluate(engine: object, answers: dict[int, str], queries: int, seed: int = 5) -> dict[str, tuple[float, float]]:
    """MRR@10 and recall@10 per mode over ``queries`` sampled titles (0: all)."""
    from sqlalchemy.orm import Session

    from paperstand.config import Settings
    from paperstand.search.service import search

    settings = Settings()
    items = sorted(answers.items())
    if queries and queries < len(items):
        items = random.Random(seed).sample(items, queries)
    scores = {mode: [0.0, 0.0] for mode in MODES}
    with Session(engine) as session:  # type: ignore[arg-type]
        for n, (pid, title) in enumerate(items, start=1):
            query = _SYNTAX.sub(" ", title)
            for mode in MODES:
                ranked = [r.paper.id for r in search(session, query, settings=settings, mode=mode,  # type: ignore[arg-type]
                                                          limit=K).results]
                if pid in ranked:
                    scores[mode][0] += 1 / (ranked.index(pid) + 1)
                    scores[mode][1] += 1
            if n % 200 == 0:
                print(f"\r  {n:,}/{len(items):,} queries", end="", flush=True)
    print("\r", end="")
    return {mode: (mrr / len(items), hits / len(items)) for mode, (mrr, hits) in scores.items()}


def report(name: str, papers: int, queries: int, result: dict[str, tuple[float, float]]) -> bool:
    print(f"{name}: {papers:,} abstracts indexed, {queries:,} title queries")
    print(f"  {'mode':<9} {'MRR@10':>7} {'recall@10':>10}")
    for mode in MODES:
        mrr, recall = result[mode]
        print(f"  {mode:<9} {mrr:>7.3f} {recall:>10.3f}")
    best_single = max(result["keyword"][0], result["semantic"][0])
    ok = result["hybrid"][0] >= best_single
    print(f"  hybrid MRR@10 {result['hybrid'][0]:.3f} vs best single {best_single:.3f}: "
          f"{'met' if ok else 'NOT met'} (target: hybrid >= the better of the two)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=0, help="real papers to index (0: all 23,730)")
    parser.add_argument("--queries", type=int, default=2000, help="titles to ask on the real corpus (0: all)")
    parser.add_argument("--set", choices=("dev", "titles"), default="dev",
                        help="dev: the half-remembered query set; titles: title -> abstract retrieval")
    parser.add_argument("--dump", type=Path, help="dev: write every query's rank per engine to this JSON file")
    args = parser.parse_args()
    if args.set == "dev":
        run_dev_set(WORK / "dev", dump=args.dump)
        return
    real = real_corpus(args.papers)
    engine, answers = build("real", real)
    report("real corpus", len(real), min(args.queries or len(answers), len(answers)),
           evaluate(engine, answers, args.queries))
    seed = seed_corpus()
    if seed:
        engine, answers = build("seed", seed)
        report("seed capture", len(seed), len(answers), evaluate(engine, answers, 0))
    else:
        print("seed capture: skipped (../shared/seed/daily-papers-listing.txt not found)")


if __name__ == "__main__":
    main()
