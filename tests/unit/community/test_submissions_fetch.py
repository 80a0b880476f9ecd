"""Fetching a submitted paper from arXiv's API: a real HTTP server on 127.0.0.1 stands in for arXiv."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import make_member
from tests.unit.community.arxiv_fake import arxiv_api, error_feed, feed, recent
from tests.unit.community.submission_setup import NOW, TODAY, member, paper_ids, picks, settings
from tests.unit.ingest.harvest_server import FakeClock, ReplayServer, allow, closed_port_url, scripted

from paperstand.community.arxiv_lookup import UNREACHABLE, ArxivLookup, ArxivUnavailable, NotOnArxiv
from paperstand.community.submissions import submit
from paperstand.search.service import search

ATOM = {"Content-Type": "application/atom+xml"}


def _lookup(url: str, clock: FakeClock, **kwargs: object) -> ArxivLookup:
    base = {"arxiv_api_url": url + "/api/query", "fetch_allow_hosts": allow(url), "arxiv_delay": 3.0}
    return ArxivLookup(settings("sqlite://", **{**base, **kwargs}), clock=clock.monotonic, sleep=clock.sleep)


def test_one_paper_by_id_politely_and_once() -> None:
    clock = FakeClock()
    with ReplayServer(arxiv_api(recent(NOW))) as server:
        lookup = _lookup(server.url, clock)
        first = lookup("2503.01234")
        assert first.arxiv_id == "2503.01234" and first.title == "Compositional Probes for 2503.01234"
        assert first.published_at == NOW - timedelta(days=1)
        lookup("2503.01234")  # reused: fifty submissions of one new paper cost arXiv one request
        lookup("2503.05678")
    assert server.seen("/api/query") == [{"id_list": "2503.01234", "max_results": "1"},
                                         {"id_list": "2503.05678", "max_results": "1"}]
    assert server.requests[0].headers["User-Agent"].startswith("paperstand/")
    assert clock.sleeps == [3.0]  # arXiv's interval between the two requests


@pytest.mark.parametrize("body", [feed("2503.01234", NOW, found=False), error_feed("2503.01234"),
                                  feed("2503.09999", NOW)])
def test_no_such_paper(body: bytes) -> None:
    with ReplayServer(scripted((200, ATOM, body))) as server, \
            pytest.raises(NotOnArxiv, match="arXiv has no paper 2503.01234"):
        _lookup(server.url, FakeClock())("2503.01234")


@pytest.mark.parametrize("reply", [(500, {}, b"down"), (429, {"Retry-After": "1"}, b"slow down"),
                                   (404, {}, b"gone"), (200, ATOM, b"<feed><entry><title>cut sh")])
def test_errors_and_unreadable_answers_are_unavailable(reply: tuple[int, dict[str, str], bytes]) -> None:
    with ReplayServer(scripted(reply)) as server, pytest.raises(ArxivUnavailable) as err:
        _lookup(server.url, FakeClock())("2503.01234")
    assert err.value.message == UNREACHABLE and err.value.status == 503
    assert len(server.requests) <= 2  # one retry at most: a person is waiting


def test_offline_and_refused_addresses_are_unavailable() -> None:
    clock = FakeClock()
    with pytest.raises(ArxivUnavailable, match="could not be reached"):
        _lookup(closed_port_url(), clock)("2503.01234")
    with ReplayServer(arxiv_api(recent(NOW))) as server:
        guarded = _lookup(server.url, clock, fetch_allow_hosts="")  # loopback is refused unless allowed
        with pytest.raises(ArxivUnavailable):
            guarded("2503.01234")
    assert server.requests == []


def test_submit_fetches_stores_indexes_and_features(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    with ReplayServer(arxiv_api(recent(NOW, days=3))) as server:
        lookup = _lookup(server.url, FakeClock())
        with Session(engine, expire_on_commit=False) as session:
            pick = submit(session, member=member(engine, ada.id), text="https://arxiv.org/pdf/2503.04444v1.pdf",
                          now=NOW, settings=settings(db_url), fetch_paper=lookup)
    assert (pick.day, pick.submitted_by) == (TODAY, "ada")
    assert picks(engine) == [("2503.04444", TODAY, 1, "submission", "ada")]
    with Session(engine) as session:  # the keyword index has it at once (SQLite's FTS5 in the same transaction)
        found = search(session, "compositional probes", settings=settings(db_url), mode="keyword")
        assert [r.paper.arxiv_id for r in found.results] == ["2503.04444"]


def test_submit_offline_stores_nothing(engine: Engine, db_url: str) -> None:
    ada = make_member(engine, "ada")
    lookup = _lookup(closed_port_url(), FakeClock())
    with Session(engine) as session, pytest.raises(ArxivUnavailable):
        submit(session, member=member(engine, ada.id), text="2503.04444", now=NOW, settings=settings(db_url),
               fetch_paper=lookup)
    assert paper_ids(engine) == [] and picks(engine) == []
