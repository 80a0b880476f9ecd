"""Authorship claims on the web: claim a name on a paper, set its links, and the moderators' queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.community.claim_links import MAX_TYPED, LinkError
from paperstand.community.claim_views import pending_queue
from paperstand.community.claims import MAX_REASON, claim, decide, set_links
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import BadRequest, NotFound
from paperstand.papers.models import Paper
from paperstand.papers.queries import find_paper
from paperstand.web.auth import require
from paperstand.web.csrf import check_csrf
from paperstand.web.render import render
from paperstand.web.templating import paper_url

router = APIRouter(include_in_schema=False)

# Largest values the database's INTEGER columns hold: bigger ones are refused here, not by the driver.
MAX_ID = 2**31 - 1
# No paper lists more authors than this (the largest collaborations have a few thousand).
MAX_AUTHORS = 100_000
QUEUE = "/moderation/claims"
# What the queue says after a decision (the ``?done=`` of the redirect).
DONE = {"approved": "Claim approved: the author is now verified on the paper.",
        "rejected": "Claim rejected; the claimant has been mailed the reason.",
        "already": "Another moderator had already decided that claim; nothing was changed."}


def _paper(session: Session, paper_id: str) -> Paper:
    paper = find_paper(session, paper_id)
    if paper is None:
        raise NotFound(f"No paper with id {paper_id!r} is stored here.")
    return paper


# These ``:path`` routes are included before the paper page, whose own ``:path`` would swallow them.
@router.post("/papers/{paper_id:path}/claim")
def claim_authorship(request: Request, paper_id: str,
                     author_index: Annotated[int | None, Form(ge=0, le=MAX_AUTHORS)] = None,
                     csrf: Annotated[str, Form(max_length=200)] = "",
                     session: Session = DB_SESSION) -> Response:
    """Claim to be one of the paper's authors; a moderator confirms before the name shows as verified."""
    member = require(request, "claim")
    check_csrf(request, csrf)
    if author_index is None:
        raise BadRequest("claim: choose which of the authors you are.", hint="Pick your name in the list.")
    paper = _paper(session, paper_id)
    claim(session, member=member, paper_id=paper.id, author_index=author_index, now=datetime.now(UTC))
    return RedirectResponse(paper_url(paper) + "#authorship", status_code=303)


@router.post("/papers/{paper_id:path}/links")
def paper_links(request: Request, paper_id: str,
                github_repo: Annotated[str, Form(max_length=2 * MAX_TYPED)] = "",
                project_page: Annotated[str, Form(max_length=2 * MAX_TYPED)] = "",
                csrf: Annotated[str, Form(max_length=200)] = "",
                session: Session = DB_SESSION) -> Response:
    """A verified author sets the paper's code repository and project page (empty clears one)."""
    member = require(request, "claim")
    check_csrf(request, csrf)
    paper = _paper(session, paper_id)
    try:
        set_links(session, member=member, paper_id=paper.id, github_repo=github_repo,
                  project_page=project_page, now=datetime.now(UTC))
    except LinkError as exc:
        return render(request, "claim_links.html", 400, paper=paper, errors={exc.field: exc.message},
                      typed={"github_repo": github_repo, "project_page": project_page})
    return RedirectResponse(paper_url(paper) + "#authorship", status_code=303)


@router.get(QUEUE, response_class=HTMLResponse)
def claims_queue(request: Request, done: Annotated[str, Query(max_length=16)] = "",
                 session: Session = DB_SESSION) -> HTMLResponse:
    """Moderators: the pending authorship claims, oldest first, to approve or reject with a reason."""
    require(request, "moderate")
    return render(request, "moderation_claims.html", queue=pending_queue(session), notice=DONE.get(done))


@router.post(QUEUE + "/{claim_id}")
def decide_claim(request: Request, settings: SettingsDep, claim_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                 decision: Annotated[Literal["approve", "reject"] | None, Form()] = None,
                 reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
                 csrf: Annotated[str, Form(max_length=200)] = "",
                 session: Session = DB_SESSION) -> Response:
    """Moderators: approve or reject one claim; the first decision wins, the claimant is mailed it."""
    moderator = require(request, "moderate")
    check_csrf(request, csrf)
    if decision is None:
        raise BadRequest("claims: choose approve or reject.")
    try:
        outcome = decide(session, moderator=moderator, claim_id=claim_id, approve=decision == "approve",
                         reason=reason, now=datetime.now(UTC), base_url=settings.effective_base_url,
                         site_name=settings.site_name)
    except BadRequest as exc:  # shown on the queue, beside the claim it was about
        return render(request, "moderation_claims.html", 400, queue=pending_queue(session), error=exc.message,
                      error_hint=exc.hint, error_claim=claim_id)
    done = outcome.claim.status if outcome.changed else "already"
    return RedirectResponse(f"{QUEUE}?done={done}", status_code=303)
