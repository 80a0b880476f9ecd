"""A digest as an email: context → ``subject.txt``, ``body.txt``, ``body.html`` (CSS inlined).

The Message-ID is derived from (subscriber, period), so a digest re-sent after a crash is the same
message to the receiving side, and the unsubscribe headers follow RFC 8058.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment

from paperstand.mail.headers import safe_header

# Sentences in the excerpt under each title.
EXCERPT_SENTENCES = 2
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


@dataclass(frozen=True)
class DigestPaper:
    """What the email shows of one paper."""

    title: str
    authors: str
    excerpt: str
    reasons: tuple[str, ...]
    url: str
    arxiv_url: str | None


@dataclass(frozen=True)
class DigestMail:
    """Everything one digest email needs, already decided."""

    to: str
    subscriber_id: int
    period: str  # "2026-03-02" or "2026-W10"
    period_phrase: str  # "today", "this week", "for Mar 2, 2026"
    papers: Sequence[DigestPaper]
    unsubscribe_url: str
    preferences_url: str | None = None  # the preferences page, once it exists


def excerpt(abstract: str, sentences: int = EXCERPT_SENTENCES) -> str:
    """The first ``sentences`` sentences of an abstract."""
    parts = _SENTENCE_END.split(" ".join(abstract.split()))
    return " ".join(parts[:sentences])


def author_line(authors: Sequence[str], shown: int = 3) -> str:
    """"A, B, C et al." for long lists."""
    return ", ".join(authors[:shown]) + (" et al." if len(authors) > shown else "")


def message_id(subscriber_id: int, period: str, base_url: str) -> str:
    """The same Message-ID every time this subscriber's digest for this period is built."""
    host = urlsplit(base_url).hostname or "localhost"
    return f"<digest.{period}.{subscriber_id}@{host}>"


def render_digest(env: Environment, mail: DigestMail, *, sender: str, base_url: str) -> EmailMessage:
    """The multipart/alternative message (text first, then HTML with inlined CSS)."""
    context = {"items": mail.papers, "period_phrase": mail.period_phrase,
               "unsubscribe_url": mail.unsubscribe_url, "preferences_url": mail.preferences_url}
    subject = " ".join(env.get_template("email/digest/subject.txt").render(context).split())
    html = css_inline.inline(env.get_template("email/digest/body.html").render(context))
    message = EmailMessage()
    message["Subject"] = safe_header(subject)
    message["From"] = safe_header(sender)
    message["To"] = safe_header(mail.to)
    message["Message-ID"] = message_id(mail.subscriber_id, mail.period, base_url)
    message["List-Id"] = f"paperstand digests <digests.{urlsplit(base_url).hostname or 'localhost'}>"
    message["List-Unsubscribe"] = f"<{safe_header(mail.unsubscribe_url)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(env.get_template("email/digest/body.txt").render(context))
    message.add_alternative(html, subtype="html")
    return message
