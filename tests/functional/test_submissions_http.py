"""The submission form (CSRF, rules, errors that keep the input) and ``POST /api/submissions``, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member
from tests.unit.community.submission_setup import FakeArxiv, paper_ids, picks, store

from paperstand.api.schemas import DailyItem
from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.papers.models import DailyPick

NOW = datetime.now(UTC)
TODAY = NOW.date()
CSRF = "csrf-token-of-the-tests-0123456789"


@pytest.fixture
def fake() -> FakeArxiv:
    """arXiv as the app sees it: two recent papers and one too old."""
    return FakeArxiv({"2503.01234": NOW - timedelta(days=1), "2503.05678": NOW - timedelta(days=2),
                      "2401.00001": NOW - timedelta(days=40)})


@pytest.fixture
def client(engine: Engine, db_url: str, fake: FakeArxiv) -> Iterator[TestClient]:
    """The app, with the in-memory arXiv in place of the real one."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))
    app.state.arxiv_lookup = fake
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _as(who: MadeMember) -> dict[str, str]:
    """Page headers of a logged-in member whose CSRF cookie is ``CSRF``."""
    return {"Cookie": f"ps_session={who.cookie}; ps_csrf={CSRF}"}


def _post(client: TestClient, who: MadeMember | None, paper: str, csrf: str = CSRF) -> Any:
    headers = _as(who) if who else {"Cookie": f"ps_csrf={CSRF}"}
    return client.post("/papers/submit", data={"paper": paper, "csrf": csrf}, headers=headers)


def test_anonymous_visitors_read_the_rules_and_a_login_link(client: TestClient) -> None:
    page = client.get("/papers/submit")
    assert page.status_code == 200 and "private" not in page.headers.get("cache-control", "")
    text = unescape(page.text)
    assert "The paper first appeared on arXiv in the last 7 days." in text
    assert "Each member submits at most 5 papers a day (UTC)." in text
    assert 'href="/login?next=/papers/submit"' in page.text
    assert 'name="csrf"' not in page.text and "<form" not in page.text.split("<main", 1)[1]
    assert 'href="/papers/submit"' in page.text  # the site menu links it


def test_submit_with_the_form_then_see_it_on_today(client: TestClient, engine: Engine, fake: FakeArxiv) -> None:
    ada = make_member(engine, "ada")
    form = client.get("/papers/submit", headers=_as(ada))
    assert f'name="csrf" value="{CSRF}"' in form.text and form.headers["cache-control"] == "private, no-store"
    done = _post(client, ada, "https://arxiv.org/abs/2503.01234v2")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/papers/date/{TODAY.isoformat()}?submitted=1#paper-2503.01234"
    assert fake.calls == ["2503.01234"]
    day = client.get(done.headers["location"], headers=_as(ada))
    assert "your paper is on the list below" in day.text
    card = day.text.split('id="paper-2503.01234"', 1)[1].split("</article>", 1)[0]
    assert "Compositional Probes for 2503.01234" in card
    assert 'Submitted by <a href="/u/ada" title="Ada">@ada</a>' in card
    front = client.get("/")  # anonymous: today is the latest day now, although nothing was imported today
    assert front.status_code == 200 and "Submitted by <a href=\"/u/ada\"" in front.text
    assert "your paper is on the list" not in front.text
    paper = client.get("/papers/2503.01234")
    assert "Submitted by <a href=\"/u/ada\"" in paper.text and " UTC" in paper.text


def test_without_csrf_or_login_nothing_happens(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    assert _post(client, ada, "2503.01234", csrf="forged").status_code == 403
    anonymous = _post(client, None, "2503.01234")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login?next=")
    assert picks(engine) == [] and paper_ids(engine) == []


@pytest.mark.parametrize(("paper", "status", "says"), [
    ("not a paper", 400, "is not an arXiv id or arXiv link"),
    ("2401.00001", 400, "more than 7 days ago"),
    ("2503.99999", 404, "arXiv has no paper 2503.99999"),
    ("2503.01234 " + "x" * 400, 400, "is not an arXiv id"),
])
def test_refusals_keep_the_input(client: TestClient, engine: Engine, paper: str, status: int, says: str) -> None:
    ada = make_member(engine, "ada")
    page = _post(client, ada, paper)
    assert page.status_code == status
    assert says in unescape(page.text) and 'role="alert"' in page.text
    assert f'value="{paper}"' in unescape(page.text)
    assert picks(engine) == [] and paper_ids(engine) == []


def test_duplicates_link_the_day_and_offline_says_so(client: TestClient, engine: Engine, fake: FakeArxiv) -> None:
    ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    assert _post(client, ada, "2503.01234").status_code == 303
    again = _post(client, bob, "arXiv:2503.01234")
    assert again.status_code == 409 and f'href="/papers/date/{TODAY.isoformat()}"' in again.text
    assert f"2503.01234 is already on {TODAY.isoformat()}" in unescape(again.text)
    fake.offline = True
    down = _post(client, bob, "2503.05678")
    assert down.status_code == 503 and down.headers["retry-after"] == "120"
    assert "arXiv could not be reached just now; nothing was stored" in unescape(down.text)
    assert paper_ids(engine) == ["2503.01234"]


def test_unverified_and_banned_members(client: TestClient, engine: Engine) -> None:
    new = make_member(engine, "new", verified=False)
    page = _post(client, new, "2503.01234")
    assert page.status_code == 403 and "Verify your email address first" in page.text
    eve = make_member(engine, "eve", banned=True)
    assert _post(client, eve, "2503.01234").status_code in (303, 403)  # a banned login may be ended already
    assert picks(engine) == []


def _api(client: TestClient, who: MadeMember | None, body: Any) -> Any:
    headers = who.bearer if who else {}
    return client.post("/api/submissions", json=body, headers=headers)


def test_the_api_submits_like_the_form(client: TestClient, engine: Engine) -> None:
    ada = make_member(engine, "ada")
    made = _api(client, ada, {"paper": "2503.01234v1"})
    assert made.status_code == 201, made.text
    item = made.json()
    TypeAdapter(DailyItem).validate_python(item)  # every key is documented
    submitter = {"_id": str(ada.id), "fullname": "Ada", "user": "ada", "name": "ada", "type": "user"}
    assert item["paper"]["submittedOnDailyBy"] == submitter and item["submittedBy"] == submitter
    assert item["paper"]["id"] == "2503.01234" and item["paper"]["submittedOnDailyAt"].startswith(TODAY.isoformat())
    listed = client.get(f"/api/daily_papers?date={TODAY.isoformat()}").json()
    assert [i["paper"]["id"] for i in listed] == ["2503.01234"] and listed[0]["submittedBy"] == submitter
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers?submitter=ada").json()] == ["2503.01234"]


@pytest.mark.parametrize(("body", "status"), [
    ({"paper": "nonsense"}, 400), ({"paper": "2401.00001"}, 400), ({}, 400), ({"paper": 2503.01234}, 400),
    ({"paper": "2503.01234", "extra": 1}, 400), ({"paper": "x" * 301}, 400), ([], 400),
    ({"paper": "2503.99999"}, 404),
])
def test_the_api_refuses_as_json(client: TestClient, engine: Engine, body: Any, status: int) -> None:
    ada = make_member(engine, "ada")
    answer = _api(client, ada, body)
    assert answer.status_code == status and answer.json()["status"] == status and answer.json()["error"]
    assert picks(engine) == []


def test_the_api_needs_a_token_and_a_right(client: TestClient, engine: Engine, fake: FakeArxiv) -> None:
    anonymous = _api(client, None, {"paper": "2503.01234"})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert client.post("/api/submissions", json={"paper": "2503.01234"},
                       headers={"Authorization": "Bearer ps_nope"}).status_code == 401
    new = make_member(engine, "new", verified=False)
    assert _api(client, new, {"paper": "2503.01234"}).json() == {"error": "verify your email address first",
                                                                 "status": 403}
    ada = make_member(engine, "ada")
    assert _api(client, ada, {"paper": "2503.01234"}).status_code == 201
    dup = _api(client, ada, {"paper": "https://arxiv.org/abs/2503.01234"})
    assert dup.status_code == 409 and dup.json()["error"] == f"2503.01234 is already on {TODAY.isoformat()}"
    fake.offline = True
    down = _api(client, ada, {"paper": "2503.05678"})
    assert down.status_code == 503 and "nothing was stored" in down.json()["error"]
    assert down.headers["retry-after"] == "120"


def test_openapi_documents_the_call(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/submissions"]["post"]
    assert post["tags"] == ["submissions"]
    assert {"201", "400", "401", "403", "404", "409", "503"} <= set(post["responses"])
    assert "arXiv id" in post["description"] or "arXiv id" in post["summary"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("SubmissionIn")
    assert spec["components"]["schemas"]["SubmissionIn"]["properties"]["paper"]["maxLength"] == 300


def test_hidden_picks_leave_every_list(client: TestClient, engine: Engine) -> None:
    store(engine, "2503.00042", published=NOW - timedelta(days=1), featured_on=TODAY)
    store(engine, "2503.00043", published=NOW - timedelta(days=1), featured_on=TODAY)
    with Session(engine) as session:
        session.execute(update(DailyPick).where(DailyPick.position == 1).values(hidden_at=NOW, hidden_reason="spam"))
        session.commit()
    assert [i["paper"]["id"] for i in client.get("/api/daily_papers").json()] == ["2503.00043"]
    day = client.get(f"/papers/date/{TODAY.isoformat()}").text
    assert "2503.00043" in day and 'id="paper-2503.00042"' not in day
    assert re.search(r"1 paper\b", day)
    assert "submittedOnDailyAt" not in client.get("/api/papers/2503.00042").json()
