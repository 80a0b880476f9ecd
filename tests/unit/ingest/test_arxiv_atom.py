"""arXiv API Atom feeds, current and legacy layouts, API errors and broken input."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ingest_fixtures import FIXTURES, import_bytes, notices, parse_path, records, rejections, stored
from sqlalchemy import Engine

from paperstand.ingest import arxiv_atom


def test_current_layout_fields() -> None:
    """Id and version, cleaned text, primary category first, dates, links, journal data."""
    first, old_style, withdrawn = records(parse_path(arxiv_atom, FIXTURES / "arxiv_atom.xml"))
    assert (first.source, first.arxiv_id, first.version) == ("arxiv-atom", "2502.03003", 2)
    assert first.title == "Gradient Gardens: Growing Networks One Leaf at a Time"
    assert first.abstract == "We grow neural networks leaf by leaf. Gardens need water."
    assert first.authors == ["Ilse Moreau", "Kofi Mensah"]
    assert first.categories == ["cs.LG", "stat.ML"]
    assert first.published_at == datetime(2025, 2, 4, 17, 30, tzinfo=UTC)
    assert first.updated_at == datetime(2025, 2, 10, 9, 15, tzinfo=UTC)
    assert first.versions == [(1, first.published_at), (2, first.updated_at)]
    assert (first.doi, first.journal_ref) == ("10.5555/gardens.2025", "J. Garden Learn. 4, 1 (2025)")
    assert (first.comments, first.withdrawn) == ("12 pages, 3 figures", False)
    assert first.pdf_url == "https://arxiv.org/pdf/2502.03003v2"
    assert first.location == "entry 1 (http://arxiv.org/abs/2502.03003v2)"
    assert (old_style.arxiv_id, old_style.version, old_style.categories) == ("hep-th/0101001", 1, ["hep-th"])
    assert withdrawn.withdrawn is True and withdrawn.authors == ["José Ramírez"]


def test_legacy_layout_fields() -> None:
    """The pre-2025 layout (inline namespaces, different element order) gives the same fields."""
    (rec,) = records(parse_path(arxiv_atom, FIXTURES / "arxiv_atom_legacy.xml"))
    assert (rec.arxiv_id, rec.version) == ("1203.4567", 2)
    assert rec.title == "Magnets at the Bottom of the Garden"
    assert rec.abstract == "We find magnets in the garden. They attract worms."
    assert rec.categories == ["cond-mat.str-el", "cond-mat.mes-hall"]
    assert (rec.doi, rec.journal_ref, rec.comments) == ("10.5555/magnets.12", "Garden Phys. 1, 2 (2012)",
                                                         "5 pages. Published version")
    assert rec.published_at == datetime(2012, 3, 20, 19, 45, 12, tzinfo=UTC)


def test_api_error_and_empty_feed() -> None:
    """The API's error entry is one rejection with its message; an empty feed is only a notice."""
    (rej,) = parse_path(arxiv_atom, FIXTURES / "arxiv_atom_error.xml")
    assert rej.location == "entry 1 (https://arxiv.org/api/errors#incorrect_id_format_for_xyz)"
    assert rej.reason == "arXiv API error: incorrect id format for xyz"  # type: ignore[union-attr]
    items = parse_path(arxiv_atom, FIXTURES / "arxiv_atom_empty.xml")
    assert len(items) == 1 and len(notices(items)) == 1


def test_truncated_feed_keeps_earlier_entries(engine: Engine, tmp_path: Path) -> None:
    """A feed cut inside its third entry stores the first two and names the line of the break."""
    data = (FIXTURES / "arxiv_atom.xml").read_bytes()
    cut = data.index(b"<title>An Unfinished Proof")
    summary = import_bytes(engine, tmp_path, "cut.xml", data[:cut])
    assert summary.new == 2 and set(stored(engine)) == {"2502.03003", "hep-th/0101001"}
    line = data[:cut].count(b"\n") + 1
    assert summary.rejections == [f"{tmp_path / 'cut.xml'}: line {line} column 5: malformed XML (no element "
                                  "found); records before this point were kept"]


def test_titleless_entry_is_rejected_alone(engine: Engine, tmp_path: Path) -> None:
    """An entry without a title is named by number and id; the others land."""
    data = (FIXTURES / "arxiv_atom.xml").read_text(encoding="utf-8")
    data = data.replace("<title>Strings on a Washing Line</title>", "<title> </title>")
    summary = import_bytes(engine, tmp_path, "feed.xml", data.encode())
    assert summary.rejections == [f"{tmp_path / 'feed.xml'}: entry 2 (http://arxiv.org/abs/hep-th/0101001v1): "
                                  "no title"]
    assert set(stored(engine)) == {"2502.03003", "2502.03999"}


def test_non_utf8_bytes_stop_at_their_line(engine: Engine, tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are a rejection with their line; the entries before them land."""
    data = (FIXTURES / "arxiv_atom.xml").read_bytes().replace(b"Ram&#237;rez", b"Ram\xedrez")
    summary = import_bytes(engine, tmp_path, "latin.xml", data)
    line = data[:data.index(b"\xed")].count(b"\n") + 1
    assert summary.rejected == 1 and summary.rejections[0].startswith(f"{tmp_path / 'latin.xml'}: line {line} ")
    assert "malformed XML (not well-formed (invalid token))" in summary.rejections[0]
    assert set(stored(engine)) == {"2502.03003", "hep-th/0101001"}


def test_real_samples(real: Path) -> None:
    """Every real Atom file parses; the error sample is one clear rejection."""
    for path in sorted((real / "arxiv-api-atom").glob("*.xml")):
        items = parse_path(arxiv_atom, path)
        if path.name == "new2026_idlist_abc_error.xml":
            assert [r.reason for r in rejections(items)] == ["arXiv API error: incorrect id format for abc"]
        else:
            assert rejections(items) == [], path
    assert len(records(parse_path(arxiv_atom, real / "arxiv-api-atom" /
                                  "new2026_search_all_testing_start0_max100.xml"))) == 100
    assert notices(parse_path(arxiv_atom, real / "arxiv-api-atom" / "new2026_idlist_0000.0000_empty.xml"))


def test_real_sample_fields(real: Path) -> None:
    """Legacy versioned id, old-style id, and names a recorder saved as mojibake come out right."""
    (legacy,) = records(parse_path(arxiv_atom, real / "arxiv-api-atom" / "legacy2016_idlist_1111.2011v2.xml"))
    assert (legacy.arxiv_id, legacy.version, legacy.doi) == ("1111.2011", 2, "10.1103/PhysRevB.85.115117")
    assert legacy.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    (old,) = records(parse_path(arxiv_atom, real / "arxiv-api-atom" / "new2026_idlist_oldstyle_astro-ph_0601001.xml"))
    assert (old.arxiv_id, old.version) == ("astro-ph/0601001", 1)
    (two,) = records(parse_path(arxiv_atom, real / "arxiv-api-atom" / "new2026_idlist_two_ids.xml"))
    assert "Dirk Wübben" in two.authors
