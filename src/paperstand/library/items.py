"""Reading a collection: one page of its saved papers (newest save first), as cards with notes and read marks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from paperstand.errors import NotFound
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.models import Paper
from paperstand.papers.queries import PaperCard, cards_for

# Papers per page of a collection: a screenful of cards, as the day pages show.
PER_PAGE = 30
Show = Literal["all", "unread", "read"]
SHOWS: tuple[Show, ...] = ("all", "unread", "read")


@dataclass(frozen=True)
class Entry:
    """A saved paper as a collection shows it: its card, the member's note, when it was saved and read."""

    card: PaperCard
    note: str
    added_at: datetime
    read_at: datetime | None


@dataclass(frozen=True)
class ItemPage:
    """One page of a collection's papers."""

    collection: Collection
    entries: list[Entry]
    page: int
    pages: int
    total: int
    show: Show


def parse_show(value: str) -> Show:
    """A ``?show=`` value (all, unread or read); anything else is all."""
    return next((s for s in SHOWS if s == value), "all")


def _filtered(collection_id: int, show: Show) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [CollectionItem.collection_id == collection_id]
    if show == "unread":
        where.append(CollectionItem.read_at.is_(None))
    elif show == "read":
        where.append(CollectionItem.read_at.is_not(None))
    return where


def item_page(session: Session, *, collection: Collection, page: int = 1, per_page: int = PER_PAGE,
              show: Show = "all", member_id: int | None = None) -> ItemPage:
    """Page ``page`` of the collection's papers, newest save first; NotFound past the last page."""
    where = _filtered(collection.id, show)
    total = int(session.scalar(select(func.count()).select_from(CollectionItem).where(*where)) or 0)
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise NotFound(f"Page {page} does not exist: this collection has {pages} page{'s' if pages != 1 else ''}.",
                       hint="Go back to page 1.")
    rows = session.execute(select(CollectionItem, Paper).join(Paper, Paper.id == CollectionItem.paper_id)
                           .where(*where)
                           .order_by(CollectionItem.added_at.desc(), CollectionItem.id.desc())
                           .offset((page - 1) * per_page).limit(per_page)).all()
    cards = cards_for(session, [paper for _, paper in rows], member_id=member_id)
    entries = [Entry(card, item.note, item.added_at, item.read_at) for (item, _), card in zip(rows, cards, strict=True)]
    return ItemPage(collection, entries, page, pages, total, show)


def all_papers(session: Session, *, collection_id: int) -> list[tuple[CollectionItem, Paper]]:
    """Every saved paper of a collection with its item, oldest save first: what an export writes."""
    rows = session.execute(select(CollectionItem, Paper).join(Paper, Paper.id == CollectionItem.paper_id)
                           .where(CollectionItem.collection_id == collection_id)
                           .order_by(CollectionItem.added_at, CollectionItem.id))
    return [(item, paper) for item, paper in rows]


def paper_ids(session: Session, *, collection_ids: list[int]) -> set[int]:
    """Ids of the papers saved in any of these collections: the set a library search is restricted to."""
    if not collection_ids:
        return set()
    return set(session.scalars(select(CollectionItem.paper_id).where(CollectionItem.collection_id.in_(collection_ids))))
