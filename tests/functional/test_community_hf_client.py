"""The real ``huggingface_hub`` client against ``serve`` sees what members do here, beside what was imported:
``upvotes`` is Hugging Face's count plus local votes, ``comments`` (numComments) is Hugging Face's plus the
visible local comments, and ``submitted_by`` (submittedOnDailyBy) names the member who submitted a paper."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

# Before the import: the client reads its settings once, and must not phone home.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from huggingface_hub import HfApi  # noqa: E402
from tests.conftest import LiveServer, MadeMember, make_member  # noqa: E402

from community_flow import DAY, HF_COMMENTS, HF_UPVOTES, UPVOTED, import_fixtures, recent_arxiv_id  # noqa: E402
from paperstand.db import make_engine  # noqa: E402

TITLE = "Counting What Members Do"


def _members(server: LiveServer) -> tuple[MadeMember, MadeMember, MadeMember]:
    engine = make_engine(server.db_url)
    try:
        return make_member(engine, "ada"), make_member(engine, "bob"), make_member(engine, "maud", role="moderator")
    finally:
        engine.dispose()


def _counts(paper: Any) -> tuple[int, int]:
    # ``or 0``: the client turns a count of 0 into None.
    return paper.upvotes or 0, paper.comments or 0


def _listed(api: HfApi, day: str, paper_id: str) -> Any:
    [listed] = [p for p in api.list_daily_papers(date=day) if p.id == paper_id]
    return listed


def test_the_client_sees_local_votes_comments_and_submissions(live_server: LiveServer, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    today, recent = now.date().isoformat(), recent_arxiv_id(now)
    import_fixtures(live_server, tmp_path, recent, TITLE)
    ada, bob, maud = _members(live_server)
    api = HfApi(endpoint=live_server.url, token=False)
    assert _counts(api.paper_info(UPVOTED)) == (HF_UPVOTES, HF_COMMENTS)
    base = live_server.url
    with httpx.Client(base_url=base, timeout=30) as http:
        made = http.post("/api/submissions", json={"paper": recent}, headers=ada.bearer)
        assert made.status_code == 201, made.text
        for who in (ada, bob):
            assert http.post(f"/api/papers/{UPVOTED}/upvote", headers=who.bearer).status_code == 200
        assert http.post(f"/api/papers/{recent}/upvote", headers=bob.bearer).status_code == 200
        said = http.post(f"/api/papers/{UPVOTED}/comments", json={"body": "Which weather data?"}, headers=ada.bearer)
        spam = http.post(f"/api/papers/{UPVOTED}/comments", json={"body": "Buy now"}, headers=bob.bearer)
        own = http.post(f"/api/papers/{recent}/comments", json={"body": "Code is coming."}, headers=ada.bearer)
        assert [r.status_code for r in (said, spam, own)] == [201, 201, 201]
        # A moderator hides one: hidden comments are not counted.
        hidden = http.post(f"/moderation/comments/{spam.json()['id']}/hide", data={"csrf": "t", "reason": "Spam"},
                           headers={"Cookie": f"ps_session={maud.cookie}; ps_csrf=t"})
        assert hidden.status_code == 303

    for paper in (api.paper_info(UPVOTED), _listed(api, DAY, UPVOTED)):
        assert _counts(paper) == (HF_UPVOTES + 2, HF_COMMENTS + 1)
        assert paper.submitted_by is not None and paper.submitted_by.username == "carol"  # as imported
    for paper in (api.paper_info(recent), _listed(api, today, recent)):
        assert paper.title == TITLE and _counts(paper) == (1, 1)
        assert paper.submitted_by is not None
        assert (paper.submitted_by.username, paper.submitted_by.fullname) == ("ada", "Ada")
    assert [p.id for p in api.list_daily_papers(submitter="ada")] == [recent]
    # The client reads its ``submitted_at`` from publishedAt first; the wire says when ada submitted it.
    raw = httpx.get(f"{base}/api/papers/{recent}", timeout=30).json()
    assert raw["submittedOnDailyAt"].startswith(today) and raw["submittedOnDailyBy"]["user"] == "ada"
