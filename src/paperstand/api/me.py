"""``GET /api/me``: who a Bearer token belongs to, so a script can check its token before it writes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from paperstand.accounts.errors import LoginRequired
from paperstand.accounts.models import Member
from paperstand.accounts.roles import GRANTS
from paperstand.web.auth import api_caller

router = APIRouter(tags=["account"])


class Me(BaseModel):
    """The member a token belongs to, and what they may do."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(description="User name (their page is `/u/{name}`).")
    display_name: str = Field(alias="displayName", description="Display name; empty when they set none.")
    email: str = Field(description="The account's email address (only ever shown to its owner).")
    role: Literal["member", "curator", "moderator", "admin"]
    email_verified: bool = Field(alias="emailVerified", description="Whether the address is verified.")
    banned: bool
    rights: list[str] = Field(description="What the token may do now (`vote`, `comment`, ...): none while the "
                              "address is unverified or the account banned.")
    created_at: str = Field(alias="createdAt", description="When the account was made (ISO 8601, UTC).")


def me_of(member: Member) -> Me:
    """The answer for ``member``."""
    usable = member.email_verified_at is not None and member.banned_at is None
    return Me(name=member.name, display_name=member.display_name, email=member.email, role=member.role,
              email_verified=member.email_verified_at is not None, banned=member.banned_at is not None,
              rights=sorted(GRANTS.get(member.role, frozenset())) if usable else [],
              created_at=member.created_at.isoformat().replace("+00:00", "Z"))


@router.get("/api/me", response_model=Me, response_model_by_alias=True,
            responses={401: {"description": "No valid token, as `{\"error\": \"...\", \"status\": 401}`."}})
def me(request: Request) -> Me:
    """The caller of `Authorization: Bearer <token>` (make tokens in /settings)."""
    member = api_caller(request)
    if member is None:
        raise LoginRequired("this call needs a valid API token", hint="Send Authorization: Bearer <token>; make "
                            "one in /settings.")
    return me_of(member)
