"""Harvests against a local server replaying arXiv OAI-PMH and Hugging Face answers."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest
from harvest_server import FakeClock, ReplayServer, Reply, Respond, allow, archive, closed_port_url
from sqlalchemy import Engine, select

from paperstand.config import Settings
from paperstand.ingest import harvest as harvest_mod
from paperstand.ingest.fetch import fetcher_for
from paperstand.ingest.harvest import (
    HarvestReport,
    category_filter,
    first_harvest_in_background,
    harvest,
    oai_sets,
)
from paperstand.ingest.record import PaperRecord
from paperstand.papers.models import DailyPick, Paper
from paperstand.papers.store import store_batch

SINCE, UNTIL = date(2026, 1, 5), date(2026, 1, 7)
LOG = "test.harvest"


def _settings(url: str, oai_url: str | None = None, **kw: object) -> Settings:
    base: dict[str, object] = dict(arxiv_oai_url=oai_url or url + "/oai", hf_api_url=url, http_retries=2,
                                   arxiv_delay=3.0, harvest_days=3, harvest_categories="cs.LG,cs.CL",
                                   fetch_allow_hosts=allow(url))
    return Settings(**{**base, **kw})  # type: ignore[arg-type]


def _run(engine: Engine, server: ReplayServer, clock: FakeClock | None = None, **kw: object) -> HarvestReport:
    settings, clock = _settings(server.url), clock or FakeClock()
    fetcher = fetcher_for(settings, clock=clock.monotonic, sleep=clock.sleep)
    options: dict[str, object] = dict(since=SINCE, until=UNTIL, categories=None)
    try:
        return harvest(engine, settings, fetcher=fetcher, **{**options, **kw})  # type: ignore[arg-type]
    finally:
        fetcher.close()


def _arxiv_ids(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return {r for r in conn.execute(select(Paper.arxiv_id)).scalars() if r}


def test_oai_sets_use_top_level_archives() -> None:
    cats = ["cs.LG", "cs.CL", "hep-th", "astro-ph.CO", "math.AG", "cond-mat.str-el", "stat.ML"]
    assert oai_sets(cats) == ["cs", "physics:hep-th", "physics:astro-ph", "math", "physics:cond-mat", "stat"]


def test_category_filter_matches_categories_and_whole_archives() -> None:
    rec = PaperRecord(source="arxiv-oai", title="T", categories=["math.OC", "cs.SY"])
    assert category_filter(["cs.SY"])(rec) and category_filter(["cs"])(rec)
    assert not category_filter(["cs.LG", "c"])(rec)


def test_follows_resumption_tokens_and_stores_every_page(engine: Engine) -> None:
    clock = FakeClock()
    with ReplayServer(archive()) as server:
        report = _run(engine, server, clock, sources=["arxiv-oai"])
    first, second = server.seen("/oai")
    assert first == {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "from": "2026-01-05",
                     "until": "2026-01-07", "set": "cs"}
    assert second == {"verb": "ListRecords", "resumptionToken": "7001|1001"}  # nothing else
    assert clock.sleeps == [3.0]  # arXiv's polite delay between the two pages
    assert report.pages["arxiv-oai"] == 2 and report.errors == [] and not report.offline
    assert _arxiv_ids(engine) == {"2601.00101", "2601.00103", "2601.00104"}
    arxiv = report.sources["arxiv-oai"]
    assert (arxiv.new, arxiv.skipped, arxiv.rejected) == (3, 2, 0)


def test_only_requested_categories_are_kept(engine: Engine) -> None:
    with ReplayServer(archive()) as server:
        report = _run(engine, server, categories=["cs.LG", "math.OC"], sources=["arxiv-oai"])
    assert [p.get("set") for p in server.seen("/oai")] == ["cs", None, "math"]
    assert report.errors == []  # noRecordsMatch for "math" is an empty result, not an error
    assert _arxiv_ids(engine) == {"2601.00101", "2601.00104", "2601.00105"}


def test_oai_error_stops_the_set_with_a_clear_message(engine: Engine) -> None:
    with ReplayServer(archive(page2="oai_error_badresumptiontoken.xml")) as server:
        report = _run(engine, server, sources=["arxiv-oai"])
    assert report.errors == [
        "arxiv-oai: set cs: OAI-PMH error badResumptionToken: The resumption token has expired"]
    assert _arxiv_ids(engine) == {"2601.00101", "2601.00103"}  # page 1 was committed


def test_server_errors_exhausted_are_reported(engine: Engine) -> None:
    replay = archive()

    def failing_oai(path: str, params: dict[str, str]) -> Reply:
        return (500, {}, b"down") if path == "/oai" else replay(path, params)

    clock = FakeClock()
    with ReplayServer(failing_oai) as server:
        report = _run(engine, server, clock)
    assert report.errors == [f"arxiv-oai: set cs: GET {server.url}/oai: HTTP 500 Internal Server Error "
                             "(gave up after 3 attempts)"]
    assert not report.offline and not report.ok
    assert report.sources["hf-daily"].new == 3  # the other source still ran


def test_hf_days_are_each_fetched_and_paged(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harvest_mod, "HF_PAGE_SIZE", 2)
    with ReplayServer(archive()) as server:
        report = _run(engine, server, since=None, sources=["hf-daily"])  # harvest_days=3 back from UNTIL
    assert [(p["date"], p["limit"], p["p"]) for p in server.seen("/api/daily_papers")] == [
        ("2026-01-05", "2", "0"), ("2026-01-06", "2", "0"), ("2026-01-06", "2", "1"),
        ("2026-01-07", "2", "0")]
    assert server.seen("/oai") == []
    assert report.pages == {"arxiv-oai": 0, "hf-daily": 4}
    assert report.sources["hf-daily"].new == 3
    with engine.connect() as conn:
        picks = conn.execute(select(Paper.arxiv_id, DailyPick.day, DailyPick.position)
                             .join(Paper, Paper.id == DailyPick.paper_id).order_by(DailyPick.position)).all()
    day = date(2026, 1, 6)
    assert [tuple(p) for p in picks] == [("2601.00201", day, 1), ("2601.00202", day, 2),
                                         ("2601.00203", day, 3)]


def test_second_harvest_changes_nothing(engine: Engine) -> None:
    with ReplayServer(archive()) as server:
        first = _run(engine, server)
        second = _run(engine, server)
    assert [(s.new, s.updated) for s in first.sources.values()] == [(3, 0), (3, 0)]
    assert [(s.new, s.updated, s.unchanged) for s in second.sources.values()] == [(0, 0, 3), (0, 0, 3)]
    assert second.ok
    assert second.lines()[:2] == ["arxiv-oai: 0 new, 0 updated, 3 unchanged, 0 rejected, "
                                  "2 skipped (other categories); 2 pages",
                                  "hf-daily: 0 new, 0 updated, 3 unchanged, 0 rejected; 3 pages"]


def test_progress_reports_each_page(engine: Engine) -> None:
    lines: list[str] = []
    with ReplayServer(archive()) as server:
        _run(engine, server, progress=lines.append)
    assert lines[0] == "arxiv-oai: set cs page 1 (2 new, 0 updated, 0 unchanged)"
    assert len(lines) == 2 + 3  # two arXiv pages, three HF days


def test_unreachable_network_is_reported_as_offline(engine: Engine) -> None:
    dead = closed_port_url()
    settings = _settings(dead)
    clock = FakeClock()
    report = harvest(engine, settings, since=SINCE, until=UNTIL, categories=["cs.LG", "math.AG"],
                     fetcher=fetcher_for(settings, clock=clock.monotonic, sleep=clock.sleep))
    assert report.offline
    assert report.offline_reason and "cannot reach" in report.offline_reason
    # One error per source: the second arXiv set and later HF days are not tried on a dead host.
    assert [e.split(":")[0] for e in report.errors] == ["arxiv-oai", "hf-daily"]
    assert _arxiv_ids(engine) == set()


def test_bad_arguments(engine: Engine) -> None:
    with ReplayServer(archive()) as server:
        report = _run(engine, server, since=UNTIL, until=SINCE)
        assert report.errors == ["harvest: since (2026-01-07) is after until (2026-01-05); nothing to do"]
        with pytest.raises(ValueError, match="unknown harvest source"):
            _run(engine, server, sources=["arxiv-rss"])
    assert server.requests == []


def _dead_settings(**kw: object) -> Settings:
    return _settings(closed_port_url(), http_retries=0, arxiv_delay=0.0, **kw)


def test_first_harvest_offline_logs_one_clear_line(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOG)
    thread = first_harvest_in_background(engine, _dead_settings(), logging.getLogger(LOG))
    assert thread is not None and thread.daemon
    thread.join(timeout=30)
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(shown) == 1
    message = shown[0].getMessage()
    assert message.startswith("harvest: arXiv/Hugging Face unreachable (")
    assert message.endswith("); import a file instead: paperstand import FILE")
    assert thread.report is not None and thread.report.offline
    assert thread.status is not None and "could not be reached" in thread.status


def test_first_harvest_stores_papers_in_the_background(engine: Engine, caplog: pytest.LogCaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.INFO, logger=LOG)
    respond: Respond = archive()
    with ReplayServer(respond) as server:
        settings = _settings(server.url, arxiv_delay=0.0)
        thread = first_harvest_in_background(engine, settings, logging.getLogger(LOG))
        assert thread is not None
        thread.join(timeout=30)
    assert len(_arxiv_ids(engine)) == 3  # HF dates are relative to today, so only arXiv answers here
    assert [r.getMessage().split(":")[0:2] for r in caplog.records] == [["harvest", " first harvest done"]]


def test_first_harvest_does_nothing_when_papers_exist(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title="Already Here",
                                       published_at=datetime(2026, 1, 1, tzinfo=UTC))])
    assert first_harvest_in_background(engine, _dead_settings(), logging.getLogger(LOG)) is None


def test_first_harvest_respects_the_setting(engine: Engine) -> None:
    settings = _dead_settings(harvest_on_start=False)
    assert first_harvest_in_background(engine, settings, logging.getLogger(LOG)) is None


def test_a_refused_redirect_fails_that_source_only(engine: Engine) -> None:
    """A source redirecting to the metadata service is reported, and the harvest carries on."""
    replay = archive()

    def to_metadata(path: str, params: dict[str, str]) -> Reply:
        if path == "/oai":
            return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
        return replay(path, params)

    with ReplayServer(to_metadata) as server:
        report = _run(engine, server)
    assert report.errors == [f"arxiv-oai: set cs: fetch: refusing {server.url}/oai (redirected to "
                             "http://169.254.169.254/latest/meta-data/) → 169.254.169.254: link-local address"]
    assert not report.offline and not report.ok
    assert report.sources["hf-daily"].new == 3


def test_a_harvest_without_the_allow_list_refuses_the_local_server(engine: Engine) -> None:
    with ReplayServer(archive()) as server:
        settings, clock = _settings(server.url, fetch_allow_hosts="", http_retries=0), FakeClock()
        fetcher = fetcher_for(settings, clock=clock.monotonic, sleep=clock.sleep)
        report = harvest(engine, settings, since=SINCE, until=UNTIL, categories=None, fetcher=fetcher)
    assert server.requests == []
    assert report.errors[0] == f"arxiv-oai: set cs: fetch: refusing {server.url}/oai → 127.0.0.1: loopback address"
    assert [e.split(":")[0] for e in report.errors] == ["arxiv-oai", "hf-daily", "hf-daily", "hf-daily"]
