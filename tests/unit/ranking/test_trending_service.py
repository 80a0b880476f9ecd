"""Stored trending scores on SQLite and PostgreSQL: one paper's refresh, the bulk job, and that they agree."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from tests.unit.ranking.trending_rows import NOW, claim, comment, member, paper, random_community, vote

from paperstand.ranking.models import TrendingScore
from paperstand.ranking.queries import as_trending
from paperstand.ranking.service import recompute_all, refresh_paper, score_paper
from paperstand.ranking.trending import trending_score

H = timedelta(hours=1)


def _rows(session: Session) -> dict[int, TrendingScore]:
    session.expire_all()
    return {r.paper_id: r for r in session.execute(select(TrendingScore)).scalars()}


def test_one_paper_what_counts_and_what_does_not(engine: Engine) -> None:
    with Session(engine) as s:
        old = NOW - timedelta(days=90)
        submitter, author, claimant, fresh, other = (member(s, n, joined=old) for n in
                                                     ("sub", "auth", "claimant", "x", "other"))
        young = member(s, "young", joined=NOW - 3 * H)
        banned_m = member(s, "troll", joined=old, banned=True)
        pid = paper(s, "Attention", published=NOW - 30 * H, stars=230, submitter=submitter)
        claim(s, pid, author, "approved")
        claim(s, pid, claimant, "pending")
        for voter in (submitter, author, claimant, fresh, other, banned_m):
            vote(s, pid, voter, NOW - 2 * H)
        vote(s, pid, young, NOW - H)  # two hours after joining: half
        for gone in ({"deleted": True}, {"hidden": True}, {}):
            comment(s, pid, fresh, NOW - H, **gone)
        refresh_paper(s, paper_id=pid, now=NOW)
        s.commit()
        row = _rows(s)[pid]
    # Counted: claimant (a pending claim verifies nothing), x, other, and young (half); not sub, auth or troll.
    assert (row.votes, row.comments, row.stars) == (3.5, 1, 230)
    expected = trending_score(votes=[(NOW - 2 * H, 1.0)] * 3 + [(NOW - H, 0.5)], comments=[NOW - H], stars=230,
                              published_at=NOW - 30 * H, now=NOW)
    assert as_trending(row) == expected and row.computed_at == NOW
    # log2(4.5) = 2.17, 0.2 log2(231) = 1.57, 0.5 log2(2) = 0.5, -30/24 = -1.25 (halves up: -1.2)
    assert (row.votes_part, row.stars_part, row.comments_part, row.age_part, row.score) == (2.2, 1.6, 0.5, -1.2, 3.1)


def test_the_first_seen_time_stands_in_for_a_missing_date(engine: Engine) -> None:
    with Session(engine) as s:
        voter = member(s, "ada", joined=NOW - timedelta(days=9))
        pid = paper(s, "Undated", published=None, first_seen=NOW - 48 * H)
        vote(s, pid, voter, NOW - H)
        refresh_paper(s, paper_id=pid, now=NOW)
        s.commit()
        assert _rows(s)[pid].age_hours == 48.0 and _rows(s)[pid].age_part == -2.0


def test_bulk_equals_refreshing_each_paper(engine: Engine) -> None:
    with Session(engine) as s:
        ids = random_community(s, seed=7)
        report = recompute_all(s, now=NOW)
        bulk = _rows(s)
        expected = {pid: t for pid in ids if (t := score_paper(s, paper_id=pid, now=NOW)) is not None and t.trends}
        assert report.scored == len(bulk) == len(expected) and 0 < len(expected) < len(ids)
        assert {pid: as_trending(r) for pid, r in bulk.items()} == expected
        assert all(r.computed_at == NOW for r in bulk.values())
        s.execute(text("DELETE FROM trending_scores"))
        for pid in ids:
            refresh_paper(s, paper_id=pid, now=NOW)
        s.commit()
        one_by_one = _rows(s)
        assert {pid: as_trending(r) for pid, r in one_by_one.items()} == expected


def test_papers_that_stop_trending_lose_their_row(engine: Engine) -> None:
    with Session(engine) as s:
        voter = member(s, "ada", joined=NOW - timedelta(days=9))
        quiet, busy = paper(s, "Quiet", published=NOW - 10 * H), paper(s, "Busy", published=NOW - 10 * H)
        vote(s, quiet, voter, NOW - H)
        vote(s, busy, voter, NOW - H)
        s.commit()  # the bulk job reads what is committed (on two connections)
        assert recompute_all(s, now=NOW).scored == 2
        vote(s, busy, member(s, "bob", joined=NOW - timedelta(days=9)), NOW + 6 * 24 * H)
        s.commit()
        later = recompute_all(s, now=NOW + 7 * 24 * H)  # the quiet paper's only vote is now a week old
        assert (later.scored, later.removed) == (1, 1) and set(_rows(s)) == {busy}
        refresh_paper(s, paper_id=busy, now=NOW + 30 * 24 * H)
        s.commit()
        assert _rows(s) == {}


def test_the_bulk_job_never_overwrites_a_later_refresh(engine: Engine) -> None:
    with Session(engine) as s:
        ada, bob = member(s, "ada", joined=NOW - timedelta(days=9)), member(s, "bob", joined=NOW - timedelta(days=9))
        pid = paper(s, "Race", published=NOW - 10 * H)
        vote(s, pid, ada, NOW - H)
        s.commit()
        # A vote lands while the job runs: its refresh (later) commits before the job's write (earlier).
        vote(s, pid, bob, NOW + H)
        refresh_paper(s, paper_id=pid, now=NOW + H)
        s.commit()
        recompute_all(s, now=NOW)
        row = _rows(s)[pid]
        assert (row.votes, row.computed_at) == (2.0, NOW + H)


def test_a_recompute_moves_the_data_version(engine: Engine) -> None:
    with Session(engine) as s:
        pid = paper(s, "Cached", published=NOW - 10 * H)
        comment(s, pid, member(s, "ada", joined=NOW - timedelta(days=9)), NOW - H)
        s.commit()
        before = s.execute(text("SELECT version FROM data_version WHERE id = 3")).scalar_one()
        recompute_all(s, now=NOW)
        assert s.execute(text("SELECT version FROM data_version WHERE id = 3")).scalar_one() > before


def test_unchanged_scores_are_not_written_again(engine: Engine) -> None:
    with Session(engine) as s:
        ids = random_community(s, seed=11)
        first = recompute_all(s, now=NOW)
        assert first.written == first.scored > 0
        version = s.execute(text("SELECT version FROM data_version WHERE id = 3")).scalar_one()
        again = recompute_all(s, now=NOW + timedelta(seconds=30))
        # Nothing moved in 30 s (age counts whole hours; no vote or comment left the window): no write at all,
        # so the page cache stays valid.
        assert (again.scored, again.written, again.removed) == (first.scored, 0, 0)
        assert s.execute(text("SELECT version FROM data_version WHERE id = 3")).scalar_one() == version
        assert all(r.computed_at == NOW for r in _rows(s).values())
        later = recompute_all(s, now=NOW + 2 * H)
        assert 0 < later.written <= later.scored
        expected = {pid: t for pid in ids if (t := score_paper(s, paper_id=pid, now=NOW + 2 * H)) and t.trends}
        assert {pid: as_trending(r) for pid, r in _rows(s).items()} == expected


def test_times_written_by_hand_in_another_layout_still_count(engine: Engine) -> None:
    with Session(engine) as s:
        ada = member(s, "ada", joined=NOW - timedelta(days=9))
        pid = paper(s, "Hand", published=NOW - 10 * H)
        s.commit()
        # Raw SQL, a time without its fraction: SQLite keeps the text as given, unlike SQLAlchemy's writes.
        s.execute(text("INSERT INTO votes (paper_id, member_id, created_at) VALUES (:p, :m, :t)"),
                  {"p": pid, "m": ada, "t": (NOW - 3 * H).strftime("%Y-%m-%d %H:%M:%S")})
        s.commit()
        assert recompute_all(s, now=NOW).scored == 1
        row = _rows(s)[pid]
        assert as_trending(row) == score_paper(s, paper_id=pid, now=NOW)
        assert (row.votes, row.votes_since) == (1.0, (NOW - 3 * H).replace(microsecond=0))
