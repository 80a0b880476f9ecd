"""rss.arxiv.org feeds: RSS 2.0 items of each announce type, the older RDF layout, broken input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ingest_fixtures import FIXTURES, import_bytes, parse_bytes, parse_path, records, rejections, stored
from sqlalchemy import Engine

from paperstand.ingest import arxiv_rss

ANNOUNCED = datetime(2025, 2, 4, 5, tzinfo=UTC)


def test_rss2_fields() -> None:
    """Id and version from the description, abstract after "Abstract:", creators split, categories."""
    new, cross, replaced = records(parse_path(arxiv_rss, FIXTURES / "arxiv_rss.xml"))
    assert (new.source, new.arxiv_id, new.version) == ("arxiv-rss", "2502.01111", 1)
    assert new.title == "Parrots Paraphrase Poetry"
    assert new.abstract == "We ask parrots to paraphrase poems and grade them."
    assert new.authors == ["Noor Haddad", "Felix Brun", "Ama", "Leo Sand"]
    assert new.categories == ["cs.CL", "cs.AI"]
    assert new.license == "http://creativecommons.org/licenses/by/4.0/"
    assert new.location == "item 1 (https://arxiv.org/abs/2502.01111)"
    assert (new.published_at, new.updated_at) == (ANNOUNCED, None)
    assert new.published_precision == "day"
    # A cross-list or a replacement is announced today but was not first published today: its id's month
    # is what is known of that.
    assert (cross.arxiv_id, cross.categories) == ("2502.00777", ["eess.AS", "cs.CL"])
    assert (cross.published_at, cross.published_precision) == (datetime(2025, 2, 1, tzinfo=UTC), "month")
    assert cross.abstract == "Birdsong, tokenized (p < 0.05 for n > 3)."  # plain text, not HTML
    assert (replaced.version, replaced.published_precision, replaced.updated_at) == (3, "month", ANNOUNCED)
    assert replaced.authors == ["Otto Reef", "Sina Lace"]


def test_rdf_fields() -> None:
    """RSS 1.0/RDF: title suffix gives id, version and category; HTML is stripped."""
    first, updated = records(parse_path(arxiv_rss, FIXTURES / "arxiv_rss_rdf.xml"))
    assert (first.arxiv_id, first.version, first.title) == ("1801.00042", 1, "Learning to Juggle with Three Hands")
    assert first.abstract == "A third hand makes juggling much easier."
    assert (first.authors, first.categories) == (["Kenji Ito", "Lina Amara"], ["cs.LG"])
    assert (updated.arxiv_id, updated.version, updated.categories) == ("1712.09876", 2, ["stat.ML"])
    assert updated.title == "Ropes and Pulleys"


def test_empty_feed_yields_nothing() -> None:
    """A weekend feed with no items is not an error."""
    data = (FIXTURES / "arxiv_rss.xml").read_text(encoding="utf-8")
    empty = data[:data.index("<item>")] + "</channel>\n</rss>\n"
    assert parse_bytes(arxiv_rss, empty.encode()) == []


def test_truncated_feed_keeps_earlier_items(engine: Engine, tmp_path: Path) -> None:
    """A feed cut inside its third item stores the first two and names the line of the break."""
    data = (FIXTURES / "arxiv_rss.xml").read_bytes()
    cut = data.index(b"<title>Grammar of Knots")
    summary = import_bytes(engine, tmp_path, "cut.xml", data[:cut])
    assert set(stored(engine)) == {"2502.01111", "2502.00777"}
    line = data[:cut].count(b"\n") + 1
    assert summary.rejections == [f"{tmp_path / 'cut.xml'}: line {line} column 7: malformed XML (no element "
                                  "found); records before this point were kept"]


def test_titleless_item_is_rejected_alone(engine: Engine, tmp_path: Path) -> None:
    """An item without a title is named by number and link; the others land."""
    data = (FIXTURES / "arxiv_rss.xml").read_text(encoding="utf-8")
    data = data.replace("<title>Tokenizers for Birdsong</title>", "")
    summary = import_bytes(engine, tmp_path, "feed.xml", data.encode())
    assert summary.rejections == [f"{tmp_path / 'feed.xml'}: item 2 (https://arxiv.org/abs/2502.00777): no title"]
    assert set(stored(engine)) == {"2502.01111", "2410.09999"}


def test_non_utf8_bytes_stop_at_their_line(engine: Engine, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a rejection with their line; the items before them land."""
    data = (FIXTURES / "arxiv_rss.xml").read_bytes().replace(b"Otto Reef", b"Otto R\xe9ef")
    summary = import_bytes(engine, tmp_path, "latin.xml", data)
    line = data[:data.index(b"\xe9")].count(b"\n") + 1
    assert summary.rejected == 1 and summary.rejections[0].startswith(f"{tmp_path / 'latin.xml'}: line {line} ")
    assert set(stored(engine)) == {"2502.01111", "2502.00777"}


def test_real_samples(real: Path) -> None:
    """Every real feed parses without rejections; the weekend feed is empty."""
    for path in sorted((real / "arxiv-rss").glob("*.xml")):
        items = parse_path(arxiv_rss, path)
        assert rejections(items) == [], path
        assert len(items) == (0 if "weekend_empty" in path.name else 3), path
    first = records(parse_path(arxiv_rss, real / "arxiv-rss" / "rss_cs.AI_2026-04-27_3items_trimmed.xml"))[0]
    assert (first.arxiv_id, first.version, first.categories) == ("2604.21935", 1, ["cs.AI", "cs.LG"])
    assert first.published_at == datetime(2026, 4, 27, 4, tzinfo=UTC)
    assert first.abstract and not first.abstract.startswith(("arXiv:", "Abstract"))
