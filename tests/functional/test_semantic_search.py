"""Semantic search: stored embeddings, the backfill, the ANN index file, filters and similar papers.

Most tests use synthetic vectors and a fake encoder; only the paraphrase test loads the real model.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from paperstand.papers.models import Paper
from paperstand.search import ann
from paperstand.search.embedder import DIM, MODEL_ID
from paperstand.search.live import LiveIndex
from paperstand.search.query import STOPWORDS, parse_query
from paperstand.search.semantic import QueryCache, search_by_vector, semantic_search, similar_papers
from paperstand.search.sync import sync_database_index
from paperstand.search.vectors import PaperEmbedding, embed_pending, pack_vector, unpack_vectors

# ------------------------------------------------------------------------------------------------- helpers


def unit(seed: int | str) -> np.ndarray:
    """A deterministic random unit vector."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    v = np.random.default_rng(int.from_bytes(digest[:8], "little")).standard_normal(DIM).astype(np.float32)
    return v / np.linalg.norm(v)


class FakeEncoder:
    """Text -> a random unit vector seeded by the text; records what it was asked to embed."""

    model_id = MODEL_ID
    device = "fake"

    def __init__(self, fail_after: int | None = None) -> None:
        self.texts: list[str] = []
        self.calls = 0
        self.fail_after = fail_after

    def encode(self, texts: Sequence[str], batch_size: int | None = None,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt  # what a killed run looks like from inside
        self.calls += 1
        self.texts += list(texts)
        return np.vstack([unit(t) for t in texts]) if texts else np.zeros((0, DIM), np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def add_papers(engine: Engine, titles: Sequence[str], *, categories: Sequence[str] = ("cs.LG",),
               authors: Sequence[str] = ("Ada Lovelace",), published: datetime | None = None) -> list[int]:
    """Insert papers; returns their ids."""
    now = datetime.now(UTC)
    rows = [{"title_key": hashlib.md5(f"{t}{i}{now}".encode()).hexdigest(), "title": t,
             "abstract": f"About {t.lower()}.", "authors": list(authors), "categories": list(categories),
             "versions": [], "withdrawn": False, "sources": ["test"], "first_seen_at": now,
             "last_changed_at": now, "published_at": published or now} for i, t in enumerate(titles)]
    with engine.begin() as conn:
        ids = [conn.execute(insert(Paper).values(row).returning(Paper.id)).scalar_one() for row in rows]
        sync_database_index(conn)  # the FTS5 table the author filter reads (no-op on PostgreSQL)
    return ids


def put_vectors(engine: Engine, vectors: dict[int, np.ndarray]) -> None:
    """Store vectors as the backfill would (replacing existing ones)."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for pid, vec in vectors.items():
            conn.execute(delete(PaperEmbedding).where(PaperEmbedding.paper_id == pid))
            conn.execute(insert(PaperEmbedding).values(paper_id=pid, model_id=MODEL_ID, content_hash="x",
                                                       vector=pack_vector(vec), embedded_at=now, checked_at=now))


def stored(engine: Engine) -> dict[int, bytes]:
    with engine.connect() as conn:
        return dict(conn.execute(select(PaperEmbedding.paper_id, PaperEmbedding.vector)).all())


# ----------------------------------------------------------------------------------- (a) the backfill


def test_a_paper_is_embedded_once_per_content_change(engine: Engine, tmp_path: Path) -> None:
    ids = add_papers(engine, [f"Paper number {i}" for i in range(5)])
    enc = FakeEncoder()
    seen: list[tuple[int, int]] = []
    report = embed_pending(engine, encoder=enc, batch=2, index_dir=tmp_path,
                           progress=lambda done, total: seen.append((done, total)))
    assert report.embedded == 5 and len(enc.texts) == 5
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert report.index is not None and report.index.size == 5
    before = stored(engine)

    again = embed_pending(engine, encoder=enc, index_dir=tmp_path)
    assert again.embedded == 0 and len(enc.texts) == 5 and stored(engine) == before

    # One abstract edited, another paper changed elsewhere (a new comment): only the first is re-embedded.
    with engine.begin() as conn:
        later = datetime.now(UTC)
        conn.execute(update(Paper).where(Paper.id == ids[2]).values(abstract="A new abstract.",
                                                                    last_changed_at=later))
        conn.execute(update(Paper).where(Paper.id == ids[3]).values(comments="v2: typos",
                                                                    last_changed_at=later))
    third = embed_pending(engine, encoder=enc, index_dir=tmp_path)
    assert third.embedded == 1 and enc.texts[5:] == ["Paper number 2. A new abstract."]
    after = stored(engine)
    assert after[ids[2]] != before[ids[2]] and {k: v for k, v in after.items() if k != ids[2]} == {
        k: v for k, v in before.items() if k != ids[2]}
    assert third.index is not None and third.index.replaced == 1 and third.index.size == 5


def test_the_backfill_stores_word_counts_and_adds_them_to_papers_stored_before(engine: Engine,
                                                                                 tmp_path: Path) -> None:
    from paperstand.recommend.vectors import word_counts_of
    from paperstand.search import terms

    ids = add_papers(engine, ["Tactile grasping", "Graph networks"])
    enc = FakeEncoder()
    embed_pending(engine, encoder=enc, index_dir=tmp_path)
    with engine.connect() as conn:
        kept = dict(conn.execute(select(PaperEmbedding.paper_id, PaperEmbedding.terms)).all())
    assert (terms.unpack([kept[ids[0]]]) != terms.counts(["Tactile grasping. About tactile grasping."])).nnz == 0
    # A paper stored before counts were kept: the next run adds them without embedding it again.
    with engine.begin() as conn:
        conn.execute(update(PaperEmbedding).where(PaperEmbedding.paper_id == ids[1]).values(terms=None))
    with Session(engine) as session:  # meanwhile the recommendations hash its text
        assert (word_counts_of(session, [ids[1], ids[0]]) != terms.unpack([kept[ids[1]], kept[ids[0]]])).nnz == 0
    before = stored(engine)
    again = embed_pending(engine, encoder=enc, index_dir=tmp_path)
    assert again.embedded == 0 and len(enc.texts) == 2 and stored(engine) == before
    with engine.connect() as conn:
        assert dict(conn.execute(select(PaperEmbedding.paper_id, PaperEmbedding.terms)).all()) == kept


class FakeClock:
    """Seconds that pass only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowLoadingEncoder(FakeEncoder):
    """An encoder whose model takes a while to load, as the real one does on a first run (on a fake clock)."""

    loads = 0

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def load(self) -> SlowLoadingEncoder:
        self.loads += 1
        self.clock.now += 2.5
        return self

    def encode(self, texts: Sequence[str], batch_size: int | None = None,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        self.clock.now += 0.5
        return super().encode(texts, batch_size, progress)


def test_backfill_reports_model_loading_apart_from_the_embedding_rate(engine: Engine, tmp_path: Path) -> None:
    add_papers(engine, [f"Loaded {i}" for i in range(3)])
    clock = FakeClock()
    enc = SlowLoadingEncoder(clock)
    report = embed_pending(engine, encoder=enc, index_dir=tmp_path, clock=clock)
    assert enc.loads == 1 and report.embedded == 3
    assert report.load_seconds == 2.5 and report.seconds == 0.5
    assert "3 papers embedded (6/s on fake; model loaded in 2.5 s)" in report.lines()[0]
    again = embed_pending(engine, encoder=enc, index_dir=tmp_path, clock=clock)
    # Nothing changed (papers are at most re-checked): the model is not loaded again.
    again = embed_pending(engine, encoder=enc, index_dir=tmp_path)
    assert enc.loads == 1 and again.load_seconds == 0 and "loaded" not in again.lines()[0]


def test_backfill_resumes_after_an_interrupted_run(engine: Engine, tmp_path: Path) -> None:
    add_papers(engine, [f"Resumable {i}" for i in range(7)])
    with pytest.raises(KeyboardInterrupt):
        embed_pending(engine, encoder=FakeEncoder(fail_after=2), batch=3, index_dir=tmp_path)
    assert len(stored(engine)) == 6  # two whole batches committed
    enc = FakeEncoder()
    report = embed_pending(engine, encoder=enc, batch=3, index_dir=tmp_path)
    assert report.embedded == 1 and enc.texts == ["Resumable 6. About resumable 6."]
    assert report.index is not None and report.index.size == 7

    # --rebuild re-embeds everything (and the index file is rebuilt).
    enc = FakeEncoder()
    report = embed_pending(engine, encoder=enc, rebuild=True, index_dir=tmp_path)
    assert report.embedded == 7 and report.index is not None and report.index.rebuilt


# --------------------------------------------------------------------------- (b) paraphrased queries

# Target title -> a query in other words. None may share a content word with its target's title.
PARAPHRASES = {
    "Pointer Networks": "a sequence model whose outputs are positions selecting elements of its input, "
                        "applied to convex hulls and the travelling salesman problem",
    "Hopfield Networks is All You Need": "modern associative memory with continuous states whose update rule "
                                         "equals transformer attention",
    "Barlow Twins: Self-Supervised Learning via Redundancy Reduction":
        "making the cross-correlation matrix between embeddings of two distorted views of an image close to "
        "the identity",
    "Exploiting the Brain's Network Structure for Automatic Identification of ADHD Subjects":
        "diagnosing attention deficit hyperactivity disorder in children from resting-state fMRI",
    "Build a Robust QA System with Transformer-based Mixture of Experts":
        "question answering with several specialised sub-models chosen by a gating router",
    "PROSE: Predicting Operators and Symbolic Expressions using Multimodal Transformers":
        "learning solution maps of differential equations jointly with their mathematical formulas",
    "Assessment of Data Consistency through Cascades of Independently Recurrent Inference Machines for fast "
    "and robust accelerated MRI reconstruction": "recovering undersampled magnetic resonance images quickly",
    "Knowledge Concentration: Learning 100K Object Classifiers in a Single CNN":
        "distilling many specialist teachers into one model that recognises a hundred thousand visual categories",
}
EXTRA_STOPWORDS = frozenset({"all", "its", "into", "one", "their", "through", "using", "via", "whose", "between",
                             "many", "several", "two"})


def content_stems(text: str) -> set[str]:
    """Content words, reduced to a crude stem (first six letters) so that "network"/"networks" collide."""
    return {w[:6] for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS | EXTRA_STOPWORDS}


def test_paraphrases_share_no_content_word_with_their_title() -> None:
    assert len(PARAPHRASES) == 8
    for title, query in PARAPHRASES.items():
        assert not content_stems(title) & content_stems(query), (title, content_stems(title) & content_stems(query))


@pytest.fixture(scope="module")
def model() -> object:
    from paperstand.config import Settings
    from paperstand.search.embedder import embedder_for

    try:
        return embedder_for(Settings()).load()
    except (ImportError, FileNotFoundError) as exc:
        pytest.skip(f"embedding model unavailable: {exc}")


def test_paraphrased_queries_find_the_paper(engine: Engine, tmp_path: Path, seed_listing: Path,
                                            model: FakeEncoder) -> None:
    from paperstand.ingest.run import import_file

    import_file(engine, seed_listing)
    report = embed_pending(engine, encoder=model, index_dir=tmp_path)
    assert report.embedded == 69
    with engine.connect() as conn:
        by_title = {t: i for i, t in conn.execute(select(Paper.id, Paper.title))}
    for title, query in PARAPHRASES.items():
        top = [pid for pid, _ in semantic_search(engine, query, limit=3, index_dir=tmp_path, encoder=model)]
        assert by_title[title] in top, (query, title)
    # (c) with the real model: a paper's neighbours never include itself.
    target = by_title["Pointer Networks"]
    near = similar_papers(engine, target, limit=5, index_dir=tmp_path)
    assert len(near) == 5 and target not in [pid for pid, _ in near]


# ------------------------------------------------------------------------------------ (c) similar papers


def test_similar_papers_exclude_the_paper_and_its_duplicates(engine: Engine, tmp_path: Path) -> None:
    ids = add_papers(engine, ["Deep sets", "Deep Sets", "Set transformers", "Graph kernels", "Unembedded"])
    base = unit("deep sets")
    put_vectors(engine, {ids[0]: base, ids[1]: base, ids[2]: base + 0.3 * unit("x"), ids[3]: unit("graphs")})
    near = similar_papers(engine, ids[0], limit=5, index_dir=tmp_path)
    assert [pid for pid, _ in near] == [ids[2], ids[3]]  # not itself, not its same-titled twin
    assert near[0][1] > near[1][1]
    assert similar_papers(engine, ids[4], index_dir=tmp_path) == []  # no vector yet


# --------------------------------------------------------------------------------- (d) ANN versus exact


def test_ann_and_exact_search_agree(engine: Engine, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    # Clustered vectors, like real embeddings (uniform random ones have no meaningful neighbours).
    centres = rng.standard_normal((12, DIM))
    vecs = centres[rng.integers(0, 12, 400)] + 0.6 * rng.standard_normal((400, DIM))
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    ids = add_papers(engine, [f"Synthetic {i}" for i in range(400)])
    put_vectors(engine, dict(zip(ids, vecs, strict=True)))
    exact = LiveIndex(tmp_path, exact_threshold=10**9)
    approx = LiveIndex(tmp_path, exact_threshold=0)  # builds the missing file on first use
    assert exact.snapshot(engine).ann is None and approx.snapshot(engine).ann is not None
    assert (tmp_path / ann.VECTORS_FILE).is_file()
    recalls = []
    for q in range(25):
        query = vecs[q * 13] + 0.3 * rng.standard_normal(DIM).astype(np.float32)
        query /= np.linalg.norm(query)
        e, a = exact.search(engine, query, 10), approx.search(engine, query, 10)
        recalls.append(len({p for p, _ in e} & {p for p, _ in a}) / 10)
        common = dict(a)
        for pid, score in e:
            if pid in common:
                assert abs(common[pid] - score) < 2e-3  # float16 storage in both paths
    assert np.mean(recalls) >= 0.98


def test_filters_apply_on_both_paths(engine: Engine, tmp_path: Path) -> None:
    lg = add_papers(engine, [f"Learning {i}" for i in range(120)])
    cl = add_papers(engine, [f"Language {i}" for i in range(3)], categories=["cs.CL"], authors=["Grace Hopper"],
                    published=datetime(2020, 5, 1, tzinfo=UTC))
    put_vectors(engine, {pid: unit(pid) for pid in lg + cl})
    query_vec = unit(lg[0])
    with engine.connect() as conn:
        for threshold in (0, 10**9):
            kw = {"limit": 5, "index_dir": tmp_path, "exact_threshold": threshold}
            plain = search_by_vector(conn, query_vec, parse_query("x"), **kw)
            assert plain[0][0] == lg[0] and plain[0][1] == pytest.approx(1.0, abs=2e-3)
            # Selective filters: too few ANN candidates pass, so the filtered subset is searched exactly.
            for q in ("cat:cs.CL", 'author:"grace hopper"', "to:2021", "cat:cs.CL year:2020"):
                assert sorted(p for p, _ in search_by_vector(conn, query_vec, parse_query(q), **kw)) == cl, q
            assert search_by_vector(conn, query_vec, parse_query("cat:cs.LG"), **kw)[0][0] == lg[0]
            assert search_by_vector(conn, query_vec, parse_query("cat:math.AG"), **kw) == []
            paged = search_by_vector(conn, query_vec, parse_query("cat:cs.LG"), limit=3, offset=2, index_dir=tmp_path,
                                     exact_threshold=threshold)
            assert paged == search_by_vector(conn, query_vec, parse_query("cat:cs.LG"), limit=5, index_dir=tmp_path,
                                             exact_threshold=threshold)[2:5]


def test_query_vectors_are_cached(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperstand.search import semantic

    monkeypatch.setattr(semantic, "query_cache", QueryCache(size=2))
    ids = add_papers(engine, ["Cached"])
    put_vectors(engine, {ids[0]: unit("q1")})
    enc = FakeEncoder()
    for q in ("q1", "q1", "  q1 ", "q2", "q3", "q1"):
        semantic_search(engine, q, limit=1, index_dir=tmp_path, encoder=enc)
    assert enc.texts == ["q1", "q2", "q3", "q1"]  # the third query evicted q1 (size 2)
    assert semantic_search(engine, "cat:cs.LG", index_dir=tmp_path, encoder=enc) == []  # nothing to embed


# ------------------------------------------------------------------------- (e) the index file over time


def test_index_file_is_rebuilt_atomically_and_updated_incrementally(engine: Engine, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    idx = tmp_path / "semantic"
    ids = add_papers(engine, [f"Indexed {i}" for i in range(50)])
    put_vectors(engine, {pid: unit(pid) for pid in ids})
    first = ann.sync_index_file(engine, idx)
    assert first.rebuilt and first.size == 50
    meta = ann.read_meta(idx)
    assert meta is not None and meta.model_id == MODEL_ID and meta.count == 50
    assert sorted(os.listdir(idx)) == [".lock", ann.META_FILE, ann.VECTORS_FILE]  # no temporaries
    live = LiveIndex(idx, exact_threshold=0, refresh_interval=0)
    assert live.search(engine, unit(ids[7]), 1)[0][0] == ids[7]

    # Nothing changed: the file is left as it is.
    mtime = (idx / ann.VECTORS_FILE).stat().st_mtime_ns
    unchanged = ann.sync_index_file(engine, idx)
    assert (unchanged.added, unchanged.replaced, unchanged.removed, unchanged.rebuilt) == (0, 0, 0, False)
    assert (idx / ann.VECTORS_FILE).stat().st_mtime_ns == mtime

    # New papers, one changed vector and one deleted paper: seen by the web side before the file is saved...
    new = add_papers(engine, [f"Added {i}" for i in range(5)])
    put_vectors(engine, {**{pid: unit(pid) for pid in new}, ids[0]: unit("moved")})
    with engine.begin() as conn:
        conn.execute(delete(Paper).where(Paper.id == ids[1]))
    found = [pid for pid, _ in live.search(engine, unit(ids[1]), 60)]
    assert ids[1] not in found and set(new) <= set(found) and len(found) == 54
    assert live.search(engine, unit("moved"), 1)[0][0] == ids[0]
    assert live.snapshot(engine).hidden == {ids[0], ids[1]}  # served from the delta until the file catches up

    # ...and applied to the file incrementally.
    step = ann.sync_index_file(engine, idx)
    assert (step.added, step.replaced, step.removed, step.rebuilt, step.size) == (5, 1, 1, False, 54)
    snap = live.snapshot(engine)
    assert snap.hidden == frozenset() and len(snap.delta) <= 6 and snap.size == 54

    # A save that fails half-way leaves the previous file whole.
    before = (idx / ann.VECTORS_FILE).read_bytes()
    put_vectors(engine, {ids[2]: unit("again")})

    def broken_save(self: object, path: str, *args: object, **kw: object) -> None:
        Path(path).write_bytes(b"partial")
        raise OSError("disk full")

    from usearch.index import Index

    monkeypatch.setattr(Index, "save", broken_save)
    with pytest.raises(OSError):
        ann.sync_index_file(engine, idx)
    monkeypatch.undo()
    assert (idx / ann.VECTORS_FILE).read_bytes() == before
    assert not [n for n in os.listdir(idx) if n.endswith(".tmp")]

    # Another model's file (or a missing one) is rebuilt from the table.
    stale = ann.read_meta(idx)
    assert stale is not None
    (idx / ann.META_FILE).write_text(ann.json.dumps({**ann.asdict(stale), "model_id": "other/v0"}))
    rebuilt = ann.sync_index_file(engine, idx)
    assert rebuilt.rebuilt and rebuilt.size == 54
    with engine.connect() as conn:
        vec = unpack_vectors([conn.execute(select(PaperEmbedding.vector)
                                           .where(PaperEmbedding.paper_id == ids[2])).scalar_one()])[0]
    assert live.search(engine, vec, 1)[0][0] == ids[2]


def test_usearch_and_onnxruntime_load_in_either_order() -> None:
    """The web process may open the index before the model loads: that order must not crash (usearch pin)."""
    import subprocess
    import sys

    code = "import usearch.index, onnxruntime"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120).returncode == 0
