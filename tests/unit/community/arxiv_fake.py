"""A stand-in for arXiv's API (``/api/query?id_list=``) answering in its Atom format, for submission tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html import escape

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/fake</id>
  <title>arXiv Query: search_query=&amp;id_list={ids}&amp;start=0&amp;max_results=1</title>
  <updated>{updated}</updated>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
{entries}</feed>
"""
ENTRY = """  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v{version}</id>
    <title>{title}</title>
    <updated>{published}</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{arxiv_id}v{version}" rel="related" type="application/pdf" title="pdf"/>
    <summary>{abstract}</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <published>{published}</published>
    <arxiv:primary_category term="cs.CL"/>
    <author><name>Mina Park</name></author>
    <author><name>Tomás Rivera</name></author>
  </entry>
"""
ERROR_ENTRY = """  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_{arxiv_id}</id>
    <title>Error</title>
    <summary>incorrect id format for {arxiv_id}</summary>
    <updated>2025-03-05T00:00:00Z</updated>
    <author><name>arXiv api core</name></author>
  </entry>
"""
Reply = tuple[int, dict[str, str], bytes]


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def title_of(arxiv_id: str) -> str:
    """The title the fake gives a paper: tests check it landed."""
    return f"Compositional Probes for {arxiv_id}"


def feed(arxiv_id: str, published: datetime, *, version: int = 1, found: bool = True) -> bytes:
    """An API answer holding ``arxiv_id`` published at ``published`` (an empty feed when not ``found``)."""
    entry = ENTRY.format(arxiv_id=arxiv_id, version=version, title=escape(title_of(arxiv_id)),
                         abstract="We probe compositional generalisation &amp; report what fails.",
                         published=_stamp(published)) if found else ""
    return FEED.format(ids=arxiv_id, updated=_stamp(published), total=int(found), entries=entry).encode()


def error_feed(arxiv_id: str) -> bytes:
    """The answer arXiv gives an id it cannot read: one error entry."""
    return FEED.format(ids=arxiv_id, updated="2025-03-05T00:00:00Z", total=1,
                       entries=ERROR_ENTRY.format(arxiv_id=arxiv_id)).encode()


def arxiv_api(published: Callable[[str], datetime | None], path: str = "/api/query") -> Callable[
        [str, dict[str, str]], Reply]:
    """A ``ReplayServer`` responder: every id gets a paper published at ``published(id)`` (``None``: no such paper)."""

    def respond(got: str, params: dict[str, str]) -> Reply:
        if got != path or "id_list" not in params:
            return 400, {"Content-Type": "text/plain"}, b"bad query"
        arxiv_id = params["id_list"]
        when = published(arxiv_id)
        body = feed(arxiv_id, when) if when is not None else feed(arxiv_id, datetime(2025, 1, 1, tzinfo=UTC),
                                                                   found=False)
        return 200, {"Content-Type": "application/atom+xml; charset=utf-8"}, body

    return respond


def recent(now: datetime, days: float = 1.0) -> Callable[[str], datetime]:
    """Every paper appeared ``days`` before ``now``."""
    return lambda _arxiv_id: now - timedelta(days=days)
