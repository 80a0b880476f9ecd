"""The read side of papers, with exact answers over a small dataset on both databases.

Featured days (March 2025; ISO week 11 is the 10th to the 16th):
  10th: Alpha (1st, 5 upvotes), Beta (2nd, 20 upvotes, submitted by ada)
  12th: Gamma (1st, 1 upvote), Delta (2nd, no arXiv id, no signals)
  17th: Epsilon (1st, 7 upvotes), Beta again (2nd)
Zeta is stored but never featured.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.ingest.record import PaperRecord, local_key_for
from paperstand.papers.periods import day_period, month_period, parse_week
from paperstand.papers.queries import (
    PaperCard,
    count_featured,
    count_papers,
    featured,
    find_paper,
    latest_day,
    neighbour_days,
    paper_card,
    period_page,
)
from paperstand.papers.store import store_batch

D10, D11, D12, D17 = date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12), date(2025, 3, 17)
W11 = parse_week("2025-W11")


def _paper(title: str, n: int | None, day: date | None, position: int | None, **extra: object) -> PaperRecord:
    return PaperRecord(source="arxiv-oai" if n else "listing", title=title,
                       arxiv_id=f"2503.0000{n}" if n else None, version=1 if n else None,
                       abstract=f"{title} abstract.", featured_on=day, position=position, **extra)  # type: ignore[arg-type]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session over the dataset in the module docstring."""
    with engine.begin() as conn:
        store_batch(conn, [
            _paper("Alpha", 1, D10, 1, hf_upvotes=5),
            _paper("Beta", 2, D10, 2, hf_upvotes=20, submitted_by="ada"),
            _paper("Gamma", 3, D12, 1, hf_upvotes=1),
            _paper("Delta", None, D12, 2),
            _paper("Epsilon", 5, D17, 1, hf_upvotes=7),
            _paper("Zeta", 6, None, None),
        ])
        store_batch(conn, [_paper("Beta", 2, D17, 2, hf_upvotes=20)])
    with Session(engine) as s:
        yield s


def _titles(cards: list[PaperCard]) -> list[str]:
    return [c.paper.title for c in cards]


def test_featured_newest_day_first_then_curated_order(session: Session) -> None:
    """Across all periods: day descending, then position; a paper featured twice appears twice."""
    assert _titles(featured(session)) == ["Epsilon", "Beta", "Gamma", "Delta", "Alpha", "Beta"]
    assert [c.pick.day for c in featured(session) if c.pick] == [D17, D17, D12, D12, D10, D10]
    assert _titles(featured(session, offset=1, limit=2)) == ["Beta", "Gamma"]


def test_featured_in_a_period_and_by_votes(session: Session) -> None:
    """A week holds its days only; trending puts upvotes first (no signal counts as 0)."""
    assert _titles(featured(session, W11)) == ["Gamma", "Delta", "Alpha", "Beta"]
    assert _titles(featured(session, W11, sort="trending")) == ["Beta", "Alpha", "Gamma", "Delta"]
    assert _titles(featured(session, day_period(D11))) == []


def test_featured_by_submitter_and_card_signals(session: Session) -> None:
    """Only the pick ada submitted; cards carry the signals, defaults where there are none."""
    [card] = featured(session, submitter="ada")
    assert (card.paper.title, card.pick.day if card.pick else None) == ("Beta", D10)
    assert (card.upvotes, card.num_comments, card.github_stars) == (20, 0, None)
    delta = featured(session, day_period(D12))[1]
    assert (delta.paper.title, delta.upvotes, delta.num_comments, delta.github_stars) == ("Delta", 0, 0, None)


def test_counts(session: Session) -> None:
    """Picks per period, and papers whether featured or not."""
    assert count_featured(session) == 6
    assert count_featured(session, W11) == 4
    assert count_featured(session, month_period(2025, 3)) == 6
    assert count_featured(session, day_period(D11)) == 0
    assert count_papers(session) == 6


def test_latest_and_neighbour_days(session: Session) -> None:
    """The newest featured day; the nearest featured days on either side, skipping empty days."""
    assert latest_day(session) == D17
    assert neighbour_days(session, D12) == (D10, D17)
    assert neighbour_days(session, D11) == (D10, D12)
    assert neighbour_days(session, D10) == (None, D12)
    assert neighbour_days(session, D17) == (D12, None)


def test_empty_database(engine: Engine) -> None:
    """No picks: no latest day, no neighbours, zero counts, an empty first page."""
    with Session(engine) as s:
        assert (latest_day(s), neighbour_days(s, D10), count_featured(s), count_papers(s)) == (None, (None, None), 0, 0)
        page = period_page(s, W11)
        assert (page.cards, page.total, page.pages, page.prev_day, page.next_day) == ([], 0, 1, None, None)


def test_find_paper_by_any_spelling_of_its_id(session: Session) -> None:
    """arXiv ids with or without version, abs URLs and local keys; anything else is None."""
    for spelling in ("2503.00002", "2503.00002v3", "https://arxiv.org/abs/2503.00002v1", "arXiv:2503.00002"):
        paper = find_paper(session, spelling)
        assert paper is not None and paper.title == "Beta", spelling
    delta = find_paper(session, local_key_for("Delta"))
    assert delta is not None and delta.title == "Delta" and delta.public_id == local_key_for("Delta")
    for unknown in ("2503.99999", "ps-000000000000", "not an id", ""):
        assert find_paper(session, unknown) is None, unknown


def test_paper_card_shows_the_latest_pick(session: Session) -> None:
    """A paper featured twice shows its most recent day; one never featured has no pick."""
    beta, zeta = find_paper(session, "2503.00002"), find_paper(session, "2503.00006")
    assert beta is not None and zeta is not None
    card = paper_card(session, beta)
    assert (card.pick.day if card.pick else None, card.upvotes) == (D17, 20)
    assert paper_card(session, zeta).pick is None


def test_period_page_pages_and_neighbours(session: Session) -> None:
    """Pages of a week in curated order, with the featured days just outside it; Top is the default order."""
    first = period_page(session, W11, page=1, per_page=3, sort="curated")
    assert (_titles(first.cards), first.total, first.pages) == (["Gamma", "Delta", "Alpha"], 4, 2)
    assert (first.prev_day, first.next_day) == (None, D17)
    second = period_page(session, W11, page=2, per_page=3, sort="curated")
    assert (_titles(second.cards), second.page) == (["Beta"], 2)
    top = period_page(session, W11, page=1, per_page=3)
    assert (_titles(top.cards), top.sort) == (["Beta", "Alpha", "Gamma"], "top")
    day = period_page(session, day_period(D12))
    assert (_titles(day.cards), day.prev_day, day.next_day) == (["Gamma", "Delta"], D10, D17)
    past = period_page(session, W11, page=3, per_page=3)
    assert (past.cards, past.total, past.pages) == ([], 4, 2)
