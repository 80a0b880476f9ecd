"""A digest as an email: context → ``subject.txt``, ``body.txt``, ``body.html`` (CSS inlined).

The Message-ID is derived from (subscriber, period), so a digest re-sent after a crash is the same
message to the receiving side, and the unsubscribe headers follow RFC 8058.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from functools import lru_cache
from html import escape
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment

from paperstand.mail.headers import single_line

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


@lru_cache(maxsize=4096)  # the same few hundred abstracts, for every subscriber of a run
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


# Stand-ins for the per-subscriber links while the shared part of a digest is rendered; plain letters
# and digits, so neither Jinja's escaping nor css-inline changes them.
_UNSUBSCRIBE = "PSLINKUNSUBSCRIBE7F3A"
_PREFERENCES = "PSLINKPREFERENCES7F3A"


@dataclass(frozen=True)
class DigestBody:
    """The rendered subject and parts of a digest, with placeholders for the subscriber's own links.

    Subscribers whose topics select the same papers share one body: rendering (Jinja, css-inline) is
    the costly step, filling in two links is not.
    """

    subject: str
    text: str
    html: str
    has_preferences: bool
    # Both parts already quoted-printable encoded, line group by line group; the lines that hold a
    # link placeholder stay text and are encoded per message (see ``_encode_lines``).
    text_chunks: tuple[bytes | str, ...] = ()
    html_chunks: tuple[bytes | str, ...] = ()


def render_body(env: Environment, papers: Sequence[DigestPaper], period_phrase: str,
                has_preferences: bool = True) -> DigestBody:
    """Render subject, text and HTML (CSS inlined) for these papers."""
    context = {"items": papers, "period_phrase": period_phrase, "unsubscribe_url": _UNSUBSCRIBE,
               "preferences_url": _PREFERENCES if has_preferences else None}
    subject = " ".join(env.get_template("email/digest/subject.txt").render(context).split())
    # Each link on a line of its own (a line break is whitespace between attributes), so the rest of
    # the HTML can be encoded once for every subscriber who shares this body.
    html = _LINK_ATTR.sub(r"\n\1\n", css_inline.inline(env.get_template("email/digest/body.html").render(context)))
    text = env.get_template("email/digest/body.txt").render(context)
    # Only line breaks are checked here: the Subject header is folded (and checked again) when sent.
    return DigestBody(single_line(subject), text, html, has_preferences, _encode_lines(text), _encode_lines(html))


_LINK_ATTR = re.compile(f' (href="(?:{_UNSUBSCRIBE}|{_PREFERENCES})")')


_PLACEHOLDER = re.compile(f"{_UNSUBSCRIBE}|{_PREFERENCES}")


def _encode_lines(text: str) -> tuple[bytes | str, ...]:
    """``text`` as quoted-printable, except the lines holding a link placeholder, which stay text.

    Quoted-printable works line by line (soft breaks restart at every line end), so encoding groups
    of whole lines and joining them gives exactly the bytes that encoding the whole text would.
    """
    text = text.replace("\r\n", "\n")
    out: list[bytes | str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(text):
        start = text.rfind("\n", 0, m.start()) + 1
        if start < last:
            continue  # a second link on a line already kept as text
        end = text.find("\n", m.end())
        end = len(text) if end == -1 else end + 1
        if start > last:
            out.append(_qp(text[last:start]))
        out.append(text[start:end])
        last = end
    if last < len(text):
        out.append(_qp(text[last:]))
    return tuple(out)


def _header(name: str, value: str) -> bytes:
    """One header line; values that need folding or RFC 2047 encoding go through the email package."""
    value = single_line(value)
    # ASCII fits as one line (RFC 5322 allows 998 characters; folding at 78 is only advice), which
    # keeps long per-subscriber values such as List-Unsubscribe off the slow path.
    if value.isascii() and len(name) + len(value) < 990:
        return f"{name}: {value}\r\n".encode("ascii")
    return _folded(name, value)


@lru_cache(maxsize=4096)  # only shared values (a non-ASCII subject, a sender name) get here
def _folded(name: str, value: str) -> bytes:
    policy = email.policy.SMTP
    return policy.header_factory(name, value).fold(policy=policy).encode("ascii")


def _qp(text: str) -> bytes:
    """Quoted-printable body with CRLF line ends (binascii does it in C: this is the hot path)."""
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), quotetabs=False, istext=True)
    return body.replace(b"\n", b"\r\n")


def digest_bytes(body: DigestBody, mail: DigestMail, *, sender: str, base_url: str,
                 date: str | None = None) -> bytes:
    """The whole multipart/alternative message as it goes on the wire (CRLF line ends).

    Built directly rather than through ``EmailMessage`` (about 20 times slower per digest); the tests
    parse it back with the email package to check every header and part.
    """
    unsubscribe, prefs = single_line(mail.unsubscribe_url), single_line(mail.preferences_url or "")
    links = {"plain": (unsubscribe, prefs), "html": (escape(unsubscribe, quote=True), escape(prefs, quote=True))}
    host = urlsplit(base_url).hostname or "localhost"
    # Quoted-printable writes every "=" as "=3D", so no body line can look like this boundary.
    boundary = f"==ps-{secrets.token_hex(12)}=="
    parts = [
        _header("From", sender), _header("To", mail.to), _header("Subject", body.subject),
        _header("Date", date or formatdate(usegmt=True)),
        _header("Message-ID", message_id(mail.subscriber_id, mail.period, base_url)),
        _header("List-Id", f"paperstand digests <digests.{host}>"),
        _header("List-Unsubscribe", f"<{unsubscribe}>"),
        b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n",
        b"MIME-Version: 1.0\r\n",
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode("ascii"),
    ]
    for subtype, chunks in (("plain", body.text_chunks), ("html", body.html_chunks)):
        parts.append(f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode("ascii"))
        unsub, pref = links[subtype]
        parts.extend(c if isinstance(c, bytes) else _qp(c.replace(_UNSUBSCRIBE, unsub).replace(_PREFERENCES, pref))
                     for c in chunks)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts)


def render_digest(env: Environment, mail: DigestMail, *, sender: str, base_url: str) -> EmailMessage:
    """The digest as an EmailMessage: exactly the bytes a send delivers, parsed back."""
    body = render_body(env, mail.papers, mail.period_phrase, mail.preferences_url is not None)
    data = digest_bytes(body, mail, sender=sender, base_url=base_url)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
