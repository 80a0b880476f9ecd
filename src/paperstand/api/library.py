"""The caller's library through the API: list and make collections, save and remove papers (Bearer token).

The same service functions as the /library forms. Saving is idempotent: the same call twice (or twenty
at once) leaves one saved paper. Any member with a token keeps a private library; making a collection
public (``"public": true``) takes the ``comment`` right, as the form does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired
from paperstand.accounts.models import Member
from paperstand.deps import DB_SESSION
from paperstand.library import service
from paperstand.library.items import item_page
from paperstand.library.models import Collection
from paperstand.web.auth import api_caller, require_api

router = APIRouter(tags=["library"])


class CollectionOut(BaseModel):
    """One of the caller's collections."""

    slug: str = Field(description="Its address: `/library/{slug}`, and `/u/{name}/c/{slug}` when public.")
    name: str
    description: str
    public: bool
    default: bool = Field(description="Whether this is the Reading list, where saves go by default.")
    papers: int = Field(description="How many papers it holds.")
    unread: int = Field(description="How many of them are not marked read.")


class NewCollection(BaseModel):
    """A collection to make."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=service.MAX_NAME * 4, description="Its name (unique among yours).")
    description: str = Field("", max_length=service.MAX_DESCRIPTION * 4)
    public: bool = Field(False, description="Public collections have a page and feeds anyone can read.")


class SaveBody(BaseModel):
    """What a save may carry."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=service.MAX_NOTE * 4, description="Your note on the paper "
                             "(replaces any earlier one; leave it out to keep it).")


class SavedOut(BaseModel):
    """A paper's place in a collection after the call."""

    collection: str = Field(description="The collection's slug.")
    paper: str = Field(description="The paper's id (arXiv id or local key).")
    saved: bool = Field(description="Whether the paper is in the collection now.")
    changed: bool = Field(description="Whether this call changed that (false: it was already so).")


def _caller(request: Request) -> Member:
    member = api_caller(request)
    if member is None:
        raise LoginRequired("this call needs a valid API token", hint="Send Authorization: Bearer <token>; "
                            "make one in /settings.")
    return member


def _out(c: Collection, papers: int = 0, unread: int = 0) -> CollectionOut:
    return CollectionOut(slug=c.slug, name=c.name, description=c.description, public=c.public,
                         default=c.is_default, papers=papers, unread=unread)


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token, as `{\"error\": \"...\", \"status\": 401}`."},
    404: {"description": "No such collection of yours, or no such paper."},
}


@router.get("/api/me/collections", response_model=list[CollectionOut], responses=_ERRORS,
            summary="List your collections")
def list_collections(request: Request, session: Session = DB_SESSION) -> list[CollectionOut]:
    """The caller's collections, the Reading list first, with their counts."""
    member = _caller(request)
    return [_out(s.collection, s.papers, s.unread) for s in service.shelves(session, member_id=member.id)]


@router.post("/api/me/collections", response_model=CollectionOut, status_code=201, responses=_ERRORS,
             summary="Make a collection")
def make_collection(request: Request, body: NewCollection, session: Session = DB_SESSION) -> CollectionOut:
    """A new collection of the caller's (400 when they already have one of that name)."""
    member = require_api(request, "comment") if body.public else _caller(request)
    made = service.create_collection(session, member_id=member.id, name=body.name, description=body.description,
                                     public=body.public, now=datetime.now(UTC))
    return _out(made)


class SavedPaperOut(BaseModel):
    """A saved paper, with the caller's note and read mark."""

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="The paper's id (arXiv id or local key): `GET /api/papers/{id}` has the rest.")
    title: str
    note: str
    added_at: str = Field(alias="addedAt", description="When it was saved (ISO 8601, UTC).")
    read_at: str | None = Field(alias="readAt", description="When it was marked read; null while unread.")


class CollectionPage(BaseModel):
    """One page of a collection's papers, newest save first."""

    collection: CollectionOut
    page: int
    pages: int
    papers: list[SavedPaperOut]


class CollectionEdit(BaseModel):
    """What to change about a collection; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=service.MAX_NAME * 4, description="A new name (its slug follows, "
                             "except the Reading list's).")
    description: str | None = Field(None, max_length=service.MAX_DESCRIPTION * 4)
    public: bool | None = Field(None, description="Publishing takes a verified, unbanned account.")


class ItemEdit(BaseModel):
    """What to change about a saved paper; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=service.MAX_NOTE * 4, description="The new note (empty: none).")
    read: bool | None = Field(None, description="Mark it read (true) or unread (false).")


@router.get("/api/me/collections/{slug}", response_model=CollectionPage, response_model_by_alias=True,
            responses=_ERRORS, summary="A collection's papers")
def collection_papers(request: Request, slug: str, p: Annotated[int, Query(ge=1, le=100_000)] = 1,
                      session: Session = DB_SESSION) -> CollectionPage:
    """One page (30) of a collection's papers, newest save first, with notes and read times."""
    member = _caller(request)
    found = service.get_collection(session, member_id=member.id, slug=slug)
    page = item_page(session, collection=found, page=p)
    unread = sum(s.unread for s in service.shelves(session, member_id=member.id) if s.collection.id == found.id)
    papers = [SavedPaperOut(id=e.card.paper.public_id, title=e.card.paper.title, note=e.note,
                            added_at=e.added_at.isoformat(), read_at=e.read_at.isoformat() if e.read_at else None)
              for e in page.entries]
    return CollectionPage(collection=_out(found, page.total, unread), page=page.page, pages=page.pages,
                          papers=papers)


@router.patch("/api/me/collections/{slug}", response_model=CollectionOut, responses=_ERRORS,
              summary="Rename, describe or publish a collection")
def edit_collection(request: Request, slug: str, body: CollectionEdit, session: Session = DB_SESSION) -> CollectionOut:
    """Change a collection's name, description or visibility; the answer carries its (new) slug."""
    member = require_api(request, "comment") if body.public else _caller(request)
    found = service.edit_collection(session, member_id=member.id, slug=slug, name=body.name,
                                    description=body.description, public=body.public, now=datetime.now(UTC))
    return _out(found)


@router.delete("/api/me/collections/{slug}", status_code=204, response_class=Response, responses=_ERRORS,
               summary="Delete a collection")
def delete_collection(request: Request, slug: str, session: Session = DB_SESSION) -> Response:
    """Delete a collection and its list (the papers stay); the Reading list cannot be deleted (400)."""
    member = _caller(request)
    service.delete_collection(session, member_id=member.id, slug=slug)
    return Response(status_code=204)


@router.patch("/api/me/collections/{slug}/papers/{paper_id:path}", status_code=204, response_class=Response,
              responses=_ERRORS, summary="Change a saved paper's note or read mark")
def edit_item(request: Request, slug: str, paper_id: str, body: ItemEdit, session: Session = DB_SESSION) -> Response:
    """Replace the note and/or mark the paper read or unread (404 when it is not in the collection)."""
    member = _caller(request)
    if body.note is not None:
        service.set_note(session, member_id=member.id, slug=slug, public_id=paper_id, note=body.note)
    if body.read is not None:
        service.set_read(session, member_id=member.id, slug=slug, public_id=paper_id, read=body.read,
                         now=datetime.now(UTC))
    return Response(status_code=204)


# ``:path`` because old-style arXiv ids contain a slash (hep-th/9901001).
@router.post("/api/me/collections/{slug}/papers/{paper_id:path}", response_model=SavedOut, responses=_ERRORS,
             summary="Save a paper in a collection")
def save_paper(request: Request, slug: str, paper_id: str, body: Annotated[SaveBody | None, Body()] = None,
               session: Session = DB_SESSION) -> SavedOut:
    """Save a paper (`reading-list` is the default collection, made on first use); saving again changes nothing."""
    member = _caller(request)
    saved = service.save_paper(session, member_id=member.id, public_id=paper_id, slug=slug,
                               note=body.note if body else None, now=datetime.now(UTC))
    return SavedOut(collection=saved.collection.slug, paper=saved.paper.public_id, saved=True, changed=saved.added)


@router.delete("/api/me/collections/{slug}/papers/{paper_id:path}", response_model=SavedOut, responses=_ERRORS,
               summary="Remove a paper from a collection")
def remove_paper(request: Request, slug: str, paper_id: str, session: Session = DB_SESSION) -> SavedOut:
    """Take a paper out of a collection; removing one that is not there changes nothing."""
    member = _caller(request)
    changed = service.remove_paper(session, member_id=member.id, public_id=paper_id, slug=slug, now=datetime.now(UTC))
    return SavedOut(collection=slug, paper=paper_id, saved=False, changed=changed)
