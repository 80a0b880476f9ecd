"""A member's collections: create, rename, delete, publish, and save papers in them, idempotently.

Every save is one ``INSERT ... ON CONFLICT DO NOTHING`` on the ``(collection_id, paper_id)`` key, and the
default "Reading list" is made the same way on ``(member_id, slug)``: twenty identical saves at once leave
one collection and one row, and none of them reads before it writes. On SQLite the insert is the first
statement of the transaction, so it takes the write lock at once and waits its turn.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperstand.errors import BadRequest, NotFound
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.queries import PaperRef, find_paper_ref

DEFAULT_NAME = "Reading list"
DEFAULT_SLUG = "reading-list"
# Column sizes: a name fits String(100); a slug leaves room for a "-99" suffix.
MAX_NAME = 100
MAX_SLUG = 60
# A description is a paragraph, a note a page of remarks: both bound what a page renders.
MAX_DESCRIPTION = 2_000
MAX_NOTE = 10_000
# A member's shelves: far more than anyone curates by hand, and it bounds the /library page.
MAX_COLLECTIONS = 200
# No paper id is anywhere near this long; longer ones are refused before any lookup.
MAX_ID = 100
# Control characters other than tab and newline, and lone surrogates: never text, and PostgreSQL refuses NUL.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str, *, limit: int, what: str, one_line: bool = False) -> str:
    """``value`` without control characters and surrounding space; BadRequest when it is longer than ``limit``."""
    text = _NOT_TEXT.sub("", value)
    if one_line:
        text = " ".join(text.split())
    text = text.strip()
    if len(text) > limit:
        raise BadRequest(f"{what} is too long: {len(text):,} characters, at most {limit:,}.")
    return text


def slugify(name: str) -> str:
    """The address part of a name: ASCII letters and digits joined by dashes (``"GNNs & me"`` → ``gnns-me``)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:MAX_SLUG].strip("-")
    return slug or "collection"


def _name(value: str) -> str:
    name = clean_text(value, limit=MAX_NAME, what="A collection's name", one_line=True)
    if not name:
        raise BadRequest("A collection needs a name.", hint="For example: Graph papers, To cite, Ideas.")
    return name


@dataclass(frozen=True)
class Shelf:
    """A collection with how many papers it holds and how many of those are unread."""

    collection: Collection
    papers: int
    unread: int


def default_collection(session: Session, *, member_id: int, now: datetime) -> Collection:
    """The member's "Reading list", made on first use (concurrent first uses make one)."""
    from paperstand.dialect import insert_or_ignore

    stmt = insert_or_ignore(session, Collection, keys=("member_id", "slug"))
    session.execute(stmt, [{"member_id": member_id, "name": DEFAULT_NAME, "slug": DEFAULT_SLUG,
                            "description": "", "is_default": True, "public": False,
                            "created_at": now, "updated_at": now}])
    found = session.execute(select(Collection).where(Collection.member_id == member_id,
                                                     Collection.slug == DEFAULT_SLUG)).scalar_one()
    return found


def get_collection(session: Session, *, member_id: int, slug: str) -> Collection:
    """The member's collection at ``slug``, or NotFound."""
    found = None
    if 0 < len(slug) <= MAX_SLUG + 4:
        found = session.execute(select(Collection).where(Collection.member_id == member_id,
                                                         Collection.slug == slug)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"You have no collection called {slug[:MAX_SLUG]!r}.", hint="Your collections are at /library.")
    return found


def shelves(session: Session, *, member_id: int) -> list[Shelf]:
    """The member's collections, the Reading list first then by name, with their counts."""
    counts = (select(CollectionItem.collection_id, func.count().label("n"),
                     func.sum(case((CollectionItem.read_at.is_(None), 1), else_=0)).label("unread"))
              .group_by(CollectionItem.collection_id).subquery())
    rows = session.execute(select(Collection, counts.c.n, counts.c.unread)
                           .outerjoin(counts, counts.c.collection_id == Collection.id)
                           .where(Collection.member_id == member_id)
                           .order_by(Collection.is_default.desc(), func.lower(Collection.name), Collection.id))
    return [Shelf(c, int(n or 0), int(u or 0)) for c, n, u in rows]


def _free_slug(session: Session, member_id: int, name: str, keep: int | None = None) -> str:
    """A slug for ``name`` that none of the member's other collections uses (``-2``, ``-3``... when taken)."""
    base = slugify(name)
    taken = set(session.scalars(select(Collection.slug).where(Collection.member_id == member_id,
                                                              Collection.id != (keep or 0))))
    if base not in taken and base != DEFAULT_SLUG:
        return base
    return next(f"{base}-{n}" for n in range(2, MAX_COLLECTIONS + 3) if f"{base}-{n}" not in taken)


def _check_unique_name(session: Session, member_id: int, name: str, keep: int | None = None) -> None:
    clash = session.scalar(select(Collection.id).where(Collection.member_id == member_id,
                                                       func.lower(Collection.name) == name.lower(),
                                                       Collection.id != (keep or 0)))
    if clash is not None or (keep is None and name.lower() == DEFAULT_NAME.lower()):
        raise BadRequest(f"You already have a collection called {name!r}.", hint="Pick another name.")


def create_collection(session: Session, *, member_id: int, name: str, description: str = "",
                      public: bool = False, now: datetime) -> Collection:
    """A new named collection of the member's (names are unique per member, case aside). Commits."""
    name = _name(name)
    text = clean_text(description, limit=MAX_DESCRIPTION, what="A description")
    default_collection(session, member_id=member_id, now=now)
    if (session.scalar(select(func.count()).where(Collection.member_id == member_id)) or 0) >= MAX_COLLECTIONS:
        raise BadRequest(f"You have {MAX_COLLECTIONS} collections, the most one member may keep.",
                         hint="Delete one you no longer use.")
    _check_unique_name(session, member_id, name)
    made = Collection(member_id=member_id, name=name, slug=_free_slug(session, member_id, name),
                      description=text, is_default=False, public=public, created_at=now, updated_at=now)
    session.add(made)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # an identical create won the race for the slug
        raise BadRequest(f"You already have a collection called {name!r}.", hint="Pick another name.") from None
    return made


def edit_collection(session: Session, *, member_id: int, slug: str, name: str | None = None,
                    description: str | None = None, public: bool | None = None, now: datetime) -> Collection:
    """Rename (a new slug follows the name; the Reading list keeps its own), describe or publish. Commits."""
    found = get_collection(session, member_id=member_id, slug=slug)
    if name is not None:
        name = _name(name)
        _check_unique_name(session, member_id, name, keep=found.id)
        if not found.is_default and name != found.name:
            found.slug = _free_slug(session, member_id, name, keep=found.id)
        found.name = name
    if description is not None:
        found.description = clean_text(description, limit=MAX_DESCRIPTION, what="A description")
    if public is not None:
        found.public = public
    found.updated_at = now
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise BadRequest("Another collection of yours just took that name.", hint="Pick another name.") from None
    return found


def delete_collection(session: Session, *, member_id: int, slug: str) -> None:
    """Delete a collection and its saved papers (the papers themselves stay). Commits."""
    found = get_collection(session, member_id=member_id, slug=slug)
    if found.is_default:
        raise BadRequest("The Reading list cannot be deleted.", hint="Remove its papers instead, or make it private.")
    session.execute(delete(CollectionItem).where(CollectionItem.collection_id == found.id))
    session.execute(delete(Collection).where(Collection.id == found.id))
    session.commit()


def find_paper(session: Session, public_id: str) -> PaperRef:
    """The paper an id names, or NotFound (hostile or overlong ids included)."""
    paper = find_paper_ref(session, public_id) if 0 < len(public_id) <= MAX_ID else None
    if paper is None:
        raise NotFound(f"No paper with id {public_id[:MAX_ID]!r} is stored here.")
    return paper


@dataclass(frozen=True)
class Saved:
    """Where a save left a paper: its collection, and whether this call added it (False: it was there)."""

    collection: Collection
    paper: PaperRef
    added: bool


def _target(session: Session, member_id: int, slug: str | None, now: datetime) -> Collection:
    if not slug or slug == DEFAULT_SLUG:
        return default_collection(session, member_id=member_id, now=now)
    return get_collection(session, member_id=member_id, slug=slug)


def save_paper(session: Session, *, member_id: int, public_id: str, slug: str | None = None,
               note: str | None = None, now: datetime) -> Saved:
    """Save a paper in a collection (default: the Reading list); saving it again changes nothing. Commits."""
    from paperstand.dialect import insert_or_ignore

    text = None if note is None else clean_text(note, limit=MAX_NOTE, what="A note")
    collection = _target(session, member_id, slug, now)
    paper = find_paper(session, public_id)
    # RETURNING tells whether this statement inserted, on both databases (a skipped row returns nothing).
    stmt = insert_or_ignore(session, CollectionItem, keys=("collection_id", "paper_id")).returning(CollectionItem.id)
    try:
        result = session.connection().execute(stmt, {"collection_id": collection.id, "paper_id": paper.id,
                                                     "note": text or "", "read_at": None, "added_at": now})
    except IntegrityError:
        session.rollback()  # a foreign key: the paper was merged away, or the collection deleted, meanwhile
        raise NotFound("That paper or collection no longer exists.") from None
    added = result.first() is not None
    if text is not None and not added:
        _item_update(session, collection.id, paper.id, note=text)
    session.execute(update(Collection).where(Collection.id == collection.id).values(updated_at=now))
    session.commit()
    return Saved(collection, paper, added)


def remove_paper(session: Session, *, member_id: int, public_id: str, slug: str | None = None,
                 now: datetime) -> bool:
    """Take a paper out of a collection; whether it was there. Removing it again changes nothing. Commits."""
    collection = _target(session, member_id, slug, now)
    paper = find_paper(session, public_id)
    result = session.connection().execute(delete(CollectionItem).where(CollectionItem.collection_id == collection.id,
                                                          CollectionItem.paper_id == paper.id))
    session.commit()
    return int(cast(CursorResult[Any], result).rowcount or 0) > 0


def _item_update(session: Session, collection_id: int, paper_id: int, **values: Any) -> bool:
    result = session.connection().execute(update(CollectionItem).where(CollectionItem.collection_id == collection_id,
                                                          CollectionItem.paper_id == paper_id).values(**values))
    return int(cast(CursorResult[Any], result).rowcount or 0) > 0


def set_note(session: Session, *, member_id: int, slug: str, public_id: str, note: str) -> None:
    """Replace the member's note on a saved paper (empty: no note). Commits."""
    text = clean_text(note, limit=MAX_NOTE, what="A note")
    collection = get_collection(session, member_id=member_id, slug=slug)
    if not _item_update(session, collection.id, find_paper(session, public_id).id, note=text):
        raise NotFound(f"That paper is not in {collection.name!r}.")
    session.commit()


def set_read(session: Session, *, member_id: int, slug: str, public_id: str, read: bool, now: datetime) -> None:
    """Mark a saved paper read (now) or unread. Commits."""
    collection = get_collection(session, member_id=member_id, slug=slug)
    if not _item_update(session, collection.id, find_paper(session, public_id).id, read_at=now if read else None):
        raise NotFound(f"That paper is not in {collection.name!r}.")
    session.commit()


def saved_paper_ids(session: Session, *, member_id: int) -> set[int]:
    """Ids of the papers in the member's Reading list: what the save buttons show as saved."""
    return set(session.scalars(select(CollectionItem.paper_id).join(Collection)
                               .where(Collection.member_id == member_id, Collection.slug == DEFAULT_SLUG)))


def save_many(session: Session, *, collection: Collection, papers: dict[int, str | None], now: datetime) -> set[int]:
    """Save many papers (id -> note, ``None`` keeps an existing note) in one statement; the ids newly added. Commits.

    What an import does: one multi-row insert that skips papers already there, then the notes of those.
    """
    from paperstand.dialect import insert_or_ignore

    notes = {pid: None if note is None else clean_text(note, limit=MAX_NOTE, what="A note")
             for pid, note in papers.items()}
    if not notes:
        return set()
    stmt = insert_or_ignore(session, CollectionItem, keys=("collection_id", "paper_id")).returning(
        CollectionItem.paper_id)
    rows = [{"collection_id": collection.id, "paper_id": pid, "note": note or "", "read_at": None, "added_at": now}
            for pid, note in notes.items()]
    added = set(session.connection().execute(stmt, rows).scalars())
    for pid, note in notes.items():
        if note is not None and pid not in added:
            _item_update(session, collection.id, pid, note=note)
    session.execute(update(Collection).where(Collection.id == collection.id).values(updated_at=now))
    session.commit()
    return added
