"""``POST /api/submissions``: the submission form's service, for a script holding an API token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired
from paperstand.api.schemas import DailyItem
from paperstand.api.serialize import daily_item
from paperstand.community.arxiv_lookup import lookup_on
from paperstand.community.submissions import MAX_TEXT, submit
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.papers.ids import ACCEPTED_REFERENCES
from paperstand.papers.queries import pick_card
from paperstand.web.auth import api_caller

router = APIRouter(tags=["submissions"])


class SubmissionIn(BaseModel):
    """What to submit."""

    model_config = ConfigDict(extra="forbid")

    paper: str = Field(max_length=MAX_TEXT, description=f"The paper: {ACCEPTED_REFERENCES}.",
                       examples=["2503.01234", "https://arxiv.org/abs/2503.01234v2"])


_SUBMITTER = {"_id": "42", "fullname": "Ada Example", "user": "ada", "name": "ada", "type": "user"}
_PAPER = {"id": "2503.01234", "authors": [{"name": "Bo Sample", "hidden": False}],
          "publishedAt": "2025-03-03T17:00:00.000Z", "submittedOnDailyAt": "2025-03-05T09:30:12.000Z",
          "title": "An Example Paper", "submittedOnDailyBy": _SUBMITTER, "summary": "We show an example.",
          "upvotes": 0, "discussionId": "0123456789abcdef01234567"}
EXAMPLE = {"paper": _PAPER, "publishedAt": _PAPER["publishedAt"], "title": _PAPER["title"],
           "summary": _PAPER["summary"], "numComments": 0, "submittedBy": _SUBMITTER, "isAuthorParticipating": False}


def _error(description: str) -> dict[str, Any]:
    return {"description": description + ' As `{"error": "...", "status": N}`.'}


RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"model": DailyItem, "content": {"application/json": {"example": EXAMPLE}},
          "description": "Accepted: the paper is on today's list (UTC), as one `/api/daily_papers` item."},
    400: _error("Not an arXiv id or arXiv link, a paper older than the rules take, or a withdrawn paper."),
    401: _error("No valid `Authorization: Bearer <token>`."),
    403: _error("The account may not submit (banned, unverified, no approved claim when required), the daily "
                "limit is reached, or submissions are closed today."),
    404: _error("arXiv has no paper with this id."),
    409: _error("The paper is already on a day's list (the message names the day)."),
    503: _error("arXiv could not be reached; nothing was stored. Try again after `Retry-After` seconds."),
}


@router.post("/api/submissions", status_code=201, responses=RESPONSES,
             response_class=Response)
def create_submission(body: SubmissionIn, request: Request, settings: SettingsDep,
                      session: Session = DB_SESSION) -> Response:
    """Submit a paper by arXiv id or arXiv link to today's list, as the caller (the form's rules apply).

    A paper not stored here yet is fetched from arXiv's API by its id.
    """
    # The token names the member; their rights are the service's to check (``require_api`` would also demand
    # a verified address, which ``PAPERSTAND_SUBMISSION_REQUIRE_VERIFIED=false`` lets go).
    member = api_caller(request)
    if member is None:
        raise LoginRequired("you need an API token", hint="Send Authorization: Bearer <token>; make one in /settings.")
    pick = submit(session, member=member, text=body.paper, now=datetime.now(UTC), settings=settings,
                  fetch_paper=lookup_on(request.app.state, settings))
    item = daily_item(pick_card(session, pick))
    return Response(orjson.dumps(item), status_code=201, media_type="application/json")
