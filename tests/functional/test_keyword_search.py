"""Keyword search semantics, the same on SQLite FTS5, PostgreSQL tsvector and the tantivy index.

Papers enter through the real import pipeline, so these tests also cover keeping the indexes in sync.
"""

from __future__ import annotations

import io
import json
import multiprocessing
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from paperstand.config import Settings
from paperstand.ingest.run import import_stream
from paperstand.search.keyword import Hit, keyword_search
from paperstand.search.query import parse_query
from paperstand.search.sync import keyword_index_dir, reindex


def paper(arxiv_id: str, title: str, abstract: str, *, authors: str = "Jane Doe", cats: str = "cs.LG",
          day: str = "2024-01-10", version: int = 1) -> dict[str, object]:
    """A Kaggle-snapshot record."""
    created = datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)
    return {"id": arxiv_id, "title": title, "abstract": abstract, "authors": authors, "categories": cats,
            "versions": [{"version": f"v{v}", "created": format_datetime(created, usegmt=True)}
                         for v in range(1, version + 1)]}


CORPUS = [
    paper("2401.00001", "Graph Neural Networks for Molecules", "We study message passing on molecular graphs.",
          authors="Ada Lovelace, Alan Turing", cats="cs.LG q-bio.BM", day="2024-01-05"),
    paper("2401.00002", "A Survey of Optimisation", "Neural methods on a graph of tasks; networks of graph "
          "solvers are compared.", authors="Grace Hopper", cats="math.OC", day="2024-02-10"),
    paper("2401.00003", "Speech Recognition at Scale", "Transformers for speech. Graph neural layers help.",
          authors="Alan Kay", cats="cs.CL eess.AS", day="2024-03-15"),
    paper("2401.00004", "<script>alert(1)</script> Transformers & Friends", "Tags like <b> stay text & safe.",
          authors="Mallory Eve", cats="cs.CR", day="2023-12-31"),
    paper("2401.00005", "Reinforcement Learning for Robots", "Policies learned by robots in the real world.",
          authors="Ada Yonath", cats="cs.RO", day="2024-06-01"),
]


def index_dir() -> Path:
    """The tantivy index folder of the settings (each test sets its own PAPERSTAND_DATA_DIR)."""
    return keyword_index_dir(Settings().data_dir)


def load(engine: Engine, records: list[dict[str, object]], into: Path | None = None) -> None:
    """Import records through the pipeline that keeps the indexes (tantivy's in ``into``) in sync."""
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    summary = import_stream(engine, io.BytesIO(data), "test", "arxiv-jsonl", index_dir=into or index_dir())
    assert summary.rejected == 0, summary.rejections


@pytest.fixture(params=["database", "tantivy"])
def search_engine(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> str:
    """Which engine answers: the database's own index, or a tantivy index built for this database."""
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path / "var"))
    load(engine, CORPUS)
    if request.param == "tantivy":
        assert reindex(engine, index_dir()) == len(CORPUS)
    return str(request.param)


def search(engine: Engine, which: str, query: str, **kw: int) -> list[Hit]:
    """Hits for a query string on the chosen engine."""
    return keyword_search(engine, parse_query(query), index_dir=index_dir(), engine=which,  # type: ignore[arg-type]
                          **kw)


def arxiv_ids(engine: Engine, hits: list[Hit]) -> list[str]:
    """The arXiv ids of the hits, in order."""
    with engine.connect() as conn:
        ids = dict(conn.execute(text("SELECT id, arxiv_id FROM papers")).all())
    return [ids[h.paper_id] for h in hits]


def test_title_match_outranks_abstract_only_match(engine: Engine, search_engine: str) -> None:
    """A word in the title weighs more than the same word in the abstract."""
    assert arxiv_ids(engine, search(engine, search_engine, "graph"))[:1] == ["2401.00001"]
    got = arxiv_ids(engine, search(engine, search_engine, "speech"))
    assert got == ["2401.00003"]


def test_any_word_ranks_more_words_higher(engine: Engine, search_engine: str) -> None:
    """Bare words are alternatives; a paper matching more of them comes first."""
    got = arxiv_ids(engine, search(engine, search_engine, "robots speech molecules"))
    assert set(got) == {"2401.00001", "2401.00003", "2401.00005"}
    got = arxiv_ids(engine, search(engine, search_engine, "robots reinforcement"))
    assert got == ["2401.00005"]


def test_phrase_matches_only_adjacent_words(engine: Engine, search_engine: str) -> None:
    """"graph neural" matches the two words side by side, in that order, nowhere else."""
    got = arxiv_ids(engine, search(engine, search_engine, '"graph neural"'))
    assert sorted(got) == ["2401.00001", "2401.00003"]
    assert arxiv_ids(engine, search(engine, search_engine, '"neural graph"')) == []


def test_author_filter(engine: Engine, search_engine: str) -> None:
    """author: matches names (a surname, or a full name as a phrase), not titles or abstracts."""
    assert sorted(arxiv_ids(engine, search(engine, search_engine, "author:ada"))) == ["2401.00001", "2401.00005"]
    assert arxiv_ids(engine, search(engine, search_engine, 'author:"Ada Lovelace"')) == ["2401.00001"]
    assert arxiv_ids(engine, search(engine, search_engine, 'graph author:"Alan Kay"')) == ["2401.00003"]
    assert arxiv_ids(engine, search(engine, search_engine, "author:speech")) == []


def test_category_filter(engine: Engine, search_engine: str) -> None:
    """cat: keeps papers listed in any of the given categories."""
    assert arxiv_ids(engine, search(engine, search_engine, "graph cat:cs.cl")) == ["2401.00003"]
    got = arxiv_ids(engine, search(engine, search_engine, "cat:cs.LG,cs.RO"))
    assert got == ["2401.00005", "2401.00001"]  # filters alone: newest first


def test_date_range(engine: Engine, search_engine: str) -> None:
    """from:/to:/year: bound the publication date, both ends inclusive."""
    got = arxiv_ids(engine, search(engine, search_engine, "graph from:2024-02-10 to:2024-03-15"))
    assert sorted(got) == ["2401.00002", "2401.00003"]
    assert arxiv_ids(engine, search(engine, search_engine, "year:2023")) == ["2401.00004"]
    assert arxiv_ids(engine, search(engine, search_engine, "graph to:2024-01-04")) == []


def test_exclusion(engine: Engine, search_engine: str) -> None:
    """-word drops papers containing it."""
    got = arxiv_ids(engine, search(engine, search_engine, "graph -speech"))
    assert sorted(got) == ["2401.00001", "2401.00002"]


def test_highlighting_escapes_html(engine: Engine, search_engine: str) -> None:
    """The source text is escaped; only the matches are wrapped in <mark>."""
    [hit] = search(engine, search_engine, "transformers tags author:mallory")
    assert hit.title_html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Transformers</mark> &amp; Friends"
    assert hit.snippet_html == "<mark>Tags</mark> like &lt;b&gt; stay text &amp; safe."
    [hit] = search(engine, search_engine, '"graph neural" author:lovelace')
    assert hit.title_html == "<mark>Graph</mark> <mark>Neural</mark> Networks for Molecules"


def test_operators_in_words_are_plain_text(engine: Engine, search_engine: str) -> None:
    """Engine syntax typed by a user is searched for, never interpreted or an error."""
    for q in ['NEAR(graph neural)', 'title:graph OR *', '" AND "', "robots^5 {abstract}:x", "'; DROP TABLE papers"]:
        search(engine, search_engine, q)
    assert arxiv_ids(engine, search(engine, search_engine, "robots^5")) == ["2401.00005"]


def test_paging(engine: Engine, search_engine: str) -> None:
    """limit and offset page through one ranking."""
    everything = search(engine, search_engine, "graph", limit=10)
    assert search(engine, search_engine, "graph", limit=1, offset=1) == everything[1:2]


def test_index_follows_a_changed_title(engine: Engine, search_engine: str) -> None:
    """A re-import that changes a title (a new version) is searchable at once; the old words are gone."""
    load(engine, [paper("2401.00005", "Walking Machines", "Policies learned in the real world.",
                        authors="Ada Yonath", cats="cs.RO", day="2024-06-01", version=2)])
    assert arxiv_ids(engine, search(engine, search_engine, "walking")) == ["2401.00005"]
    assert arxiv_ids(engine, search(engine, search_engine, "reinforcement")) == []
    load(engine, [paper("2402.00009", "Walking Robots Again", "More walking.", day="2024-07-01")])
    assert arxiv_ids(engine, search(engine, search_engine, "walking")) == ["2402.00009", "2401.00005"]


def test_merged_and_deleted_papers_do_not_appear(engine: Engine, search_engine: str) -> None:
    """A paper imported again is one hit, not two; a deleted paper is never returned."""
    load(engine, CORPUS[:1])
    assert arxiv_ids(engine, search(engine, search_engine, "molecules")) == ["2401.00001"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM papers WHERE arxiv_id = '2401.00001'"))
    assert search(engine, search_engine, "molecules") == []


def test_tantivy_index_is_kept_for_its_own_database(engine: Engine, search_engine: str) -> None:
    """In "auto" mode the tantivy index answers only when it was built from this database."""
    hits = keyword_search(engine, parse_query("robots"), index_dir=index_dir())
    assert [h.paper_id for h in hits] == [h.paper_id for h in search(engine, search_engine, "robots")]
    assert index_dir().exists() == (search_engine == "tantivy")


def _word_corpus(n: int) -> list[dict[str, object]]:
    """``n`` papers whose titles say which groups they belong to (every 2nd, 3rd, 5th paper)."""
    out = []
    for i in range(1, n + 1):
        words = [w for w, k in (("even", 2), ("third", 3), ("fifth", 5)) if i % k == 0] or ["plain"]
        out.append(paper(f"2403.{i:05d}", f"Paper {' '.join(words)} number{i}", f"Abstract about {' '.join(words)}.",
                         day=(date(2024, 1, 1) + timedelta(days=i)).isoformat()))
    return out


def _search_in_child(path: Path, expected: list[tuple[int, float]]) -> None:
    from paperstand.search import tantivy_index

    got = tantivy_index.tantivy_search(path, parse_query("even"), limit=50, offset=0)
    raise SystemExit(0 if got == expected else 1)


def test_sharded_index_finds_what_one_index_finds(engine: Engine, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """An index built in shards answers with the same papers as one index: every shard is searched, pages
    neither overlap nor skip, filter-only queries keep newest-first order, and updates reach the right shard."""
    from paperstand.search import tantivy_index

    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path / "var"))
    load(engine, _word_corpus(60))
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    assert reindex(engine, single, database=False, shards=1) == 60
    assert reindex(engine, sharded, database=False, shards=3) == 60
    assert tantivy_index.shard_paths(sharded) == [sharded / "s0", sharded / "s1", sharded / "s2"]
    assert sum(tantivy_index.open_index(p).searcher().num_docs for p in tantivy_index.shard_paths(sharded)) == 60

    def ids(index_dir: Path, query: str, **kw: int) -> list[int]:
        return [h.paper_id for h in keyword_search(engine, parse_query(query), index_dir=index_dir,
                                                   engine="tantivy", **kw)]

    for query in ("even", "third fifth", '"paper even"', "even -third", "number7", "cat:cs.LG even"):
        assert sorted(ids(sharded, query, limit=100)) == sorted(ids(single, query, limit=100)), query
    # the same ranking on each shard's side: pages of one query cover its whole list exactly once
    whole = ids(sharded, "even", limit=100)
    pages = [pid for start in range(0, 40, 7) for pid in ids(sharded, "even", limit=7, offset=start)]
    assert pages == whole and len(whole) == 30
    # only filters: newest first, exactly as one index orders them
    assert ids(sharded, "cat:cs.LG", limit=100) == ids(single, "cat:cs.LG", limit=100)
    # a process forked after searching (a worker) searches the shards with threads of its own
    expected = tantivy_index.tantivy_search(sharded, parse_query("even"), limit=50, offset=0)
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_search_in_child, args=(sharded, expected))
    child.start()
    child.join(60)
    assert child.exitcode == 0

    # a changed title and a new paper go to their shards through the ordinary sync
    load(engine, [paper("2403.00007", "Walking Machines", "Changed.", day="2024-01-08", version=2),
                  paper("2404.00001", "Walking Robots", "New.", day="2024-04-01")], into=sharded)
    assert len(ids(sharded, "walking")) == 2
    assert ids(sharded, "number7") == []
    # a rebuild in one shard empties the shard folders it no longer uses
    assert reindex(engine, sharded, database=False, shards=1) == 61
    assert tantivy_index.shard_paths(sharded) == [sharded]
    assert tantivy_index.open_index(sharded / "s0").searcher().num_docs == 0
    assert sorted(ids(sharded, "even", limit=100)) == sorted(ids(single, "even", limit=100))
