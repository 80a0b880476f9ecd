"""Votes recorded in one batch: each answered as alone, in order, with the batch's commit counts."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.community.models import Vote
from paperstand.community.votes import Ballot, VoteState, record_many, unvote, upvote
from paperstand.errors import NotFound
from paperstand.ingest.record import PaperRecord
from paperstand.papers.queries import find_paper_refs
from paperstand.papers.store import store_batch
from paperstand.ranking.models import TrendingScore

DAY = date(2025, 3, 11)
NOW = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
IDS = ["2503.00001", "2503.00002", "hep-th/9901001"]


def _papers(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [
            PaperRecord(source="hf-daily", title="Paper A", arxiv_id=IDS[0], hf_upvotes=5, featured_on=DAY,
                        position=1),
            PaperRecord(source="listing", title="Paper B", arxiv_id=IDS[1], featured_on=DAY, position=2),
            PaperRecord(source="listing", title="Paper C", arxiv_id=IDS[2], featured_on=DAY, position=3),
        ])


def _votes(engine: Engine) -> set[tuple[int, int]]:
    with Session(engine) as s:
        return {(p, m) for p, m in s.execute(select(Vote.paper_id, Vote.member_id))}


def _scores(engine: Engine) -> dict[int, float]:
    with Session(engine) as s:
        return {p: float(v) for p, v in s.execute(select(TrendingScore.paper_id, TrendingScore.score))}


def test_a_batch_keeps_order_and_answers_with_the_commits_counts(engine: Engine) -> None:
    _papers(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    with Session(engine) as s:
        answers = record_many(s, [Ballot(IDS[0], ada.id, True), Ballot(IDS[0], bob.id, True),
                                  Ballot("2503.00001v2", ada.id, False), Ballot(IDS[1], ada.id, True)], now=NOW)
    states = [a for a in answers if isinstance(a, VoteState)]
    assert len(states) == 4
    # Ada's vote on A was cast and then taken back in the same batch: A ends with Bob's vote alone.
    assert [(a.paper.public_id, a.local, a.hf, a.voted) for a in states] == [
        (IDS[0], 1, 5, True), (IDS[0], 1, 5, True), (IDS[0], 1, 5, False), (IDS[1], 1, None, True)]
    assert len(_votes(engine)) == 2


def test_an_unknown_paper_is_refused_alone(engine: Engine) -> None:
    _papers(engine)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        answers = record_many(s, [Ballot("2599.99999", ada.id, True), Ballot(IDS[2], ada.id, True),
                                  Ballot("", ada.id, True), Ballot("\x00" * 500, ada.id, True)], now=NOW)
    assert isinstance(answers[0], NotFound) and isinstance(answers[2], NotFound) and isinstance(answers[3], NotFound)
    assert isinstance(answers[1], VoteState) and answers[1].local == 1
    assert len(_votes(engine)) == 1


def test_fifty_identical_ballots_leave_one_vote(engine: Engine) -> None:
    _papers(engine)
    ada = make_member(engine, "ada")
    with Session(engine) as s:
        answers = record_many(s, [Ballot(IDS[0], ada.id, True)] * 50, now=NOW)
    assert {(a.local, a.voted) for a in answers if isinstance(a, VoteState)} == {(1, True)}
    assert len(_votes(engine)) == 1


def test_a_batch_ends_where_the_same_votes_one_by_one_end(engine: Engine) -> None:
    """Random ballots: the rows and stored scores match recording them one at a time (on a copy of the data)."""
    _papers(engine)
    members = [make_member(engine, f"m{n}") for n in range(6)]
    rng = random.Random(11)
    ballots = [Ballot(rng.choice(IDS), rng.choice(members).id, rng.random() < 0.7) for _ in range(60)]
    with Session(engine) as s:
        batched = record_many(s, ballots, now=NOW)
    rows, scores = _votes(engine), _scores(engine)
    with Session(engine) as s:  # undo, then the same ballots alone
        s.execute(Vote.__table__.delete())
        s.execute(TrendingScore.__table__.delete())
        s.commit()
        alone = [(upvote if b.up else unvote)(s, public_id=b.public_id, member_id=b.member_id,
                                              now=NOW + timedelta(0)) for b in ballots]
    assert _votes(engine) == rows
    assert _scores(engine) == scores
    # Each batched answer says what the batch's one commit left; alone, the last answer per paper says the same.
    last = {a.paper.id: a.local for a in alone}
    assert all(isinstance(a, VoteState) and a.local == last[a.paper.id] for a in batched)


def test_paper_refs_are_found_by_any_form_of_their_id(engine: Engine) -> None:
    _papers(engine)
    with Session(engine) as s:
        found = find_paper_refs(s, ["2503.00001v3", "https://arxiv.org/abs/2503.00002", "hep-th/9901001",
                                    "2599.99999", "nonsense", ""])
    assert {k: v.public_id for k, v in found.items()} == {
        "2503.00001v3": IDS[0], "https://arxiv.org/abs/2503.00002": IDS[1], "hep-th/9901001": IDS[2]}
