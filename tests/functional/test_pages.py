"""Server-rendered pages: front page, day/week/month listings, paper pages, errors and empty states."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.ingest.run import import_file
from paperstand.papers.store import store_batch

PAGES = Path(__file__).parents[1] / "fixtures" / "pages"
DAYS = ["2025-02-26", "2025-03-10", "2025-03-11", "2025-03-13"]
MAR_11 = ["Sparse Lanterns for Deep Caves", "Counting Sheep with Transformers",
          "Bread, Butter & Benchmarks: What <Small> Models Know"]


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """A test client of the app on the test database (already migrated by ``engine``)."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))
    with TestClient(app) as test_client:
        yield test_client


def _import_days(engine: Engine) -> None:
    for day in DAYS:
        summary = import_file(engine, PAGES / f"day-{day}.txt", featured_on=date.fromisoformat(day))
        assert summary.rejected == 0, summary.rejections


def _store(engine: Engine, *records: PaperRecord) -> None:
    with engine.begin() as conn:
        store_batch(conn, list(records))


def _hf_record(**kw: object) -> PaperRecord:
    """A paper as Hugging Face's daily papers describe it: signals, code, submitter, AI summary."""
    base: dict[str, object] = dict(
        source="hf-daily", title="Counting Sheep with Transformers", arxiv_id="2503.04444", version=1,
        authors=["Morag Campbell", "Ewan Stewart"], categories=["cs.CV"],
        published_at=datetime(2025, 3, 9, 18, 0, tzinfo=UTC), hf_upvotes=42, hf_comments=3,
        github_repo="https://github.com/example/sheep-counter", github_stars=1234,
        project_page="https://sheep.example.org", ai_summary="A transformer counts sheep from the air.",
        ai_keywords=["counting", "aerial imagery"], featured_on=date(2025, 3, 11),
        submitted_by="akhaliq", submitted_by_name="AK")
    base.update(kw)
    return PaperRecord(**base)  # type: ignore[arg-type]


@dataclass
class FakeHarvest:
    """Stands in for the background first harvest: what it says, and whether it still runs."""

    status: str | None
    alive: bool = True

    def is_alive(self) -> bool:
        """Whether the harvest is still running."""
        return self.alive


@pytest.fixture
def loaded(client: TestClient, engine: Engine) -> TestClient:
    """The four fixture days, an arXiv record merged into a listing paper, and an HF record with signals."""
    _import_days(engine)
    assert import_file(engine, PAGES / "arxiv.jsonl").rejected == 0
    _store(engine, _hf_record())
    return client


def _titles(html: str) -> list[str]:
    return [unescape(t) for t in re.findall(r'<h3 class="card-title"><a href="[^"]+">(.*?)</a>', html)]


def _h(text: str) -> str:
    """How Jinja's autoescape writes ``text``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_day_page_lists_most_upvoted_first_and_curated_on_request(loaded: TestClient) -> None:
    res = loaded.get("/papers/date/2025-03-11")
    assert res.status_code == 200
    html = res.text
    # "Counting Sheep" has 42 upvotes; the others none, so they keep their curated order.
    assert _titles(html) == [MAR_11[1], MAR_11[0], MAR_11[2]]
    assert _titles(loaded.get("/papers/date/2025-03-11?sort=curated").text) == MAR_11
    assert "Mar 11, 2025" in html and "Daily Papers" in html
    assert "Get trending papers in your email inbox." in html and "AK and the research community" not in html
    # Abstracts are clamped by CSS but whole in the HTML; escaped, never raw.
    assert 'class="abstract clamped">We study how sparse light sources' in html
    assert "halves exploration time in simulation and in two real cave systems.</p>" in html
    assert _h("Bread, Butter & Benchmarks: What <Small> Models Know") in html
    assert "<Small>" not in html


def test_day_card_shows_signals_code_category_and_submitter(loaded: TestClient) -> None:
    html = loaded.get("/papers/date/2025-03-11").text
    card = html[html.index('id="paper-2503.04444"'):]
    card = card[:card.index("</article>")]
    # No member voted yet; Hugging Face's 42 are shown beside, as theirs.
    assert "▲</span> 0" in card and "· 42 on Hugging Face" in card and "3 comments" in card
    assert 'href="https://github.com/example/sheep-counter"' in card and "example/sheep-counter" in card
    assert "★ 1234" in card and "cs.CV" in card and "Submitted by AK" in card
    lantern = html[html.index('id="paper-2503.01234"'):]
    # Five authors: the card shows three, then "et al." and the count.
    assert "Ada Lovelace, Charles Babbage, Mary Somerville et al. (5 authors)" in lantern


def test_day_navigation_links_nearest_days_week_and_month(loaded: TestClient) -> None:
    html = loaded.get("/papers/date/2025-03-11").text
    assert 'rel="prev" class="prev" href="/papers/date/2025-03-10"' in html
    # 2025-03-12 has no papers: "next" skips to the 13th.
    assert 'rel="next" class="next" href="/papers/date/2025-03-13"' in html
    assert 'href="/papers/week/2025-W11"' in html and 'href="/papers/month/2025-03"' in html
    first = loaded.get("/papers/date/2025-02-26").text
    assert 'rel="prev"' not in first and "No earlier papers" in first
    last = loaded.get("/papers/date/2025-03-13").text
    assert 'rel="next"' not in last and "No later papers" in last


def test_front_page_is_the_latest_day_with_canonical_link(loaded: TestClient) -> None:
    loaded.app.state.harvest_thread = FakeHarvest("Harvest running: 3 of 4 categories")
    html = loaded.get("/").text
    assert _titles(html) == ["Lighthouses as Distributed Clocks"]
    assert "Harvest running: 3 of 4 categories" in html
    assert '<link rel="canonical" href="http://127.0.0.1:8000/papers/date/2025-03-13">' in html
    assert 'href="/subscribe"' in html
    assert loaded.get("/subscribe").status_code == 200


def test_week_page_in_curated_order_groups_days_newest_first(loaded: TestClient) -> None:
    res = loaded.get("/papers/week/2025-W11?sort=curated")
    assert res.status_code == 200
    html = res.text
    assert "Week 11 of 2025" in html and "Mar 10 – Mar 16, 2025" in html and "6 papers" in html
    days = re.findall(r'<h2 id="day-([\d-]+)">', html)
    assert days == ["2025-03-13", "2025-03-11", "2025-03-10"]
    assert _titles(html) == ["Lighthouses as Distributed Clocks", *MAR_11,
                             "Folding Paper Cranes with Reinforcement Learning",
                             "Quiet Gradients: Noise-Free Training at Scale"]
    # The week skips empty W10 to the nearest week with papers, and has nothing after it.
    assert 'rel="prev" class="prev" href="/papers/week/2025-W09"' in html
    assert 'rel="next"' not in html
    # Long abstracts are clamped by CSS but whole in the HTML.
    assert 'class="abstract clamped">We remove most gradient noise' in html
    assert "from plain momentum to adaptive methods with decoupled weight decay.</p>" in html
    # By default (most upvoted first) the week is one list, each card naming its day.
    top = loaded.get("/papers/week/2025-W11").text
    assert not re.search(r'<h2 id="day-', top)
    assert _titles(top)[0] == "Counting Sheep with Transformers"
    assert 'Featured <a href="/papers/date/2025-03-11">Mar 11</a>' in top


def test_month_page_and_its_neighbours(loaded: TestClient) -> None:
    html = loaded.get("/papers/month/2025-03").text
    assert "March 2025" in html and _titles(html)[0] == "Counting Sheep with Transformers"
    assert _titles(loaded.get("/papers/month/2025-03?sort=curated").text)[0] == "Lighthouses as Distributed Clocks"
    assert 'href="/papers/month/2025-02"' in html
    feb = loaded.get("/papers/month/2025-02").text
    assert _titles(feb) == ["Tide Tables for Language Models"]
    assert 'rel="next" class="next" href="/papers/month/2025-03"' in feb


def test_month_page_is_paged_past_fifty_papers(client: TestClient, engine: Engine) -> None:
    _store(engine, *[PaperRecord(source="listing", title=f"Paper number {i:02d} about lanterns",
                                 abstract="An abstract " * 10, featured_on=date(2025, 4, 1), position=i)
                     for i in range(1, 56)])
    first = client.get("/papers/month/2025-04").text
    assert "page 1 of 2" in first and len(_titles(first)) == 50
    assert 'href="/papers/month/2025-04?p=2"' in first
    second = client.get("/papers/month/2025-04?p=2").text
    assert "page 2 of 2" in second and _titles(second)[-1] == "Paper number 55 about lanterns"
    assert client.get("/papers/month/2025-04?p=3").status_code == 404
    newest = client.get("/papers/month/2025-04?sort=new").text
    assert 'href="/papers/month/2025-04?p=2&amp;sort=new"' in newest
    assert "page 2 of 2" in client.get("/papers/month/2025-04?p=2&sort=new").text
    assert client.get("/papers/month/2025-04?p=0").status_code == 400


def test_paper_page_shows_everything_stored(loaded: TestClient) -> None:
    res = loaded.get("/papers/2503.01234")
    assert res.status_code == 200
    html = res.text
    assert "<h1 id=\"paper-title\">Sparse Lanterns for Deep Caves</h1>" in html
    authors = re.findall(r"<li>([^<]+)</li>", html[html.index('class="author-list"'):])[:5]
    assert authors == ["Ada Lovelace", "Charles Babbage", "Mary Somerville", "Hertha Ayrton", "Emmy Noether"]
    assert "halves exploration time in simulation and in two real cave systems." in html
    assert 'href="https://arxiv.org/abs/2503.01234"' in html
    assert 'href="https://arxiv.org/pdf/2503.01234"' in html
    assert 'href="https://doi.org/10.1234/jcr.2025.001"' in html and "Journal of Cave Robotics 7" in html
    assert "12 pages, 4 figures" in html and "creativecommons.org/licenses/by/4.0" in html
    assert "cs.RO, cs.LG" in html and "arXiv:2503.01234v2" in html
    assert 'href="https://arxiv.org/abs/2503.01234v1"' in html
    assert "Mar 3, 2025" in html and "Mar 7, 2025" in html
    assert 'Featured on <a href="/papers/date/2025-03-11">Mar 11, 2025</a>' in html
    assert "listing, arxiv-jsonl" in html
    assert 'href="/papers/2503.01234.md"' in html
    assert ("@misc{lovelace2025sparse,\n  title = {Sparse Lanterns for Deep Caves},\n"
            "  author = {Ada Lovelace and Charles Babbage and Mary Somerville and Hertha Ayrton and "
            "Emmy Noether},\n  year = {2025},\n  eprint = {2503.01234},\n  archivePrefix = {arXiv},\n"
            "  primaryClass = {cs.RO},\n  url = {https://arxiv.org/abs/2503.01234}\n}") in html


def test_paper_page_shows_hf_signals_code_and_ai_summary(loaded: TestClient) -> None:
    html = loaded.get("/papers/2503.04444").text
    assert "▲</span> 0" in html and "· 42 on Hugging Face" in html and "3 comments" in html
    assert "Code: example/sheep-counter ★ 1234" in html and 'href="https://sheep.example.org"' in html
    assert "A transformer counts sheep from the air." in html and "<li>aerial imagery</li>" in html
    assert "Featured on" in html and "by AK" in html


def test_withdrawn_banner_and_unsafe_links_dropped(client: TestClient, engine: Engine) -> None:
    _store(engine, _hf_record(withdrawn=True, github_repo="javascript:alert(1)",
                              project_page="data:text/html,hi", featured_on=None))
    html = client.get("/papers/2503.04444").text
    assert "This paper has been withdrawn" in html
    assert "javascript:" not in html and "data:text" not in html


def test_versioned_id_redirects_to_bare_id(loaded: TestClient) -> None:
    res = loaded.get("/papers/2503.01234v2", follow_redirects=False)
    assert res.status_code == 301 and res.headers["location"] == "/papers/2503.01234"


def test_local_key_redirects_to_arxiv_id_after_merge(loaded: TestClient) -> None:
    html = loaded.get("/papers/2503.01234").text
    key = re.search(r"<dt>Local key</dt><dd>(ps-[0-9a-f]+)</dd>", html)
    assert key, "the merged paper keeps its local key"
    res = loaded.get(f"/papers/{key[1]}", follow_redirects=False)
    assert res.status_code == 301 and res.headers["location"] == "/papers/2503.01234"


def test_old_style_arxiv_id_has_a_page(client: TestClient, engine: Engine) -> None:
    _store(engine, _hf_record(arxiv_id="hep-th/9901001", version=2, featured_on=None))
    html = client.get("/papers/hep-th/9901001").text
    assert "Counting Sheep with Transformers" in html
    assert 'href="https://arxiv.org/abs/hep-th/9901001"' in html
    res = client.get("/papers/hep-th/9901001v2", follow_redirects=False)
    assert res.status_code == 301 and res.headers["location"] == "/papers/hep-th/9901001"


def test_listing_paper_page_by_local_key(loaded: TestClient) -> None:
    day = loaded.get("/papers/date/2025-03-10").text
    link = re.search(r'<h3 class="card-title"><a href="(/papers/ps-[0-9a-f]+)">Folding', day)
    assert link
    html = loaded.get(link[1]).text
    assert "Folding Paper Cranes with Reinforcement Learning" in html and "forty human demonstrations" in html
    assert "arxiv.org/abs" not in html and "note = {Preprint}" in html


def test_bad_date_is_400_explaining_the_format(loaded: TestClient) -> None:
    bad = ("/papers/date/2025-3-11", "/papers/date/2025-02-30", "/papers/week/2025-11", "/papers/month/March")
    for url in bad:
        res = loaded.get(url)
        assert res.status_code == 400, url
        assert "Bad request" in res.text and "for example /papers/" in res.text
    assert "YYYY-MM-DD" in loaded.get("/papers/date/yesterday").text


def test_unknown_paper_and_route_are_404_pages(loaded: TestClient) -> None:
    res = loaded.get("/papers/2401.99999")
    assert res.status_code == 404 and "text/html" in res.headers["content-type"]
    assert "No paper with id" in res.text and "browse the daily pages" in res.text
    assert "https://arxiv.org/abs/2401.99999" in res.text
    other = loaded.get("/no/such/page")
    assert other.status_code == 404 and "There is no page at this address." in other.text
    assert '<link rel="stylesheet" href="/static/paperstand.css">' in other.text


def test_day_without_papers_has_helpful_empty_state(loaded: TestClient) -> None:
    res = loaded.get("/papers/date/2025-03-12")
    assert res.status_code == 200
    assert "No papers were featured on Mar 12, 2025." in res.text
    assert 'href="/papers/date/2025-03-11"' in res.text and 'href="/papers/date/2025-03-13"' in res.text
    assert "paperstand import FILE --featured-on 2025-03-12" in res.text


def test_empty_database_front_page_welcomes(client: TestClient) -> None:
    html = client.get("/").text
    assert "Welcome to paperstand" in html
    assert "paperstand import FILE" in html and "paperstand harvest" in html
    client.app.state.harvest_thread = FakeHarvest("Harvesting arXiv cs.LG: 120 papers so far")
    assert "Harvesting arXiv cs.LG: 120 papers so far" in client.get("/").text


def test_papers_but_none_featured_says_how_to_feature(client: TestClient, engine: Engine) -> None:
    assert import_file(engine, PAGES / "arxiv.jsonl").new == 1
    html = client.get("/").text
    assert "1 paper is stored, but none has been featured" in html and "--featured-on" in html


def test_pages_send_security_headers_and_no_inline_code(loaded: TestClient) -> None:
    for url in ("/", "/papers/date/2025-03-11", "/papers/week/2025-W11", "/papers/2503.04444", "/subscribe",
                "/papers/2401.99999"):
        res = loaded.get(url)
        assert "script-src 'self'" in res.headers["content-security-policy"], url
        assert res.headers["x-content-type-options"] == "nosniff"
        assert res.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        # The policy forbids inline scripts and styles: none may be in the HTML.
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|<style", res.text), url
        assert '<meta name="viewport"' in res.text and "<title>" in res.text


def test_server_error_uses_the_error_page(engine: Engine, db_url: str) -> None:
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        res = client.get("/boom")
    assert res.status_code == 500 and "Something went wrong on our side" in res.text
    assert "kaboom" not in res.text and "<main" in res.text


def _voted(title: str, day: int, position: int, votes: int | None, published: int | None) -> PaperRecord:
    """A paper featured in April 2025 with ``votes`` HF upvotes, published on arXiv on April ``published``."""
    return PaperRecord(source="hf-daily", title=title, arxiv_id=f"2504.{day:02d}{position:03d}",
                       abstract=f"{title} in one sentence.", hf_upvotes=votes,
                       published_at=datetime(2025, 4, published, 12, tzinfo=UTC) if published else None,
                       featured_on=date(2025, 4, day), position=position)


@pytest.fixture
def voted(client: TestClient, engine: Engine) -> TestClient:
    """Five April papers over two days (both in ISO week 15) with upvotes and arXiv dates that disagree."""
    _store(engine, _voted("Alpha", 7, 1, 3, 4), _voted("Bravo", 7, 2, 19, 2), _voted("Charlie", 7, 3, None, 6),
           _voted("Delta", 8, 1, 7, None), _voted("Echo", 8, 2, 0, 7))
    return client


@pytest.mark.parametrize(("sort", "expected"), [
    ("", ["Bravo", "Alpha", "Charlie"]), ("?sort=top", ["Bravo", "Alpha", "Charlie"]),
    ("?sort=curated", ["Alpha", "Bravo", "Charlie"]), ("?sort=new", ["Charlie", "Alpha", "Bravo"])])
def test_day_page_sorts(voted: TestClient, sort: str, expected: list[str]) -> None:
    assert _titles(voted.get(f"/papers/date/2025-04-07{sort}").text) == expected


@pytest.mark.parametrize(("sort", "expected"), [
    ("top", ["Bravo", "Delta", "Alpha", "Echo", "Charlie"]),
    ("curated", ["Delta", "Echo", "Alpha", "Bravo", "Charlie"]),
    ("new", ["Echo", "Charlie", "Alpha", "Bravo", "Delta"])])
def test_week_and_month_pages_sort(voted: TestClient, sort: str, expected: list[str]) -> None:
    for url in ("/papers/week/2025-W15", "/papers/month/2025-04"):
        assert _titles(voted.get(f"{url}?sort={sort}").text) == expected, url
    assert _titles(voted.get("/papers/week/2025-W15").text) == _titles(voted.get("/papers/week/2025-W15?sort=top").text)


def test_sort_switch_marks_the_current_order_and_links_the_others(voted: TestClient) -> None:
    html = voted.get("/papers/date/2025-04-07?sort=new").text
    switch = html[html.index('<nav class="sort"'):]
    switch = switch[:switch.index("</nav>")]
    assert re.findall(r'href="([^"]+)"( aria-current="true")?', switch) == [
        ("/papers/date/2025-04-07", ""), ("/papers/date/2025-04-07?sort=curated", ""),
        ("/papers/date/2025-04-07?sort=new", ' aria-current="true"')]
    assert ">Top<" in switch and ">Curated order<" in switch and ">Newest<" in switch
    assert '<link rel="canonical" href="http://127.0.0.1:8000/papers/date/2025-04-07?sort=new">' in html
    week = voted.get("/papers/week/2025-W15?sort=curated").text
    assert 'href="/papers/week/2025-W15?sort=new"' in week and 'aria-current="true">Curated order<' in week


@pytest.mark.parametrize("value", ["bogus", "TOP", "", "top\x00", "x" * 5000, "trending", "publishedAt"])
def test_unknown_sort_is_a_400_page(voted: TestClient, value: str) -> None:
    for url in ("/", "/papers/date/2025-04-07", "/papers/week/2025-W15", "/papers/month/2025-04"):
        res = voted.get(url, params={"sort": value})
        assert res.status_code == 400, (url, value)
        assert "text/html" in res.headers["content-type"] and "Bad request" in res.text


def test_api_orders_are_unchanged(voted: TestClient) -> None:
    def titles(sort: str) -> list[str]:
        return [p["title"] for p in voted.get(f"/api/daily_papers?month=2025-04&sort={sort}").json()]
    assert titles("publishedAt") == ["Delta", "Echo", "Alpha", "Bravo", "Charlie"]
    assert titles("trending") == ["Bravo", "Delta", "Alpha", "Echo", "Charlie"]


def test_pages_link_the_arxiv_listings_of_their_days_and_months(voted: TestClient) -> None:
    assert 'href="/arxiv/2025-04-07"' in voted.get("/papers/date/2025-04-07").text
    assert 'href="/arxiv/2025-04"' in voted.get("/papers/month/2025-04").text
    week = voted.get("/papers/week/2025-W15").text
    assert 'href="/arxiv/2025-04"' in week and 'href="/arxiv/2025-03"' not in week
    # Week 14 of 2025 runs from Mar 31 to Apr 6: both months.
    spanning = voted.get("/papers/week/2025-W14").text
    assert 'href="/arxiv/2025-03"' in spanning and 'href="/arxiv/2025-04"' in spanning
    # The front page names the newest arXiv day (Echo, Apr 7); a day page does not repeat it.
    front = voted.get("/").text
    assert 'href="/arxiv/2025-04-07">the latest arXiv day</a>' in front
    assert "the latest arXiv day" not in voted.get("/papers/date/2025-04-08").text


def test_front_page_without_arxiv_dates_links_no_arxiv_day(loaded: TestClient, engine: Engine) -> None:
    _store(engine, PaperRecord(source="listing", title="Undated", featured_on=date(2025, 5, 1)))
    html = loaded.get("/").text
    assert _titles(html) == ["Undated"] and 'href="/arxiv/2025-03-09">the latest arXiv day' in html


def test_front_page_links_the_latest_arxiv_month_when_papers_are_dated_by_id(client: TestClient,
                                                                            engine: Engine) -> None:
    # Dated by id only (month precision): no day listing holds them, so the link names the month.
    _store(engine, PaperRecord(source="arxiv-jsonl", arxiv_id="2605.01234", title="By id",
                               published_at=datetime(2026, 5, 1, tzinfo=UTC), published_precision="month",
                               featured_on=date(2026, 5, 20)))
    html = client.get("/").text
    assert 'href="/arxiv/2026-05">the latest arXiv month</a>' in html


def test_offline_harvest_banner_goes_once_papers_exist(client: TestClient, engine: Engine) -> None:
    offline = "arXiv and Hugging Face could not be reached, so nothing was harvested."
    client.app.state.harvest_thread = FakeHarvest(offline, alive=False)
    assert offline in client.get("/").text
    assert import_file(engine, PAGES / "arxiv.jsonl").new == 1
    # Papers are in (an import after the failed harvest): the banner is no longer true.
    assert offline not in client.get("/").text
    _import_days(engine)
    assert offline not in client.get("/").text
    # A harvest still running is news even once papers are in.
    client.app.state.harvest_thread = FakeHarvest("Fetching the last 3 days of papers")
    assert "Fetching the last 3 days of papers" in client.get("/").text
    client.app.state.harvest_thread = FakeHarvest(None, alive=False)
    assert 'class="banner' not in client.get("/").text


def test_site_name_and_tagline_come_from_settings(engine: Engine, db_url: str) -> None:
    settings = Settings(database_url=db_url, harvest_on_start=False, site_name="Cave Lab <Papers>",
                        site_tagline="What our reading group reads & why")
    _import_days(engine)
    with TestClient(create_app(settings)) as custom:
        for url in ("/", "/papers/date/2025-03-11", "/papers/week/2025-W11", "/papers/month/2025-03",
                    "/subscribe", "/search", "/papers/2503.01234", "/papers/2401.99999", "/papers/date/bad"):
            html = custom.get(url).text
            assert re.search(r"<title>[^<]* · Cave Lab &lt;Papers&gt;</title>", html), url
            assert '<a href="/">Cave Lab &lt;Papers&gt;</a>' in html, url
            assert "What our reading group reads &amp; why" in html, url
            assert "paperstand" not in html.split("</header>")[0].split("<body>")[1], url


def test_default_site_name_and_tagline_name_no_one(loaded: TestClient) -> None:
    html = loaded.get("/").text
    assert "<title>Daily Papers — Mar 13, 2025 · paperstand</title>" in html
    assert '<a href="/">paperstand</a>' in html and "Get trending papers in your email inbox." in html
    assert "AK" not in html.split("</header>")[0] and "by AK" not in html
