"""HEAD, conditional GET, cross-origin API reads and the documented response schemas, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine, func, select

from paperstand.api.schemas import DailyItem, PaperDetail, SearchItem
from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.run import import_file
from paperstand.papers.models import Paper
from paperstand.web.conditional import http_date

FIXTURES = Path(__file__).parents[1] / "fixtures" / "api"
DAILY = FIXTURES / "daily_small.json"
HF_IDS = FIXTURES / "hf_discussion_thumbnail.json"
# A feed, an API list, an API paper, and the paper page in HTML and Markdown.
CONDITIONAL = ["/feeds/latest.rss", "/feeds/date/2025-03-11.atom", "/api/daily_papers?date=2025-03-11",
               "/api/papers/2503.00201", "/papers/2503.00201", "/papers/2503.00201.md"]


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """A test client on a database holding the small daily-papers fixture."""
    assert import_file(engine, DAILY).new == 7
    with TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/", "/papers/date/2025-03-11", "/search?q=tensor", "/docs", "/openapi.json",
                                  "/static/paperstand.css", *CONDITIONAL])
def test_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    got, head = client.get(path), client.head(path)
    assert (got.status_code, head.status_code) == (200, 200), head.text
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "access-control-allow-origin"):
        assert head.headers.get(name) == got.headers.get(name), name


def test_head_keeps_errors_and_redirects(client: TestClient) -> None:
    missing = client.head("/api/papers/9999.99999")
    assert (missing.status_code, missing.content) == (404, b"")
    assert client.head("/papers/2503.00201v2", follow_redirects=False).status_code == 301
    assert client.head("/no/such/page").status_code == 404


@pytest.mark.parametrize("path", CONDITIONAL)
def test_conditional_get_answers_304_until_the_data_changes(
        client: TestClient, engine: Engine, tmp_path: Path, path: str) -> None:
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and first.headers["cache-control"] == "no-cache"
    again = client.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert "content-type" not in again.headers
    assert client.head(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    # Answers that carry vote counts (filled in as they are sent) change with no Last-Modified time moving:
    # for them only the ETag decides, and If-Modified-Since alone gets the full answer.
    live = not path.startswith("/feeds/") and not path.endswith(".md")
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == (200 if live else 304)
    # If-None-Match decides alone when both are sent.
    assert client.get(path, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}).status_code == 200

    _import_changed(engine, tmp_path, summary=" (revised)")
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert client.get(path, headers={"If-None-Match": changed.headers["etag"]}).status_code == 304


def _import_changed(engine: Engine, tmp_path: Path, *, summary: str = "", upvotes: int = 0) -> None:
    """Import the fixture again with two papers' abstracts (on two days) or upvotes changed."""
    items = json.loads(DAILY.read_text())
    for item in items:
        if item["paper"]["id"] in ("2503.00201", "2504.00001"):
            item["paper"]["summary"] += summary
            item["paper"]["upvotes"] += upvotes
    changed = tmp_path / "daily_changed.json"
    changed.write_text(json.dumps(items))
    assert import_file(engine, changed).updated == 2


def _newest_change(engine: Engine) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(func.max(Paper.last_changed_at))).scalar()


def test_last_modified_is_when_the_data_changed(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    newest = _newest_change(engine)
    assert newest is not None
    assert client.get("/api/daily_papers").headers["last-modified"] == http_date(newest)
    assert client.get("/feeds/latest.atom").headers["last-modified"] == http_date(newest)
    before = client.get("/api/daily_papers").headers["etag"]
    # Upvotes are signals, not paper fields: the papers still count as changed.
    _import_changed(engine, tmp_path, upvotes=100)
    assert _newest_change(engine) > newest
    answer = client.get("/api/daily_papers")
    assert answer.headers["etag"] != before
    assert answer.headers["last-modified"] == http_date(_newest_change(engine))


def test_unconditional_paths_and_failures_carry_no_validators(client: TestClient) -> None:
    # The front page is tagged by the page cache; forms (per-visitor) are not.
    assert "etag" not in client.get("/subscribe").headers
    assert "etag" not in client.get("/api/papers/9999.99999").headers


def test_api_reads_are_allowed_from_any_origin(client: TestClient) -> None:
    got = client.get("/api/daily_papers", headers={"Origin": "https://elsewhere.example"})
    assert got.headers["access-control-allow-origin"] == "*"
    assert "ETag" in got.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in got.headers
    assert client.get("/api/papers/9999.99999").headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in client.get("/papers/2503.00201").headers
    preflight = client.options("/api/papers/search", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-methods"] == "GET, HEAD"
    assert preflight.headers["access-control-allow-headers"] == "if-none-match"
    write = client.options("/api/daily_papers", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in write.headers


def test_openapi_documents_each_api_answer(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, ref in (("/api/daily_papers", "DailyItem"), ("/api/papers/search", "SearchItem"),
                      ("/api/papers/{paper_id}", "PaperDetail")):
        schema = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ref in json.dumps(schema), path
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    paper = schemas["PaperObject"]["properties"]
    assert {"id", "authors", "publishedAt", "title", "summary", "upvotes", "discussionId"} <= set(paper)
    assert all(p.get("description") for name, p in paper.items() if name != "title"), paper


def _valid(model: Any, body: Any) -> None:
    # The models forbid unknown keys: a key sent but not documented fails here.
    TypeAdapter(model).validate_python(body)


def test_answers_match_their_documented_models(client: TestClient, engine: Engine) -> None:
    assert import_file(engine, HF_IDS).new == 2
    daily = client.get("/api/daily_papers", params={"limit": 100}).json()
    assert len(daily) == 9
    _valid(list[DailyItem], daily)
    found = client.get("/api/papers/search", params={"q": "tensor", "mode": "keyword"}).json()
    assert found
    _valid(list[SearchItem], found)
    for item in daily:
        _valid(PaperDetail, client.get(f"/api/papers/{item['paper']['id']}").json())


def test_hugging_face_discussion_id_and_thumbnail_are_kept(client: TestClient, engine: Engine) -> None:
    assert import_file(engine, HF_IDS).new == 2
    kept, undated = client.get("/api/daily_papers", params={"date": "2026-06-12"}).json()
    assert kept["paper"]["discussionId"] == "6a2c75a4a0d4daae4285f068"
    assert kept["thumbnail"] == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2606.00467.png"
    assert client.get("/api/papers/2606.00467").json()["discussionId"] == "6a2c75a4a0d4daae4285f068"
    # Not an id and not a web address: a stable made-up id stands in, and no thumbnail is sent.
    made_up = undated["paper"]["discussionId"]
    assert len(made_up) == 24 and int(made_up, 16) >= 0
    assert "thumbnail" not in undated
    # No date in the data: the arXiv id's month stands in (2606 is June 2026), so every paper has a publishedAt.
    assert undated["paper"]["publishedAt"] == undated["publishedAt"]
    assert undated["publishedAt"] == "2026-06-01T00:00:00.000Z"
