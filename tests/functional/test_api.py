"""The Hugging Face-compatible JSON API, the Markdown paper page and the offline API docs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.run import import_file

DAILY = Path(__file__).parents[1] / "fixtures" / "api" / "daily_small.json"
# The fixture's papers per featured day, in the file's order.
MAR_10 = ["2503.00101", "2503.00102", "2503.00103"]
MAR_11 = ["2503.00201", "hep-th/9901001"]
MAR_17 = ["2503.00301"]
APR_01 = ["2504.00001"]
ALL_LATEST_FIRST = APR_01 + MAR_17 + MAR_11 + MAR_10


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """A test client on a database holding the small daily-papers fixture."""
    summary = import_file(engine, DAILY)
    assert (summary.new, summary.rejected) == (7, 0), summary.rejections
    with TestClient(create_app(Settings(database_url=db_url, harvest_on_start=False))) as test_client:
        yield test_client


def _ids(client: TestClient, **params: Any) -> list[str]:
    response = client.get("/api/daily_papers", params=params)
    assert response.status_code == 200, response.text
    return [item["paper"]["id"] for item in response.json()]


def _nulls(value: Any, where: str = "") -> list[str]:
    """Paths of every ``null`` inside a JSON value: the real API omits unknown keys instead."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{where}[{i}]")]
    return []


def test_daily_item_has_the_shape_of_the_real_api(client: TestClient) -> None:
    items = client.get("/api/daily_papers", params={"date": "2025-03-11"}).json()
    assert isinstance(items, list) and [i["paper"]["id"] for i in items] == MAR_11
    item = items[0]
    paper = item["paper"]
    assert paper["authors"] == [{"name": "Ravi Rao", "hidden": False}, {"name": "Sun Li", "hidden": False}]
    assert paper["publishedAt"] == "2025-03-10T00:00:00.000Z"
    assert paper["submittedOnDailyAt"] == "2025-03-11T00:00:00.000Z"
    assert paper["submittedOnDailyBy"] == {"fullname": "Carol Cruz", "user": "carol", "name": "carol",
                                           "type": "user"}
    assert (paper["upvotes"], paper["githubStars"], item["numComments"]) == (7, 88, 2)
    assert paper["discussionId"] == "d-2503.00201"  # the imported one, kept as is
    assert paper["ai_keywords"] == ["route planning", "weather"]
    # As in real responses, the envelope's publishedAt is the paper's date, not the featured day.
    assert item["publishedAt"] == paper["publishedAt"]
    assert item["submittedBy"] == paper["submittedOnDailyBy"]
    assert item["isAuthorParticipating"] is False
    for key in ("title", "summary", "githubRepo", "githubStars", "projectPage", "organization",
                "ai_summary", "ai_keywords"):
        assert item[key] == paper[key], key
    assert item["organization"]["fullname"] == "Example Lab"


def test_unknown_optional_keys_are_omitted_not_null(client: TestClient) -> None:
    items = client.get("/api/daily_papers").json()
    assert [p for item in items for p in _nulls(item)] == []
    plain = next(i for i in items if i["paper"]["id"] == "2503.00101")
    for key in ("githubRepo", "githubStars", "projectPage", "organization", "ai_summary", "ai_keywords",
                "withdrawnAt"):
        assert key not in plain and key not in plain["paper"], key


def test_without_a_period_the_most_recent_picks_come_first(client: TestClient) -> None:
    assert _ids(client) == ALL_LATEST_FIRST


@pytest.mark.parametrize(("params", "expected"), [
    ({"date": "2025-03-10"}, MAR_10),
    ({"date": "2025-03-12"}, []),
    ({"week": "2025-W11"}, MAR_11 + MAR_10),
    ({"week": "2025-W12"}, MAR_17),
    ({"month": "2025-03"}, MAR_17 + MAR_11 + MAR_10),
    ({"month": "2025-04"}, APR_01),
    ({"submitter": "alice"}, ["2503.00301", "2503.00101", "2503.00103"]),
    ({"submitter": "bob", "week": "2025-W11"}, ["hep-th/9901001", "2503.00102"]),
    ({"submitter": "nobody"}, []),
])
def test_period_and_submitter_filters(client: TestClient, params: dict[str, str], expected: list[str]) -> None:
    assert _ids(client, **params) == expected


def test_trending_sorts_by_upvotes(client: TestClient) -> None:
    items = client.get("/api/daily_papers", params={"sort": "trending", "month": "2025-03"}).json()
    votes = [i["paper"]["upvotes"] for i in items]
    assert votes == sorted(votes, reverse=True) == [50, 30, 12, 7, 5, 1]


def test_paging_returns_every_paper_once_then_an_empty_page(client: TestClient) -> None:
    pages = [_ids(client, p=page, limit=2) for page in range(4)]
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert [pid for page in pages for pid in page] == ALL_LATEST_FIRST
    assert _ids(client, p=4, limit=2) == []
    assert _ids(client, p=1000) == []
    assert _ids(client, p=10**20) == []
    assert len(_ids(client, limit=100)) == 7


@pytest.mark.parametrize("params", [
    {"date": "2025-02-30"}, {"date": "20250301"}, {"date": "yesterday"}, {"week": "2025-W54"},
    {"week": "2025-11"}, {"month": "2025-13"}, {"month": "2025"}, {"date": "2025-03-10", "week": "2025-W11"},
    {"week": "2025-W11", "month": "2025-03"}, {"limit": "0"}, {"limit": "101"}, {"limit": "many"},
    {"p": "-1"}, {"sort": "popular"},
])
def test_bad_parameters_are_400_json_errors(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/daily_papers", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and isinstance(body["error"], str) and body["error"]


def test_empty_period_parameters_mean_not_given(client: TestClient) -> None:
    """``?date=&month=`` (as forms send it) is the unfiltered list, not an error."""
    assert _ids(client, date="", month="") == _ids(client)


@pytest.mark.parametrize("paper_id", ["2503.00201", "2503.00201v3", "arXiv:2503.00201"])
def test_paper_detail(client: TestClient, paper_id: str) -> None:
    response = client.get(f"/api/papers/{paper_id}")
    assert response.status_code == 200
    paper = response.json()
    assert paper["id"] == "2503.00201" and paper["title"] == "A Benchmark for Weather-Aware Route Planning"
    assert [a["name"] for a in paper["authors"]] == ["Ravi Rao", "Sun Li"]
    assert (paper["upvotes"], paper["numComments"], paper["githubStars"]) == (7, 2, 88)
    assert paper["githubRepo"] == "https://github.com/example/route-bench"
    assert paper["projectPage"] == "https://example.org/route-bench"
    assert paper["submittedOnDailyAt"] == "2025-03-11T00:00:00.000Z"
    assert paper["submittedOnDailyBy"]["user"] == "carol"
    assert _nulls(paper) == []


def test_old_style_ids_work_in_the_api(client: TestClient) -> None:
    paper = client.get("/api/papers/hep-th/9901001").json()
    assert paper["id"] == "hep-th/9901001" and paper["title"] == "Strings on a Small Circle"


@pytest.mark.parametrize("paper_id", ["2599.99999", "not-an-id", "hep-th/9999999"])
def test_unknown_paper_is_a_404_json_error(client: TestClient, paper_id: str) -> None:
    response = client.get(f"/api/papers/{paper_id}")
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_keyword_search_ranks_title_hits_first(client: TestClient) -> None:
    items = client.get("/api/papers/search", params={"q": "tensor", "mode": "keyword"}).json()
    assert [i["paper"]["id"] for i in items] == ["2503.00301", "2503.00102"]
    first = items[0]
    assert first["title"] == first["paper"]["title"] and first["numComments"] == 9
    assert {"type": "highlight", "text": "Tensor"} in first["highlightedTitle"]
    assert "".join(run["text"] for run in first["highlightedTitle"]) == first["title"]
    both = client.get("/api/papers/search?q=STREAMING+tensor&mode=keyword").json()
    assert [i["paper"]["id"] for i in both][0] == "2503.00102"  # the one paper with both words first


@pytest.mark.parametrize(("query", "count"), [("", 0), ("   ", 0), ("zebra", 0), ("small", 3)])
def test_search_edge_cases(client: TestClient, query: str, count: int) -> None:
    response = client.get("/api/papers/search", params={"q": query, "mode": "keyword"})
    assert response.status_code == 200 and len(response.json()) == count


def test_search_limit(client: TestClient) -> None:
    assert len(client.get("/api/papers/search", params={"q": "small", "limit": 1}).json()) == 1
    assert client.get("/api/papers/search", params={"q": "small", "limit": 101}).status_code == 400
    assert client.get("/api/papers/search", params={"q": "small", "limit": 0}).status_code == 400
    assert client.get("/api/papers/search", params={"q": "small", "mode": "fuzzy"}).status_code == 400
    assert client.get("/api/papers/search", params={"q": "from:2024-13-01"}).status_code == 400


def test_markdown_paper_page(client: TestClient) -> None:
    response = client.get("/papers/2503.00201.md")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# A Benchmark for Weather-Aware Route Planning\n")
    for expected in ("**Authors:** Ravi Rao, Sun Li", "[2503.00201](<https://arxiv.org/abs/2503.00201>)",
                     "<https://arxiv.org/pdf/2503.00201>", "- Published: 2025-03-10",
                     "- Featured: 2025-03-11 (submitted by Carol Cruz)", "- Upvotes: 7",
                     "<https://github.com/example/route-bench> (88 stars)", "## Abstract",
                     "We release a benchmark of routes under changing weather", "## BibTeX",
                     "eprint = {2503.00201}", "Keywords: route planning, weather"):
        assert expected in text, expected


def test_markdown_for_versioned_and_old_style_ids(client: TestClient) -> None:
    assert client.get("/papers/2503.00201v2.md").text.startswith("# A Benchmark")
    response = client.get("/papers/hep-th/9901001.md")
    assert response.status_code == 200 and response.text.startswith("# Strings on a Small Circle")
    assert "[hep-th/9901001](<https://arxiv.org/abs/hep-th/9901001>)" in response.text


def test_markdown_unknown_paper_is_404(client: TestClient) -> None:
    assert client.get("/papers/2599.99999.md").status_code == 404


def test_markdown_route_leaves_the_html_page_alone(client: TestClient) -> None:
    response = client.get("/papers/2503.00201")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


def test_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "/docs/assets/swagger-ui-bundle.js" in page.text
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in ("/api/daily_papers", "/api/papers/search", "/api/papers/{paper_id}", "/papers/{paper_id}.md"):
        operation = schema["paths"][path]["get"]
        assert operation["description"] and operation["responses"]["200"]["description"], path
