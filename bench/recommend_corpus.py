"""The real papers the recommendation benchmarks use, and their embeddings, cached under bench/out/.

Run on its own to (re)build the cache: ``nice -n 10 .venv/bin/python bench/recommend_corpus.py`` (about
7 minutes on two CPU cores for the 23,730 abstracts; later runs load the cache in a second).
"""

from __future__ import annotations

import ast
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, real_abstract_files  # noqa: E402

WORK = OUT / "recommend"


@dataclass
class Corpus:
    """Real papers: arXiv id, title, abstract, categories (primary first) and announcement day."""

    ids: list[str]
    titles: list[str]
    abstracts: list[str]
    categories: list[list[str]]
    days: list[date]


def _categories(value: object) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    try:  # some lines hold the list as its Python text: "['cs.IT']"
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError):
        return []
    return [str(v) for v in parsed] if isinstance(parsed, list) else []


def load_corpus() -> Corpus:
    """Every real paper once (first announcement kept), in file order; exits cleanly when the data is absent."""
    corpus = Corpus([], [], [], [], [])
    seen: set[str] = set()
    sources = Path(real_abstract_files()[0]).parent / "SOURCES.tsv"
    day_of_line = _line_days(sources)
    for path in real_abstract_files():
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh):
                rec = json.loads(line)
                if rec["id"] in seen:
                    continue
                seen.add(rec["id"])
                corpus.ids.append(rec["id"])
                corpus.titles.append(" ".join(rec["title"].split()))
                corpus.abstracts.append(" ".join(rec["summary"].split()))
                corpus.categories.append(_categories(rec.get("categories")))
                corpus.days.append(day_of_line.get((path.name, number), _month_day(path.name)))
    return corpus


def _month_day(name: str) -> date:
    year, month = name.removeprefix("papers_").removesuffix(".jsonl").split("-")
    return date(int(year), int(month), 1)


def _line_days(sources: Path) -> dict[tuple[str, int], date]:
    """The announcement day of each line of the month files: SOURCES.tsv lists the days' files in order."""
    out: dict[tuple[str, int], date] = {}
    if not sources.exists():
        return out
    counters: dict[str, int] = {}
    for row in sources.read_text(encoding="utf-8").splitlines()[1:]:
        parts = row.split("\t")
        if len(parts) < 4 or not parts[3].isdigit():
            continue
        day = date.fromisoformat(Path(parts[0]).stem)
        month_file = f"papers_{day:%Y-%m}.jsonl"
        start = counters.get(month_file, 0)
        for i in range(int(parts[3])):
            out[(month_file, start + i)] = day
        counters[month_file] = start + int(parts[3])
    return out


def vectors(corpus: Corpus) -> np.ndarray:
    """The MiniLM vectors of the corpus (float32, unit rows), from the cache when it holds these papers."""
    from paperstand.config import Settings
    from paperstand.search.embedder import MODEL_ID, embedder_for, paper_text

    key = hashlib.sha256(("\n".join(corpus.ids) + MODEL_ID).encode()).hexdigest()[:16]
    path = WORK / f"vectors-{key}.npy"
    if path.exists():
        return np.load(path).astype(np.float32)
    WORK.mkdir(parents=True, exist_ok=True)
    encoder = embedder_for(Settings(data_dir=WORK))
    texts = [paper_text(t, a) for t, a in zip(corpus.titles, corpus.abstracts, strict=True)]
    started, done = time.monotonic(), 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if done % 2048 < n:
            print(f"  embedded {done:,}/{len(texts):,} in {time.monotonic() - started:.0f} s", flush=True)

    vecs = encoder.encode(texts, progress=tick).astype(np.float16)
    np.save(path, vecs)
    return vecs.astype(np.float32)


if __name__ == "__main__":
    c = load_corpus()
    print(f"{len(c.ids):,} papers, days {min(c.days)} to {max(c.days)}")
    v = vectors(c)
    print(f"vectors {v.shape} cached under {WORK}")
