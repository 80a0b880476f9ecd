"""Recommendations end to end, with real embeddings of a small fixture set (bundled MiniLM model).

The fixture has 52 papers of four narrow topics (security, galaxies, neuroscience, superconductivity): in
April the eight security papers a member likes and four of each other topic; in May eight of each topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.conftest import FIXTURES, MadeMember, make_member

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.models import Paper
from paperstand.recommend.models import PaperRating, TasteModel
from paperstand.recommend.training import retrain_all
from paperstand.search.vectors import embed_pending

PAPERS = FIXTURES / "recommend" / "papers.jsonl"
CSRF = "recommend-test-token-0123456789"
LATER = "/api/me/recommendations?month=2026-05&limit=10"


@pytest.fixture(scope="module")
def model() -> Any:
    from paperstand.search.embedder import embedder_for

    try:
        return embedder_for(Settings()).load()
    except (ImportError, FileNotFoundError) as exc:
        pytest.skip(f"embedding model unavailable: {exc}")


@pytest.fixture
def papers(engine: Engine, tmp_path: Path, model: Any) -> dict[str, Paper]:
    """The fixture imported and embedded with the real model; arXiv id -> paper."""
    from paperstand.ingest.run import import_file

    summary = import_file(engine, PAPERS)
    assert summary.rejected == 0
    report = embed_pending(engine, encoder=model, index_dir=tmp_path / "index")
    assert report.embedded == 52
    with Session(engine) as s:
        found = {p.arxiv_id: p for p in s.scalars(select(Paper))}
        for p in found.values():
            s.expunge(p)
    return found  # type: ignore[return-value]


@pytest.fixture
def client(papers: dict[str, Paper], db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    # Limits off: one test client asks dozens of pages a minute from one address.
    app = create_app(Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False, rate_limits="off"))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _page(member: MadeMember) -> dict[str, str]:
    return {"Cookie": f"ps_session={member.cookie}; ps_csrf={CSRF}"}


def _save(engine: Engine, member: MadeMember, paper_ids: list[int]) -> None:
    """Saves as the library stores them: items of the member's reading list."""
    now = datetime.now(UTC)
    with Session(engine) as s:
        coll = Collection(member_id=member.id, name="Reading list", slug="reading-list", description="",
                          is_default=True, public=False, created_at=now, updated_at=now)
        s.add(coll)
        s.flush()
        s.add_all([CollectionItem(collection_id=coll.id, paper_id=pid, note="", added_at=now) for pid in paper_ids])
        s.commit()


def _liked(client: TestClient, engine: Engine, papers: dict[str, Paper], member: MadeMember) -> list[Paper]:
    """The member upvotes four April security papers (through the API) and saves four others."""
    april = sorted((p for p in papers.values() if p.arxiv_id and p.arxiv_id.startswith("2604")
                    and p.categories == ["cs.CR"]), key=lambda p: p.arxiv_id or "")
    assert len(april) == 8
    for p in april[:4]:
        assert client.post(f"/api/papers/{p.arxiv_id}/upvote", headers=member.bearer).status_code == 200
    _save(engine, member, [p.id for p in april[4:]])
    return april


def _recs(client: TestClient, member: MadeMember, url: str = LATER) -> dict[str, Any]:
    answer = client.get(url, headers=member.bearer)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "private, no-store"
    return answer.json()  # type: ignore[no-any-return]


def test_liked_topic_leads_with_reasons_then_dislike_and_reset(client: TestClient, engine: Engine,
                                                               papers: dict[str, Paper]) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    liked = _liked(client, engine, papers, ada)
    first = _recs(client, ada)
    assert first["mode"] == "personal" and first["period"] == "2026-05" and len(first["papers"]) == 10
    in_topic = [p for p in first["papers"] if p["categories"] == ["cs.CR"]]
    assert len(in_topic) >= 7, [(p["title"], p["categories"]) for p in first["papers"]]
    assert [p["categories"] for p in first["papers"][:5]] == [["cs.CR"]] * 5
    titles = [p.title for p in liked]
    for item in first["papers"]:
        assert item["reasons"], item
        named = any(t[:40] in reason for reason in item["reasons"] for t in titles)
        assert named or any(r.startswith("Shares the words") or "follow" in r.lower() for r in item["reasons"])
    # Saves and upvotes are the kinds of the named papers.
    assert re.search(r"you (saved|upvoted|liked)", " ".join(first["papers"][0]["reasons"]))
    # A liked paper is never recommended back, and only May papers are listed.
    assert all(p["id"].startswith("2605") for p in first["papers"])

    # 👎 on the top recommendation, through the page's form: gone from the list.
    top = first["papers"][0]
    answer = client.post("/for-you/rate", headers=_page(ada),
                         data={"csrf": CSRF, "paper": str(papers[top["id"]].id), "rating": "down",
                               "next": "/for-you?month=2026-05"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/for-you?month=2026-05")
    after = _recs(client, ada)
    assert top["id"] not in [p["id"] for p in after["papers"]]
    assert after["mode"] == "personal"

    # Reset: the list is the cold-start one, as a member without signals gets it (less what ada rated).
    assert client.post("/for-you/reset", headers=_page(ada), data={"csrf": CSRF}).status_code == 303
    cold = _recs(client, ada)
    fresh = _recs(client, bob)
    assert cold["mode"] == fresh["mode"] == "start"
    assert [p["id"] for p in cold["papers"]] == [p["id"] for p in fresh["papers"] if p["id"] != top["id"]][:10]
    # The signals page still shows the earlier signals, marked as ignored.
    page = client.get("/for-you/signals", headers=_page(ada))
    assert page.status_code == 200 and page.text.count("before the reset: ignored") == 9


def test_the_page_explains_each_item_and_the_worker_stores_models(client: TestClient, engine: Engine,
                                                                  papers: dict[str, Paper]) -> None:
    ada = make_member(engine, "ada")
    page = client.get("/for-you?month=2026-05", headers=_page(ada))
    assert page.status_code == 200 and "Pick the categories you read" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    liked = _liked(client, engine, papers, ada)
    page = client.get("/for-you?month=2026-05", headers=_page(ada))
    assert page.status_code == 200 and "Pick the categories" not in page.text
    assert page.text.count('action="/for-you/rate"') == 20 or page.text.count('action="/for-you/rate"') == 36
    assert "Close to" in page.text or "Nearest to" in page.text
    with Session(engine) as s:
        assert retrain_all(s).retrained == 1
        stored = s.get(TasteModel, ada.id)
        assert stored is not None and stored.kind == "classifier" and stored.positives == 8
        assert retrain_all(s).retrained == 0  # unchanged: skipped
    # The stored model serves the same list as a fresh fit.
    assert _recs(client, ada)["mode"] == "personal"
    # "Not interested" from the page, and the signals page lists and removes it.
    target = papers["2605.20108"]
    client.post("/for-you/rate", headers=_page(ada),
                data={"csrf": CSRF, "paper": str(target.id), "rating": "not-interested"})
    with Session(engine) as s:
        assert s.scalars(select(PaperRating.rating).where(PaperRating.member_id == ada.id)).all() == [-1]
        assert retrain_all(s).retrained == 1
    signals = client.get("/for-you/signals", headers=_page(ada)).text
    assert "You marked not for you" in signals and all(p.title in signals for p in liked)
    gone = client.post("/for-you/signals/remove", headers=_page(ada),
                       data={"csrf": CSRF, "paper": str(target.id), "kind": "dislike"})
    assert gone.status_code == 303
    with Session(engine) as s:
        assert s.scalars(select(PaperRating).where(PaperRating.member_id == ada.id)).all() == []


def test_first_visit_categories_and_start_ratings(client: TestClient, engine: Engine,
                                                  papers: dict[str, Paper]) -> None:
    cy = make_member(engine, "cy")
    answer = client.post("/for-you/start", headers=_page(cy),
                         data={"csrf": CSRF, "category": ["q-bio.NC", "astro-ph.GA"]})
    assert answer.status_code == 303
    start = _recs(client, cy, "/api/me/recommendations")
    assert start["mode"] == "start" and start["period"] == "2026-W18"  # the latest week with papers
    month = _recs(client, cy, "/api/me/recommendations?month=2026-05&limit=20")
    assert {c for p in month["papers"] for c in p["categories"]} == {"q-bio.NC", "astro-ph.GA"}
    assert len(month["papers"]) == 16
    for item in month["papers"][:3]:
        client.post("/for-you/rate", headers=_page(cy),
                    data={"csrf": CSRF, "paper": str(papers[item["id"]].id), "rating": "up", "source": "start"})
    with Session(engine) as s:
        sources = s.scalars(select(PaperRating.source).where(PaperRating.member_id == cy.id)).all()
    assert sources == ["start"] * 3
    personal = _recs(client, cy, "/api/me/recommendations?month=2026-04&limit=5")
    assert personal["mode"] == "personal"


@pytest.mark.parametrize("query", ["?week=2026-W99", "?month=2026-13", "?date=x", "?week=2026-W10&month=2026-01",
                                   "?date=2026-05-01%00", "?month=" + "9" * 39, "?limit=0", "?limit=101"])
def test_bad_periods_are_clear_4xx(client: TestClient, engine: Engine, query: str) -> None:
    ada = make_member(engine, "ada")
    api = client.get("/api/me/recommendations" + query, headers=ada.bearer)
    assert 400 <= api.status_code < 500 and "error" in api.json() or api.status_code == 422
    if "limit" not in query:
        page = client.get("/for-you" + query, headers=_page(ada))
        assert page.status_code == 400


def test_anonymous_and_bad_forms(client: TestClient, engine: Engine) -> None:
    assert client.get("/api/me/recommendations").status_code == 401
    assert client.get("/for-you").status_code == 303  # to the login page
    ada = make_member(engine, "ada")
    for data in ({"paper": "1", "rating": "sideways"}, {"paper": "999999", "rating": "up"}, {"paper": "0"},
                 {"paper": "1", "rating": "up\x00"}):
        answer = client.post("/for-you/rate", headers=_page(ada), data={"csrf": CSRF, **data})
        assert answer.status_code == 400, (data, answer.status_code)
    # A lone surrogate, percent-encoded as a browser never would, and markup.
    answer = client.post("/for-you/start", content=f"csrf={CSRF}&category=%ED%A0%80%3Cscript%3E".encode(),
                         headers={**_page(ada), "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 400
    assert client.post("/for-you/rate", headers=_page(ada), data={"paper": "1", "rating": "up"}).status_code == 403


def test_the_command_line_shows_the_list_and_retrains(client: TestClient, engine: Engine, papers: dict[str, Paper],
                                                      db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from paperstand.cli import app

    ada = make_member(engine, "ada")
    _liked(client, engine, papers, ada)
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    runner = CliRunner()
    shown = runner.invoke(app, ["recommend", "show", "ada", "--month", "2026-05", "--limit", "3"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("2026-05: personal") and shown.output.count("· ") >= 3
    assert runner.invoke(app, ["recommend", "show", "ada", "--month", "2026-13"]).exit_code == 2
    assert runner.invoke(app, ["recommend", "show", "nobody"]).exit_code == 2
    first = runner.invoke(app, ["recommend", "retrain"])
    assert first.exit_code == 0 and "1 of 1 members" in first.output
    assert "unchanged" in runner.invoke(app, ["recommend", "retrain", "--member", "ada"]).output
