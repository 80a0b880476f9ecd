"""Moderation on SQLite and PostgreSQL: hiding, reports and their queue, bans, and one public log row per action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from comments_fixtures import DAY, pick_id, store_paper
from paperstand.accounts.models import Member
from paperstand.community import comments, moderation
from paperstand.community import moderation_queries as queries
from paperstand.community.counts import comment_counts
from paperstand.community.models import Comment, CommentFlag, ModerationAction
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.models import DailyPick

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
PAPER = "2503.04444"


def _comment(engine: Engine, member_id: int, body: str = "Buy cheap pills") -> int:
    with Session(engine) as s:
        return comments.post(s, paper_id=PAPER, member_id=member_id, body=body, now=T0,
                             site_url="http://x").comment.id


def _log(engine: Engine) -> list[tuple[str, str, int, str]]:
    with Session(engine) as s:
        rows = s.scalars(select(ModerationAction).order_by(ModerationAction.id))
        return [(r.action, r.target_kind, r.target_id, r.reason) for r in rows]


def test_hide_and_restore_a_comment_each_logged_once(engine: Engine) -> None:
    paper_id = store_paper(engine)
    eve, mo = make_member(engine, "eve"), make_member(engine, "mo", role="moderator")
    cid = _comment(engine, eve.id)
    with Session(engine) as s:
        assert moderation.hide_comment(s, comment_id=cid, moderator_id=mo.id, reason=" spam ", now=T0)
        assert not moderation.hide_comment(s, comment_id=cid, moderator_id=mo.id, reason="again", now=T0)
        hidden = s.get_one(Comment, cid)
        assert (hidden.hidden_at, hidden.hidden_reason) == (T0, "spam")
        assert comment_counts(s, [paper_id]) == {}
        [node] = comments.thread(s, paper_id=paper_id)
        assert node.state == "hidden"
        assert moderation.unhide_comment(s, comment_id=cid, moderator_id=mo.id, reason="was fine", now=T0)
        assert not moderation.unhide_comment(s, comment_id=cid, moderator_id=mo.id, reason="x", now=T0)
        assert comment_counts(s, [paper_id]) == {paper_id: 1}
        with pytest.raises(BadRequest, match="reason"):
            moderation.hide_comment(s, comment_id=cid, moderator_id=mo.id, reason="  ", now=T0)
        with pytest.raises(NotFound):
            moderation.hide_comment(s, comment_id=cid + 100, moderator_id=mo.id, reason="x", now=T0)
    assert _log(engine) == [("hide_comment", "comment", cid, "spam"), ("unhide_comment", "comment", cid, "was fine")]


def test_reports_fill_the_queue_until_a_moderator_acts(engine: Engine) -> None:
    store_paper(engine)
    eve, ada, bob = make_member(engine, "eve"), make_member(engine, "ada"), make_member(engine, "bob")
    mo = make_member(engine, "mo", role="moderator")
    spam, fine = _comment(engine, eve.id), _comment(engine, eve.id, "An honest question")
    with Session(engine) as s:
        assert moderation.flag(s, comment_id=spam, member_id=ada.id, reason="spam", now=T0)
        assert not moderation.flag(s, comment_id=spam, member_id=ada.id, reason="still spam", now=T0)
        assert moderation.flag(s, comment_id=spam, member_id=bob.id, reason="ads", now=T0 + timedelta(seconds=1))
        assert moderation.flag(s, comment_id=fine, member_id=ada.id, reason="rude?", now=T0 + timedelta(seconds=2))
        with pytest.raises(BadRequest, match="your own"):
            moderation.flag(s, comment_id=spam, member_id=eve.id, reason="oops", now=T0)
        with pytest.raises(BadRequest, match="reason"):
            moderation.flag(s, comment_id=fine, member_id=bob.id, reason="", now=T0)
        items = queries.queue(s)
        assert [(i.comment.id, i.author, [(r.member, r.reason) for r in i.reports]) for i in items] == [
            (spam, "eve", [("ada", "spam"), ("bob", "ads")]), (fine, "eve", [("ada", "rude?")])]
        assert queries.count_open_reports(s) == 2
        moderation.hide_comment(s, comment_id=spam, moderator_id=mo.id, reason="advertising", now=T0)
        assert moderation.dismiss_flags(s, comment_id=fine, moderator_id=mo.id, reason="a fair question", now=T0) == 1
        assert moderation.dismiss_flags(s, comment_id=fine, moderator_id=mo.id, reason="again", now=T0) == 0
        assert queries.queue(s) == [] and queries.count_open_reports(s) == 0
        assert all(f.resolved_at == T0 for f in s.scalars(select(CommentFlag)))
        with pytest.raises(BadRequest, match="already deleted or hidden"):
            moderation.flag(s, comment_id=spam, member_id=bob.id, reason="late", now=T0)
    assert [a[:3] for a in _log(engine)] == [("hide_comment", "comment", spam), ("dismiss_flags", "comment", fine)]


def test_hide_a_submission_by_pick_or_by_paper_and_day(engine: Engine) -> None:
    paper_id = store_paper(engine)
    mo = make_member(engine, "mo", role="moderator")
    pick = pick_id(engine, paper_id)
    with Session(engine) as s:
        assert moderation.hide_listed(s, paper_id=PAPER, day=DAY, moderator_id=mo.id, reason="off-topic", now=T0)
        assert not moderation.hide_submission(s, pick_id=pick, moderator_id=mo.id, reason="again", now=T0)
        row = s.get_one(DailyPick, pick)
        assert (row.hidden_at, row.hidden_reason) == (T0, "off-topic")
        assert moderation.hide_submission(s, pick_id=pick, moderator_id=mo.id, reason="on topic after all",
                                          now=T0, hidden=False)
        s.refresh(row)
        assert row.hidden_at is None and row.hidden_reason is None
        with pytest.raises(NotFound):
            moderation.hide_listed(s, paper_id=PAPER, day=DAY + timedelta(days=1), moderator_id=mo.id,
                                   reason="x", now=T0)
        with pytest.raises(NotFound):
            moderation.hide_submission(s, pick_id=pick + 100, moderator_id=mo.id, reason="x", now=T0)
    assert _log(engine) == [("hide_submission", "submission", pick, "off-topic"),
                            ("unhide_submission", "submission", pick, "on topic after all")]


def test_ban_by_name_through_set_ban(engine: Engine) -> None:
    store_paper(engine)
    eve, mo = make_member(engine, "Eve"), make_member(engine, "mo", role="moderator")
    with Session(engine) as s:
        member = moderation.ban_member(s, name=" EVE ", banned=True, reason="spam ring", moderator_id=mo.id, now=T0)
        assert member.id == eve.id and member.banned_at == T0
        with pytest.raises(BadRequest, match="yourself"):
            moderation.ban_member(s, name="mo", banned=True, reason="x", moderator_id=mo.id, now=T0)
        with pytest.raises(NotFound):
            moderation.ban_member(s, name="nobody", banned=True, reason="x", moderator_id=mo.id, now=T0)
        moderation.ban_member(s, name="eve", banned=False, reason="appeal", moderator_id=mo.id, now=T0)
        assert s.get_one(Member, eve.id).banned_at is None
    assert _log(engine) == [("ban", "member", eve.id, "spam ring"), ("unban", "member", eve.id, "appeal")]


def test_the_log_page_names_who_what_and_links_the_target(engine: Engine) -> None:
    paper_id = store_paper(engine)
    eve, mo = make_member(engine, "eve"), make_member(engine, "mo", role="moderator")
    cid = _comment(engine, eve.id)
    with Session(engine) as s:
        moderation.hide_comment(s, comment_id=cid, moderator_id=mo.id, reason="spam", now=T0)
        moderation.hide_submission(s, pick_id=pick_id(engine, paper_id), moderator_id=None, reason="dupe",
                                   now=T0 + timedelta(minutes=1))
        moderation.ban_member(s, name="eve", banned=True, reason="spam ring", moderator_id=mo.id,
                              now=T0 + timedelta(minutes=2))
        entries = queries.log_page(s)
        assert queries.count_log(s) == 3
        assert len(queries.log_page(s, page=2, per_page=2)) == 1
    assert [(e.moderator, e.verb, e.target, e.url, e.action.reason) for e in entries] == [
        ("mo", "banned", "@eve", "/u/eve", "spam ring"),
        ("", "hid", "the submission of “Counting Sheep with Transformers” on Mar 11, 2025", "/papers/date/2025-03-11",
         "dupe"),
        ("mo", "hid", f"comment #{cid} on “Counting Sheep with Transformers”", f"/papers/{PAPER}#comment-{cid}",
         "spam"),
    ]
