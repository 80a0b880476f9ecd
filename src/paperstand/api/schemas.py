"""Response models of the Hugging Face-compatible API, for the OpenAPI schema only.

Handlers build plain dicts (``serialize.py``) and send them with orjson; these models describe those
bodies at /docs and /openapi.json without FastAPI validating or re-serializing each answer. Keys the
service omits when it knows nothing are typed ``X | SkipJsonSchema[None]``: optional, and never
``null`` in the schema, as in the answers. ``extra="forbid"`` makes the schema list every key sent, and
lets tests prove that (a key added to ``serialize.py`` but not here fails them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

TIME = "UTC timestamp with milliseconds, e.g. `2025-03-11T00:00:00.000Z`."


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AuthorUser(_Model):
    """The member a moderator confirmed as this author."""

    id: str = Field(alias="_id", description="The member's id.")
    avatar_url: str = Field(alias="avatarUrl", description="Picture of the member (a shared default here).")
    is_pro: bool = Field(alias="isPro", description="Always false here.")
    fullname: str = Field(description="Display name.")
    user: str = Field(description="User name (what `huggingface_hub` reads); the profile is at `/u/{user}`.")
    name: str = Field(description="User name again, as the real API sends it.")
    type: Literal["user"] = Field(description="Always `user`.")


class Author(_Model):
    """One author, in the paper's order."""

    name: str = Field(description="The author's name as the paper gives it.")
    status: Literal["claimed_verified"] | SkipJsonSchema[None] = Field(
        None, description="`claimed_verified` when a member claimed this name and a moderator confirmed it.")
    status_last_changed_at: str | SkipJsonSchema[None] = Field(
        None, alias="statusLastChangedAt", description="When the claim was confirmed. " + TIME)
    user: AuthorUser | SkipJsonSchema[None] = Field(None, description="The verified member, with `status`.")
    hidden: bool = Field(description="Whether the author hid the paper from their profile (always false here).")


class Submitter(_Model):
    """Who put the paper on the daily list."""

    id: str | SkipJsonSchema[None] = Field(None, alias="_id", description=(
        "The member's id on this site, for papers one of its members submitted; absent for imported "
        "submitters."))
    fullname: str = Field(description="Display name.")
    user: str | SkipJsonSchema[None] = Field(None, description="User name (what `huggingface_hub` reads).")
    name: str | SkipJsonSchema[None] = Field(None, description="User name again, as the real API sends it.")
    type: Literal["user"] = Field(description="Always `user`.")


class HighlightRun(_Model):
    """A run of text; `highlight` runs are where the query's words occur."""

    type: Literal["text", "highlight"]
    text: str


_ORG = "The organization the paper is associated with (`name`, `fullname`, `avatar`, ...), as imported."


class PaperObject(_Model):
    """A paper: the inner `paper` of list items."""

    id: str = Field(description="arXiv id without version (`2501.00001`, `hep-th/9901001`), or a `ps-` key.")
    authors: list[Author] = Field(description="Authors, in order.")
    published_at: str = Field(alias="publishedAt", description=(
        "Publication date on arXiv; the day the paper was first seen here when it has none. " + TIME))
    submitted_on_daily_at: str | SkipJsonSchema[None] = Field(
        None, alias="submittedOnDailyAt", description="The day it was featured, when it was. " + TIME)
    title: str
    submitted_on_daily_by: Submitter | SkipJsonSchema[None] = Field(
        None, alias="submittedOnDailyBy", description="Who featured it, when known.")
    summary: str = Field(description="The abstract (empty when none is stored).")
    upvotes: int = Field(description=(
        "Upvotes by members here plus those on Hugging Face as last imported, so a mirror of Hugging Face "
        "keeps its numbers."))
    discussion_id: str = Field(alias="discussionId", description=(
        "Hugging Face's discussion id when imported, else a stable id in its shape."))
    project_page: str | SkipJsonSchema[None] = Field(None, alias="projectPage", description="Project page URL.")
    github_repo: str | SkipJsonSchema[None] = Field(None, alias="githubRepo", description="Code repository URL.")
    ai_summary: str | SkipJsonSchema[None] = Field(None, description="One-sentence AI summary, as imported.")
    ai_keywords: list[str] | SkipJsonSchema[None] = Field(None, description="AI keywords, as imported.")
    github_stars: int | SkipJsonSchema[None] = Field(None, alias="githubStars",
                                                      description="Stars of the code repository.")
    organization: dict[str, Any] | SkipJsonSchema[None] = Field(None, description=_ORG)
    withdrawn_at: str | SkipJsonSchema[None] = Field(None, alias="withdrawnAt", description=(
        "Set when the paper was withdrawn: the last change seen. " + TIME))


COMMENTS = ("Comments: the visible ones posted here (not deleted or hidden) plus those on Hugging Face, as "
            "last imported.")


class PaperDetail(PaperObject):
    """The body of `GET /api/papers/{id}`."""

    num_comments: int = Field(alias="numComments", description=COMMENTS)


class _ListItem(_Model):
    """The envelope list endpoints put around `paper`; `huggingface_hub` reads some keys only here."""

    paper: PaperObject
    published_at: str = Field(alias="publishedAt", description="The paper's `publishedAt`, repeated.")
    title: str = Field(description="The paper's title, repeated (the client reads it here).")
    summary: str = Field(description="The paper's abstract, repeated.")
    thumbnail: str | SkipJsonSchema[None] = Field(None, description="Hugging Face's thumbnail URL, when imported.")
    num_comments: int = Field(alias="numComments", description=COMMENTS)
    organization: dict[str, Any] | SkipJsonSchema[None] = Field(None, description=_ORG + " Repeated.")
    github_repo: str | SkipJsonSchema[None] = Field(None, alias="githubRepo", description="Repeated.")
    github_stars: int | SkipJsonSchema[None] = Field(None, alias="githubStars", description="Repeated.")
    project_page: str | SkipJsonSchema[None] = Field(None, alias="projectPage", description="Repeated.")
    ai_summary: str | SkipJsonSchema[None] = Field(None, description="Repeated.")
    ai_keywords: list[str] | SkipJsonSchema[None] = Field(None, description="Repeated.")
    is_author_participating: bool = Field(alias="isAuthorParticipating", description="Always false here.")


class DailyItem(_ListItem):
    """One element of `GET /api/daily_papers`."""

    submitted_by: Submitter | SkipJsonSchema[None] = Field(
        None, alias="submittedBy", description="Who featured it (same as `paper.submittedOnDailyBy`).")


class SearchItem(_ListItem):
    """One element of `GET /api/papers/search`."""

    upvoted: bool = Field(description="Whether the caller upvoted it (always false: no accounts here).")
    highlighted_title: list[HighlightRun] = Field(alias="highlightedTitle", description="The title, marked.")
    highlighted_summary: list[HighlightRun] = Field(alias="highlightedSummary", description="The abstract, marked.")
