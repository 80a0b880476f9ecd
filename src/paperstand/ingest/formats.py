"""The supported input formats: name → parser, and detection from a file's first bytes."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from paperstand import jsontext
from paperstand.ingest.record import ParseItem

Parser = Callable[[BinaryIO, str], Iterator[ParseItem]]

# Format name → module under paperstand.ingest that defines ``parse(stream, name)``.
FORMATS: dict[str, str] = {
    "listing": "listing",
    "hf-daily": "hf_daily",
    "arxiv-atom": "arxiv_atom",
    "arxiv-oai": "arxiv_oai",
    "arxiv-rss": "arxiv_rss",
    "arxiv-jsonl": "arxiv_jsonl",
}


class UnknownFormat(ValueError):
    """The format could not be recognised from the file's content."""


def parser_for(fmt: str) -> Parser:
    """The ``parse`` function of a format."""
    module = importlib.import_module(f"paperstand.ingest.{FORMATS[fmt]}")
    parse: Parser = module.parse
    return parse


# Keys of a Hugging Face paper object that no arXiv JSON-lines schema has.
_HF_KEYS = ("paper", "upvotes", "discussionId", "submittedOnDailyAt")
_JSONL_START = re.compile(rb'\{ ?"id" ?: ?"')
_XML_ROOT = re.compile(rb"<(?!\?|!)([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


# Share of a text head that may be undecodable or control characters: a Latin-1 word or a stray
# byte in a listing is a per-record rejection, but compressed or machine data is far above this.
MAX_NON_TEXT_SHARE = 0.1
# Control characters that text files do contain (tab, line feed, vertical tab, form feed, return, escape).
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1b")
# Containers worth naming, with what to do: their members are the files to import.
_CONTAINERS = ((b"PK\x03\x04", "a zip archive; unzip it and import the files inside"),
               (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive; extract it and import the files inside"),
               (b"Rar!\x1a\x07", "a RAR archive; extract it and import the files inside"),
               (b"%PDF-", "a PDF document"))


def text_problem(head: bytes) -> str | None:
    """Why the first block of a (decompressed) file is not text, or ``None`` when it reads as text."""
    for magic, what in _CONTAINERS:
        if head.startswith(magic):
            return what
    if head[257:262] == b"ustar":
        return "a tar archive; extract it and import the files inside"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text; save it as UTF-8"
    if b"\x00" in head:
        return "it contains NUL bytes"
    text = head.decode("utf-8", errors="replace")
    odd = text.count("\ufffd") + sum(1 for c in text if ord(c) < 32 and ord(c) not in _TEXT_CONTROLS)
    if text and odd > MAX_NON_TEXT_SHARE * len(text):
        return f"{odd} of its first {len(text)} characters are not UTF-8 text"
    return None


def detect(head: bytes) -> str:
    """Guess the format from the first few KiB of a file."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        match = _XML_ROOT.search(text)
        root = match.group(2).decode() if match else ""
        if root == "OAI-PMH":
            return "arxiv-oai"
        if root == "feed":
            return "arxiv-atom"
        if root in ("rss", "RDF"):
            return "arxiv-rss"
        raise UnknownFormat(f"XML with root element <{root}> is not a supported format")
    if text.startswith(b"["):
        return "hf-daily"
    if text.startswith(b"{"):
        first = text.split(b"\n", 1)[0]
        try:
            obj = jsontext.loads(first)
        except ValueError:
            # A first line cut off by the head's end (a paper with thousands of authors) or broken
            # still starts like a record; a one-line /api/papers/{id} object shows its "_id" keys.
            if _JSONL_START.match(first) and b'"_id"' not in first:
                return "arxiv-jsonl"
            return "hf-daily"  # a JSON document spread over many lines
        is_paper = isinstance(obj, dict) and "id" in obj and "title" in obj
        return "arxiv-jsonl" if is_paper and not any(k in obj for k in _HF_KEYS) else "hf-daily"
    if text:
        return "listing"
    raise UnknownFormat("the file is empty")
