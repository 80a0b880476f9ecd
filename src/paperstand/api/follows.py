"""``/api/me/follows``: list, add and remove the token's member's follows (all idempotent)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from paperstand.accounts.errors import LoginRequired
from paperstand.accounts.models import Member
from paperstand.deps import DB_SESSION
from paperstand.follows import service
from paperstand.follows.models import Follow
from paperstand.web.auth import api_caller

router = APIRouter(tags=["follows"])
Kind = Literal["author", "member", "category", "search"]


class FollowIn(BaseModel):
    """What to follow."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field(description="`author` (a name as printed), `member` (a user name), `category` (`cs.CL`, "
                                   "or a whole archive: `cs`) or `search` (any search query).")
    value: str = Field(max_length=4000, description="The name, user name, category or query.")


class FollowOut(BaseModel):
    """One follow."""

    id: int
    kind: Kind
    key: str = Field(description="What it matches by: a folded name, a member id, a category, the query.")
    label: str = Field(description="What it is shown as.")
    createdAt: str  # noqa: N815 - the API's camelCase


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid token, as `{\"error\": \"...\", \"status\": 401}`."},
    400: {"description": "An unknown kind, an empty or malformed value, as `{\"error\": \"...\", \"status\": 400}`."},
    404: {"description": "`member`: no member has this user name."},
}


def _caller(request: Request) -> Member:
    member = api_caller(request)
    if member is None:
        raise LoginRequired("this call needs a valid API token",
                            hint="Send Authorization: Bearer <token>; make one in /settings.")
    return member


def _list(session: Session, member_id: int) -> Response:
    rows = [_out(f) for f in service.follows_of(session, member_id=member_id)]
    return Response(orjson.dumps({"follows": rows}), media_type="application/json",
                    headers={"Cache-Control": "private, no-store"})


def _out(f: Follow) -> dict[str, Any]:
    return {"id": f.id, "kind": f.kind, "key": f.key, "label": f.label,
            "createdAt": f.created_at.isoformat().replace("+00:00", "Z")}


@router.get("/api/me/follows", responses=_RESPONSES, response_class=Response, summary="List your follows")
def list_follows(request: Request, session: Session = DB_SESSION) -> Response:
    """The token's member's follows, as `{"follows": [{id, kind, key, label, createdAt}, ...]}`."""
    return _list(session, _caller(request).id)


@router.post("/api/me/follows", responses=_RESPONSES, response_class=Response, summary="Follow something")
def add_follow(request: Request, body: FollowIn, session: Session = DB_SESSION) -> Response:
    """Follow an author, member, category or search; following it again changes nothing. Answers the list."""
    member = _caller(request)
    service.follow(session, member_id=member.id, kind=body.kind, value=body.value, now=datetime.now(UTC))
    return _list(session, member.id)


@router.delete("/api/me/follows", responses=_RESPONSES, response_class=Response, summary="Unfollow something")
def remove_follow(request: Request, kind: Annotated[Kind, Query()],
                  value: Annotated[str, Query(max_length=4000)], session: Session = DB_SESSION) -> Response:
    """Stop following `?kind=&value=`; removing what is not followed changes nothing. Answers the list."""
    member = _caller(request)
    service.unfollow(session, member_id=member.id, kind=kind, value=value)
    return _list(session, member.id)
