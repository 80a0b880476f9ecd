"""The plain listing of a Daily Papers page capture: the seed file and malformed listings."""

from __future__ import annotations

import re
from pathlib import Path

from ingest_fixtures import import_bytes, parse_bytes, parse_path, records, rejections
from sqlalchemy import Engine, select

from paperstand.ingest import listing
from paperstand.papers.models import Paper

ABSTRACT = ("We describe a method in enough words to look like an abstract, and then we add a second "
            "sentence so that it is clearly long enough.")


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def test_seed_capture_in_order_without_header(seed_listing: Path) -> None:
    """The seed capture gives its 69 papers in page order; header lines never become papers."""
    items = parse_path(listing, seed_listing)
    assert rejections(items) == []
    recs = records(items)
    paragraphs = _paragraphs(seed_listing.read_text(encoding="utf-8"))
    body = paragraphs[paragraphs.index("Mar 11") + 1:]  # everything up to the date is page chrome
    assert len(recs) == 69
    assert [(r.title, r.abstract) for r in recs] == list(zip(body[0::2], body[1::2], strict=True))
    header = set(paragraphs[:paragraphs.index("Mar 11") + 1])
    assert not header & {r.title for r in recs}
    assert all(r.source == "listing" and r.arxiv_id is None for r in recs)
    assert recs[0].location.startswith("record 1 (line ")


def test_title_without_abstract_and_abstract_without_title() -> None:
    """A lone title and a lone abstract are each named; the pairs around them are kept."""
    orphan = ABSTRACT * 4  # longer than any title, so it cannot be mistaken for one
    text = (f"new\n\nSubscribe\n\nMar 11\n\nFirst Paper\n\n{ABSTRACT}\n\nLonely Title\n\nShort note\n\n"
            f"Second Paper\n\n{ABSTRACT}\n\n{orphan}\n")
    items = parse_bytes(listing, text.encode())
    assert [r.title for r in records(items)] == ["First Paper", "Second Paper"]
    assert [(r.location, r.reason) for r in rejections(items)] == [
        ("record 2 (line 11)", "title 'Lonely Title' has no abstract paragraph after it"),
        ("record 3 (line 13)", "title 'Short note' has no abstract paragraph after it"),
        ("record 5 (line 19)", f"expected a title line, found a paragraph of {len(orphan)} characters "
                               "(an abstract without its title?)"),
    ]


def test_non_utf8_line_rejects_only_its_record(engine: Engine, tmp_path: Path) -> None:
    """A record with bytes that are not UTF-8 is named by line and byte; the others land."""
    data = (f"Mar 11\n\nFirst Paper\n\n{ABSTRACT}\n\nBroken Paper\n\n{ABSTRACT}\n\nThird Paper\n\n{ABSTRACT}\n"
            .encode().replace(b"Broken", b"Br\xf6ken"))
    summary = import_bytes(engine, tmp_path, "listing.txt", data)
    assert summary.rejections == [f"{tmp_path / 'listing.txt'}: record 2 (line 7): not valid UTF-8 "
                                  "(byte 3 of line 7)"]
    with engine.connect() as conn:
        assert sorted(conn.execute(select(Paper.title)).scalars()) == ["First Paper", "Third Paper"]
