"""Votes: one per member per paper, idempotent up and down, counted for cards in one query, apart from HF's."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.community.models import Vote
from paperstand.community.vote_counts import local_counts, voted_among
from paperstand.community.votes import cast_vote, toggle, unvote, upvote, vote_state
from paperstand.errors import BadRequest, NotFound
from paperstand.ingest.record import PaperRecord
from paperstand.papers.queries import cards_for, featured, find_card, find_paper
from paperstand.papers.store import store_batch

DAY = date(2025, 3, 11)
NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)


def _papers(engine: Engine) -> None:
    """Three papers featured on DAY: A (5 HF upvotes), B (2 HF upvotes), C (no HF signal); curated A, B, C."""
    with engine.begin() as conn:
        store_batch(conn, [
            PaperRecord(source="hf-daily", title="Paper A", arxiv_id="2503.00001", hf_upvotes=5, featured_on=DAY,
                        position=1),
            PaperRecord(source="hf-daily", title="Paper B", arxiv_id="2503.00002", hf_upvotes=2, featured_on=DAY,
                        position=2),
            PaperRecord(source="listing", title="Paper C", arxiv_id="hep-th/9901001", featured_on=DAY, position=3),
        ])


def _rows(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Vote)) or 0)


def test_upvote_is_idempotent_and_unvote_takes_it_back(engine: Engine) -> None:
    _papers(engine)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        first = upvote(s, public_id="2503.00001", member_id=ada.id, now=NOW)
        again = upvote(s, public_id="2503.00001v3", member_id=ada.id, now=NOW)  # any form of the id
        assert (first.local, first.voted, first.hf, first.total) == (1, True, 5, 6)
        assert (again.local, again.voted, again.total) == (1, True, 6)
        assert _rows(engine) == 1
        down = unvote(s, public_id="2503.00001", member_id=ada.id, now=NOW)
        assert (down.local, down.voted, down.total) == (0, False, 5)
        assert unvote(s, public_id="2503.00001", member_id=ada.id, now=NOW).local == 0
        assert _rows(engine) == 0


def test_toggle_flips_and_cast_vote_names_the_actions(engine: Engine) -> None:
    _papers(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    with Session(engine) as s:
        assert toggle(s, public_id="hep-th/9901001", member_id=ada.id, now=NOW).voted is True
        state = cast_vote(s, public_id="hep-th/9901001", member_id=bob.id, action="up", now=NOW)
        assert (state.local, state.hf, state.total) == (2, None, 2)  # no HF signal: nothing added
        assert toggle(s, public_id="hep-th/9901001", member_id=ada.id, now=NOW).voted is False
        state = cast_vote(s, public_id="hep-th/9901001", member_id=bob.id, action="down", now=NOW)
        assert (state.local, state.voted) == (0, False)
        assert cast_vote(s, public_id="hep-th/9901001", member_id=bob.id, action="toggle", now=NOW).voted
        with pytest.raises(BadRequest):
            cast_vote(s, public_id="hep-th/9901001", member_id=bob.id, action="sideways", now=NOW)
        assert vote_state(s, public_id="hep-th/9901001", member_id=bob.id).voted is True
        assert vote_state(s, public_id="hep-th/9901001", member_id=ada.id).voted is False
        assert vote_state(s, public_id="hep-th/9901001", member_id=None).local == 1


@pytest.mark.parametrize("bad", ["2599.99999", "ps-000000000000", "", "../../etc/passwd", "x" * 5000,
                                 "'; DROP TABLE votes; --", "2503.00001" + "9" * 200])
def test_unknown_and_hostile_ids_are_not_found(engine: Engine, bad: str) -> None:
    _papers(engine)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        with pytest.raises(NotFound):
            upvote(s, public_id=bad, member_id=ada.id, now=NOW)
        with pytest.raises(NotFound):
            unvote(s, public_id=bad, member_id=ada.id, now=NOW)
    assert _rows(engine) == 0


def test_cards_carry_local_and_hf_upvotes_and_the_viewers_own_votes(engine: Engine) -> None:
    _papers(engine)
    members = [make_member(engine, f"m{i}") for i in range(4)]
    with Session(engine) as s:
        for m in members:  # C gets four votes here, B one
            upvote(s, public_id="hep-th/9901001", member_id=m.id, now=NOW)
        upvote(s, public_id="2503.00002", member_id=members[0].id, now=NOW)
        ids = {pid: find_paper(s, pid).id for pid in ("2503.00001", "2503.00002", "hep-th/9901001")}  # type: ignore[union-attr]
        assert local_counts(s, list(ids.values())) == {ids["2503.00002"]: 1, ids["hep-th/9901001"]: 4}
        assert voted_among(s, member_id=members[0].id, paper_ids=list(ids.values())) == {
            ids["2503.00002"], ids["hep-th/9901001"]}
        assert voted_among(s, member_id=members[1].id, paper_ids=[]) == set()
        cards = featured(s, sort="top", member_id=members[1].id)
        # Top orders by the sum: A 0 + 5 = 5, C 4 + 0 = 4, B 1 + 2 = 3.
        assert [(c.paper.public_id, c.local_upvotes, c.hf_upvotes, c.upvotes, c.voted) for c in cards] == [
            ("2503.00001", 0, 5, 5, False), ("hep-th/9901001", 4, None, 4, True), ("2503.00002", 1, 2, 3, False)]
        for name in ("m8", "m9"):  # C: 6 + 0 now beats A's 0 + 5
            upvote(s, public_id="hep-th/9901001", member_id=make_member(engine, name).id, now=NOW)
        assert [c.paper.public_id for c in featured(s, sort="top")][:2] == ["hep-th/9901001", "2503.00001"]
        assert [c.paper.public_id for c in featured(s, sort="publishedAt")] == [
            "2503.00001", "2503.00002", "hep-th/9901001"]  # curated order ignores votes
        card = find_card(s, "hep-th/9901001", member_id=members[2].id)
        assert card is not None and (card.local_upvotes, card.upvotes, card.voted) == (6, 6, True)
        anonymous = cards_for(s, [card.paper])
        assert anonymous[0].voted is False and anonymous[0].local_upvotes == 6


def test_fifty_identical_upvotes_at_once_leave_one_row(engine: Engine) -> None:
    """Each thread has its own session and connection, as concurrent requests do."""
    _papers(engine)
    ada = make_member(engine, "ada")

    def up(_: int) -> int:
        with Session(engine) as s:
            return upvote(s, public_id="2503.00002", member_id=ada.id, now=NOW).local

    with ThreadPoolExecutor(16) as pool:
        counts = list(pool.map(up, range(50)))
    assert set(counts) == {1} and _rows(engine) == 1

    def down(_: int) -> int:
        with Session(engine) as s:
            return unvote(s, public_id="2503.00002", member_id=ada.id, now=NOW).local

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(down, range(50))) == {0}
    assert _rows(engine) == 0
