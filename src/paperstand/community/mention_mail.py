"""The @mention mail: who is told, and what it says (``email/mention/subject.txt`` and ``body.txt``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.mail.outbox import enqueue
from paperstand.mail.templates import mail_env
from paperstand.papers.links import paper_path
from paperstand.papers.models import Paper

# The quoted part of the comment in the mail; the link has the rest.
EXCERPT_CHARS = 600


def wants_mention_mail(member: Member, *, author_id: int) -> bool:
    """Whether ``member`` is mailed for an @mention by ``author_id``: not themselves, not banned, opted in."""
    return (member.id != author_id and member.notify_mentions and member.banned_at is None
            and member.email_verified_at is not None)


def queue_mention_mails(session: Session, *, comment_id: int, author: Member, paper: Paper,
                        members: Iterable[Member], body: str, site_url: str, now: datetime) -> int:
    """Queue one mail per mentioned member who wants it, in the caller's transaction; how many were queued.

    The dedupe key names the comment and the member, so a retried request or an edit that keeps a
    mention never mails anyone twice for one comment.
    """
    env = mail_env()
    base = site_url.rstrip("/")
    link = f"{base}{paper_path(paper)}#comment-{comment_id}"
    queued = 0
    for member in members:
        if not wants_mention_mail(member, author_id=author.id):
            continue
        context = {"name": member.display_name or member.name, "author": f"@{author.name}", "title": paper.title,
                   "excerpt": _quoted(body), "link": link, "site": base}
        enqueue(session, kind="mention", to=member.email, now=now,
                subject=env.get_template("email/mention/subject.txt").render(context).strip(),
                text=env.get_template("email/mention/body.txt").render(context),
                dedupe_key=f"mention:{comment_id}:{member.id}")
        queued += 1
    return queued


def _quoted(body: str) -> str:
    """The start of the comment as a mail quote ("> " before every line)."""
    text = body if len(body) <= EXCERPT_CHARS else body[:EXCERPT_CHARS].rstrip() + " …"
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())
