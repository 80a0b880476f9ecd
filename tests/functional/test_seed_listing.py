"""Acceptance: the seed capture, imported through the CLI into a running server, reads back as it was."""

from __future__ import annotations

import re
import urllib.request
from html import unescape
from pathlib import Path

from markupsafe import escape
from tests.conftest import LiveServer

DAY = "2025-03-11"
# The capture's date header; everything before it is the page's header, everything after it is
# title and abstract paragraphs, alternating.
DATE_HEADER = "Mar 11"


def _words(text: str) -> str:
    return " ".join(text.split())


def _seed_papers(path: Path) -> list[tuple[str, str]]:
    """(title, abstract) pairs of the capture, parsed here independently of the importer."""
    paragraphs = [_words(p) for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if p.strip()]
    body = paragraphs[paragraphs.index(DATE_HEADER) + 1:]
    assert len(body) % 2 == 0, "the capture alternates title and abstract paragraphs"
    return list(zip(body[0::2], body[1::2], strict=True))


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as res:
        assert res.status == 200, url
        body: bytes = res.read()
    return body.decode("utf-8")


def test_seed_listing_reads_back_in_order_with_full_abstracts(seed_listing: Path,
                                                              live_server: LiveServer) -> None:
    papers = _seed_papers(seed_listing)
    assert len(papers) == 69
    done = live_server.run_cli("import", str(seed_listing), "--featured-on", DAY)
    assert done.returncode == 0, done.stderr

    day = _get(f"{live_server.url}/papers/date/{DAY}")
    assert "Mar 11, 2025" in day
    cards = re.findall(r'<h3 class="card-title"><a href="([^"]+)">(.*?)</a>', day)
    assert [_words(unescape(title)) for _, title in cards] == [title for title, _ in papers]

    for (href, _), (title, abstract) in zip(cards, papers, strict=True):
        page = _get(live_server.url + href)
        shown = re.search(r'<p class="abstract">(.*?)</p>', page, re.DOTALL)
        assert shown, f"no abstract on the page of {title!r}"
        assert _words(unescape(shown[1])) == abstract, title
        assert f'<h1 id="paper-title">{escape(title)}</h1>' in page
