"""The library's forms: save and remove papers, notes, read marks, and making, renaming and deleting collections.

Each is a POST that works without JavaScript (CSRF field plus cookie), calls one service function, and
goes back with ``?done=`` saying what happened. Any logged-in member keeps a private library; making a
collection public publishes it, so that takes the ``comment`` right (verified and not banned).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.errors import BadRequest
from paperstand.library import service
from paperstand.web.auth import require
from paperstand.web.csrf import check_csrf
from paperstand.web.library import library_member, now

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=200)]
# The longest page address a form may ask to go back to (a search address fits), as the vote form allows.
MAX_NEXT = 2000
# Form fields are bounded a little above what the service accepts, so its clear message is the one shown.
Name = Annotated[str, Form(max_length=service.MAX_NAME * 4)]
Text = Annotated[str, Form(max_length=service.MAX_NOTE * 4)]
Slug = Annotated[str, Form(max_length=200)]


def _back(target: str, fallback: str) -> str:
    """``target`` when it is a path on this site (never another host, ``//host`` or ``/\\host``), else ``fallback``."""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith(("//", "/\\")) or parts.scheme or parts.netloc:
        return fallback
    return target


def _go(path: str, done: str) -> Response:
    return RedirectResponse(f"{path}{'&' if '?' in path else '?'}done={done}", status_code=303)


@router.post("/library/save")
def save(request: Request, csrf: Csrf = "", paper: Slug = "", collection: Slug = "",
         action: Annotated[str, Form(max_length=10)] = "save",
         next_page: Annotated[str, Form(alias="next", max_length=MAX_NEXT)] = "",
         session: Session = DB_SESSION) -> Response:
    """Save a paper (``action=save``) in a collection (default the Reading list) or take it out (``remove``)."""
    check_csrf(request, csrf)
    member = library_member(request)
    slug = collection or None
    if action == "remove":
        service.remove_paper(session, member_id=member.id, public_id=paper, slug=slug, now=now())
    else:
        service.save_paper(session, member_id=member.id, public_id=paper, slug=slug, now=now())
    return RedirectResponse(_back(next_page, f"/library/{slug or service.DEFAULT_SLUG}"), status_code=303)


@router.post("/library/new")
def create(request: Request, csrf: Csrf = "", name: Name = "", description: Text = "",
           session: Session = DB_SESSION) -> Response:
    """A new private collection; its page opens."""
    check_csrf(request, csrf)
    member = library_member(request)
    made = service.create_collection(session, member_id=member.id, name=name, description=description, now=now())
    return _go(f"/library/{made.slug}", "created")


@router.post("/library/{slug}/edit")
def edit(request: Request, slug: str, csrf: Csrf = "", name: Name = "", description: Text = "",
         session: Session = DB_SESSION) -> Response:
    """Rename a collection and change its description (the address follows a new name)."""
    check_csrf(request, csrf)
    member = library_member(request)
    found = service.edit_collection(session, member_id=member.id, slug=slug, name=name, description=description,
                                    now=now())
    return _go(f"/library/{found.slug}", "saved")


@router.post("/library/{slug}/visibility")
def visibility(request: Request, slug: str, csrf: Csrf = "", public: Annotated[str, Form(max_length=10)] = "",
               session: Session = DB_SESSION) -> Response:
    """Make a collection public (``public=on``: a page and feeds anyone can read) or private again."""
    check_csrf(request, csrf)
    member = require(request, "comment")
    found = service.edit_collection(session, member_id=member.id, slug=slug, public=public == "on", now=now())
    return _go(f"/library/{found.slug}", "public" if found.public else "private")


@router.post("/library/{slug}/delete")
def remove_collection(request: Request, slug: str, csrf: Csrf = "", session: Session = DB_SESSION) -> Response:
    """Delete a collection and its list (the papers stay on the site)."""
    check_csrf(request, csrf)
    member = library_member(request)
    service.delete_collection(session, member_id=member.id, slug=slug)
    return _go("/library", "deleted")


@router.post("/library/{slug}/item")
def item(request: Request, slug: str, csrf: Csrf = "", paper: Slug = "",
         action: Annotated[str, Form(max_length=10)] = "", note: Text = "",
         next_page: Annotated[str, Form(alias="next", max_length=MAX_NEXT)] = "",
         session: Session = DB_SESSION) -> Response:
    """One saved paper: ``action`` is ``note`` (replace the note), ``read``, ``unread`` or ``remove``."""
    check_csrf(request, csrf)
    member = library_member(request)
    if action == "note":
        service.set_note(session, member_id=member.id, slug=slug, public_id=paper, note=note)
    elif action in ("read", "unread"):
        service.set_read(session, member_id=member.id, slug=slug, public_id=paper, read=action == "read", now=now())
    elif action == "remove":
        service.remove_paper(session, member_id=member.id, public_id=paper, slug=slug, now=now())
        action = "removed"
    else:
        raise BadRequest("action must be note, read, unread or remove")
    base = _back(next_page, f"/library/{slug}").partition("#")[0]
    anchor = "" if action == "removed" else "#paper-" + paper.replace("/", "-")
    return RedirectResponse(f"{base}{'&' if '?' in base else '?'}done={action}{anchor}", status_code=303)
