"""Idempotent upserts of normalized records: merge by arXiv id, else by title key.

Rows are written with SQLAlchemy Core in batches (one SELECT to find existing papers, one
executemany per kind of write) because imports reach millions of records; the ORM's per-object
bookkeeping would dominate the cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import JSON, Connection, Table, and_, bindparam, insert, or_, select, update

from paperstand.db import UTCDateTime
from paperstand.dialect import on_sqlite, placeholder
from paperstand.papers.ids import local_key_for, title_key
from paperstand.papers.models import DailyPick, ExternalSignal, Paper
from paperstand.papers.published import keep_precise

if TYPE_CHECKING:  # papers does not depend on ingest at run time; ingest depends on papers
    from paperstand.ingest.record import PaperRecord

# Columns whose value a newer record replaces (when the record says something).
OVERLAY_FIELDS = (
    "title", "abstract", "primary_category", "published_at", "published_precision", "updated_at", "doi", "journal_ref",
    "comments", "license", "pdf_url", "github_repo", "project_page", "withdrawn", "ai_summary",
    "ai_keywords", "organization", "discussion_id", "thumbnail",
)
# Which source's bibliographic values win when two disagree: arXiv's own metadata over feeds,
# feeds over Hugging Face's copy, anything over a page capture.
SOURCE_RANK = {"arxiv-oai": 6, "arxiv-atom": 5, "arxiv-jsonl": 4, "arxiv-rss": 3, "hf-daily": 2, "listing": 1}
# Fields only Hugging Face supplies: its latest value always wins.
HF_FIELDS = frozenset({"github_repo", "project_page", "ai_summary", "ai_keywords", "organization",
                       "discussion_id", "thumbnail"})
# Fields a verified author may set on the paper page (``community.claims.set_links``); once they have,
# imports leave them as the author set them.
AUTHOR_FIELDS = frozenset({"github_repo", "project_page"})
# Every stored field a record can change: a merge that leaves all of them equal changes nothing.
COMPARED_FIELDS = (*OVERLAY_FIELDS, "arxiv_id", "local_key", "authors", "categories", "latest_version",
                   "versions", "sources")
T: Table = Paper.__table__  # type: ignore[assignment]
JSON_COLUMNS = frozenset(c.name for c in T.columns if isinstance(c.type, JSON))
TIME_COLUMNS = frozenset(c.name for c in T.columns if isinstance(c.type, UTCDateTime))
# External signals: the PaperRecord attribute and the external_signals row name are the same word.
SIGNALS = ("hf_upvotes", "hf_comments", "github_stars")
S: Table = ExternalSignal.__table__  # type: ignore[assignment]
D: Table = DailyPick.__table__  # type: ignore[assignment]


@dataclass
class StoreResult:
    """What one batch did: counts of new, updated and unchanged records."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # Ids of papers stored before this batch whose row it rewrote (for the search index).
    changed_ids: list[int] = field(default_factory=list)


def same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when merging changed no stored field."""
    return all(old.get(f) == new.get(f) for f in COMPARED_FIELDS)


def _merge_versions(old: list[dict[str, Any]], rec: PaperRecord) -> list[dict[str, Any]]:
    by_num = {int(v["version"]): v.get("created") for v in old}
    for num, created in rec.versions:
        if created is not None or num not in by_num:
            by_num[num] = created.isoformat() if isinstance(created, datetime) else by_num.get(num)
    if rec.version is not None and rec.version not in by_num:
        by_num[rec.version] = None
    return [{"version": n, "created": by_num[n]} for n in sorted(by_num)]


def _fills_only(row: dict[str, Any], rec: PaperRecord) -> bool:
    """Whether ``rec`` may only fill empty bibliographic fields of ``row``.

    A newer arXiv version always updates. Otherwise the most authoritative source seen so far keeps
    its values, so importing several overlapping files in any order, any number of times, converges
    instead of flip-flopping between their slightly different renderings of the same paper.
    """
    latest = row["latest_version"]
    if rec.version is not None and latest is not None and rec.version != latest:
        return rec.version < latest
    best = max((SOURCE_RANK.get(s, 0) for s in row["sources"]), default=0)
    return SOURCE_RANK.get(rec.source, 0) < best


def merge_record(old: dict[str, Any] | None, rec: PaperRecord) -> dict[str, Any]:
    """The paper row after applying ``rec`` to ``old`` (``None`` for a new paper). Pure.

    Links a verified author set here (``links_set_by_author``) are never replaced by a record.
    """
    row: dict[str, Any] = dict(old) if old else {
        "arxiv_id": None, "local_key": None, "authors": [], "categories": [], "versions": [],
        "sources": [], "latest_version": None, "withdrawn": False, "links_set_by_author": False,
        **{f: None for f in OVERLAY_FIELDS if f != "withdrawn"},
    }
    versions = _merge_versions(row["versions"] or [], rec)
    newest = versions[-1]["version"] if versions else None
    values: dict[str, Any] = {f: getattr(rec, f) for f in OVERLAY_FIELDS if f != "primary_category"}
    values["primary_category"] = rec.categories[0] if rec.categories else None
    values["authors"] = rec.authors or None
    values["categories"] = rec.categories or None
    values["published_precision"] = rec.published_precision or ("day" if rec.published_at else None)
    before = (row["published_at"], row["published_precision"])
    fills_only = _fills_only(row, rec)
    kept = AUTHOR_FIELDS if row.get("links_set_by_author") else frozenset()
    for key, value in values.items():
        if value is None or key in kept:
            continue
        if fills_only and key not in HF_FIELDS and row.get(key) not in (None, [], ""):
            continue
        row[key] = value
    row["published_at"], row["published_precision"] = keep_precise(
        (row["published_at"], row["published_precision"]), before,
        (values["published_at"], values["published_precision"]))
    if rec.arxiv_id and not row["arxiv_id"]:
        row["arxiv_id"] = rec.arxiv_id
    if not row["arxiv_id"] and not row["local_key"]:
        row["local_key"] = local_key_for(rec.title)
    row["versions"], row["latest_version"] = versions, newest
    row["abstract"] = row["abstract"] or ""
    row["sources"] = [*row["sources"], rec.source] if rec.source not in row["sources"] else row["sources"]
    row["title_key"] = title_key(row["title"])
    return row


class _Index:
    """Rows of one batch, reachable by arXiv id and by title key (existing and just-merged)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.by_title: dict[str, dict[str, Any]] = {}
        for row in rows:
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        """Make ``row`` findable; an arXiv row wins the title slot over an id-less one."""
        if row["arxiv_id"]:
            self.by_id[row["arxiv_id"]] = row
        current = self.by_title.get(row["title_key"])
        if current is None or not current["arxiv_id"]:
            self.by_title[row["title_key"]] = row

    def find(self, rec: PaperRecord) -> dict[str, Any] | None:
        """The row a record belongs to, or ``None`` for a new paper."""
        key = title_key(rec.title)
        if rec.arxiv_id:
            row = self.by_id.get(rec.arxiv_id)
            if row is None:
                # An id-less twin (e.g. from a listing) merges with the first arXiv record of its title.
                twin = self.by_title.get(key)
                row = twin if twin is not None and not twin["arxiv_id"] else None
            return row
        return self.by_title.get(key)


def _existing_rows(conn: Connection, recs: Sequence[PaperRecord]) -> list[dict[str, Any]]:
    """Rows the batch may touch: same arXiv id, or a title twin that can merge."""
    ids = list({r.arxiv_id for r in recs if r.arxiv_id})
    with_id = list({title_key(r.title) for r in recs if r.arxiv_id})
    without_id = list({title_key(r.title) for r in recs if not r.arxiv_id})
    cond = or_(T.c.arxiv_id.in_(ids), and_(T.c.arxiv_id.is_(None), T.c.title_key.in_(with_id)),
               T.c.title_key.in_(without_id))
    return [dict(row) for row in conn.execute(select(T).where(cond)).mappings()]


def store_batch(conn: Connection, recs: Sequence[PaperRecord], now: datetime | None = None) -> StoreResult:
    """Upsert a batch of records in the caller's transaction; return what changed."""
    now = now or datetime.now(UTC)
    index = _Index(_existing_rows(conn, recs))
    outcome, inserts, updates, rows = [], [], {}, []
    for rec in recs:
        old = index.find(rec)
        row = merge_record(old, rec)
        if old is not None and same_content(old, row):
            outcome.append("unchanged")
            rows.append(old)
            continue
        if old is None:
            row.update(first_seen_at=now, last_changed_at=now, _new=True)
            inserts.append(row)
            outcome.append("new")
        else:
            outcome.append("updated")
            old.update(row, last_changed_at=now)
            row = old
            if not row.get("_new"):
                updates[id(row)] = row
        index.add(row)
        rows.append(row)
    _write(conn, inserts, list(updates.values()))
    changed: set[int] = set()
    # Paper ids are only needed to attach signals and picks; plain arXiv records skip the read-back.
    if any(r.featured_on or any(getattr(r, name) is not None for name in SIGNALS) for r in recs):
        _read_back_ids(conn, inserts)
        ids = [int(r["id"]) for r in rows]
        changed = _store_signals(conn, recs, ids, now) | _store_picks(conn, recs, ids)
        _touch(conn, {ids[i] for i in changed if outcome[i] == "unchanged"}, now)
    result = StoreResult(changed_ids=[int(r["id"]) for r in updates.values()])
    for i, status in enumerate(outcome):
        status = "updated" if status == "unchanged" and i in changed else status
        setattr(result, status, getattr(result, status) + 1)
    return result


def _touch(conn: Connection, paper_ids: set[int], now: datetime) -> None:
    """Mark papers whose signals or featured days changed as changed too.

    ``last_changed_at`` then covers everything a page, feed or API answer shows about a paper, so its
    maximum is an honest Last-Modified time (a later one only costs a client a full answer).
    """
    if paper_ids:
        conn.execute(update(T).where(T.c.id.in_(sorted(paper_ids))).values(last_changed_at=now))


def _write(conn: Connection, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]) -> None:
    cols = [c.name for c in T.columns if c.name != "id"]
    if inserts:
        _insert_fast(conn, cols, inserts)
    if updates:
        stmt = update(T).where(T.c.id == bindparam("_id")).values({c: bindparam(c) for c in cols})
        conn.execute(stmt, [{"_id": r["id"], **{c: r.get(c) for c in cols}} for r in updates])


def _insert_fast(conn: Connection, cols: list[str], rows: list[dict[str, Any]]) -> None:
    """Insert new papers with one driver-level executemany.

    Converting values here (JSON text, naive UTC times) instead of through SQLAlchemy's per-value
    type processors more than halves the cost of a large import; both drivers accept these forms.
    """
    sqlite = on_sqlite(conn)  # SQLite's columns hold times as text and booleans as 0/1
    mark = placeholder(conn)
    sql = f"INSERT INTO papers ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"
    json_at = [i for i, c in enumerate(cols) if c in JSON_COLUMNS]
    time_at = [i for i, c in enumerate(cols) if c in TIME_COLUMNS]
    bool_at = [i for i, c in enumerate(cols) if c == "withdrawn"] if sqlite else []
    params: list[tuple[Any, ...]] = []
    times: dict[datetime, datetime | str] = {}  # many rows share a timestamp (the batch's "now"): convert each once
    for row in rows:
        values = [row.get(c) for c in cols]
        for i in json_at:
            if values[i] is not None:
                values[i] = orjson.dumps(values[i]).decode()
        for i in time_at:
            t = values[i]
            if t is not None:
                values[i] = times[t] if t in times else times.setdefault(t, _naive_utc(t, sqlite))
        for i in bool_at:
            values[i] = None if values[i] is None else int(bool(values[i]))
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


def _naive_utc(value: datetime, as_text: bool) -> datetime | str:
    """UTC without a zone, as SQLAlchemy stores it (text on SQLite)."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if as_text else value


def _read_back_ids(conn: Connection, inserted: list[dict[str, Any]]) -> None:
    """Fill in the ids the database gave rows inserted just now (one SELECT per batch)."""
    if not inserted:
        return
    ids = [r["arxiv_id"] for r in inserted if r["arxiv_id"]]
    lks = [r["local_key"] for r in inserted if not r["arxiv_id"]]
    stmt = select(T.c.id, T.c.arxiv_id, T.c.local_key).where(
        or_(T.c.arxiv_id.in_(ids), and_(T.c.arxiv_id.is_(None), T.c.local_key.in_(lks))))
    by_key = {a or "lk:" + lk: i for i, a, lk in conn.execute(stmt)}
    for row in inserted:
        row["id"] = by_key[row["arxiv_id"] or "lk:" + row["local_key"]]


def _store_signals(conn: Connection, recs: Sequence[PaperRecord], ids: list[int], now: datetime) -> set[int]:
    """Upsert external signals; return the indexes of records whose signals changed."""
    wanted = {(ids[i], name): (i, getattr(r, name)) for i, r in enumerate(recs)
              for name in SIGNALS if getattr(r, name) is not None}
    if not wanted:
        return set()
    stmt = select(S.c.id, S.c.paper_id, S.c.name, S.c.value).where(S.c.paper_id.in_({p for p, _ in wanted}))
    have = {(p, n): (sid, v) for sid, p, n, v in conn.execute(stmt)}
    changed, ins, upd = set(), [], []
    for (pid, name), (i, value) in wanted.items():
        if (pid, name) not in have:
            ins.append({"paper_id": pid, "name": name, "value": value, "observed_at": now})
        elif have[(pid, name)][1] != value:
            upd.append({"_id": have[(pid, name)][0], "value": value, "observed_at": now})
        else:
            continue
        changed.add(i)
    if ins:
        conn.execute(insert(S), ins)
    if upd:
        conn.execute(update(S).where(S.c.id == bindparam("_id")).values(
            value=bindparam("value"), observed_at=bindparam("observed_at")), upd)
    return changed


def _store_picks(conn: Connection, recs: Sequence[PaperRecord], ids: list[int]) -> set[int]:
    """Record featured days; position is the record's order among that day's records in the batch."""
    days = {r.featured_on for r in recs if r.featured_on}
    if not days:
        return set()
    have = {(d, p): (pid, pos, by) for pid, d, p, pos, by in conn.execute(
        select(D.c.id, D.c.day, D.c.paper_id, D.c.position, D.c.submitted_by).where(D.c.day.in_(days)))}
    next_pos = {d: 1 + max((pos for (dd, _), (_, pos, _) in have.items() if dd == d), default=0)
                for d in days}
    changed, ins, upd = set(), [], []
    for i, rec in enumerate(recs):
        if rec.featured_on is None:
            continue
        key = (rec.featured_on, ids[i])
        if key in have:
            pick_id, _, by = have[key]
            if rec.submitted_by and rec.submitted_by != by:
                upd.append({"_id": pick_id, "submitted_by": rec.submitted_by,
                            "submitted_by_name": rec.submitted_by_name})
                changed.add(i)
            continue
        pos = rec.position or next_pos[rec.featured_on]
        next_pos[rec.featured_on] = max(next_pos[rec.featured_on], pos) + 1
        ins.append({"day": rec.featured_on, "paper_id": ids[i], "position": pos, "source": rec.source,
                    "submitted_by": rec.submitted_by, "submitted_by_name": rec.submitted_by_name})
        have[key] = (0, pos, rec.submitted_by)
        changed.add(i)
    if ins:
        conn.execute(insert(D), ins)
    if upd:
        conn.execute(update(D).where(D.c.id == bindparam("_id")).values(
            submitted_by=bindparam("submitted_by"), submitted_by_name=bindparam("submitted_by_name")), upd)
    return changed

