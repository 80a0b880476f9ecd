"""Vote counts are filled in when an answer is sent: a vote stales no cached page, and shows at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from tests.conftest import make_member

from paperstand.app import create_app
from paperstand.community.tallies import fill, has_marks, marked_papers, vote_marker
from paperstand.config import Settings
from paperstand.ingest.run import import_file

DAILY = Path(__file__).parents[1] / "fixtures" / "api" / "daily_small.json"
PAPER = "/api/papers/2503.00201"


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """The app with the page cache on, over the small Hugging Face fixture."""
    assert import_file(engine, DAILY).new == 7
    with TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False))) as test_client:
        yield test_client


def _vote(engine: Engine, member_id: int, arxiv_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO votes (paper_id, member_id, created_at) "
                          "SELECT id, :m, :now FROM papers WHERE arxiv_id = :a"),
                     {"m": member_id, "now": datetime.now(UTC), "a": arxiv_id})


def test_a_vote_shows_on_the_next_request_without_a_new_render(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")  # before the first render: a new member's name may show on cards
    first = client.get(PAPER)
    base = first.json()["upvotes"]
    assert client.get(PAPER).headers["x-cache"] == "hit"
    _vote(engine, ada.id, "2503.00201")
    after = client.get(PAPER, headers={"If-None-Match": first.headers["etag"]})
    assert (after.status_code, after.headers["x-cache"]) == (200, "hit")  # the cached body, new numbers
    assert after.json()["upvotes"] == base + 1
    assert after.headers["etag"] != first.headers["etag"]
    assert int(after.headers["content-length"]) == len(after.content)
    assert "x-live-marks" not in after.headers and "x-live-marks" not in first.headers  # internal only
    again = client.get(PAPER, headers={"If-None-Match": after.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    head = client.head(PAPER)
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", after.headers["etag"])


def test_lists_sum_local_and_hugging_face_votes(client: TestClient, engine: Engine) -> None:
    before = {i["paper"]["id"]: i["paper"]["upvotes"] for i in client.get("/api/daily_papers?limit=100").json()}
    for name in ("ada", "bob"):
        _vote(engine, make_member(engine, name).id, "2503.00201")
    after = {i["paper"]["id"]: i["paper"]["upvotes"] for i in client.get("/api/daily_papers?limit=100").json()}
    assert after == {**before, "2503.00201": before["2503.00201"] + 2}
    assert b"\\u001e" not in client.get("/api/daily_papers").content


def test_markers_are_filled_and_unforgeable() -> None:
    html = f"<b>{vote_marker(7, 340)}</b> &lt;v:7:1&gt; {vote_marker(9)}".encode()
    assert has_marks(html) and marked_papers(html) == {7, 9}
    assert fill(html, {7: 12}) == b"<b>352</b> &lt;v:7:1&gt; 0"
    json_body = b'{"upvotes":"\\u001e<v:7:340>\\u001e","title":"\\\\u001e<v:7:1>\\\\u001e"}'
    assert fill(json_body, {7: 1}) == b'{"upvotes":341,"title":"\\\\u001e<v:7:1>\\\\u001e"}'
    assert not has_marks(b"plain")


def test_a_removed_vote_shows_after_the_filled_answer_was_reused(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    _vote(engine, ada.id, "2503.00201")
    counted = client.get(PAPER).json()["upvotes"]
    reused = [client.get(PAPER) for _ in range(3)]  # hits: the filled answer is kept while no vote moves
    assert {r.json()["upvotes"] for r in reused} == {counted}
    assert len({r.headers["etag"] for r in reused}) == 1
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM votes WHERE member_id = :m"), {"m": ada.id})
    assert client.get(PAPER).json()["upvotes"] == counted - 1


def test_the_filled_answer_memo_keeps_to_its_budget() -> None:
    from paperstand.web.live import FilledMemo

    memo = FilledMemo(budget=800)
    for n in range(10):
        memo.put((f'"e{n}"', 1), b"x" * 100, f'"e{n}.f"')
    assert memo.size <= 800 and memo.get(('"e0"', 1)) is None and memo.get(('"e9"', 1)) == (b"x" * 100, '"e9.f"')
    memo.put(('"big"', 1), b"x" * 101, '"big.f"')  # more than an eighth of the budget: never kept
    assert memo.get(('"big"', 1)) is None
