"""``GET /api/me/recommendations``: the token's member's /for-you list as JSON, with the same periods."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired
from paperstand.deps import DB_SESSION, SettingsDep
from paperstand.errors import BadRequest
from paperstand.papers.periods import BadPeriod
from paperstand.recommend.feed import recommendation_items
from paperstand.recommend.service import MAX_LIMIT, choose_period, for_you
from paperstand.web.auth import api_caller

router = APIRouter(tags=["account"])


class RecommendedPaper(BaseModel):
    """One recommended paper."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(description="The paper's id (its arXiv id when known), as in `GET /api/papers/{id}`.")
    title: str
    published_at: str | None = Field(alias="publishedAt", description="First appearance on arXiv (ISO 8601).")
    categories: list[str]
    score: float = Field(description="The member's model's score: only the order within one answer means much.")
    reasons: list[str] = Field(description="Why it is recommended, in words: the liked papers it is close to, "
                               "the words it shares with them, the follows it matches.")


class Recommendations(BaseModel):
    """The member's recommended papers of one period, best first."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(description="The period: `2026-05-11`, `2026-W20` or `2026-05`.")
    mode: Literal["personal", "start", "paused"] = Field(description=(
        "`personal`: ranked by the member's taste model; `start`: too few signals yet, the period's most "
        "upvoted papers in the categories they picked; `paused`: the same while personalisation is paused."))
    papers: list[RecommendedPaper]


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Recommendations},
    400: {"description": "A malformed or ambiguous period, as `{\"error\": \"...\", \"status\": 400}`."},
    401: {"description": "No valid token, as `{\"error\": \"...\", \"status\": 401}`."},
}


@router.get("/api/me/recommendations", responses=_RESPONSES, response_class=Response,
            summary="Your recommended papers")
def recommendations(
    request: Request, settings: SettingsDep, session: Session = DB_SESSION,
    date: Annotated[str | None, Query(max_length=40, description="One day, `YYYY-MM-DD`.")] = None,
    week: Annotated[str | None, Query(max_length=40, description="One ISO week, `YYYY-Www`.")] = None,
    month: Annotated[str | None, Query(max_length=40, description="One month, `YYYY-MM`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many papers.")] = 20,
) -> Response:
    """The caller's (`Authorization: Bearer <token>`) best unseen papers of a period, each with why; the latest
    week that has papers when no period is given."""
    member = api_caller(request)
    if member is None:
        raise LoginRequired("this call needs a valid API token",
                            hint="Send Authorization: Bearer <token>; make one in /settings.")
    try:
        period = choose_period(session, date=date, week=week, month=month)
    except BadPeriod as exc:
        raise BadRequest(str(exc)) from None
    result = for_you(session, member_id=member.id, start=period.start, end=period.end, limit=limit,
                     settings=settings)
    body = {"period": period.label, "mode": result.mode, "papers": recommendation_items(session, result.items)}
    return Response(orjson.dumps(body), media_type="application/json",
                    headers={"Cache-Control": "private, no-store"})
