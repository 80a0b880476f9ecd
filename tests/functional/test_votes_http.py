"""Upvotes over HTTP: the form without JavaScript, its JSON answer, the write API, and what pages show."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from paperstand.app import create_app
from paperstand.community.models import Vote
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.search.sync import sync_search_indexes

DAY = date(2025, 3, 11)
DAY_PAGE = f"/papers/date/{DAY}"
CSRF = "votes-test-token-0123456789"


@pytest.fixture
def engine_with_papers(engine: Engine) -> Engine:
    """A (5 HF upvotes), B (none imported), and an old-style id, featured on DAY in that order."""
    with engine.begin() as conn:
        store_batch(conn, [
            PaperRecord(source="hf-daily", title="Sparse Lanterns", arxiv_id="2503.00001", hf_upvotes=5,
                        featured_on=DAY, position=1),
            PaperRecord(source="listing", title="Counting Sheep", arxiv_id="2503.00002", featured_on=DAY,
                        position=2),
            PaperRecord(source="listing", title="Strings on a Small Circle", arxiv_id="hep-th/9901001",
                        featured_on=DAY, position=3),
        ])
    return engine


@pytest.fixture
def client(engine_with_papers: Engine, db_url: str) -> Iterator[TestClient]:
    """The app on the test database, not following redirects (the form's 303 is what is tested)."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _as(member: MadeMember, csrf: str | None = CSRF) -> dict[str, str]:
    """A member's page request headers: the login cookie and the CSRF cookie the form's field must match."""
    cookie = f"ps_session={member.cookie}" + (f"; ps_csrf={csrf}" if csrf else "")
    return {"Cookie": cookie}


def _rows(engine: Engine) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(Vote)) or 0)


def _button(html: str, paper_id: str) -> str:
    """The vote form of one paper on a page."""
    found = re.search(rf'<form class="vote" method="post" action="/papers/{re.escape(paper_id)}/upvote">'
                      r'.*?</form>', html, re.S)
    assert found, f"no vote form for {paper_id}"
    return found.group(0)


def test_the_form_works_without_javascript(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    page = client.get(DAY_PAGE, headers=_as(ada))
    form = _button(page.text, "2503.00001")
    assert 'aria-pressed="false"' in form and 'value="up"' in form and f'value="{CSRF}"' in form
    assert f'name="next" value="{DAY_PAGE}#paper-2503.00001"' in form
    assert '<script src="/static/votes.js" defer></script>' in page.text
    answer = client.post("/papers/2503.00001/upvote", headers=_as(ada),
                         data={"csrf": CSRF, "action": "up", "next": f"{DAY_PAGE}#paper-2503.00001"})
    assert answer.status_code == 303 and answer.headers["location"] == f"{DAY_PAGE}#paper-2503.00001"
    form = _button(client.get(DAY_PAGE, headers=_as(ada)).text, "2503.00001")
    assert 'aria-pressed="true"' in form and 'value="down"' in form
    assert '<span class="vote-count">1</span>' in form
    paper = client.get("/papers/2503.00001", headers=_as(ada)).text
    assert '<span class="vote-count">1</span>' in _button(paper, "2503.00001")
    assert "· 5 on Hugging Face" in paper
    client.post("/papers/2503.00001/upvote", headers=_as(ada), data={"csrf": CSRF, "action": "down"})
    form = _button(client.get(DAY_PAGE, headers=_as(ada)).text, "2503.00001")
    assert 'aria-pressed="false"' in form and '<span class="vote-count">0</span>' in form
    assert _rows(engine_with_papers) == 0


def test_old_style_ids_and_toggle(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    for expected in (1, 0, 1):
        answer = client.post("/papers/hep-th/9901001/upvote", headers=_as(ada), data={"csrf": CSRF})
        assert answer.status_code == 303 and answer.headers["location"] == "/papers/hep-th/9901001"
        assert _rows(engine_with_papers) == expected


def test_the_script_gets_json(client: TestClient, engine_with_papers: Engine) -> None:
    ada, bob = make_member(engine_with_papers, "ada"), make_member(engine_with_papers, "bob")
    client.post("/papers/2503.00001/upvote", headers=_as(bob), data={"csrf": CSRF, "action": "up"})
    answer = client.post("/papers/2503.00001/upvote", headers={**_as(ada), "Accept": "application/json"},
                         data={"csrf": CSRF, "action": "up"})
    assert answer.status_code == 200 and answer.json() == {"upvotes": 7, "local": 2, "voted": True}
    assert answer.headers["cache-control"] == "no-store"


def test_a_form_without_its_token_is_refused(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    for headers, data in ((_as(ada), {"action": "up"}), (_as(ada), {"csrf": "other", "action": "up"}),
                          (_as(ada, csrf=None), {"csrf": CSRF, "action": "up"}),
                          ({**_as(ada), "Origin": "https://evil.example"}, {"csrf": CSRF, "action": "up"})):
        answer = client.post("/papers/2503.00001/upvote", headers=headers, data=data)
        assert answer.status_code == 403, (headers, data)
    assert _rows(engine_with_papers) == 0


def test_who_may_vote(client: TestClient, engine_with_papers: Engine) -> None:
    anonymous = client.post("/papers/2503.00001/upvote", headers={"Cookie": f"ps_csrf={CSRF}",
                                                                  "Referer": "http://testserver/papers/2503.00001"},
                            data={"csrf": CSRF, "action": "up"})
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=%2Fpapers%2F2503.00001"
    for member in (make_member(engine_with_papers, "new", verified=False),
                   make_member(engine_with_papers, "eve", banned=True)):
        answer = client.post("/papers/2503.00001/upvote", headers=_as(member), data={"csrf": CSRF, "action": "up"})
        assert answer.status_code == 403
    assert _rows(engine_with_papers) == 0


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x",
                                    "", "papers/2503.00002"])
def test_next_stays_on_this_site(client: TestClient, engine_with_papers: Engine, target: str) -> None:
    ada = make_member(engine_with_papers, "ada")
    answer = client.post("/papers/2503.00001/upvote", headers=_as(ada),
                         data={"csrf": CSRF, "action": "up", "next": target})
    assert answer.status_code == 303 and answer.headers["location"] == "/papers/2503.00001"


def test_next_keeps_a_listing_with_its_query(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    back = "/papers/week/2025-W11?sort=new&p=1#paper-2503.00002"
    answer = client.post("/papers/2503.00002/upvote", headers=_as(ada), data={"csrf": CSRF, "next": back})
    assert answer.headers["location"] == back


@pytest.mark.parametrize(("path", "data", "status"), [
    ("/papers/2599.99999/upvote", {"action": "up"}, 404),
    ("/papers/ps-000000000000/upvote", {"action": "up"}, 404),
    ("/papers/" + "9" * 3000 + "/upvote", {"action": "up"}, 404),
    ("/papers/2503.00001/upvote", {"action": "sideways"}, 400),
    ("/papers/2503.00001/upvote", {"action": "u" * 50}, 400),
    ("/papers/2503.00001/upvote", {"action": "up", "next": "/" * 3000}, 400),
    ("/papers/%00/upvote", {"action": "up"}, 404),  # the request guard: no such page
])
def test_hostile_requests_get_a_clear_4xx(client: TestClient, engine_with_papers: Engine, path: str,
                                          data: dict[str, str], status: int) -> None:
    ada = make_member(engine_with_papers, "ada")
    answer = client.post(path, headers=_as(ada), data={"csrf": CSRF, **data})
    assert answer.status_code == status, answer.text[:300]
    assert _rows(engine_with_papers) == 0


def test_anonymous_pages_show_counts_and_a_login_link(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    client.post("/papers/2503.00002/upvote", headers=_as(ada), data={"csrf": CSRF, "action": "up"})
    day = client.get(DAY_PAGE).text
    assert '<form class="vote"' not in day and "csrf" not in day and "votes.js" not in day
    assert f'href="/login?next={DAY_PAGE}" title="Log in to upvote"' in day
    sheep = day[day.index('id="paper-2503.00002"'):]
    assert '<span aria-hidden="true">▲</span> 1<span class="sr">' in sheep[:sheep.index("</article>")]
    assert "Hugging Face" not in sheep[:sheep.index("</article>")]  # nothing imported for it
    paper = client.get("/papers/2503.00001").text
    assert '<a class="vote-login" href="/login?next=/papers/2503.00001">Log in to upvote</a>' in paper
    assert "· 5 on Hugging Face" in paper
    # Top: B's one local vote does not beat A's five from Hugging Face; A then B, C last.
    order = re.findall(r'id="paper-([^"]+)"', day)
    assert order == ["2503.00001", "2503.00002", "hep-th-9901001"]


def test_search_results_carry_the_button(client: TestClient, engine_with_papers: Engine) -> None:
    sync_search_indexes(engine_with_papers)
    ada = make_member(engine_with_papers, "ada")
    found = client.get("/search?q=sheep&mode=keyword", headers=_as(ada)).text
    assert 'aria-pressed="false"' in _button(found, "2503.00002")
    assert "Log in to upvote" in client.get("/search?q=sheep&mode=keyword").text


def test_a_members_page_costs_one_more_query_not_one_per_paper(client: TestClient, engine_with_papers: Engine) -> None:
    with engine_with_papers.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title=f"Extra paper {i}", featured_on=DAY, position=10 + i)
                           for i in range(40)])
    ada = make_member(engine_with_papers, "ada")
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def statements(headers: dict[str, str]) -> int:
        seen: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(DAY_PAGE + "?sort=new", headers=headers).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    anonymous, member = statements({}), statements(_as(ada))
    # The member's page adds the login lookup, their votes among the 43 cards and their saved papers (the
    # cards' save buttons): one query each.
    assert member <= anonymous + 3, (anonymous, member)


def test_api_upvote_and_unvote(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    answer = client.post("/api/papers/2503.00001/upvote", headers=ada.bearer)
    assert answer.status_code == 200 and answer.json() == {"upvotes": 6, "local": 1, "voted": True}
    assert client.post("/api/papers/2503.00001v2/upvote", headers=ada.bearer).json()["local"] == 1
    assert client.get("/api/papers/2503.00001").json()["upvotes"] == 6  # ours plus Hugging Face's
    listed = client.get(f"/api/daily_papers?date={DAY}").json()
    assert [item["paper"]["upvotes"] for item in listed] == [6, 0, 0]
    assert client.post("/api/papers/hep-th/9901001/upvote", headers=ada.bearer).json()["upvotes"] == 1
    gone = client.delete("/api/papers/2503.00001/upvote", headers=ada.bearer)
    assert gone.status_code == 200 and gone.json() == {"upvotes": 5, "local": 0, "voted": False}
    assert client.delete("/api/papers/2503.00001/upvote", headers=ada.bearer).json()["voted"] is False
    assert _rows(engine_with_papers) == 1


def test_api_refusals_are_json(client: TestClient, engine_with_papers: Engine) -> None:
    ada = make_member(engine_with_papers, "ada")
    banned = make_member(engine_with_papers, "eve", banned=True)
    for headers in ({}, {"Authorization": "Bearer ps_nope"}, {"Authorization": "Basic YWRhOng="},
                    {"Authorization": "Bearer " + "x" * 5000}):
        answer = client.post("/api/papers/2503.00001/upvote", headers=headers)
        assert answer.status_code == 401 and answer.json()["status"] == 401, headers
        assert answer.headers["www-authenticate"].startswith("Bearer")
    answer = client.delete("/api/papers/2503.00001/upvote", headers=banned.bearer)
    assert answer.status_code == 403 and answer.json()["error"] == "this account is banned"
    for path in ("/api/papers/2599.99999/upvote", "/api/papers/" + "7" * 3000 + "/upvote",
                 "/api/papers/..%2F..%2Fetc/upvote"):
        answer = client.post(path, headers=ada.bearer)
        assert answer.status_code == 404 and answer.json()["status"] == 404, path
    assert client.post("/api/papers/%01/upvote", headers=ada.bearer).json()["status"] == 404
    assert _rows(engine_with_papers) == 0


def test_openapi_documents_the_write_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    upvote = paths["/api/papers/{paper_id}/upvote"]
    assert set(upvote) == {"post", "delete"}
    for method in ("post", "delete"):
        assert {"200", "401", "403", "404"} <= set(upvote[method]["responses"])
        assert upvote[method]["tags"] == ["votes"]


# Any text, surrogates and controls included, plus ids that nearly name a paper.
ANY_TEXT = st.one_of(st.text(st.characters(exclude_categories=()), max_size=40),
                     st.sampled_from(["2503.00001", "2503.00001v9", "hep-th/9901001", "ps-", "/", "..", "%", "\x00",
                                      "up", "down", "toggle", "//evil.example", "\r\nX: 1"]))


def _enc(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_any_text_in_the_form_or_the_api_is_never_a_5xx(client: TestClient, engine_with_papers: Engine,
                                                        data: st.DataObject) -> None:
    member = _fuzzer(engine_with_papers)
    paper, action, target = (data.draw(ANY_TEXT) for _ in range(3))
    body = f"csrf={CSRF}&action={_enc(action)}&next={_enc(target)}"
    form = client.post(f"/papers/{_enc(paper) or 'x'}/upvote", content=body.encode(),
                       headers={**_as(member), "content-type": "application/x-www-form-urlencoded"})
    assert form.status_code < 500, (paper, action, target, form.text[:300])
    if form.status_code == 303:
        assert form.headers["location"].startswith("/") and not form.headers["location"].startswith("//")
    api = client.request(data.draw(st.sampled_from(["POST", "DELETE"])), f"/api/papers/{_enc(paper) or 'x'}/upvote",
                         headers=member.bearer)
    assert api.status_code < 500 and api.headers["content-type"].startswith("application/json"), api.text[:300]


_FUZZERS: dict[str, MadeMember] = {}


def _fuzzer(engine: Engine) -> MadeMember:
    """One member per database for all of a property test's examples (the engine outlives them)."""
    key = str(engine.url)
    if key not in _FUZZERS:
        _FUZZERS[key] = make_member(engine, "fuzz")
    return _FUZZERS[key]
