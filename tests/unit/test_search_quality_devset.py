"""The half-remembered-query development set (bench/search_dev_set.jsonl) keeps its own rules.

Each query is written in other words than its paper: no run of ``MAX_SHARED_RUN`` or more consecutive
words of the title or abstract, and none of the title's coined names or acronyms (``DynamicRad``,
``RWKV``). The checks that need the papers' text read the real corpus and skip when it is absent.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from tests.conftest import SHARED  # PAPERSTAND_SHARED_DIR, read as every test reads it

ROOT = Path(__file__).resolve().parents[2]
DEV_SET = ROOT / "bench" / "search_dev_set.jsonl"
CORPUS = SHARED / "data" / "real" / "arxiv-metadata" / "daily-arxiv-ai-enhanced"
# A run of this many consecutive words shared with the title or abstract counts as copied.
MAX_SHARED_RUN = 3
# On average at most this share of a query's content words (stop words aside, light-stemmed) may occur in
# its paper: the set describes papers in other words (0.50 now; a first draft that reused each paper's rare
# terms stood at 0.63, and plain BM25 found 93% of its papers).
MAX_MEAN_OVERLAP = 0.55
# Acronyms a researcher types for a field rather than for one paper; any other acronym of the title is
# the paper's own name and must not be in its query.
FIELD_ACRONYMS = frozenset({
    "ai", "llm", "llms", "rl", "3d", "2d", "4d", "qa", "gui", "sql", "eeg", "rgb", "mllm", "mllms", "vlm", "vlms",
    "asr", "lora", "moe", "rag", "h", "e",
})
_WORD = re.compile(r"[a-z0-9]+")
_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}$")


def words(text: str) -> list[str]:
    """Lower-case words and numbers, punctuation dropped (so "text-to-video" is three words)."""
    return _WORD.findall(text.lower())


def shared_runs(query: str, source: str, n: int = MAX_SHARED_RUN) -> list[str]:
    """The runs of ``n`` consecutive words of ``query`` that also occur in ``source``."""
    src = words(source)
    grams = {tuple(src[i:i + n]) for i in range(len(src) - n + 1)}
    q = words(query)
    return [" ".join(q[i:i + n]) for i in range(len(q) - n + 1) if tuple(q[i:i + n]) in grams]


def coined_names(title: str) -> set[str]:
    """The title's own names: words with inner capitals or digits mixed with letters, and a name before a colon."""
    names = set()
    for token in re.findall(r"[A-Za-z0-9]+", title):  # hyphenated parts apart: "Content-Adaptive" is two words
        inner_caps = any(c.isupper() for c in token[1:])
        mixed = bool(re.search(r"[A-Za-z]", token)) and bool(re.search(r"\d", token))
        if inner_caps or mixed:
            names.add(token.lower())
    head = title.split(":", 1)[0] if ":" in title else ""
    if head and len(head.split()) == 1:  # "Vines-DB: ..." names the paper "vinesdb" too
        names.add("".join(words(head)))
    return {n for n in names if n not in FIELD_ACRONYMS and not n.isdigit() and len(n) > 1}


def load_dev_set() -> list[dict[str, str]]:
    """The development set's rows: arXiv id, split (``tune`` or ``held``) and query."""
    with DEV_SET.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_shared_runs_and_coined_names() -> None:
    assert shared_runs("we speed up the video model", "Our method can speed up the video pipeline") == [
        "speed up the", "up the video"]
    assert shared_runs("fast video generation", "Generation of video, fast.") == []
    assert coined_names("DynamicRad: Content-Adaptive Sparse Attention for Long Video Diffusion") == {"dynamicrad"}
    assert coined_names("Efficient RWKV-based Representation Learning for 3D Point Clouds") == {"rwkv"}
    assert coined_names("Forecasting Motion in the Wild") == set()


def test_dev_set_shape() -> None:
    rows = load_dev_set()
    assert len(rows) >= 120
    assert all(set(r) == {"arxiv_id", "split", "query"} and _ARXIV_ID.match(r["arxiv_id"]) for r in rows)
    assert len({r["arxiv_id"] for r in rows}) == len(rows)
    splits = Counter(r["split"] for r in rows)
    assert set(splits) == {"tune", "held"} and 35 <= splits["held"] <= 50
    assert all(5 <= len(words(r["query"])) <= 40 for r in rows)


def _papers(ids: set[str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for path in sorted(CORPUS.glob("papers_*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec["id"] in ids and rec["id"] not in found:
                    found[rec["id"]] = (rec["title"], rec["summary"])
    return found


@pytest.mark.skipif(not CORPUS.is_dir(), reason="real corpus not found (set PAPERSTAND_SHARED_DIR)")
def test_queries_are_in_other_words() -> None:
    rows = load_dev_set()
    papers = _papers({r["arxiv_id"] for r in rows})
    assert len(papers) == len(rows), "every id is a paper of the corpus"
    problems = []
    for r in rows:
        title, abstract = papers[r["arxiv_id"]]
        copied = shared_runs(r["query"], f"{title}\n{abstract}")
        named = coined_names(title) & set(words(r["query"]))
        if copied or named:
            problems.append(f"{r['arxiv_id']}: copied {copied} named {sorted(named)}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="real corpus not found (set PAPERSTAND_SHARED_DIR)")
def test_queries_mostly_use_other_words() -> None:
    from paperstand.search.highlight import light_stem
    from paperstand.search.query import STOPWORDS

    rows = load_dev_set()
    papers = _papers({r["arxiv_id"] for r in rows})
    shares = []
    for r in rows:
        title, abstract = papers[r["arxiv_id"]]
        own = {light_stem(w) for w in words(f"{title} {abstract}")}
        content = [w for w in words(r["query"]) if w not in STOPWORDS]
        shares.append(sum(light_stem(w) in own for w in content) / len(content))
    assert sum(shares) / len(shares) <= MAX_MEAN_OVERLAP
