"""The library over HTTP: save buttons, collections, notes, read marks, export, import, public pages, API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.library.models import Collection, CollectionItem
from paperstand.papers.store import store_batch

CSRF = "library-token-0123456789"
PAPERS = [
    PaperRecord(source="hf-daily", title="Sparse Lanterns for Graph Attention", arxiv_id="2503.00001",
                authors=["Ada Lovelace", "Alan Turing"], abstract="Message passing with sparse attention.",
                categories=["cs.LG"], published_at=datetime(2025, 3, 1, tzinfo=UTC), doi="10.1000/lantern",
                featured_on=date(2025, 3, 11), position=1),
    PaperRecord(source="hf-daily", title="Quiet Rivers: Diffusion & Flow", arxiv_id="2503.00002",
                authors=["Grace Hopper"], abstract="Diffusion models for river flow.", categories=["cs.CV"],
                published_at=datetime(2025, 3, 2, tzinfo=UTC), featured_on=date(2025, 3, 11), position=2),
    PaperRecord(source="hf-daily", title="An Old Theory of Strings", arxiv_id="hep-th/9901001",
                authors=["Edward Witten"], abstract="Strings, old style.", categories=["hep-th"],
                published_at=datetime(1999, 1, 5, tzinfo=UTC), featured_on=date(2025, 3, 11), position=3),
]


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The whole app over a store of three papers, redirects not followed."""
    with engine.begin() as conn:
        store_batch(conn, PAPERS)
    settings = Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False,
                        mail_url=f"file://{tmp_path / 'mail'}")
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def _h(who: MadeMember) -> dict[str, str]:
    return {"Cookie": f"ps_session={who.cookie}; ps_csrf={CSRF}"}


def _post(client: TestClient, who: MadeMember, path: str, **data: str) -> object:
    return client.post(path, data={"csrf": CSRF, **data}, headers=_h(who))


def _items(engine: Engine) -> list[tuple[str, int, str]]:
    with Session(engine) as s:
        return [(c, p, n) for c, p, n in s.execute(select(Collection.slug, CollectionItem.paper_id, CollectionItem.note)
                                                   .join(Collection).order_by(CollectionItem.paper_id))]


def test_save_button_saves_and_unsaves_and_anonymous_gets_a_login_link(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    anon = client.get("/papers/date/2025-03-11").text
    assert 'href="/login?next=/papers/date/2025-03-11"' in anon and "/library/save" not in anon
    page = client.get("/papers/date/2025-03-11", headers=_h(ada)).text
    assert page.count('action="/library/save"') == 3 and "☆</span> Save" in page
    answer = _post(client, ada, "/library/save", paper="2503.00001", next="/papers/date/2025-03-11#paper-2503.00001")
    assert answer.status_code == 303 and answer.headers["location"] == "/papers/date/2025-03-11#paper-2503.00001"
    assert [c for c, _, _ in _items(engine)] == ["reading-list"]
    page = client.get("/papers/date/2025-03-11", headers=_h(ada)).text
    assert page.count("★</span> Saved") == 1
    _post(client, ada, "/library/save", paper="2503.00001", action="remove", next="//evil.example/")
    assert _items(engine) == []
    paper_page = client.get("/papers/hep-th/9901001", headers=_h(ada)).text
    assert 'name="paper" value="hep-th/9901001"' in paper_page


def test_collections_notes_read_marks_and_pages(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    assert client.get("/library").status_code == 303  # anonymous: log in first
    empty = client.get("/library", headers=_h(ada)).text
    assert "Your library is empty" in empty
    made = _post(client, ada, "/library/new", name="Graph <b>papers</b>", description="for the review")
    assert made.status_code == 303 and made.headers["location"] == "/library/graph-b-papers-b?done=created"
    assert _post(client, ada, "/library/new", name="graph <B>PAPERS</b>").status_code == 400
    _post(client, ada, "/library/save", paper="2503.00002", collection="graph-b-papers-b")
    hostile = _post(client, ada, "/library/graph-b-papers-b/item", paper="2503.00002", action="note", note="a\x00b")
    assert hostile.status_code == 400  # the request guard refuses control characters in any form
    _post(client, ada, "/library/graph-b-papers-b/item", paper="2503.00002", action="note", note="Read §3 <i>first</i>")
    _post(client, ada, "/library/graph-b-papers-b/item", paper="2503.00002", action="read")
    page = client.get("/library/graph-b-papers-b", headers=_h(ada))
    assert page.status_code == 200 and "private" in page.headers["cache-control"]
    assert "Read §3 &lt;i&gt;first&lt;/i&gt;" in page.text and "Mark unread" in page.text and "&lt;b&gt;" in page.text
    assert "No unread papers here" in client.get("/library/graph-b-papers-b?show=unread", headers=_h(ada)).text
    assert client.get("/library/graph-b-papers-b?p=2", headers=_h(ada)).status_code == 404
    shelves = client.get("/library", headers=_h(ada)).text
    assert "Graph &lt;b&gt;papers&lt;/b&gt;" in shelves
    renamed = _post(client, ada, "/library/graph-b-papers-b/edit", name="Graphs", description="")
    assert renamed.headers["location"] == "/library/graphs?done=saved"
    assert _post(client, ada, "/library/reading-list/delete").status_code == 400
    assert _post(client, ada, "/library/graphs/delete").status_code == 303
    assert client.get("/library/graphs", headers=_h(ada)).status_code == 404


def test_public_collection_page_and_feeds_are_never_stale(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    _post(client, ada, "/library/save", paper="2503.00001")
    assert client.get("/u/ada/c/reading-list").status_code == 404  # private
    _post(client, ada, "/library/reading-list/visibility", public="on")
    first = client.get("/u/ada/c/reading-list")
    assert first.status_code == 200 and "Sparse Lanterns" in first.text and "Quiet Rivers" not in first.text
    assert "private" in first.headers["cache-control"]
    _post(client, ada, "/library/save", paper="2503.00002")
    assert "Quiet Rivers" in client.get("/u/ada/c/reading-list").text  # the next visit sees the new save
    profile = client.get("/u/ada").text
    assert 'href="/u/ada/c/reading-list">Reading list</a> · 2 papers' in profile
    for fmt in ("rss", "atom"):
        feed = feedparser.parse(client.get(f"/u/ada/c/reading-list.{fmt}").content)
        titles = [e.title for e in feed.entries]
        assert titles == ["Quiet Rivers: Diffusion & Flow", "Sparse Lanterns for Graph Attention"]
    assert client.get("/u/ada/c/reading-list.xml").status_code == 404


def test_export_then_import_elsewhere_and_unmatched_entries(client: TestClient, engine: Engine) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    for pid in ("2503.00001", "hep-th/9901001"):
        _post(client, ada, "/library/save", paper=pid)
    _post(client, ada, "/library/reading-list/item", paper="2503.00001", action="note", note="Cite in §2 & §4")
    for fmt in ("bib", "ris"):
        exported = client.get(f"/library/reading-list/export.{fmt}", headers=_h(ada))
        assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
        _post(client, bob, "/library/new", name=f"From {fmt}")
        answer = client.post(f"/library/from-{fmt}/import", data={"csrf": CSRF}, headers=_h(bob),
                             files={"file": (f"x.{fmt}", exported.content)})
        assert answer.status_code == 200 and "2 added" in answer.text, answer.text
    with Session(engine) as s:
        notes = dict(s.execute(select(Collection.slug, CollectionItem.note).join(Collection)
                               .where(Collection.member_id == bob.id, CollectionItem.note != "")).all())
    assert notes == {"from-bib": "Cite in §2 & §4", "from-ris": "Cite in §2 & §4"}
    bad = b"@misc{ok, title = {Quiet Rivers: Diffusion \\& Flow}}\n\n@misc{broken, title = {never closed\n"
    answer = client.post("/library/reading-list/import", data={"csrf": CSRF}, headers=_h(bob),
                         files={"file": ("x.bib", bad + b"\n@misc{nope, title={Unknown Paper}}\n")})
    assert answer.status_code == 200 and "1 added" in answer.text and "Line 3" in answer.text
    answer = client.post("/library/reading-list/import", data={"csrf": CSRF}, headers=_h(bob),
                         files={"file": ("x.txt", b"hello\x00 world")})
    assert answer.status_code == 400 and "neither a BibTeX nor a RIS" in answer.text


def test_api_collections_and_saves(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    assert client.get("/api/me/collections").status_code == 401
    assert client.post("/api/me/collections/reading-list/papers/2503.00001").status_code == 401
    saved = client.post("/api/me/collections/reading-list/papers/hep-th/9901001", headers=ada.bearer,
                        json={"note": "old but gold"})
    assert saved.status_code == 200 and saved.json() == {"collection": "reading-list", "paper": "hep-th/9901001",
                                                         "saved": True, "changed": True}
    again = client.post("/api/me/collections/reading-list/papers/hep-th/9901001", headers=ada.bearer)
    assert again.json()["changed"] is False
    made = client.post("/api/me/collections", headers=ada.bearer, json={"name": "Ideas"})
    assert made.status_code == 201 and made.json()["slug"] == "ideas"
    listed = client.get("/api/me/collections", headers=ada.bearer).json()
    assert [(c["slug"], c["papers"]) for c in listed] == [("reading-list", 1), ("ideas", 0)]
    papers = client.get("/api/me/collections/reading-list", headers=ada.bearer).json()["papers"]
    assert [(p["id"], p["note"]) for p in papers] == [("hep-th/9901001", "old but gold")]
    assert client.post("/api/me/collections/nope/papers/2503.00001", headers=ada.bearer).status_code == 404
    assert client.post("/api/me/collections/ideas/papers/9999.99999", headers=ada.bearer).status_code == 404
    gone = client.delete("/api/me/collections/reading-list/papers/hep-th/9901001", headers=ada.bearer)
    assert gone.json()["changed"] is True
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CollectionItem)) == 0
    edited = client.patch("/api/me/collections/ideas", headers=ada.bearer, json={"name": "Big ideas", "public": True})
    assert edited.status_code == 200 and (edited.json()["slug"], edited.json()["public"]) == ("big-ideas", True)
    client.post("/api/me/collections/big-ideas/papers/2503.00001", headers=ada.bearer)
    item = client.patch("/api/me/collections/big-ideas/papers/2503.00001", headers=ada.bearer,
                        json={"note": "later", "read": True})
    assert item.status_code == 204
    page = client.get("/api/me/collections/big-ideas", headers=ada.bearer).json()
    assert page["collection"]["unread"] == 0 and page["papers"][0]["note"] == "later" and page["papers"][0]["readAt"]
    assert client.delete("/api/me/collections/reading-list", headers=ada.bearer).status_code == 400
    assert client.delete("/api/me/collections/big-ideas", headers=ada.bearer).status_code == 204
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/me/collections", "/api/me/collections/{slug}", "/api/me/collections/{slug}/papers/{paper_id}"} \
        <= set(paths), sorted(p for p in paths if "collections" in p)


def test_library_search_uses_the_query_language(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    for pid in ("2503.00001", "2503.00002"):
        _post(client, ada, "/library/save", paper=pid)
    found = client.get("/library/search?q=diffusion&mode=keyword", headers=_h(ada)).text
    assert "Quiet Rivers" in found and "Sparse Lanterns" not in found
    found = client.get("/library/search?q=author:lovelace", headers=_h(ada)).text
    assert "Sparse Lanterns" in found and "Quiet Rivers" not in found
    hybrid = client.get("/library/search?q=attention&mode=hybrid", headers=_h(ada)).text
    assert "Sparse Lanterns" in hybrid and "matched by keywords" in hybrid  # nothing embedded in this store
    assert "String" not in client.get("/library/search?q=strings", headers=_h(ada)).text.split("<main")[-1]
    bad = client.get("/library/search?q=from:2025-99-99", headers=_h(ada))
    assert bad.status_code == 400


HOSTILE = ["\ud800", "a\x00b", "x" * 20_000, "\u202eevil", "../../etc", "%00", "🦜" * 50, " ", "<script>", "\x85"]


def test_hostile_text_gets_a_clear_answer_never_a_5xx(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    api = {**ada.bearer, "Content-Type": "application/json"}
    for text in HOSTILE:
        body = json.dumps({"name": text, "description": text})  # ASCII-escaped: a lone surrogate travels as \ud800
        made = client.post("/api/me/collections", headers=api, content=body)
        assert made.status_code in (201, 400, 422), (text[:20], made.status_code, made.text[:200])
        if made.status_code == 201:
            assert "\ud800" not in made.json()["name"] and "\x00" not in made.json()["name"]
        saved = client.post("/api/me/collections/reading-list/papers/2503.00001", headers=api,
                            content=json.dumps({"note": text}))
        assert saved.status_code in (200, 400, 422), (text[:20], saved.status_code)
        quoted = quote(text[:300], safe="", errors="surrogatepass")
        for path in (f"/library/{quoted}", f"/u/ada/c/{quoted}", f"/library/search?q={quoted}"):
            answer = client.get(path, headers=_h(ada))
            assert answer.status_code < 500, (path[:40], answer.status_code)
        form = client.post("/library/new", headers={**_h(ada), "Content-Type": "application/x-www-form-urlencoded"},
                           content=f"csrf={CSRF}&name={quoted}")
        assert form.status_code in (303, 400, 422), (text[:20], form.status_code)
    page = client.get("/library", headers=_h(ada))
    assert page.status_code == 200 and "<script>" not in page.text.split("<main")[-1]
