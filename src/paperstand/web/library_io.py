"""A collection's files: export as BibTeX, RIS or CSL-JSON, and import a BibTeX or RIS file into it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from paperstand.deps import DB_SESSION
from paperstand.errors import NotFound
from paperstand.library.formats import EXPORTS, export
from paperstand.library.importer import MAX_BYTES, import_file
from paperstand.library.items import all_papers
from paperstand.library.service import get_collection
from paperstand.papers.models import Paper
from paperstand.web.csrf import check_csrf
from paperstand.web.library import library_member, now
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)


def export_response(fmt: str, slug: str, items: list[tuple[Paper, str]]) -> Response:
    """The file of a collection's ``(paper, note)`` pairs, offered for download as ``{slug}.{fmt}``."""
    if fmt not in EXPORTS:
        raise NotFound(f"there is no .{fmt} export", hint="Collections export as .bib, .ris or .json (CSL-JSON).")
    return Response(export(fmt, items), media_type=EXPORTS[fmt][0],
                    headers={"Content-Disposition": f'attachment; filename="{slug}.{fmt}"',
                             "Cache-Control": "private, no-store"})


@router.get("/library/{slug}/export.{fmt}")
def export_collection(request: Request, slug: str, fmt: str, session: Session = DB_SESSION) -> Response:
    """The member's collection as a .bib, .ris or .json (CSL-JSON) file, notes included."""
    member = library_member(request)
    collection = get_collection(session, member_id=member.id, slug=slug)
    items = [(paper, item.note) for item, paper in all_papers(session, collection_id=collection.id)]
    return export_response(fmt, collection.slug, items)


@router.post("/library/{slug}/import", response_class=HTMLResponse)
async def import_collection(request: Request, slug: str, csrf: Annotated[str, Form(max_length=200)] = "",
                            file: Annotated[UploadFile | None, File()] = None,
                            session: Session = DB_SESSION) -> HTMLResponse:
    """Save the papers a BibTeX or RIS file names into the collection; the page lists what did not match."""
    check_csrf(request, csrf)
    member = library_member(request)
    collection = get_collection(session, member_id=member.id, slug=slug)
    data = await file.read(MAX_BYTES + 1) if file is not None else b""
    report = import_file(session, member_id=member.id, slug=collection.slug, data=data,
                         filename=(file.filename or "") if file else "", now=now())
    return render(request, "library_import.html", c=collection, report=report)
