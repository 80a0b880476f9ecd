"""A collection as a file: BibTeX (``papers.bibtex`` entries), RIS and CSL-JSON. Pure: papers in, text out.

Each format carries what an import needs to find the same papers again (the arXiv id, the DOI, the
title) and the member's note (BibTeX ``annote``, RIS ``N1``, CSL ``note``), so a collection exported and
imported elsewhere comes back with the same papers and notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from paperstand.papers.bibtex import bibtex, citation_key
from paperstand.papers.links import arxiv_abs_url
from paperstand.papers.models import Paper

# The formats a collection exports to: file extension -> (media type, name shown).
EXPORTS: dict[str, tuple[str, str]] = {
    "bib": ("application/x-bibtex; charset=utf-8", "BibTeX"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "RIS"),
    "json": ("application/vnd.citationstyles.csl+json", "CSL-JSON"),
}
# Characters a text file of citations should not hold: controls other than tab and newline (a RIS
# reader splits records on lines, and some tools stop at a NUL), lone surrogates.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _text(value: str | None) -> str:
    return _NOT_TEXT.sub("", value or "")


def _one_line(value: str | None) -> str:
    """RIS holds one line per field: runs of whitespace (newlines too) become one space."""
    return " ".join(_text(value).split())


def unique_keys(papers: Sequence[Paper]) -> list[str]:
    """A citation key per paper, made unique within the file with ``a``, ``b``... suffixes."""
    seen: dict[str, int] = {}
    keys = []
    for paper in papers:
        key = citation_key(paper)
        count = seen.get(key, 0)
        seen[key] = count + 1
        keys.append(key if count == 0 else f"{key}{_suffix(count)}")
    return keys


def _suffix(n: int) -> str:
    """1 -> a, 26 -> z, 27 -> aa: what follows a repeated key."""
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def to_bibtex(items: Sequence[tuple[Paper, str]]) -> str:
    """A .bib file of ``(paper, note)`` pairs, in their order."""
    keys = unique_keys([p for p, _ in items])
    entries = []
    for (paper, note), key in zip(items, keys, strict=True):
        extra: list[tuple[str, str]] = []
        if paper.doi:
            extra.append(("doi", _one_line(paper.doi)))
        if note.strip():
            extra.append(("annote", _text(note)))
        entries.append(bibtex(_clean_paper(paper), key=key, extra=tuple(extra)))
    return "\n\n".join(entries) + ("\n" if entries else "")


def _clean_paper(paper: Paper) -> Paper:
    """The paper with its title and authors free of characters a .bib file cannot hold (a detached copy)."""
    if not _NOT_TEXT.search(paper.title) and not any(_NOT_TEXT.search(a) for a in paper.authors or []):
        return paper
    copy = Paper(**{c: getattr(paper, c) for c in ("id", "arxiv_id", "local_key", "title", "authors",
                                                   "published_at", "primary_category", "journal_ref", "pdf_url")})
    copy.title, copy.authors = _text(paper.title), [_text(a) for a in paper.authors or []]
    return copy


def _year(paper: Paper) -> str:
    return str(paper.published_at.year) if paper.published_at else ""


def to_ris(items: Sequence[tuple[Paper, str]]) -> str:
    """A .ris file of ``(paper, note)`` pairs: one ``TY ... ER`` record each, in their order."""
    records = []
    for paper, note in items:
        lines = [("TY", "UNPB" if paper.arxiv_id else "GEN"), ("TI", _one_line(paper.title))]
        lines += [("AU", _one_line(a)) for a in paper.authors or [] if _one_line(a)]
        if _year(paper):
            lines.append(("PY", _year(paper)))
        if paper.doi:
            lines.append(("DO", _one_line(paper.doi)))
        url = arxiv_abs_url(paper)
        if paper.arxiv_id and url:
            lines += [("AN", f"arXiv:{paper.arxiv_id}"), ("UR", url)]
        if note.strip():
            lines.append(("N1", _one_line(note)))
        lines.append(("ER", ""))
        records.append("\n".join(f"{tag}  - {value}".rstrip() if tag == "ER" else f"{tag}  - {value}"
                                 for tag, value in lines))
    return "\n\n".join(records) + ("\n" if records else "")


def csl_name(author: str) -> dict[str, str]:
    """A CSL name: the last word as family name, the rest as given names; one word stays ``literal``."""
    parts = _one_line(author).rsplit(" ", 1)
    return {"family": parts[1], "given": parts[0]} if len(parts) == 2 else {"literal": parts[0]}


def csl_item(paper: Paper, key: str, note: str) -> dict[str, Any]:
    """One CSL-JSON item: an arXiv paper is an ``article`` (CSL's type for preprints) numbered by its id."""
    item: dict[str, Any] = {"id": key, "type": "article" if paper.arxiv_id else "document",
                            "title": _text(paper.title)}
    names = [csl_name(a) for a in paper.authors or [] if _one_line(a)]
    if names:
        item["author"] = names
    if paper.published_at:
        when = paper.published_at
        parts = [when.year, when.month] if paper.published_precision == "month" else [when.year, when.month, when.day]
        item["issued"] = {"date-parts": [parts]}
    if paper.abstract:
        item["abstract"] = _text(paper.abstract)
    if paper.doi:
        item["DOI"] = _one_line(paper.doi)
    if paper.arxiv_id:
        item.update({"publisher": "arXiv", "number": paper.arxiv_id, "URL": arxiv_abs_url(paper)})
    if note.strip():
        item["note"] = _text(note)
    return item


def to_csl_json(items: Sequence[tuple[Paper, str]]) -> bytes:
    """A CSL-JSON file (an array of items) of ``(paper, note)`` pairs, in their order."""
    keys = unique_keys([p for p, _ in items])
    data = [csl_item(paper, key, note) for (paper, note), key in zip(items, keys, strict=True)]
    return orjson.dumps(data, option=orjson.OPT_INDENT_2)


def export(fmt: str, items: Sequence[tuple[Paper, str]]) -> bytes:
    """The collection's file in ``fmt`` (``bib``, ``ris`` or ``json``)."""
    if fmt == "bib":
        return to_bibtex(items).encode()
    if fmt == "ris":
        return to_ris(items).encode()
    if fmt == "json":
        return to_csl_json(items)
    raise ValueError(f"unknown export format {fmt!r}")
