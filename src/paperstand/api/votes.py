"""Upvoting through the write API: ``POST`` casts a vote, ``DELETE`` takes it back; both are idempotent."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from paperstand.api.vote_writer import vote_writer
from paperstand.community.votes import VoteState

router = APIRouter(tags=["votes"])


class VoteAnswer(BaseModel):
    """A paper's upvotes after the call."""

    model_config = ConfigDict(extra="forbid")

    upvotes: int = Field(description="Upvotes here plus those imported from Hugging Face: the `upvotes` that "
                                     "`GET /api/papers/{id}` reports.")
    local: int = Field(description="Upvotes by members of this site.")
    voted: bool = Field(description="Whether the caller's upvote is now counted.")


def _error(status: int, text: str) -> dict[str, Any]:
    return {"description": f"{text}, as `{{\"error\": \"...\", \"status\": {status}}}`."}


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": VoteAnswer, "content": {"application/json": {"example": {
        "upvotes": 353, "local": 13, "voted": True}}}},
    401: _error(401, "No token, or one that is unknown or revoked (with `WWW-Authenticate: Bearer`)"),
    403: _error(403, "The token's member may not vote: banned, or their email address is not verified"),
    404: _error(404, "No paper with this id is stored here"),
}


def _answer(state: VoteState) -> Response:
    body = {"upvotes": state.total, "local": state.local, "voted": state.voted}
    return Response(orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})


# ``:path`` because old-style arXiv ids contain a slash (hep-th/9901001).
@router.post("/api/papers/{paper_id:path}/upvote", responses=_RESPONSES, response_class=Response,
             summary="Upvote a paper")
async def upvote_paper(request: Request, paper_id: str) -> Response:
    """Upvote a paper as the token's member (`Authorization: Bearer <token>`); upvoting again changes nothing."""
    return _answer(await vote_writer(request.app).cast(request, paper_id, up=True))


@router.delete("/api/papers/{paper_id:path}/upvote", responses=_RESPONSES, response_class=Response,
               summary="Take back an upvote")
async def unvote_paper(request: Request, paper_id: str) -> Response:
    """Take back the token's member's upvote; taking back one that is not there changes nothing."""
    return _answer(await vote_writer(request.app).cast(request, paper_id, up=False))
