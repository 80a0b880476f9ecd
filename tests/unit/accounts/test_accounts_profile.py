"""/u/{name}'s data: submissions still shown, approved claims, upvotes only when shared, visible comments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts import profile
from paperstand.accounts.models import Member
from paperstand.community.models import AuthorClaim, Comment, Vote
from paperstand.errors import NotFound
from paperstand.papers.models import DailyPick, Paper

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _paper(s: Session, n: int) -> Paper:
    paper = Paper(arxiv_id=f"2603.{n:05d}", title_key=f"k{n}", title=f"Paper number {n}", abstract="About it.",
                  authors=["A. Author"], categories=["cs.CL"], sources=["test"], first_seen_at=NOW,
                  last_changed_at=NOW)
    s.add(paper)
    s.flush()
    return paper


def _fill(engine: Engine, member_id: int, other_id: int) -> None:
    with Session(engine) as s:
        papers = [_paper(s, n) for n in range(1, 26)]
        for i, p in enumerate(papers[:22]):  # 22 submissions, the last one hidden by a moderator
            s.add(DailyPick(day=date(2026, 3, 1) + timedelta(days=i), paper_id=p.id, position=1, source="local",
                            member_id=member_id, submitted_at=NOW + timedelta(days=i),
                            hidden_at=NOW if i == 21 else None))
        s.add(DailyPick(day=date(2026, 3, 1), paper_id=papers[22].id, position=2, source="local", member_id=other_id))
        s.add(AuthorClaim(paper_id=papers[0].id, member_id=member_id, author_index=0, author_name="A. Author",
                          status="approved", created_at=NOW, decided_at=NOW))
        s.add(AuthorClaim(paper_id=papers[1].id, member_id=member_id, author_index=0, author_name="A. Author",
                          status="pending", created_at=NOW))
        s.add_all([Vote(paper_id=papers[i].id, member_id=member_id, created_at=NOW + timedelta(minutes=i))
                   for i in (3, 4)])
        body = "A thoughtful remark " * 30
        s.add_all([Comment(paper_id=papers[0].id, member_id=member_id, body=body, html="<p>x</p>",
                           created_at=NOW + timedelta(hours=1)),
                   Comment(paper_id=papers[1].id, member_id=member_id, body="Short and sweet.", html="<p>x</p>",
                           created_at=NOW + timedelta(hours=2)),
                   Comment(paper_id=papers[1].id, member_id=member_id, body="deleted", html="", created_at=NOW,
                           deleted_at=NOW),
                   Comment(paper_id=papers[1].id, member_id=member_id, body="hidden", html="", created_at=NOW,
                           hidden_at=NOW, hidden_reason="rude"),
                   Comment(paper_id=papers[2].id, member_id=other_id, body="not hers", html="", created_at=NOW)])
        s.commit()


def test_profile_lists_what_is_public_newest_first_capped_with_a_count(engine: Engine) -> None:
    ada, bob = make_member(engine, "Ada"), make_member(engine, "bob")
    _fill(engine, ada.id, bob.id)
    with Session(engine) as s:
        page = profile.profile(s, name="ada")
        assert page.member.name == "Ada"
        assert page.submitted.total == 21 and len(page.submitted.items) == profile.SHOWN
        assert page.submitted.items[0].paper.title == "Paper number 21"  # newest first; the hidden 22nd is gone
        assert all(c.pick is not None and c.pick.member_id == ada.id for c in page.submitted.items)
        assert [c.paper.title for c in page.claimed.items] == ["Paper number 1"] and page.claimed.total == 1
        assert page.upvoted is None  # private unless the member shares them
        assert [line.excerpt for line in page.comments.items][0] == "Short and sweet."
        assert page.comments.total == 2 and page.comments.items[1].excerpt.endswith("…")
        assert len(page.comments.items[1].excerpt) <= profile.EXCERPT + 2


def test_upvotes_show_when_the_member_shares_them(engine: Engine) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    _fill(engine, ada.id, bob.id)
    with Session(engine) as s:
        s.get(Member, ada.id).show_upvotes = True  # type: ignore[union-attr]
        s.commit()
        page = profile.profile(s, name="ADA")
        assert page.upvoted is not None
        assert [c.paper.title for c in page.upvoted.items] == ["Paper number 5", "Paper number 4"]


def test_an_empty_profile_and_an_unknown_name(engine: Engine) -> None:
    make_member(engine, "quiet")
    with Session(engine) as s:
        page = profile.profile(s, name="quiet")
        assert (page.submitted.total, page.claimed.total, page.comments.total) == (0, 0, 0)
        with pytest.raises(NotFound):
            profile.profile(s, name="nobody")
        with pytest.raises(NotFound):
            profile.profile(s, name="x" * 5000)
