"""Turn a list of paper cards into an RSS 2.0 or Atom document (feedgen). Pure: no database, no request."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from feedgen.feed import FeedGenerator

from paperstand.papers.links import arxiv_abs_url, paper_url
from paperstand.papers.periods import Period, papers_of
from paperstand.papers.queries import PaperCard

FORMATS = {"rss": "application/rss+xml", "atom": "application/atom+xml"}

# Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR; lone surrogates; U+FFFE, U+FFFF), plus
# C1 controls, which it can but which nothing should show. feedgen refuses a document holding one.
_NOT_XML = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """``value`` without the characters an XML document cannot hold: stored text is never trusted here."""
    return _NOT_XML.sub("", value) if _NOT_XML.search(value) else value


@dataclass(frozen=True)
class FeedMeta:
    """What a feed is about: its title, the page it mirrors and its own address (both absolute)."""

    title: str
    page_url: str
    feed_url: str
    description: str


def titled(name: str, site_name: str) -> str:
    """A feed title: what it lists, then the site (``Papers of 11 March 2025 · paperstand``)."""
    return f"{name} · {site_name}"


def period_meta(period: Period, site_name: str, page_url: str, feed_url: str) -> FeedMeta:
    """The metadata of a day's, week's or month's feed, named as the period's mail is."""
    name = papers_of(period)
    return FeedMeta(titled(name, site_name), page_url, feed_url, f"{name}, as featured on {site_name}")


def _entry_time(card: PaperCard) -> datetime:
    """When the paper entered this list: its featured day, else its arXiv date, else first seen."""
    if card.pick is not None:
        return datetime.combine(card.pick.day, time(0, 0), tzinfo=UTC)
    return card.paper.published_at or card.paper.first_seen_at


def build_feed(meta: FeedMeta, cards: Sequence[PaperCard], base_url: str, fmt: str) -> bytes:
    """The feed document in ``fmt`` ("rss" or "atom") for ``cards``, newest first as given."""
    fg = FeedGenerator()
    fg.id(xml_text(meta.feed_url))
    fg.title(xml_text(meta.title))
    fg.subtitle(xml_text(meta.description))
    fg.link(href=xml_text(meta.page_url), rel="alternate")
    fg.link(href=xml_text(meta.feed_url), rel="self")
    fg.language("en")
    fg.generator("paperstand")
    times = [_entry_time(c) for c in cards]
    fg.updated(max(times) if times else datetime(1970, 1, 1, tzinfo=UTC))
    # feedgen prepends each added entry; add in reverse so the document keeps the list's order.
    for card, when in reversed(list(zip(cards, times, strict=True))):
        _add_entry(fg, card, when, base_url)
    return fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)


def _add_entry(fg: FeedGenerator, card: PaperCard, when: datetime, base_url: str) -> None:
    paper = card.paper
    url = xml_text(paper_url(paper, base_url))
    entry = fg.add_entry()
    entry.id(url)
    entry.guid(url, permalink=True)
    title = xml_text(paper.title) or "(untitled)"
    entry.title(title)
    entry.link(href=url)
    arxiv = arxiv_abs_url(paper)
    if arxiv is not None:
        entry.link(href=xml_text(arxiv), rel="related", title="arXiv")
    entry.published(when)
    entry.updated(when)
    entry.summary(xml_text(paper.abstract or "") or title)
    for name in (xml_text(n) for n in paper.authors[:20]):
        if name:
            entry.author(name=name)
    for category in (xml_text(c) for c in paper.categories):
        if category:
            entry.category(term=category)
