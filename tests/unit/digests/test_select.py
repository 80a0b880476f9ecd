"""Digest selection: exact items, order and reasons."""

from __future__ import annotations

from datetime import date

from paperstand.digests.select import Candidate, Topics, category_matches, keyword_matches, select_digest

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def _c(pid: int, upvotes: int, cats: tuple[str, ...], title: str = "", day: date = D1, pos: int = 1) -> Candidate:
    return Candidate(pid, title or f"Paper {pid}", "An abstract about graphs.", cats, upvotes, day, pos)


CANDIDATES = [
    _c(1, 10, ("cs.CL",), "Parsing with Transformers"),
    _c(2, 50, ("cs.CV", "cs.LG"), "Seeing Sheep", pos=2),
    _c(3, 5, ("math.OC",), "Convex Paragraphs"),
    _c(4, 50, ("cs.CL",), "Translation at Scale", day=D2),
    _c(5, 0, ("stat.ML",), "Diffusion for Tables"),
]


def _ids_and_reasons(items) -> list[tuple[int, tuple[str, ...]]]:
    return [(i.candidate.paper_id, i.reasons) for i in items]


def test_no_topics_means_everything_ranked_with_top_reasons() -> None:
    """Upvotes first, ties broken by the newer day; the first three say so."""
    items = select_digest(CANDIDATES, Topics(), limit=10, period_word="this week")
    assert _ids_and_reasons(items) == [
        (4, ("top 3 this week",)), (2, ("top 3 this week",)), (1, ("top 3 this week",)),
        (3, ("featured this week",)), (5, ("featured this week",)),
    ]


def test_topics_filter_and_explain() -> None:
    """Only matching papers; category and keyword reasons; the top-3 rank is global, not within matches."""
    items = select_digest(CANDIDATES, Topics(categories=("cs.CL",), keywords=("diffusion",)), 10, "today")
    assert _ids_and_reasons(items) == [
        (4, ("top 3 today", "matched cs.CL")),
        (1, ("top 3 today", "matched cs.CL")),
        (5, ("matched “diffusion”",)),
    ]


def test_limit() -> None:
    """No more than the subscriber's count."""
    assert [i.candidate.paper_id for i in select_digest(CANDIDATES, Topics(), 2, "today")] == [4, 2]


def test_archive_topic_and_whole_words() -> None:
    """"cs" matches any cs.* category; "graph" does not match "paragraph"."""
    assert category_matches("cs", ("math.OC", "cs.LG")) == "cs.LG"
    assert category_matches("cs.L", ("cs.LG",)) is None
    assert not keyword_matches("graph", Candidate(9, "Paragraph Vectors", "paragraphs", (), 0, D1, 1))
    assert keyword_matches("GRAPHS", CANDIDATES[0])
    assert not keyword_matches("  ", CANDIDATES[0])
