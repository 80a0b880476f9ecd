"""Follows over HTTP: the buttons, /following with its matching papers and reasons, the JSON API, hostile input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from paperstand.app import create_app
from paperstand.community.models import AuthorClaim
from paperstand.config import Settings
from paperstand.follows.models import Follow
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch

CSRF = "follows-test-token-0123456789"
NOW = datetime.now(UTC)


@pytest.fixture
def papers(engine: Engine) -> Engine:
    """Three recent papers: by LeCun in cs.LG, on diffusion policy in cs.RO, and one in hep-th."""
    with engine.begin() as conn:
        store_batch(conn, [
            PaperRecord(source="arxiv-oai", title="Energy Models Revisited", arxiv_id="2503.00001", version=1,
                        authors=["Yann LeCun", "Ada Quill"], categories=["cs.LG"], abstract="We revisit energy.",
                        published_at=NOW - timedelta(days=3)),
            PaperRecord(source="arxiv-oai", title="Diffusion Policy for Robots", arxiv_id="2503.00002", version=1,
                        authors=["Kofi Mensah"], categories=["cs.RO", "cs.LG"],
                        abstract="A diffusion policy that grasps.", published_at=NOW - timedelta(days=2)),
            PaperRecord(source="arxiv-oai", title="Strings on a Circle", arxiv_id="2503.00003", version=1,
                        authors=["Ines Moreau"], categories=["hep-th"], abstract="Strings, again.",
                        published_at=NOW - timedelta(days=1)),
        ])
    return engine


@pytest.fixture
def client(papers: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The app, redirects not followed."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False, data_dir=tmp_path))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _as(member: MadeMember) -> dict[str, str]:
    return {"Cookie": f"ps_session={member.cookie}; ps_csrf={CSRF}"}


def _follow(client: TestClient, who: MadeMember, kind: str, value: str, next_page: str = "") -> int:
    # Encoded by hand: a lone surrogate goes as its UTF-8-like bytes, as a broken client would send it.
    body = urlencode({"csrf": CSRF, "kind": kind, "value": value, "next": next_page}, encoding="utf-8",
                     errors="surrogatepass")
    answer = client.post("/follows", content=body, headers={
        **_as(who), "Content-Type": "application/x-www-form-urlencoded"})
    return answer.status_code


def _follows(engine: Engine, member_id: int) -> set[tuple[str, str, str]]:
    with Session(engine) as s:
        return {(f.kind, f.key, f.label) for f in s.scalars(select(Follow).where(Follow.member_id == member_id))}


def test_follow_each_kind_and_see_matching_papers_with_reasons(client: TestClient, papers: Engine) -> None:
    ada, kofi = make_member(papers, "ada"), make_member(papers, "kofi")
    assert _follow(client, ada, "author", "  yann   LECUN ") == 303
    assert _follow(client, ada, "category", "cs.ro") == 303
    assert _follow(client, ada, "search", "diffusion policy") == 303
    assert _follow(client, ada, "member", "@Kofi") == 303
    assert _follows(papers, ada.id) == {("author", "yann lecun", "yann LECUN"), ("category", "cs.RO", "cs.RO"),
                                        ("search", "diffusion policy", "diffusion policy"),
                                        ("member", str(kofi.id), "kofi")}
    page = client.get("/following", headers=_as(ada))
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    assert "new paper by yann LECUN, whom you follow" in page.text
    assert "in cs.RO, which you follow" in page.text
    assert "matches your saved search “diffusion policy”" in page.text
    assert "Strings on a Circle" not in page.text  # nothing followed matches it
    # A claimed account: once a moderator approved Kofi's claim, his paper is "by" the member ada follows.
    with Session(papers) as s:
        s.add(AuthorClaim(paper_id=2, member_id=kofi.id, author_index=0, author_name="Kofi Mensah",
                          status="approved", created_at=NOW))
        s.commit()
    assert "new paper by Kofi, whom you follow" in client.get("/following", headers=_as(ada)).text


def test_following_twice_is_one_follow_and_remove_buttons_work(client: TestClient, papers: Engine) -> None:
    ada = make_member(papers, "ada")
    for _ in range(3):
        assert _follow(client, ada, "category", "cs") == 303
    assert _follows(papers, ada.id) == {("category", "cs", "cs")}
    page = client.get("/following", headers=_as(ada)).text
    assert "in cs.LG (cs), which you follow" in page
    follow_id = re.search(r'name="follow_id" value="(\d+)"', page)
    assert follow_id
    done = client.post("/follows/remove", headers=_as(ada), data={"csrf": CSRF, "follow_id": follow_id.group(1)})
    assert done.status_code == 303 and done.headers["location"] == "/following?done=removed"
    assert _follows(papers, ada.id) == set()
    assert "You follow nothing yet" in client.get("/following", headers=_as(ada)).text


def test_buttons_on_paper_profile_and_search_pages(client: TestClient, papers: Engine) -> None:
    ada, kofi = make_member(papers, "ada"), make_member(papers, "kofi")
    anonymous = client.get("/papers/2503.00001").text
    assert 'class="follow' not in anonymous and "/watch" not in anonymous  # cached pages carry no forms
    page = client.get("/papers/2503.00001", headers=_as(ada)).text
    assert page.count('action="/follows"') == 3  # two authors and one category
    assert 'value="Yann LeCun"' in page and 'action="/papers/2503.00001/watch"' in page
    assert _follow(client, ada, "author", "Yann LeCun", "/papers/2503.00001") == 303
    page = client.get("/papers/2503.00001", headers=_as(ada)).text
    assert page.count('action="/follows/remove"') == 1 and "✓ Following" in page
    profile = client.get("/u/kofi", headers=_as(ada)).text
    assert 'action="/follows"' in profile and 'name="value" value="kofi"' in profile
    assert 'action="/follows"' not in client.get("/u/ada", headers=_as(ada)).text  # not oneself
    search = client.get("/search?q=diffusion+policy&mode=keyword", headers=_as(ada)).text
    assert 'name="kind" value="search"' in search and 'name="value" value="diffusion policy"' in search
    assert kofi.id  # the profile's member


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient) -> None:
    assert client.get("/following").headers["location"].startswith("/login")
    answer = client.post("/follows", data={"csrf": CSRF, "kind": "category", "value": "cs"},
                         headers={"Cookie": f"ps_csrf={CSRF}"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


@pytest.mark.parametrize("kind, value, status", [
    ("author", "Ada\x00Quill", 400), ("author", "\ud800", 400), ("author", "x" * 3000, 400),
    ("author", "   ", 400), ("author", "!!!", 400), ("category", "not a category!", 400),
    ("search", "from:2024-13", 400), ("search", "-", 400), ("member", "nobody", 404),
    ("planet", "Mars", 400), ("author", "x" * 5000, 400),
])
def test_hostile_values_are_clear_errors(client: TestClient, papers: Engine, kind: str, value: str,
                                         status: int) -> None:
    ada = make_member(papers, "ada")
    assert _follow(client, ada, kind, value) == status
    assert _follows(papers, ada.id) == set()


def test_next_never_leaves_the_site(client: TestClient, papers: Engine) -> None:
    ada = make_member(papers, "ada")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = client.post("/follows", headers=_as(ada), data={"csrf": CSRF, "kind": "category",
                                                                 "value": "cs", "next": target})
        assert answer.headers["location"] == "/following?done=followed"


def test_the_json_api(client: TestClient, papers: Engine) -> None:
    ada = make_member(papers, "ada")
    assert client.get("/api/me/follows").status_code == 401
    assert client.post("/api/me/follows", json={"kind": "category", "value": "cs.CL"}).status_code == 401
    for _ in range(2):
        answer = client.post("/api/me/follows", headers=ada.bearer, json={"kind": "category", "value": "cs.cl"})
        assert answer.status_code == 200
    assert [(f["kind"], f["key"]) for f in answer.json()["follows"]] == [("category", "cs.CL")]
    assert client.post("/api/me/follows", headers=ada.bearer, json={"kind": "x", "value": "y"}).status_code == 400
    assert client.post("/api/me/follows", headers=ada.bearer,
                       json={"kind": "author", "value": "a\x00b"}).status_code == 400
    listed = client.get("/api/me/follows", headers=ada.bearer)
    assert listed.json()["follows"][0]["label"] == "cs.CL" and "no-store" in listed.headers["cache-control"]
    gone = client.delete("/api/me/follows", headers=ada.bearer, params={"kind": "category", "value": "cs.CL"})
    assert gone.status_code == 200 and gone.json() == {"follows": []}
    with Session(papers) as s:
        assert s.scalar(select(func.count()).select_from(Follow)) == 0
