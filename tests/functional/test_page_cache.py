"""The page cache end to end: hits and misses, writes from other processes, per-visitor pages, ETags, HEAD."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import LiveServer

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.run import import_file
from paperstand.site.version import VersionReader
from paperstand.web.cache import version_label

FIXTURES = Path(__file__).parents[1] / "fixtures" / "api"
DAILY = FIXTURES / "daily_small.json"
# One of each kind the cache keeps: pages, a feed, API lists, papers and searches.
CACHED = ["/", "/papers/date/2025-03-11", "/papers/week/2025-W11", "/papers/2503.00201", "/papers/2503.00201.md",
          "/feeds/latest.rss", "/api/daily_papers?date=2025-03-11", "/api/papers/2503.00201",
          "/search?q=tensor", "/api/papers/search?q=tensor"]


def _app(db_url: str, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False, **settings)))  # type: ignore[arg-type]


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """A test client on a database holding the small daily-papers fixture."""
    assert import_file(engine, DAILY).new == 7
    with _app(db_url) as test_client:
        yield test_client


def _import_changed(engine: Engine, tmp_path: Path, title: str) -> Path:
    """Import the fixture again with one paper retitled; returns the file."""
    items = json.loads(DAILY.read_text())
    for item in items:
        if item["paper"]["id"] == "2503.00201":
            item["paper"]["title"] = title
    changed = tmp_path / "daily_changed.json"
    changed.write_text(json.dumps(items))
    return changed


@pytest.mark.parametrize("path", CACHED)
def test_second_request_is_a_hit_with_the_same_bytes(client: TestClient, path: str) -> None:
    first, second = client.get(path), client.get(path)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert "x-content-type-options" in second.headers  # the inner layers' headers are part of the entry


def test_query_order_shares_an_entry_and_other_queries_do_not(client: TestClient) -> None:
    assert client.get("/api/daily_papers?date=2025-03-11&limit=2").headers["x-cache"] == "miss"
    assert client.get("/api/daily_papers?limit=2&date=2025-03-11").headers["x-cache"] == "hit"
    assert client.get("/api/daily_papers?limit=3&date=2025-03-11").headers["x-cache"] == "miss"


def test_a_write_is_visible_on_the_next_request(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    before = client.get("/papers/2503.00201")
    assert client.get("/papers/2503.00201").headers["x-cache"] == "hit"
    assert import_file(engine, _import_changed(engine, tmp_path, "A Retitled Paper")).updated == 1
    after = client.get("/papers/2503.00201", headers={"If-None-Match": before.headers["etag"]})
    assert (after.status_code, after.headers["x-cache"]) == (200, "miss")
    assert "A Retitled Paper" in after.text and after.headers["etag"] != before.headers["etag"]
    assert "A Retitled Paper" in client.get("/api/papers/2503.00201").text


def test_etag_names_the_data_version_and_304s_work(client: TestClient, engine: Engine) -> None:
    versions = VersionReader(engine).read()
    for path in ("/", "/papers/2503.00201", "/api/daily_papers?date=2025-03-11"):
        first = client.get(path)
        etag = first.headers["etag"]
        label = re.escape(version_label(path.partition("?")[0], versions))
        # The counters the page depends on, a hash of the cached body, and (with vote counts) of the counts.
        assert re.fullmatch(rf'"v{label}-[0-9a-f]{{24}}(\.[0-9a-f]{{16}})?"', etag), etag
        assert first.headers["cache-control"] == "no-cache"
        again = client.get(path, headers={"If-None-Match": etag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
        assert "content-type" not in again.headers and "content-length" not in again.headers
        assert client.get(path, headers={"If-None-Match": '"v0-stale"'}).status_code == 200
    modified = client.get("/feeds/latest.rss").headers["last-modified"]
    assert client.get("/feeds/latest.rss", headers={"If-Modified-Since": modified}).status_code == 304


def test_a_304_on_a_miss_still_fills_the_cache(client: TestClient) -> None:
    etag = client.get("/papers/2503.00201.md").headers["etag"]
    with _app(client.app.state.settings.effective_database_url) as fresh:  # an empty cache, the same data
        cold = fresh.get("/papers/2503.00201.md", headers={"If-None-Match": etag})
        assert (cold.status_code, cold.headers["x-cache"]) == (304, "miss")
        assert fresh.get("/papers/2503.00201.md").headers["x-cache"] == "hit"


@pytest.mark.parametrize("path", ["/", "/papers/2503.00201", "/api/daily_papers"])
def test_head_goes_through_the_cache(client: TestClient, path: str) -> None:
    head = client.head(path)
    assert (head.status_code, head.content, head.headers["x-cache"]) == (200, b"", "miss")
    got = client.get(path)
    assert got.headers["x-cache"] == "hit" and got.content
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
    assert head.headers["etag"] == got.headers["etag"]
    again = client.head(path)
    assert (again.headers["x-cache"], again.content) == ("hit", b"")
    assert client.head(path, headers={"If-None-Match": got.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("path", ["/subscribe", "/preferences/not-a-key", "/unsubscribe/not-a-key", "/docs"])
def test_forms_and_other_pages_are_never_cached(client: TestClient, path: str) -> None:
    for _ in range(2):
        answer = client.get(path)
        assert "x-cache" not in answer.headers


def test_csrf_pages_are_private_and_never_shared(client: TestClient) -> None:
    first = client.get("/subscribe")
    assert first.headers["cache-control"] == "private, no-store" and "set-cookie" in first.headers
    token = re.search(r'name="csrf" value="([^"]+)"', first.text)
    assert token is not None
    other = TestClient(client.app).get("/subscribe")
    assert token.group(1) not in other.text


def test_errors_and_redirects_are_not_stored(client: TestClient) -> None:
    for _ in range(2):
        missing = client.get("/papers/9999.99999")
        assert missing.status_code == 404 and "x-cache" not in missing.headers
        moved = client.get("/papers/2503.00201v2", follow_redirects=False)
        assert moved.status_code == 301 and "x-cache" not in moved.headers


def test_a_session_cookie_or_credentials_bypass_the_cache(client: TestClient) -> None:
    client.get("/")
    assert client.get("/", headers={"Cookie": "ps_session=abc"}).headers.get("x-cache") is None
    assert client.get("/", headers={"Authorization": "Bearer x"}).headers.get("x-cache") is None
    # The CSRF cookie is no one's identity: pages stay shared.
    assert client.get("/", headers={"Cookie": "ps_csrf=abc"}).headers["x-cache"] == "hit"


def test_hosts_have_their_own_entries(client: TestClient) -> None:
    assert client.get("/feeds/latest.rss", headers={"Host": "a.example"}).headers["x-cache"] == "miss"
    other = client.get("/feeds/latest.rss", headers={"Host": "b.example"})
    assert other.headers["x-cache"] == "miss" and "b.example" in other.text


def test_size_zero_turns_the_cache_off(engine: Engine, db_url: str) -> None:
    with _app(db_url, page_cache_mb=0) as off:
        assert "x-cache" not in off.get("/").headers
        assert "x-cache" not in off.get("/").headers


def test_the_front_page_skips_the_cache_while_the_first_harvest_runs(client: TestClient) -> None:
    assert client.get("/").headers["x-cache"] == "miss"

    class Running:
        status = "Harvesting arXiv: 120 papers so far"

        def is_alive(self) -> bool:
            return True

    client.app.state.harvest_thread = Running()
    for _ in range(2):
        page = client.get("/")
        assert "120 papers so far" in page.text and "x-cache" not in page.headers
    client.app.state.harvest_thread = None
    assert "120 papers so far" not in client.get("/").text


def _get(url: str) -> tuple[str, str]:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.headers["X-Cache"], answer.read().decode()


def test_an_import_from_another_process_is_visible_on_the_next_request(
        live_server: LiveServer, tmp_path: Path) -> None:
    imported = live_server.run_cli("import", str(DAILY), "--featured-on", "2025-03-11")
    assert imported.returncode == 0, imported.stderr
    page = live_server.url + "/papers/date/2025-03-11"
    assert _get(page)[0] == "miss"
    state, body = _get(page)
    assert state == "hit" and "A Process-Crossing Title" not in body
    items = json.loads(DAILY.read_text())
    items[0]["paper"]["title"] = "A Process-Crossing Title"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(items))
    assert live_server.run_cli("import", str(changed)).returncode == 0
    state, body = _get(page)
    assert state == "miss" and "A Process-Crossing Title" in body
    assert "A Process-Crossing Title" in _get(live_server.url + f"/api/daily_papers?date={date(2025, 3, 11)}")[1]
