"""Digests rank by the stored trending score when papers have one, as /papers/trending does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.unit.ranking.trending_rows import NOW, member, paper, vote

from paperstand.digests.select import Candidate, Topics, select_digest
from paperstand.digests.send import period_papers
from paperstand.papers.periods import day_period
from paperstand.ranking.service import recompute_all

D1 = date(2026, 3, 2)


def _c(pid: int, upvotes: int, trending: float | None = None, pos: int = 1) -> Candidate:
    return Candidate(pid, f"Paper {pid}", "An abstract.", ("cs.LG",), upvotes, D1, pos, trending)


def test_scored_papers_come_first_by_score_then_the_rest_by_upvotes() -> None:
    candidates = [_c(1, 90), _c(2, 5, 1.5), _c(3, 40), _c(4, 0, 3.2), _c(5, 7, -2.0), _c(6, 1, 1.5, pos=0)]
    items = select_digest(candidates, Topics(), limit=10, period_word="today")
    assert [i.candidate.paper_id for i in items] == [4, 2, 6, 5, 1, 3]
    assert [i.reasons for i in items[:4]] == [("top 3 today",)] * 3 + [("featured today",)]


def test_without_scores_the_order_is_the_upvotes_as_before() -> None:
    candidates = [_c(1, 10), _c(2, 50, pos=2), _c(3, 5)]
    assert [i.candidate.paper_id for i in select_digest(candidates, Topics(), 10, "today")] == [2, 1, 3]
    assert [i.candidate.paper_id for i in select_digest([replace(c, trending=None) for c in candidates],
                                                        Topics(), 10, "today")] == [2, 1, 3]


def test_a_periods_papers_carry_their_stored_score(engine: Engine) -> None:
    with Session(engine) as s:
        voters = [member(s, f"v{i}", joined=NOW - timedelta(days=40)) for i in range(4)]
        popular = paper(s, "Popular on HF", published=NOW - timedelta(hours=20), day=NOW.date(), upvotes=99)
        voted = paper(s, "Voted here", published=NOW - timedelta(hours=20), day=NOW.date(), upvotes=1)
        for voter in voters:
            vote(s, voted, voter, NOW - timedelta(hours=1))
        s.commit()
        recompute_all(s, now=NOW)
        selector, _ = period_papers(s, day_period(NOW.date()))
    assert [(c.paper_id, c.trending) for c in selector.ranked] == [(voted, 1.5), (popular, None)]
