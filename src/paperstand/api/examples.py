"""Example bodies for the OpenAPI page (invented papers), so /docs shows what each call returns."""

from __future__ import annotations

from typing import Any

_USER = {"fullname": "Ada Example", "user": "ada", "name": "ada", "type": "user"}

_PAPER: dict[str, Any] = {
    "id": "2501.00001",
    "authors": [{"name": "Ada Example", "hidden": False}, {"name": "Bo Sample", "hidden": False}],
    "publishedAt": "2025-01-01T00:00:00.000Z",
    "submittedOnDailyAt": "2025-01-02T00:00:00.000Z",
    "title": "An Example Paper",
    "submittedOnDailyBy": _USER,
    "summary": "We show how examples make documentation easier to read.",
    "upvotes": 12,
    "discussionId": "0123456789abcdef01234567",
    "githubRepo": "https://github.com/example/example",
    "githubStars": 34,
}

_ITEM: dict[str, Any] = {
    "paper": _PAPER, "publishedAt": _PAPER["publishedAt"], "title": _PAPER["title"],
    "summary": _PAPER["summary"], "numComments": 2, "submittedBy": _USER,
    "githubRepo": _PAPER["githubRepo"], "githubStars": _PAPER["githubStars"], "isAuthorParticipating": False,
}


def _json(example: Any, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


DAILY = _json([_ITEM], "Featured papers, newest day first.")
SEARCH = _json([{**{k: v for k, v in _ITEM.items() if k != "submittedBy"}, "upvoted": False,
                 "highlightedTitle": [{"type": "text", "text": "An "}, {"type": "highlight", "text": "Example"},
                                      {"type": "text", "text": " Paper"}],
                 "highlightedSummary": [{"type": "text", "text": _PAPER["summary"]}]}],
               "Matching papers, title matches first.")
DETAIL = _json({**_PAPER, "numComments": 2}, "The paper.")
