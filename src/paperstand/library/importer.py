"""Importing a BibTeX or RIS file into a collection: each entry matched to a stored paper, or said why not.

Files are parsed by ``bibtexparser`` and ``rispy``. A broken entry does not spoil the file: it is
reported with its line, and every valid entry is kept. An entry is matched by its arXiv id (``eprint``,
an arxiv.org URL, ``arXiv:`` in any field, arXiv's own DOIs), then its DOI, then its title (compared as
``papers.ids.title_key`` compares titles). Matched papers are saved (a note comes with them when the
entry has one); unmatched ones are listed with the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperstand.errors import BadRequest
from paperstand.library import service
from paperstand.papers.ids import ARXIV_ID_RE, split_arxiv_id, title_key
from paperstand.papers.models import Paper

# The largest file taken: tens of thousands of entries, far more than any reading list.
MAX_BYTES = 5 * 1024 * 1024
# Entries taken from one file: each costs a few lookups.
MAX_ENTRIES = 5_000
# arXiv's DOIs (10.48550/arXiv.2503.00001) name the paper by its id.
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_ARXIV_MENTION = re.compile(r"(?:arxiv[:/ ]|arxiv\.org/(?:abs|pdf)/)\s*(\S+)", re.IGNORECASE)
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")
# LaTeX escapes of the export's specials, undone so a note comes back as it was written.
_LATEX = re.compile(r"\\([&%#])")


@dataclass(frozen=True)
class Entry:
    """What an import reads from one entry: where it was, and what it can be matched by."""

    line: int
    label: str
    arxiv_id: str | None = None
    doi: str | None = None
    title: str = ""
    note: str = ""


@dataclass
class ImportReport:
    """What an import did: papers added, those already there, entries not matched and entries not read."""

    fmt: str
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    unmatched: list[tuple[Entry, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def read(self) -> int:
        """Entries read (matched or not)."""
        return len(self.added) + len(self.already) + len(self.unmatched)


def decode(data: bytes) -> str:
    """The file's text (UTF-8, with or without a byte-order mark; else Latin-1), or BadRequest."""
    if len(data) > MAX_BYTES:
        raise BadRequest(f"The file is too large: {len(data):,} bytes, at most {MAX_BYTES:,}.")
    if not data.strip():
        raise BadRequest("The file is empty.", hint="Choose a .bib or .ris file exported from your reference manager.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return service.clean_text(text.replace("\r\n", "\n").replace("\r", "\n"), limit=MAX_BYTES, what="The file")


def sniff(text: str, filename: str = "") -> str:
    """``bib`` or ``ris``: by the file's name, else by its first meaningful line; BadRequest if neither."""
    name = filename.lower()
    if name.endswith((".bib", ".bibtex")):
        return "bib"
    if name.endswith(".ris"):
        return "ris"
    for line in text.splitlines():
        if line.strip():
            if _RIS_TAG.match(line.lstrip("\ufeff")):
                return "ris"
            if line.lstrip().startswith(("@", "%")):
                return "bib"
    raise BadRequest("This is neither a BibTeX nor a RIS file.",
                     hint="A BibTeX entry starts with @article{ or @misc{; a RIS record with a line 'TY  - '.")


def _arxiv(*texts: str | None) -> str | None:
    """The first arXiv id in these fields: after ``arXiv:`` or in an arxiv.org URL, or a field that is just an id."""
    for text in texts:
        candidates = [m[1] for m in _ARXIV_MENTION.finditer(text or "")]
        if ARXIV_ID_RE.fullmatch((text or "").strip()):
            candidates.append((text or "").strip())
        for candidate in candidates:
            parsed = split_arxiv_id(candidate)
            if parsed:
                return parsed[0]
    return None


def normal_doi(value: str | None) -> str | None:
    """A DOI without its resolver prefix, lower-cased (DOIs compare case-insensitively); None if empty."""
    doi = _DOI_PREFIX.sub("", (value or "").strip()).strip().lower()
    return doi or None


def _bib_entries(text: str, report: ImportReport) -> list[Entry]:
    import bibtexparser

    library = bibtexparser.parse_string(text)
    for block in library.failed_blocks:
        why = str(getattr(block, "error", "") or "").splitlines()
        report.errors.append(f"Line {(block.start_line or 0) + 1}: this entry could not be read"
                             f"{' (' + why[-1].strip()[:200] + ')' if why else ''}; it was skipped.")
    entries = []
    for e in library.entries:
        f = {k.lower(): str(v.value) for k, v in e.fields_dict.items()}
        doi = normal_doi(f.get("doi"))
        from_doi = _ARXIV_DOI.match(doi or "")
        eprint = f.get("eprint") if f.get("archiveprefix", "arxiv").lower() == "arxiv" else None
        arxiv = _arxiv(eprint, from_doi[1] if from_doi else None, f.get("url"), f.get("journal"), f.get("note"))
        note = _LATEX.sub(r"\1", f.get("annote", ""))
        entries.append(Entry((e.start_line or 0) + 1, e.key, arxiv, doi, _unbrace(f.get("title", "")), note))
    return entries


def _unbrace(title: str) -> str:
    return " ".join(_LATEX.sub(r"\1", title.replace("{", "").replace("}", "")).split())


def _ris_records(text: str) -> list[tuple[int, str]]:
    """The file cut into records at ``ER`` lines, each with its first line's number."""
    records: list[tuple[int, str]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if not current and not line.strip():
            continue
        if not current:
            start = number
        current.append(line)
        if line.startswith("ER  -"):
            records.append((start, "\n".join(current)))
            current = []
    if any(line.strip() for line in current):
        records.append((start, "\n".join(current)))
    return records


def _ris_entries(text: str, report: ImportReport) -> list[Entry]:
    import rispy

    entries = []
    for start, record in _ris_records(text):
        problem = _ris_problem(record)
        try:
            parsed = None if problem else rispy.loads(record)
        except Exception as exc:  # rispy raises plain exceptions for malformed records
            problem = str(exc) or type(exc).__name__
        if problem or not parsed:
            report.errors.append(f"Line {start}: this record could not be read ({problem or 'empty'}); it was skipped.")
            continue
        r = parsed[0]
        doi = normal_doi(r.get("doi"))
        from_doi = _ARXIV_DOI.match(doi or "")
        urls = " ".join(r.get("urls", []) or [])
        arxiv = _arxiv(r.get("accession_number"), from_doi[1] if from_doi else None, urls or None,
                       r.get("notes_abstract"), r.get("journal_name"))
        title = r.get("title") or r.get("primary_title") or ""
        notes = r.get("notes") or []
        entries.append(Entry(start, title[:80] or f"record at line {start}", arxiv, doi, " ".join(title.split()),
                             "\n".join(notes) if isinstance(notes, list) else str(notes)))
    return entries


def _ris_problem(record: str) -> str | None:
    lines = [line for line in record.splitlines() if line.strip()]
    if not lines[0].startswith("TY  -"):
        return "a record must start with 'TY  - '"
    if not lines[-1].startswith("ER  -"):
        return "the record has no 'ER  - ' line to end it"
    return None


def parse(text: str, fmt: str) -> ImportReport:
    """The file's entries (``report.unmatched`` holds them all, with reason ``""``, until matched)."""
    report = ImportReport(fmt)
    entries = _bib_entries(text, report) if fmt == "bib" else _ris_entries(text, report)
    if len(entries) > MAX_ENTRIES:
        report.errors.append(f"The file has {len(entries):,} entries; only the first {MAX_ENTRIES:,} were read.")
    report.unmatched = [(e, "") for e in entries[:MAX_ENTRIES]]
    if not entries and not report.errors:
        report.errors.append("The file holds no entries.")
    return report


# Values per IN list: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def _lookup(session: Session, column: Any, values: set[str]) -> dict[str, list[Paper]]:
    """Stored papers by ``column``'s value, for every value asked, in a few IN queries."""
    found: dict[str, list[Paper]] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        for key, paper in session.execute(select(column, Paper).where(column.in_(ordered[start:start + CHUNK]))):
            found.setdefault(key, []).append(paper)
    return found


def _title_ok(title: str) -> bool:
    """Whether a title has a letter or digit ``title_key`` can see (else every such title would share one key)."""
    return bool(re.search(r"[a-z0-9]", unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()))


def match_all(session: Session, entries: list[Entry]) -> list[tuple[Paper | None, str]]:
    """The stored paper each entry names (arXiv id, then DOI, then title), or None and why not; same order."""
    by_arxiv = _lookup(session, Paper.arxiv_id, {e.arxiv_id for e in entries if e.arxiv_id})
    by_doi = _lookup(session, func.lower(Paper.doi), {e.doi for e in entries if e.doi})
    by_title = _lookup(session, Paper.title_key, {title_key(e.title) for e in entries if _title_ok(e.title)})
    return [_matched(e, by_arxiv, by_doi, by_title) for e in entries]


def _matched(entry: Entry, by_arxiv: dict[str, list[Paper]], by_doi: dict[str, list[Paper]],
             by_title: dict[str, list[Paper]]) -> tuple[Paper | None, str]:
    if entry.arxiv_id and by_arxiv.get(entry.arxiv_id):
        return by_arxiv[entry.arxiv_id][0], ""
    if entry.doi and by_doi.get(entry.doi):
        return by_doi[entry.doi][0], ""
    titled = by_title.get(title_key(entry.title), []) if _title_ok(entry.title) else []
    if len(titled) == 1:
        return titled[0], ""
    if len(titled) > 1:
        return None, "several stored papers have this title; add its arXiv id or DOI to the entry"
    tried = [f"arXiv id {entry.arxiv_id}" if entry.arxiv_id else "", f"DOI {entry.doi}" if entry.doi else "",
             "title" if entry.title else ""]
    named = ", ".join(t for t in tried if t)
    return None, f"no stored paper has this {named}" if named else "the entry has no arXiv id, DOI or title"


def match(session: Session, entry: Entry) -> tuple[Paper | None, str]:
    """``match_all`` for one entry."""
    return match_all(session, [entry])[0]


def import_file(session: Session, *, member_id: int, slug: str, data: bytes, filename: str,
                now: datetime) -> ImportReport:
    """Read a BibTeX or RIS file and save every entry that matches a stored paper into the collection. Commits."""
    collection = service.get_collection(session, member_id=member_id, slug=slug)
    text = decode(data)
    report = parse(text, sniff(text, filename))
    pending, report.unmatched = report.unmatched, []
    chosen: dict[int, tuple[Paper, str | None]] = {}
    for (entry, _), (paper, why) in zip(pending, match_all(session, [e for e, _ in pending]), strict=True):
        if paper is None:
            report.unmatched.append((entry, why))
        elif paper.id not in chosen or entry.note.strip():  # a repeated entry's note wins over none
            chosen[paper.id] = (paper, entry.note if entry.note.strip() else None)
    added = service.save_many(session, collection=collection, papers={pid: note for pid, (_, note) in chosen.items()},
                              now=now)
    for pid, (paper, _) in chosen.items():
        (report.added if pid in added else report.already).append(paper.public_id)
    return report
