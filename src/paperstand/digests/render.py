"""A digest as an email: context → ``subject.txt``, ``body.txt``, ``body.html`` (CSS inlined).

The Message-ID is derived from (subscriber, period), so a digest re-sent after a crash is the same
message to the receiving side, and the unsubscribe headers follow RFC 8058.
"""

from __future__ import annotations

import binascii
import email
import email.policy
import logging
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from functools import lru_cache
from html import escape
from typing import TypeVar
from urllib.parse import urlsplit

import css_inline
from jinja2 import Environment

from paperstand.digests.sections import Section
from paperstand.mail.headers import checked_address, header_text, single_line

log = logging.getLogger("paperstand.digests")

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
    # Which paper it is (a member's digest leaves it out of their own sections); not shown.
    paper_id: int | None = None


@dataclass(frozen=True)
class DigestMail:
    """Everything one digest email needs, already decided."""

    to: str
    subscriber_id: int
    period: str  # "2026-03-02" or "2026-W10"
    period_phrase: str  # "today", "this week", "since Mar 2", or a name: "of 11 March 2025" (see ``is_named``)
    papers: Sequence[DigestPaper]
    unsubscribe_url: str
    preferences_url: str | None = None  # the preferences page, once it exists


def is_named(period_phrase: str) -> bool:
    """True when the phrase names its period ("of 11 March 2025") rather than saying "today"."""
    return period_phrase.startswith("of ")


def heading(period_phrase: str) -> str:
    """The digest's heading: "Trending papers today", or "Papers of 11 March 2025" for another day."""
    return f"{'Papers' if is_named(period_phrase) else 'Trending papers'} {period_phrase}"


@lru_cache(maxsize=4096)  # the same few hundred abstracts, for every subscriber of a run
def excerpt(abstract: str, sentences: int = EXCERPT_SENTENCES) -> str:
    """The first ``sentences`` sentences of an abstract."""
    parts = _SENTENCE_END.split(" ".join(abstract.split()))
    return " ".join(parts[:sentences])


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


# Where the papers go while a digest's frame (heading, footer) is rendered; on a line of its own.
_PAPERS = "PSPAPERS7F3A"


class Renderer:
    """Renders digest bodies from per-paper pieces, each rendered, CSS-inlined and encoded once.

    A digest is a frame (``body.html`` / ``body.txt``: heading, footer, links) around one piece per paper
    (``paper.html`` / ``paper.txt``). Among thousands of subscribers there are few distinct frames and a few
    hundred distinct papers-with-reasons, but many distinct selections; so the pieces are cached (bounded),
    and a body is a join of cached, already quoted-printable encoded pieces. Every piece is whole lines, and
    quoted-printable works line by line, so the joined bytes equal encoding the whole part at once.
    """

    PIECES = 16384

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.css = env.get_template("email/digest/style.css").render()
        self._frames: dict[tuple[str, bool, bool], tuple[_Piece, _Piece, _Piece, _Piece]] = {}
        self._html: dict[DigestPaper, _Piece] = {}
        self._text: dict[tuple[int, DigestPaper], _Piece] = {}

    def body(self, papers: Sequence[DigestPaper], period_phrase: str, has_preferences: bool = True,
             sections: Sequence[Section] = ()) -> DigestBody:
        """Subject, text and HTML (CSS inlined) for these papers, with link placeholders.

        ``sections`` (a member's recommendations, follows and watch alerts) follow the papers; they are
        rendered for this one digest, never cached, since they are the member's own.
        """
        context = {"items": papers, "period_phrase": period_phrase, "named": is_named(period_phrase)}
        # header_text, not a refusal: a title stored with a control character must not stop the digest.
        subject = header_text(" ".join(self.env.get_template("email/digest/subject.txt").render(context).split()))
        html_head, html_foot, text_head, text_foot = self._frame(period_phrase, has_preferences,
                                                                 bool(papers or sections))
        html, text = [html_head], [text_head]
        for paper in papers:
            try:
                pieces = self._paper_html(paper), self._paper_text(len(text), paper)
            except Exception as exc:  # noqa: BLE001 - whatever a template or css-inline raises
                # One paper that cannot be rendered is left out and named; the digest still goes.
                log.warning("digest: left out paper %s (%r): %s", paper.url, paper.title[:80], exc)
                continue
            html.append(pieces[0])
            text.append(pieces[1])
        for section in sections:
            html.append(_line_piece(css_inline.inline_fragment(
                self.env.get_template("email/digest/section.html").render(section=section), self.css)))
            text.append(_line_piece(self.env.get_template("email/digest/section.txt").render(section=section)))
        html.append(html_foot)
        text.append(text_foot)
        # Only line breaks are checked here: the Subject header is folded (and checked again) when sent.
        return DigestBody(single_line(subject), "".join(t for t, _ in text), "".join(t for t, _ in html),
                          has_preferences, _merged(c for _, chunks in text for c in chunks),
                          _merged(c for _, chunks in html for c in chunks))

    def _frame(self, period_phrase: str, has_preferences: bool, any_papers: bool
               ) -> tuple[_Piece, _Piece, _Piece, _Piece]:
        def make() -> tuple[_Piece, _Piece, _Piece, _Piece]:
            context = {"period_phrase": period_phrase, "named": is_named(period_phrase),
                       "heading": heading(period_phrase), "papers": _PAPERS if any_papers else "",
                       "unsubscribe_url": _UNSUBSCRIBE, "preferences_url": _PREFERENCES if has_preferences else None}
            # Each link on a line of its own (a line break is whitespace between attributes), so the rest of
            # the HTML is encoded once, and only those lines per subscriber.
            html = _LINK_ATTR.sub(r"\n\1\n", css_inline.inline(self.env.get_template("email/digest/body.html")
                                                                .render(context)))
            text = self.env.get_template("email/digest/body.txt").render(context)
            return (*_split(html), *_split(text))

        return _cached(self._frames, (period_phrase, has_preferences, any_papers), make)

    def _paper_html(self, paper: DigestPaper) -> _Piece:
        def make() -> _Piece:
            html = self.env.get_template("email/digest/paper.html").render(item=paper)
            return _line_piece(css_inline.inline_fragment(html, self.css))

        return _cached(self._html, paper, make)

    def _paper_text(self, index: int, paper: DigestPaper) -> _Piece:
        def make() -> _Piece:
            return _line_piece(self.env.get_template("email/digest/paper.txt").render(item=paper, index=index))

        return _cached(self._text, (index, paper), make)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _cached(cache: dict[_K, _V], key: _K, make: Callable[[], _V], size: int = Renderer.PIECES) -> _V:
    """``cache[key]``, made on a miss; the cache is emptied when it outgrows ``size``. A run's frames and
    papers are few, so the bound only matters to a long-lived process."""
    value = cache.get(key)
    if value is None:
        if len(cache) >= size:
            cache.clear()
        value = cache[key] = make()
    return value


_Piece = tuple[str, tuple[bytes | str, ...]]


def _piece(text: str) -> _Piece:
    """Text with its encoded chunks (see :func:`_encode_lines`)."""
    return text, _encode_lines(text)


def _line_piece(text: str) -> _Piece:
    """A paper's piece, ending with a line break so that pieces join at line boundaries."""
    return _piece(text if text.endswith("\n") else text + "\n")


def _merged(chunks: Iterable[bytes | str]) -> tuple[bytes | str, ...]:
    """Chunks with each run of encoded (bytes) chunks joined into one: fewer pieces to join per message."""
    out: list[bytes | str] = []
    for chunk in chunks:
        if isinstance(chunk, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += chunk
        else:
            out.append(chunk)
    return tuple(out)


def _split(frame: str) -> tuple[_Piece, _Piece]:
    """A rendered frame cut at the papers marker (head, foot); without one, the whole frame is the head."""
    at = frame.find(_PAPERS)
    if at == -1:
        return _piece(frame), _piece("")
    assert at == 0 or frame[at - 1] == "\n", "the papers marker must start a line"
    return _piece(frame[:at]), _piece(frame[at + len(_PAPERS):].removeprefix("\n"))


def render_body(env: Environment, papers: Sequence[DigestPaper], period_phrase: str,
                has_preferences: bool = True) -> DigestBody:
    """Render subject, text and HTML (CSS inlined) for these papers (one-off; a send run keeps a Renderer)."""
    return Renderer(env).body(papers, period_phrase, has_preferences)


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
                 date: str | None = None, site_name: str = "paperstand") -> bytes:
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
        _header("From", sender), _header("To", checked_address(mail.to)), _header("Subject", body.subject),
        _header("Date", date or formatdate(usegmt=True)),
        _header("Message-ID", message_id(mail.subscriber_id, mail.period, base_url)),
        _header("List-Id", formataddr((f"{site_name} digests", f"digests.{host}"))),
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


def render_digest(env: Environment, mail: DigestMail, *, sender: str, base_url: str,
                  site_name: str = "paperstand", sections: Sequence[Section] = ()) -> EmailMessage:
    """The digest as an EmailMessage: exactly the bytes a send delivers, parsed back."""
    body = Renderer(env).body(mail.papers, mail.period_phrase, mail.preferences_url is not None, sections)
    data = digest_bytes(body, mail, sender=sender, base_url=base_url, site_name=site_name)
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
