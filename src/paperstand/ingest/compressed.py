"""Compressed inputs: gzip, bzip2, xz and zstd, recognised by their magic bytes and read as a stream.

The Kaggle arXiv snapshot and most mirrors ship compressed, often several gigabytes of JSON lines,
so nothing is unpacked to disk or memory: parsers read the decompressed bytes as they come. A damaged
or cut-short archive does not raise into the parser; the reader ends the text where the damage starts
and keeps the reason, so every record before it lands, as in a truncated plain file, and the import
adds one rejection naming the file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zlib
from collections.abc import Callable
from typing import BinaryIO, cast

import zstandard

# Bytes of compressed input read per step; the decompressed text is buffered by the same amount.
CHUNK = 64 * 1024
# Errors a decompressor raises on damaged input (EOFError: the data stops before its end marker).
_DAMAGE = (OSError, EOFError, zlib.error, lzma.LZMAError, zstandard.ZstdError)


def compression_of(head: bytes) -> str | None:
    """The compression a file's first bytes announce (``"gzip"``, ``"bzip2"``, ``"xz"``, ``"zstd"``), if any."""
    if head.startswith(b"\x1f\x8b\x08"):  # gzip, deflate method: the only one in use
        return "gzip"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"  # block size digit, then a block or the end-of-stream magic: never plain text
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


class _Zstd(io.RawIOBase):
    """Decompress zstd frames one after another, and say so when the data stops inside a frame.

    ``zstandard``'s own stream reader ends silently at a truncated frame, which would hide a cut-short
    download; its decompression object reports whether the frame ended.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.frame, self.started = raw, zstandard.ZstdDecompressor().decompressobj(), False
        self.pending, self.unused = b"", b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            chunk, self.unused = self.unused or self.raw.read(CHUNK), b""
            if not chunk:
                if self.started and not self.frame.eof:
                    raise EOFError("the zstd data ends inside a frame")
                return 0
            if self.frame.eof:  # the next of several concatenated frames
                self.frame = zstandard.ZstdDecompressor().decompressobj()
            self.started = True
            self.pending = self.frame.decompress(chunk)
            if self.frame.eof:
                self.unused = self.frame.unused_data
        n = min(len(buffer), len(self.pending))
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n


_OPENERS: dict[str, Callable[[BinaryIO], BinaryIO]] = {
    "gzip": lambda raw: cast(BinaryIO, gzip.GzipFile(fileobj=raw, mode="rb")),
    "bzip2": lambda raw: cast(BinaryIO, bz2.BZ2File(raw, "rb")),
    "xz": lambda raw: cast(BinaryIO, lzma.LZMAFile(raw, "rb")),  # noqa: SIM115 - closed with its reader
    "zstd": lambda raw: cast(BinaryIO, _Zstd(raw)),
}


class _Guarded(io.RawIOBase):
    """The decompressed bytes; damage ends them (as end of file) and is kept in ``damage``."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner
        self.damage: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.damage is not None:
            return 0
        try:
            # One decompression step per call (read1): what came out before the damage still reaches
            # the parser; a filling read would drop it together with the error.
            data = self.inner.read1(len(buffer)) if hasattr(self.inner, "read1") else self.inner.read(len(buffer))
        except _DAMAGE as exc:
            self.damage = str(exc) or type(exc).__name__
            return 0
        buffer[: len(data)] = data
        return len(data)


class Decompressed:
    """What parsers read from a possibly compressed stream, and what went wrong in the archive."""

    def __init__(self, stream: BinaryIO) -> None:
        head = stream.peek(16)[:16] if hasattr(stream, "peek") else b""
        self.kind = compression_of(head)
        self._guard: _Guarded | None = None
        self.stream: BinaryIO = stream
        if self.kind is not None:
            self._guard = _Guarded(_OPENERS[self.kind](stream))
            self.stream = cast(BinaryIO, io.BufferedReader(self._guard, buffer_size=CHUNK))

    @property
    def damage(self) -> str | None:
        """Why decompression stopped early, or ``None`` when the archive read to its end."""
        return self._guard.damage if self._guard is not None else None

    def head(self, size: int) -> bytes:
        """The first ``size`` bytes of the text, left in place for the parser."""
        peek = getattr(self.stream, "peek", None)
        return bytes(peek(size)[:size]) if peek is not None else b""
