"""Comments on papers: post and reply, edit for a short while, delete, and read a paper's thread.

Every write is one transaction that owns its commit. A post carries an idempotency key (the form's
hidden field, the API's ``Idempotency-Key`` header): (member, key) is unique, so a retried or doubled
request leaves one comment, and the mails its @mentions queue are keyed by comment, so none goes twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from paperstand.accounts.errors import NotAllowed
from paperstand.accounts.models import Member
from paperstand.community.counts import visible
from paperstand.community.markdown import mentions, render
from paperstand.community.mention_mail import queue_mention_mails
from paperstand.community.models import Comment
from paperstand.dialect import insert_or_ignore
from paperstand.errors import BadRequest, DomainError, NotFound
from paperstand.papers.models import Paper
from paperstand.papers.queries import find_paper

# Long enough to fix a typo or a broken link, short enough that nobody's reply answers words that
# later changed; after it, a correction is a new comment (or deleting this one).
EDIT_WINDOW = timedelta(minutes=15)
# A comment is a remark, not a paper: 10,000 characters is a long review, and bounds each render.
MAX_BODY = 10_000
# Levels a thread shows (a comment, its replies, theirs, ...): a reply to a comment on the deepest level
# joins that comment's level instead, so narrow screens never indent a conversation into a column.
MAX_DEPTH = 4
# Keys are what clients make (UUIDs, random tokens); printable ASCII, as long as the column holds.
KEY = re.compile(r"[\x21-\x7e]{1,64}")
# Control characters other than tab and newline, and lone surrogates: never text, and PostgreSQL refuses NUL.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# Ids are 32-bit in PostgreSQL: a larger one in a form or body is a 400, not a database error.
MAX_ID = 2**31 - 1
# A paper's page shows at most this many comments (oldest first), so one thread cannot make a page unbounded.
MAX_THREAD = 2000


class Conflict(DomainError):
    """A request that contradicts one made before (an idempotency key reused for another comment)."""

    status = 409
    title = "Conflict"


@dataclass
class Posted:
    """The comment a post left, its paper, and whether this request made it (False: a retry got the earlier one)."""

    comment: Comment
    paper: Paper
    created: bool


@dataclass
class ThreadComment:
    """A comment in its thread: its author's name, its replies (oldest first) and its depth (0 at the top)."""

    comment: Comment
    author: str
    depth: int = 0
    replies: list[ThreadComment] = field(default_factory=list)

    @property
    def state(self) -> str:
        """``"deleted"`` (by its author), ``"hidden"`` (by a moderator) or ``"visible"``."""
        if self.comment.deleted_at is not None:
            return "deleted"
        return "hidden" if self.comment.hidden_at is not None else "visible"

    def editable_by(self, member_id: int | None, now: datetime) -> bool:
        """Whether ``member_id`` may still edit this comment at ``now``."""
        return member_id is not None and can_edit(self.comment, member_id, now)

    def walk(self) -> list[ThreadComment]:
        """This comment and every reply under it, in reading order."""
        return [self, *(c for reply in self.replies for c in reply.walk())]


def clean_body(text: str) -> str:
    """A comment body as stored: newlines normalised, trimmed, 1 to ``MAX_BODY`` characters of text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise BadRequest("comment: the comment is empty", hint="Write something before sending it.")
    if len(text) > MAX_BODY:
        raise BadRequest(f"comment: a comment holds at most {MAX_BODY:,} characters; this one has {len(text):,}",
                         hint="Shorten it, or split it into two comments.")
    if _NOT_TEXT.search(text):
        raise BadRequest("comment: the comment contains control characters",
                         hint="Remove them (tabs and line breaks are fine).")
    return text


def clean_key(key: str | None) -> str | None:
    """An idempotency key as stored (``None`` when none was sent), or a 400 naming the format."""
    if key is None or key == "":
        return None
    if not KEY.fullmatch(key):
        raise BadRequest("comment: the idempotency key must be 1 to 64 printable ASCII characters",
                         hint="A UUID is a good key: send a new one for each new comment.")
    return key


def post(session: Session, *, paper_id: str, member_id: int, body: str, now: datetime, site_url: str,
         parent_id: int | None = None, idempotency_key: str | None = None) -> Posted:
    """Post a comment (or a reply) on the paper ``paper_id`` names; commits, and queues the mention mails."""
    paper = paper_for(session, paper_id)
    body, key = clean_body(body), clean_key(idempotency_key)
    if key is not None and (earlier := _by_key(session, member_id, key)) is not None:
        return _replayed(earlier, paper, body)
    parent = _reply_parent(session, paper.id, parent_id)
    known = members_named(session, mentions(body))
    html = render(body, {m.name_key: m.name for m in known})
    values = {"paper_id": paper.id, "member_id": member_id, "parent_id": parent, "body": body, "html": html,
              "idempotency_key": key, "created_at": now}
    # Two identical requests at once both reach this INSERT: the unique key lets one row in, the other
    # inserts nothing and returns the winner's comment below.
    stmt = insert_or_ignore(session, Comment, keys=["member_id", "idempotency_key"]).returning(Comment.id)
    new_id = session.execute(stmt, [values]).scalar()
    if new_id is None:
        session.rollback()
        earlier = _by_key(session, member_id, cast(str, key))
        if earlier is None:  # pragma: no cover - the conflicting row committed before we looked
            raise Conflict("comment: a request with this idempotency key is still being written")
        return _replayed(earlier, paper, body)
    author = session.get_one(Member, member_id)
    queue_mention_mails(session, comment_id=new_id, author=author, paper=paper, members=known, body=body,
                        site_url=site_url, now=now)
    session.commit()
    session.refresh(paper)  # the caller links to it (the commit expired it)
    return Posted(session.get_one(Comment, new_id), paper, True)


def edit(session: Session, *, comment_id: int, member_id: int, body: str, now: datetime,
         site_url: str) -> tuple[Comment, Paper]:
    """Replace a comment's text, by its author within ``EDIT_WINDOW``; commits. Only new mentions are mailed."""
    body = clean_body(body)
    comment = _existing(session, comment_id)
    _check_editable(comment, member_id, now)
    before = set(mentions(comment.body))
    known = members_named(session, mentions(body))
    html = render(body, {m.name_key: m.name for m in known})
    # Guarded like the checks above, so an edit racing the window's end or a moderator's hide loses.
    result = session.execute(update(Comment).where(Comment.id == comment_id, Comment.member_id == member_id,
                                                   Comment.created_at > now - EDIT_WINDOW, visible())
                             .values(body=body, html=html, edited_at=now))
    if not cast(CursorResult[Any], result).rowcount:
        session.rollback()
        raise BadRequest("comment: this comment can no longer be edited")
    paper = session.get_one(Paper, comment.paper_id)
    queue_mention_mails(session, comment_id=comment_id, author=session.get_one(Member, member_id), paper=paper,
                        members=[m for m in known if m.name_key not in before], body=body, site_url=site_url,
                        now=now)
    session.commit()
    session.refresh(comment)
    return comment, paper


def editable(session: Session, *, comment_id: int, member_id: int, now: datetime) -> tuple[Comment, Paper]:
    """The comment (and its paper) if ``member_id`` may edit it now; otherwise the error saying why."""
    comment, paper = comment_with_paper(session, comment_id)
    _check_editable(comment, member_id, now)
    return comment, paper


def deletable(session: Session, *, comment_id: int, member_id: int) -> tuple[Comment, Paper]:
    """The comment (and its paper) if ``member_id`` wrote it (so may delete it); otherwise NotAllowed."""
    comment, paper = comment_with_paper(session, comment_id)
    if comment.member_id != member_id:
        raise NotAllowed("comment: only its author can delete a comment")
    return comment, paper


def delete(session: Session, *, comment_id: int, member_id: int, now: datetime) -> tuple[Comment, Paper]:
    """Delete a comment by its author: it reads "[deleted]" and its replies stay; commits. Twice is once."""
    comment, paper = deletable(session, comment_id=comment_id, member_id=member_id)
    session.execute(update(Comment).where(Comment.id == comment_id, Comment.deleted_at.is_(None))
                    .values(deleted_at=now))
    session.commit()
    session.refresh(comment)
    return comment, paper


def can_edit(comment: Comment, member_id: int, now: datetime) -> bool:
    """Whether ``member_id`` may edit ``comment`` at ``now``: the author, within the window, while it shows."""
    return (comment.member_id == member_id and comment.deleted_at is None and comment.hidden_at is None
            and now < comment.created_at + EDIT_WINDOW)


def thread(session: Session, *, paper_id: int) -> list[ThreadComment]:
    """A paper's comments as a tree, oldest first at every level, read in one query."""
    rows = session.execute(select(Comment, Member.name).join(Member, Member.id == Comment.member_id)
                           .where(Comment.paper_id == paper_id)
                           .order_by(Comment.created_at, Comment.id).limit(MAX_THREAD))
    by_id: dict[int, ThreadComment] = {}
    top: list[ThreadComment] = []
    for comment, name in rows:
        parent = by_id.get(comment.parent_id) if comment.parent_id is not None else None
        node = ThreadComment(comment, name, depth=parent.depth + 1 if parent else 0)
        by_id[comment.id] = node
        (parent.replies if parent else top).append(node)
    return top


def paper_thread(session: Session, *, paper_id: str) -> tuple[Paper, list[ThreadComment]]:
    """The paper ``paper_id`` names (any id form) and its thread, or NotFound."""
    paper = paper_for(session, paper_id)
    return paper, thread(session, paper_id=paper.id)


def paper_for(session: Session, paper_id: str) -> Paper:
    """The paper ``paper_id`` names (arXiv id in any form, or a local key), or NotFound."""
    paper = find_paper(session, paper_id)
    if paper is None:
        raise NotFound(f"comment: no paper with id {paper_id!r} is stored here")
    return paper


def comment_with_paper(session: Session, comment_id: int) -> tuple[Comment, Paper]:
    """A comment and the paper it is on, or NotFound."""
    comment = _existing(session, comment_id)
    return comment, session.get_one(Paper, comment.paper_id)


def members_named(session: Session, name_keys: list[str]) -> list[Member]:
    """The members whose lower-cased names are in ``name_keys`` (unknown names are left out)."""
    if not name_keys:
        return []
    return list(session.scalars(select(Member).where(Member.name_key.in_(name_keys)).order_by(Member.id)))


def _existing(session: Session, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(f"comment: there is no comment {comment_id}")
    return comment


def _by_key(session: Session, member_id: int, key: str) -> Comment | None:
    return session.scalars(select(Comment).where(Comment.member_id == member_id,
                                                 Comment.idempotency_key == key)).one_or_none()


def _replayed(earlier: Comment, paper: Paper, body: str) -> Posted:
    """The earlier comment for a retried post; a key reused for a different comment is a 409."""
    if earlier.paper_id != paper.id or (earlier.body != body and earlier.edited_at is None):
        raise Conflict("comment: this idempotency key was already used for a different comment",
                       hint="Send a new key with each new comment.")
    return Posted(earlier, paper, False)


def _reply_parent(session: Session, paper_id: int, parent_id: int | None) -> int | None:
    """The comment a reply hangs under: ``parent_id``, or its parent when ``parent_id`` is on the deepest level."""
    if parent_id is None:
        return None
    parent = session.get(Comment, parent_id)
    if parent is None or parent.paper_id != paper_id:
        raise NotFound(f"comment: there is no comment {parent_id} on this paper to reply to")
    if parent.deleted_at is not None or parent.hidden_at is not None:
        raise BadRequest("comment: that comment was deleted or hidden, so it takes no replies",
                         hint="Reply to the paper's thread instead.")
    return parent.parent_id if _depth(session, parent) >= MAX_DEPTH - 1 else parent.id


def _depth(session: Session, comment: Comment) -> int:
    """How many comments ``comment`` hangs under (at most ``MAX_DEPTH`` look-ups: posts never go deeper)."""
    depth, current = 0, comment
    while current.parent_id is not None and depth < MAX_DEPTH:
        current = session.get_one(Comment, current.parent_id)
        depth += 1
    return depth


def _check_editable(comment: Comment, member_id: int, now: datetime) -> None:
    """Say why a comment cannot be edited (the update re-checks, so a race still loses)."""
    if comment.member_id != member_id:
        raise NotAllowed("comment: only its author can edit a comment")
    if comment.deleted_at is not None or comment.hidden_at is not None:
        raise BadRequest("comment: a deleted or hidden comment cannot be edited")
    if now >= comment.created_at + EDIT_WINDOW:
        minutes = int(EDIT_WINDOW.total_seconds() // 60)
        raise BadRequest(f"comment: comments can be edited for {minutes} minutes after posting, and that time is over",
                         hint="Post a new comment with the correction, or delete this one.")
