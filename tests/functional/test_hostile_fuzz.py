"""Property tests: arbitrary Unicode in every request parameter and form gives no 5xx, and records with
arbitrary text import and then build every feed and a digest (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.digests.render import render_digest
from paperstand.digests.send import digest_mail, period_papers
from paperstand.feeds.build import FeedMeta, build_feed
from paperstand.ingest.run import import_stream
from paperstand.mail.templates import mail_env
from paperstand.papers.periods import parse_day
from paperstand.papers.queries import featured
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import confirm_subscription, request_subscription

SECRET = "fuzz-secret"
DAY = date(2026, 3, 2)
# Every character, surrogates included (they travel %-encoded), plus very long values.
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(["\x00", "%", "a\x01", "\ud800", "\x1b[31m", "\r\nX-Header: 1", "..", "/"]),
    st.integers(300, 800).map(lambda n: "\x00a" * n),  # long, yet within a URL's 64 kB
)
FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def _enc(value: str) -> str:
    """%-encode any string, lone surrogates included (as the UTF-8 bytes they would have)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client with a fixed signing key on an empty database."""
    app_settings = Settings(database_url=db_url, harvest_on_start=False, secret_key=SECRET,
                            mail_url=f"file://{tmp_path / 'mail'}", data_dir=tmp_path)
    with TestClient(create_app(app_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def _api_routes(client: TestClient) -> list[tuple[str, list[str], list[str]]]:
    """(path template, path parameter names, query parameter names) of every GET route in the OpenAPI schema."""
    app = client.app
    routes = []
    for path, ops in app.openapi()["paths"].items():  # type: ignore[attr-defined]
        params = ops.get("get", {}).get("parameters", [])
        routes.append((path, [p["name"] for p in params if p["in"] == "path"],
                       [p["name"] for p in params if p["in"] == "query"]))
    return routes


# The HTML routes (not in the schema): path template, path parameters, query parameters.
PAGES = [
    ("/", [], ["p", "sort"]), ("/papers/date/{day}", ["day"], ["p", "sort"]),
    ("/papers/week/{week}", ["week"], ["p"]), ("/papers/month/{month}", ["month"], ["p"]),
    ("/papers/{paper_id}", ["paper_id"], []), ("/arxiv", [], ["cat"]), ("/arxiv/{label}", ["label"], ["cat", "p"]),
    ("/subscribe", [], []), ("/subscribe/confirm", [], ["token"]), ("/preferences/{key}", ["key"], []),
    ("/preferences/{key}/preview", ["key"], []), ("/unsubscribe/{key}", ["key"], []),
]
SEARCH = [("/search", [], ["q", "mode", "category", "author", "from", "to", "p"])]
FEEDS = [
    ("/feeds/latest.{fmt}", ["fmt"], []), ("/feeds/search.{fmt}", ["fmt"], ["q", "mode"]),
    ("/feeds/arxiv/{label}.{fmt}", ["label", "fmt"], ["cat"]),
    ("/feeds/{kind}/{label}.{fmt}", ["kind", "label", "fmt"], []),
]


def _url(template: str, path: list[str], query: list[str], values: list[str]) -> str:
    url = template
    for name, value in zip(path, values, strict=False):
        url = url.replace("{" + name + "}", _enc(value) or "x")
    pairs = [f"{_enc(n)}={_enc(v)}" for n, v in zip(query, values[len(path):], strict=False)]
    return url + ("?" + "&".join(pairs) if pairs else "")


def _fuzz_routes(client: TestClient, routes: list[tuple[str, list[str], list[str]]], data: st.DataObject) -> None:
    template, path, query = data.draw(st.sampled_from(routes))
    values = data.draw(st.lists(ANY_TEXT, min_size=len(path) + len(query), max_size=len(path) + len(query)))
    url = _url(template, path, query, values)
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code, response.text[:300])


@FUZZ
@given(data=st.data())
def test_api_routes_never_5xx(client: TestClient, data: st.DataObject) -> None:
    _fuzz_routes(client, _api_routes(client), data)


@FUZZ
@given(data=st.data())
def test_pages_never_5xx(client: TestClient, data: st.DataObject) -> None:
    _fuzz_routes(client, PAGES, data)


@FUZZ
@given(data=st.data())
def test_search_and_feeds_never_5xx(client: TestClient, data: st.DataObject) -> None:
    _fuzz_routes(client, SEARCH + FEEDS, data)


def _csrf(client: TestClient, page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(page).text)
    assert found
    return found.group(1)


FORM_FIELDS = {
    "/subscribe": ["email"],
    "/subscribe/confirm": ["token"],
    "preferences": ["frequency", "weekday", "send_hour", "timezone", "categories", "keywords", "max_papers", "paused"],
    "unsubscribe": [],
}


@pytest.fixture
def keys(engine: Engine) -> tuple[str, str]:
    """A confirmed subscriber's preferences and unsubscribe keys."""
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, "reader@example.org")
        assert opt_in is not None
        sid = confirm_subscription(s, opt_in.token).id
    return make_key(SECRET.encode(), "preferences", sid), make_key(SECRET.encode(), "unsubscribe", sid)


@FUZZ
@given(data=st.data())
def test_forms_never_5xx(client: TestClient, keys: tuple[str, str], data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(sorted(FORM_FIELDS)))
    action = {"preferences": f"/preferences/{keys[0]}", "unsubscribe": f"/unsubscribe/{keys[1]}"}.get(form, form)
    csrf = _csrf(client, "/subscribe")  # the cookie, and so the token, is the same for every form
    fields = {name: data.draw(ANY_TEXT) for name in FORM_FIELDS[form]}
    body = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in {**fields, "csrf": csrf}.items())
    response = client.post(action, content=body.encode(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code < 500, (form, fields, response.status_code, response.text[:300])


RECORD_TEXT = st.text(st.characters(exclude_categories=()), min_size=1, max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(st.lists(st.tuples(RECORD_TEXT, RECORD_TEXT, st.lists(RECORD_TEXT, max_size=3), RECORD_TEXT),
                min_size=1, max_size=4))
def test_arbitrary_record_text_imports_and_builds_every_feed_and_a_digest(
        engine: Engine, db_url: str, tmp_path: Path, records: list[tuple[str, str, list[str], str]]) -> None:
    """Whatever the text, the import stores or rejects each record, and feeds and a digest of them build."""
    items = [{"paper": {"id": f"2603.{n:05d}", "title": title, "summary": abstract,
                        "authors": [{"name": a} for a in authors], "upvotes": n},
              "title": title, "summary": abstract, "submittedBy": {"user": user},
              "publishedAt": "2026-03-02T00:00:00.000Z"}
             for n, (title, abstract, authors, user) in enumerate(records, 1)]
    # json.dumps keeps lone surrogates as \ud800 escapes, so they reach the parser as a real feed would send them.
    data = json.dumps(items).encode()
    summary = import_stream(engine, io.BytesIO(data), "fuzz.json", featured_on=DAY)
    assert summary.total == len(records)
    period = parse_day(DAY.isoformat())
    with Session(engine) as session:
        cards = featured(session, period, limit=100)
        for fmt in ("rss", "atom"):
            build_feed(FeedMeta("t", "http://x/p", "http://x/f", "d"), cards, "http://x", fmt)
        papers = period_papers(session, period)
    subscriber = Subscriber(id=1, email="a@example.org", status="confirmed", categories=[], keywords=[],
                            timezone="UTC", max_papers=10)
    app_settings = Settings(database_url=db_url, secret_key=SECRET, data_dir=tmp_path)
    mail = digest_mail(app_settings, "http://x", subscriber, DAY.isoformat(), period, papers,
                       datetime(2026, 3, 2, 9, tzinfo=UTC))
    message = render_digest(mail_env(), mail, sender="p <p@example.org>", base_url="http://x")
    assert message["Subject"]
