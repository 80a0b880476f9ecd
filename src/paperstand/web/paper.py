"""The paper page: everything stored about one paper, under its canonical id."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.community.claim_views import authorship
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import NotFound
from paperstand.ingest.record import split_arxiv_id
from paperstand.papers.bibtex import bibtex
from paperstand.papers.queries import find_card
from paperstand.search.service import similar
from paperstand.web.auth import viewer
from paperstand.web.comments import comments_section
from paperstand.web.follows import paper_extras
from paperstand.web.render import absolute, render
from paperstand.web.templating import paper_url
from paperstand.web.votes import viewer_id

router = APIRouter(include_in_schema=False)
log = logging.getLogger("paperstand.web")

_ID_HINT = ("Paper ids are arXiv ids such as 2403.01234 (the version suffix is optional) or local keys "
            "such as ps-1a2b3c4d5e6f. To find a paper by its title, browse the daily pages or search "
            "arXiv at https://arxiv.org/search/.")


# ``:path`` because old-style arXiv ids contain a slash (hep-th/9901001); this route is included
# last so the day, week and month pages match first.
@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, paper_id: str, settings: SettingsDep,
               session: Session = DB_SESSION) -> Response:
    """One paper: authors, abstract, links, versions, signals, where it came from, and BibTeX."""
    card = find_card(session, paper_id, member_id=viewer_id(request))
    if card is None:
        raise NotFound(f"No paper with id {paper_id!r} is stored here.", hint=_not_found_hint(paper_id))
    # One address per paper: versioned ids, URLs and merged-away local keys move to the canonical one.
    if paper_id != card.paper.public_id:
        return RedirectResponse(paper_url(card.paper), status_code=301)
    return render(request, "paper.html", card=card, paper=card.paper, bibtex=bibtex(card.paper),
                  authorship=authorship(session, paper=card.paper, member=viewer(request)),
                  canonical=absolute(request, paper_url(card.paper)),
                  similar=similar(session, card.paper.id, settings=settings, limit=SIMILAR_SHOWN),
                  comments=comments_section(request, session, card.paper),
                  **paper_extras(request, session, card.paper.id))


# How many neighbours the paper page lists.
SIMILAR_SHOWN = 5


def _not_found_hint(paper_id: str) -> str:
    parsed = split_arxiv_id(paper_id)
    if parsed is None or paper_id.startswith("ps-"):
        return _ID_HINT
    return (f"{_ID_HINT} If it is on arXiv (https://arxiv.org/abs/{parsed[0]}), it has not been imported "
            "yet: `paperstand harvest` or `paperstand import FILE` brings it in.")
