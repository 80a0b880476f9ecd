"""Public collections: what anyone may read of a member's collection once the member makes it public."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member
from paperstand.errors import NotFound
from paperstand.library.models import Collection


@dataclass(frozen=True)
class PublicCollection:
    """A public collection and the member who keeps it."""

    owner_name: str
    owner_display: str
    collection: Collection


def public_collection(session: Session, *, name: str, slug: str) -> PublicCollection:
    """The public collection ``slug`` of member ``name``; NotFound when it is private, or its member is banned."""
    row = None
    if 0 < len(name) <= 40 and 0 < len(slug) <= 100:
        row = session.execute(select(Member.name, Member.display_name, Collection)
                              .join(Collection, Collection.member_id == Member.id)
                              .where(Member.name_key == name.lower(), Collection.slug == slug,
                                     Collection.public.is_(True), Member.banned_at.is_(None))).first()
    if row is None:
        raise NotFound("There is no public collection at this address.",
                       hint="Its owner may have made it private, renamed or deleted it.")
    return PublicCollection(row[0], row[1] or row[0], row[2])


def public_collections(session: Session, *, member_id: int) -> list[Collection]:
    """A member's public collections, by name (for their profile)."""
    return list(session.scalars(select(Collection).where(Collection.member_id == member_id,
                                                         Collection.public.is_(True)).order_by(Collection.name)))


def member_id_named(session: Session, *, name: str) -> int:
    """The id of the member called ``name`` (any case), or NotFound: how the CLI names whose library it means."""
    found = session.scalar(select(Member.id).where(Member.name_key == name.lower())) if len(name) <= 40 else None
    if found is None:
        raise NotFound(f"no member is called {name[:40]!r}", hint="`paperstand users list` shows the members.")
    return int(found)
