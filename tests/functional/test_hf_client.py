"""The real ``huggingface_hub`` client, unmodified, against a running ``paperstand serve`` process."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

# Before the import: the client reads its settings once. Nothing here talks to huggingface.co (every
# call goes to the local endpoint), and telemetry must not try either.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from huggingface_hub import HfApi  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402
from tests.conftest import LiveServer, make_member  # noqa: E402

from paperstand.db import make_engine  # noqa: E402

DAILY = Path(__file__).parents[1] / "fixtures" / "api" / "daily_small.json"
WEEK_11 = ["2503.00201", "hep-th/9901001", "2503.00101", "2503.00102", "2503.00103"]
ALL_LATEST_FIRST = ["2504.00001", "2503.00301", *WEEK_11]


def _api(server: LiveServer, path: Path = DAILY) -> HfApi:
    result = server.run_cli("import", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    return HfApi(endpoint=server.url, token=False)


def _ids(papers: Any) -> list[str]:
    return [paper.id for paper in papers]


def test_list_daily_papers_by_period_and_page(live_server: LiveServer) -> None:
    api = _api(live_server)
    assert _ids(api.list_daily_papers(date="2025-03-11")) == ["2503.00201", "hep-th/9901001"]
    assert _ids(api.list_daily_papers(week="2025-W11")) == WEEK_11
    assert _ids(api.list_daily_papers(month="2025-04")) == ["2504.00001"]
    assert _ids(api.list_daily_papers()) == ALL_LATEST_FIRST
    assert _ids(api.list_daily_papers(submitter="alice", month="2025-03")) == [
        "2503.00301", "2503.00101", "2503.00103"]
    trending = list(api.list_daily_papers(month="2025-03", sort="trending"))
    assert [p.upvotes for p in trending] == [50, 30, 12, 7, 5, 1]
    pages = [_ids(api.list_daily_papers(p=page, limit=3)) for page in range(3)]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [pid for page in pages for pid in page] == ALL_LATEST_FIRST
    assert list(api.list_daily_papers(p=3, limit=3)) == []


def test_paper_fields_as_the_client_reads_them(live_server: LiveServer) -> None:
    api = _api(live_server)
    [listed] = [p for p in api.list_daily_papers(date="2025-03-11") if p.id == "2503.00201"]
    info = api.paper_info("2503.00201")
    for paper in (listed, info):
        assert paper.title == "A Benchmark for Weather-Aware Route Planning"
        assert [a.name for a in paper.authors or []] == ["Ravi Rao", "Sun Li"]
        assert (paper.upvotes, paper.comments, paper.github_stars) == (7, 2, 88)
        assert paper.github_repo == "https://github.com/example/route-bench"
        assert paper.project_page == "https://example.org/route-bench"
        assert paper.ai_keywords == ["route planning", "weather"]
        assert paper.organization is not None and paper.organization.fullname == "Example Lab"
        assert paper.submitted_by is not None and paper.submitted_by.username == "carol"
        assert paper.submitted_by.fullname == "Carol Cruz"
        assert paper.published_at is not None and paper.published_at.date().isoformat() == "2025-03-10"
        assert paper.discussion_id == "d-2503.00201"  # the imported one, not a made-up id
    assert api.paper_info("2503.00201v2").id == "2503.00201"
    assert api.paper_info("hep-th/9901001").title == "Strings on a Small Circle"


def test_read_paper_and_search(live_server: LiveServer) -> None:
    api = _api(live_server)
    text = api.read_paper("2503.00102")
    assert text.startswith("# Sparse Tensor Sketches for Streaming Graphs")
    assert "We compress streaming graphs with sparse tensor sketches and bound the error." in text
    assert api.read_paper("hep-th/9901001").startswith("# Strings on a Small Circle")
    found = list(api.list_papers(query="tensor"))
    assert _ids(found) == ["2503.00301", "2503.00102"]
    assert found[0].title == "Tiny Language Models that Explain Their Tensor Shapes"
    assert _ids(api.list_papers(query="tensor", limit=1)) == ["2503.00301"]
    assert list(api.list_papers(query="zebra")) == []


def test_errors_surface_as_http_errors(live_server: LiveServer) -> None:
    api = _api(live_server)
    for kwargs in ({"date": "2025-02-30"}, {"week": "2025-W60"}, {"month": "2025-13"},
                   {"date": "2025-03-11", "month": "2025-03"}, {"limit": 0}, {"limit": 101}):
        with pytest.raises(HfHubHTTPError) as err:
            list(api.list_daily_papers(**kwargs))
        assert err.value.response.status_code == 400, kwargs
    with pytest.raises(HfHubHTTPError) as err:
        api.paper_info("2599.99999")
    assert err.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as err:
        api.read_paper("2599.99999")
    assert err.value.response.status_code == 404


def _expected_days(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Per featured day, the file's papers in its order, as the fields the client reports."""
    days: dict[str, list[dict[str, Any]]] = {}
    for item in json.loads(path.read_text(encoding="utf-8")):
        paper = item["paper"]
        days.setdefault(paper["submittedOnDailyAt"][:10], []).append({
            "id": paper["id"], "title": " ".join(paper["title"].split()), "upvotes": paper["upvotes"],
            # Hidden authors too: "hidden" only hides the paper from that author's profile.
            "authors": [" ".join(a["name"].split()) for a in paper["authors"]],
            "submitter": paper["submittedOnDailyBy"]["user"]})
    return days


REAL_FILES = ["daily_papers_2026-06-12_30papers_raw.json", "daily_papers_2026-07-31_30papers_raw.json",
              "daily_papers_2026-07-31_5papers_pretty.json", "daily_papers_recorded_2026-07-14_25papers_raw.json"]


# One file per server: two of them hold the same day, captured at different times.
@pytest.mark.parametrize("name", REAL_FILES)
def test_real_daily_papers_round_trip(live_server: LiveServer, real: Path, name: str) -> None:
    path = real / "hf-daily-papers" / name
    api = _api(live_server, path)
    for day, expected in _expected_days(path).items():
        # ``or 0``: the client itself turns 0 upvotes into None (``paper.pop("upvotes") or ...``).
        got = [{"id": p.id, "title": p.title, "upvotes": p.upvotes or 0,
                "authors": [a.name for a in p.authors or []],
                "submitter": p.submitted_by.username if p.submitted_by else None}
               for p in api.list_daily_papers(date=day, limit=100)]
        assert got == expected, day


def test_local_upvotes_add_to_hugging_faces(live_server: LiveServer) -> None:
    """A member's vote here shows in the client's ``upvotes``: Hugging Face's 7 plus ours."""
    api = _api(live_server)
    engine = make_engine(live_server.db_url)
    ada = make_member(engine, "ada")
    engine.dispose()
    answer = httpx.post(f"{live_server.url}/api/papers/2503.00201/upvote", headers=ada.bearer, timeout=30)
    assert answer.json() == {"upvotes": 8, "local": 1, "voted": True}
    assert api.paper_info("2503.00201").upvotes == 8
    [listed] = [p for p in api.list_daily_papers(date="2025-03-11") if p.id == "2503.00201"]
    assert listed.upvotes == 8
