"""The submission form: a member puts a paper on today's list by arXiv id or arXiv link."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired
from paperstand.accounts.models import Member
from paperstand.community.arxiv_lookup import lookup_on
from paperstand.community.submission_rules import Rules
from paperstand.community.submissions import submit
from paperstand.config import Settings
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import DomainError
from paperstand.papers.queries import pick_card
from paperstand.web.auth import viewer
from paperstand.web.csrf import check_csrf
from paperstand.web.render import render

router = APIRouter(include_in_schema=False)
# The field is longer than the service takes (``submissions.MAX_TEXT``), so an over-long paste is answered
# on the form, with the text kept, rather than on a bare error page.
FIELD_MAX = 2000


def logged_in(request: Request) -> Member:
    """The logged-in member, whatever their rights (the service checks those), or a login redirect."""
    member = viewer(request)
    if member is None:
        raise LoginRequired("you need to be logged in to submit a paper", hint="Log in, then submit again.")
    return member


def _form(request: Request, settings: Settings, status: int = 200, *, typed: str = "",
          error: DomainError | None = None) -> HTMLResponse:
    return render(request, "submit.html", status, rules=Rules.of(settings).sentences(), typed=typed, error=error)


@router.get("/papers/submit", response_class=HTMLResponse)
def submit_form(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The form, with the rules in force; anonymous visitors get a link to log in instead."""
    return _form(request, settings)


@router.post("/papers/submit", response_class=HTMLResponse)
def submit_paper(request: Request, settings: SettingsDep, paper: Annotated[str, Form(max_length=FIELD_MAX)] = "",
                 csrf: Annotated[str, Form(max_length=200)] = "",
                 session: Session = DB_SESSION) -> Response:
    """Submit; on success go to today's list at the paper, else show the form again with the reason."""
    check_csrf(request, csrf)
    member = logged_in(request)
    try:
        pick = submit(session, member=member, text=paper, now=datetime.now(UTC), settings=settings,
                      fetch_paper=lookup_on(request.app.state, settings))
    except LoginRequired:
        raise
    except DomainError as exc:
        return _form(request, settings, exc.status, typed=paper, error=exc)
    # The card's element id on a listing, as ``_card.html`` writes it.
    anchor = "paper-" + pick_card(session, pick).paper.public_id.replace("/", "-")
    return RedirectResponse(f"/papers/date/{pick.day.isoformat()}?submitted=1#{anchor}", status_code=303)
