"""Compressed and binary inputs: each compression read as a stream, damage reported per file, binaries refused."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from ingest_fixtures import FIXTURES, import_bytes, stored
from sqlalchemy import Engine

from paperstand.ingest.compressed import compression_of
from paperstand.ingest.formats import text_problem
from paperstand.ingest.run import import_stream

COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "bzip2": lambda data: bz2.compress(data, compresslevel=1),  # 100 kB blocks: a cut file keeps whole blocks
    "xz": lzma.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}
SUFFIX = {"gzip": ".gz", "bzip2": ".bz2", "xz": ".xz", "zstd": ".zst"}


def snapshot(n: int, start: int = 1) -> bytes:
    """``n`` Kaggle snapshot lines with distinct ids and enough text to span several compression blocks."""
    lines = []
    for i in range(start, start + n):
        lines.append(json.dumps({
            "id": f"2501.{i:05d}", "submitter": "Ada Lovelace", "authors": "A. Lovelace, C. Babbage",
            "title": f"Analytical engines, part {i}", "categories": "cs.LG stat.ML",
            "abstract": f"  We study engine {i}: " + " ".join(f"w{(i * 7 + k) % 997}" for k in range(40)),
            "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025 10:00:00 GMT"}],
            "update_date": "2025-01-06"}))
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_each_compression_imports_whatever_the_name(engine: Engine, tmp_path: Path, kind: str) -> None:
    """A compressed snapshot lands whole, named with its suffix or not: the magic bytes decide."""
    data = COMPRESS[kind](snapshot(30))
    assert compression_of(data[:16]) == kind
    summary = import_bytes(engine, tmp_path, f"snap.json{SUFFIX[kind]}", data)
    assert (summary.new, summary.rejected) == (30, 0), summary.rejections
    again = import_bytes(engine, tmp_path, "renamed.json", data)  # no suffix at all
    assert (again.new, again.unchanged, again.rejected) == (0, 30, 0)
    assert stored(engine)["2501.00007"]["title"] == "Analytical engines, part 7"


@pytest.mark.parametrize("kind", sorted(COMPRESS))
def test_cut_short_archive_keeps_what_came_before(engine: Engine, tmp_path: Path, kind: str) -> None:
    """A truncated archive is one rejection naming the file; the records before the cut land."""
    data = COMPRESS[kind](snapshot(1500))
    summary = import_bytes(engine, tmp_path, f"cut{SUFFIX[kind]}", data[: len(data) * 2 // 3])
    name = str(tmp_path / f"cut{SUFFIX[kind]}")
    assert summary.rejections[-1].startswith(f"{name}: the {kind} archive is damaged or cut short (")
    assert summary.rejections[-1].endswith("everything before the damage was kept")
    assert 300 < summary.new < 1500
    assert all(r.startswith(f"{name}: ") for r in summary.rejections)
    full = import_bytes(engine, tmp_path, f"full{SUFFIX[kind]}", data)  # the whole file completes it
    assert (full.new + summary.new, full.rejected) == (1500, 0)


def test_damaged_gzip_and_damage_before_any_text(engine: Engine, tmp_path: Path) -> None:
    """Overwritten bytes inside a gzip stream, and an archive cut inside its header, each name the file."""
    data = bytearray(gzip.compress(snapshot(400)))
    data[len(data) // 2: len(data) // 2 + 64] = bytes(64)
    summary = import_bytes(engine, tmp_path, "bad.gz", bytes(data))
    assert f"{tmp_path / 'bad.gz'}: the gzip archive is damaged or cut short" in summary.rejections[-1]
    assert summary.new > 0
    header_only = import_bytes(engine, tmp_path, "stub.xz", lzma.compress(snapshot(5))[:20])
    assert header_only.rejected == 1 and header_only.new == 0
    assert header_only.rejections[0].startswith(f"{tmp_path / 'stub.xz'}: the xz archive is damaged")


@pytest.mark.parametrize("fixture", ["arxiv_oai_arxiv.xml", "arxiv_atom.xml", "hf_daily_papers.json"])
def test_format_is_detected_inside_the_archive(engine: Engine, tmp_path: Path, fixture: str) -> None:
    """Detection reads the decompressed text, so every format works compressed."""
    plain = (FIXTURES / fixture).read_bytes()
    expected = import_stream(engine, io.BytesIO(plain), "plain")
    zipped = import_bytes(engine, tmp_path, fixture + ".zst", COMPRESS["zstd"](plain))
    assert expected.new > 0 and zipped.rejected == expected.rejected
    assert zipped.unchanged + zipped.updated == expected.new


def test_binary_files_are_not_text(engine: Engine, tmp_path: Path) -> None:
    """NUL bytes, undecodable bytes, a zip or a compressed binary: 'FILE: not a text file', nothing stored."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("snap.json", snapshot(3))
    cases = {"image.png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "NUL bytes"),
             "noise.txt": (bytes(range(128, 256)) * 20, "are not UTF-8 text"),
             "snap.zip": (buffer.getvalue(), "a zip archive; unzip it"),
             "blob.gz": (gzip.compress(bytes(range(256)) * 8), "NUL bytes"),
             "utf16.json": ('[{"title": "x"}]'.encode("utf-16"), "UTF-16")}
    for name, (data, why) in cases.items():
        summary = import_bytes(engine, tmp_path, name, data)
        assert summary.rejected == 1 and summary.new == 0
        assert summary.rejections[0].startswith(f"{tmp_path / name}: not a text file (")
        assert why in summary.rejections[0], summary.rejections[0]


def test_text_with_a_few_bad_bytes_is_still_text() -> None:
    """Stray Latin-1 bytes are the listing parser's per-record business, not a reason to refuse the file."""
    listing = "Caf\xe9 Lanterns\n\nWe study caf\xe9s and their lanterns in great detail.\n".encode("latin-1") * 5
    assert text_problem(listing) is None
    for path in sorted(FIXTURES.glob("*.*")):
        assert text_problem(path.read_bytes()[:8192]) is None, path
    assert text_problem(b"") is None


def test_suffix_alone_does_not_decompress(engine: Engine, tmp_path: Path) -> None:
    """A plain file named .gz (a server that already unpacked it) is read as the plain text it is."""
    summary = import_bytes(engine, tmp_path, "already-unpacked.json.gz", snapshot(4))
    assert (summary.new, summary.rejected) == (4, 0)


def test_progress_counts_records_and_compressed_bytes(engine: Engine) -> None:
    """The callback sees records read so far and the offset in the compressed file, ending at its size."""
    data = COMPRESS["gzip"](snapshot(600))
    seen: list[tuple[int, int]] = []
    import_stream(engine, io.BytesIO(data), "snap.gz", progress=lambda records, at: seen.append((records, at)))
    assert [r for r, _ in seen] == [250, 500, 600]
    assert seen[-1][1] == len(data)
    assert all(0 < at <= len(data) for _, at in seen)
