"""Submissions against a running ``paperstand serve``: fifty at once, and what the real ``huggingface_hub`` sees."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from tests.conftest import LiveServer, MadeMember, make_member, start_server
from tests.unit.community.arxiv_fake import arxiv_api, recent
from tests.unit.community.submission_setup import paper_ids, picks
from tests.unit.ingest.harvest_server import ReplayServer, allow

os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
TODAY = datetime.now(UTC).date()


@pytest.fixture
def arxiv() -> Iterator[ReplayServer]:
    """arXiv's API on 127.0.0.1: every id is a paper from yesterday."""
    with ReplayServer(arxiv_api(recent(datetime.now(UTC)))) as server:
        yield server


@pytest.fixture
def server(engine: Engine, db_url: str, tmp_path: Path, arxiv: ReplayServer) -> Iterator[LiveServer]:
    """``serve`` pointed at the local arXiv (allowed past the fetch guard by name, no polite wait)."""
    yield from start_server(db_url, tmp_path / "var", {
        "PAPERSTAND_ARXIV_API_URL": arxiv.url + "/api/query", "PAPERSTAND_FETCH_ALLOW_HOSTS": allow(arxiv.url),
        "PAPERSTAND_ARXIV_DELAY": "0", "PAPERSTAND_SUBMISSION_DAILY_LIMIT": "5"})


def _all_at_once(server: LiveServer, calls: list[tuple[MadeMember, str]]) -> Counter[int]:
    """POST every (member, paper) to /api/submissions at the same moment; count the statuses."""
    statuses: list[int] = []
    start = threading.Barrier(len(calls))

    def one(who: MadeMember, paper: str) -> None:
        with httpx.Client(timeout=60) as client:
            start.wait()
            statuses.append(client.post(server.url + "/api/submissions", json={"paper": paper},
                                        headers=who.bearer).status_code)

    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Counter(statuses)


def test_fifty_identical_submissions_leave_one_pick(server: LiveServer, engine: Engine, arxiv: ReplayServer) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    calls = [(ada if i % 2 else bob, "2503.07777") for i in range(50)]
    assert _all_at_once(server, calls) == Counter({201: 1, 409: 49})
    [(arxiv_id, day, position, source, by)] = picks(engine)
    assert (arxiv_id, day, position, source) == ("2503.07777", TODAY, 1, "submission") and by in ("ada", "bob")
    assert paper_ids(engine) == ["2503.07777"]
    assert len(arxiv.seen("/api/query")) == 1  # one lookup at a time, and the others reused its answer


def test_the_daily_limit_holds_under_concurrency(server: LiveServer, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    calls = [(ada, f"2503.{10000 + i}") for i in range(20)]
    assert _all_at_once(server, calls) == Counter({201: 5, 403: 15})
    assert [p[2] for p in picks(engine)] == [1, 2, 3, 4, 5]


def test_the_real_client_sees_who_submitted(server: LiveServer, engine: Engine) -> None:
    from huggingface_hub import HfApi

    ada = make_member(engine, "ada")
    made = httpx.post(server.url + "/api/submissions", json={"paper": "https://arxiv.org/abs/2503.08888v1"},
                      headers=ada.bearer, timeout=60)
    assert made.status_code == 201, made.text
    api = HfApi(endpoint=server.url, token=False)
    [listed] = list(api.list_daily_papers(date=TODAY.isoformat()))
    info = api.paper_info("2503.08888")
    for paper in (listed, info):
        assert paper.id == "2503.08888" and paper.title == "Compositional Probes for 2503.08888"
        assert paper.submitted_by is not None
        assert (paper.submitted_by.username, paper.submitted_by.fullname) == ("ada", "Ada")
    assert [p.id for p in api.list_daily_papers(submitter="ada")] == ["2503.08888"]
    assert info.submitted_at is not None
