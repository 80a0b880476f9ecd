"""The comment service on SQLite and PostgreSQL: posting, threads, the edit window, deletion, idempotency, mentions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from tests.conftest import make_member

from comments_fixtures import store_paper
from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.community import comments
from paperstand.community.comments import EDIT_WINDOW, MAX_BODY, MAX_DEPTH, Conflict
from paperstand.community.counts import comment_counts
from paperstand.community.models import Comment
from paperstand.errors import BadRequest, NotFound
from paperstand.mail.models import OutgoingMail
from paperstand.papers.queries import find_card

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
SITE = "https://papers.example.org"
PAPER = "2503.04444"


def _post(engine: Engine, member_id: int, body: str = "A fine paper.", *, now: datetime = T0, paper: str = PAPER,
          parent_id: int | None = None, idempotency_key: str | None = None) -> comments.Posted:
    with Session(engine) as s:
        return comments.post(s, paper_id=paper, member_id=member_id, body=body, now=now, site_url=SITE,
                             parent_id=parent_id, idempotency_key=idempotency_key)


def _mails(engine: Engine) -> list[OutgoingMail]:
    with Session(engine) as s:
        return list(s.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_post_renders_markdown_and_counts_for_cards(engine: Engine) -> None:
    paper_id = store_paper(engine, hf_comments=12)
    ada = make_member(engine, "ada")
    posted = _post(engine, ada.id, "  **Bold** claim <img src=x onerror=alert(1)>\r\nsecond line  ")
    assert posted.created and posted.paper.id == paper_id
    assert posted.comment.body == "**Bold** claim <img src=x onerror=alert(1)>\nsecond line"
    assert posted.comment.html == "<p><strong>Bold</strong> claim &lt;img src=x onerror=alert(1)&gt;\nsecond line</p>\n"
    with Session(engine) as s:
        card = find_card(s, PAPER)
        assert card is not None and (card.local_comments, card.num_comments) == (1, 12)
        assert comment_counts(s, [paper_id, paper_id + 1]) == {paper_id: 1}


@pytest.mark.parametrize(("body", "message"), [
    ("", "empty"), ("   \n\t ", "empty"), ("x" * (MAX_BODY + 1), "at most 10,000"), ("a\x00b", "control"),
    ("a\x1bb", "control"), ("lone \ud800 surrogate", "control"),
])
def test_bodies_outside_the_rules_are_refused_with_a_reason(engine: Engine, body: str, message: str) -> None:
    store_paper(engine)
    ada = make_member(engine, "ada")
    with pytest.raises(BadRequest, match=message):
        _post(engine, ada.id, body)
    assert _post(engine, ada.id, "x" * MAX_BODY).created  # the limit itself is fine


def test_unknown_papers_and_bad_keys_are_refused(engine: Engine) -> None:
    store_paper(engine)
    ada = make_member(engine, "ada")
    with pytest.raises(NotFound):
        _post(engine, ada.id, paper="2501.99999")
    with pytest.raises(NotFound):
        _post(engine, ada.id, paper="not an id at all")
    for key in ("x" * 65, "with space", "caf\u00e9"):
        with pytest.raises(BadRequest, match="idempotency key"):
            _post(engine, ada.id, idempotency_key=key)


def test_same_idempotency_key_leaves_one_comment_and_one_mail(engine: Engine) -> None:
    store_paper(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    first = _post(engine, ada.id, "Thoughts, @bob?", idempotency_key="k-1")
    again = _post(engine, ada.id, "Thoughts, @bob?", idempotency_key="k-1", now=T0 + timedelta(seconds=5))
    assert first.created and not again.created and again.comment.id == first.comment.id
    # Another member may use the same key: keys are per member.
    assert _post(engine, bob.id, "Thoughts, @bob?", idempotency_key="k-1").created
    with pytest.raises(Conflict):
        _post(engine, ada.id, "Something else entirely", idempotency_key="k-1")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Comment)) == 2
    assert [m.dedupe_key for m in _mails(engine)] == [f"mention:{first.comment.id}:{bob.id}"]


def test_replies_nest_and_flatten_at_the_deepest_level(engine: Engine) -> None:
    paper_id = store_paper(engine)
    ada = make_member(engine, "ada")
    parent = None
    chain = []
    for depth in range(MAX_DEPTH + 2):
        posted = _post(engine, ada.id, f"level {depth}", parent_id=parent, now=T0 + timedelta(minutes=depth))
        chain.append(posted.comment)
        parent = posted.comment.id
    # The first MAX_DEPTH nest; deeper replies join the deepest level (as siblings of its comment).
    assert [c.parent_id for c in chain[:MAX_DEPTH]] == [None, *(c.id for c in chain[:MAX_DEPTH - 1])]
    assert chain[MAX_DEPTH].parent_id == chain[MAX_DEPTH - 2].id
    assert chain[MAX_DEPTH + 1].parent_id == chain[MAX_DEPTH - 2].id
    with Session(engine) as s:
        top = comments.thread(s, paper_id=paper_id)
    assert len(top) == 1
    nodes = top[0].walk()
    assert [n.comment.body for n in nodes] == [f"level {d}" for d in range(MAX_DEPTH + 2)]
    assert max(n.depth for n in nodes) == MAX_DEPTH - 1


def test_replies_must_be_to_a_live_comment_on_the_same_paper(engine: Engine) -> None:
    store_paper(engine)
    store_paper(engine, "2503.05555", title="Another paper")
    ada = make_member(engine, "ada")
    other = _post(engine, ada.id, paper="2503.05555").comment
    with pytest.raises(NotFound, match="to reply to"):
        _post(engine, ada.id, parent_id=other.id)
    with pytest.raises(NotFound):
        _post(engine, ada.id, parent_id=10**6)
    gone = _post(engine, ada.id, "soon gone").comment
    with Session(engine) as s:
        comments.delete(s, comment_id=gone.id, member_id=ada.id, now=T0)
    with pytest.raises(BadRequest, match="deleted or hidden"):
        _post(engine, ada.id, parent_id=gone.id)


def test_edit_within_the_window_only_by_the_author(engine: Engine) -> None:
    store_paper(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    cid = _post(engine, ada.id, "tpyo").comment.id
    with Session(engine) as s:
        with pytest.raises(NotAllowed):
            comments.edit(s, comment_id=cid, member_id=bob.id, body="mine now", now=T0, site_url=SITE)
        edited, _ = comments.edit(s, comment_id=cid, member_id=ada.id, body="*typo*",
                                  now=T0 + EDIT_WINDOW - timedelta(seconds=1), site_url=SITE)
        assert (edited.body, edited.html, edited.edited_at) == ("*typo*", "<p><em>typo</em></p>\n",
                                                                T0 + EDIT_WINDOW - timedelta(seconds=1))
        with pytest.raises(BadRequest, match="15 minutes"):
            comments.edit(s, comment_id=cid, member_id=ada.id, body="late", now=T0 + EDIT_WINDOW, site_url=SITE)
        with pytest.raises(BadRequest, match="empty"):
            comments.edit(s, comment_id=cid, member_id=ada.id, body=" ", now=T0, site_url=SITE)
        with pytest.raises(NotFound):
            comments.edit(s, comment_id=10**6, member_id=ada.id, body="x", now=T0, site_url=SITE)
        assert s.get_one(Comment, cid).body == "*typo*"


def test_the_edit_guard_holds_even_when_the_check_was_passed(engine: Engine) -> None:
    """A moderator's hide landing between the check and the UPDATE: the UPDATE's own guard refuses."""
    store_paper(engine)
    ada = make_member(engine, "ada")
    cid = _post(engine, ada.id, "original").comment.id
    with Session(engine) as s:
        s.get_one(Comment, cid)  # loaded (and checked) before the hide below
        with engine.begin() as conn:
            conn.execute(update(Comment).where(Comment.id == cid).values(hidden_at=T0, hidden_reason="spam"))
        with pytest.raises(BadRequest):
            comments.edit(s, comment_id=cid, member_id=ada.id, body="sneaky", now=T0, site_url=SITE)
    with Session(engine) as s:
        assert s.get_one(Comment, cid).body == "original"


def test_edits_mail_only_newly_mentioned_members(engine: Engine) -> None:
    store_paper(engine)
    ada, bob, cy = make_member(engine, "ada"), make_member(engine, "bob"), make_member(engine, "cy")
    cid = _post(engine, ada.id, "cc @bob").comment.id
    with Session(engine) as s:
        comments.edit(s, comment_id=cid, member_id=ada.id, body="cc @bob and @cy", now=T0, site_url=SITE)
        comments.edit(s, comment_id=cid, member_id=ada.id, body="cc @cy @bob", now=T0, site_url=SITE)
    assert [m.dedupe_key for m in _mails(engine)] == [f"mention:{cid}:{bob.id}", f"mention:{cid}:{cy.id}"]


def test_mention_mail_goes_through_the_outbox_to_members_who_want_it(engine: Engine) -> None:
    store_paper(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    quiet = make_member(engine, "quiet")
    make_member(engine, "banned", banned=True)
    make_member(engine, "newbie", verified=False)
    with Session(engine) as s:
        s.execute(update(Member).where(Member.id == quiet.id).values(notify_mentions=False))
        s.commit()
    body = "@BOB look, and @ada @quiet @banned @newbie @nobody — `@bob` again"
    cid = _post(engine, ada.id, body).comment.id
    [mail] = _mails(engine)
    assert (mail.kind, mail.to_address, mail.dedupe_key) == ("mention", bob.email, f"mention:{cid}:{bob.id}")
    assert mail.subject == "@ada mentioned you on “Counting Sheep with Transformers”"
    assert f"{SITE}/papers/{PAPER}#comment-{cid}" in mail.body_text
    assert "> @BOB look" in mail.body_text and f"{SITE}/settings" in mail.body_text
    assert mail.sent_at is None and mail.next_attempt_at == T0
    with Session(engine) as s:
        html = s.get_one(Comment, cid).html
    # Every existing member is linked (the banned too: the link is to a page), unknown names are text.
    for name in ("BOB", "ada", "quiet", "banned", "newbie"):
        assert f'class="mention" rel="nofollow ugc noopener">@{name}</a>' in html
    assert "@nobody" in html and "<code>@bob</code>" in html


def test_delete_keeps_the_thread_and_stops_counting(engine: Engine) -> None:
    paper_id = store_paper(engine)
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    first = _post(engine, ada.id, "first").comment
    reply = _post(engine, bob.id, "a reply", parent_id=first.id, now=T0 + timedelta(minutes=1)).comment
    with Session(engine) as s:
        with pytest.raises(NotAllowed):
            comments.delete(s, comment_id=first.id, member_id=bob.id, now=T0)
        comments.delete(s, comment_id=first.id, member_id=ada.id, now=T0 + timedelta(hours=2))
        comments.delete(s, comment_id=first.id, member_id=ada.id, now=T0 + timedelta(hours=3))  # twice is once
        assert s.get_one(Comment, first.id).deleted_at == T0 + timedelta(hours=2)
        [top] = comments.thread(s, paper_id=paper_id)
        assert top.state == "deleted" and [r.comment.id for r in top.replies] == [reply.id]
        assert comment_counts(s, [paper_id]) == {paper_id: 1}
        assert not comments.can_edit(s.get_one(Comment, first.id), ada.id, T0)
