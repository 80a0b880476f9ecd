"""Authorship claims over HTTP: a member claims on the paper page, a moderator approves in the queue, and the
paper page and the API then show the author as verified; rights, CSRF and hostile form values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from paperstand.api.schemas import DailyItem, PaperDetail
from paperstand.app import create_app
from paperstand.community.models import AuthorClaim, ModerationAction
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.mail.models import OutgoingMail
from paperstand.papers.store import store_batch

PAPER = "/papers/2501.00001"


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """The app on a database holding one featured paper with three authors."""
    rec = PaperRecord(source="arxiv-oai", title="Notes on the Analytical Engine", arxiv_id="2501.00001", version=1,
                      authors=["Ada Lovelace", "Charles Babbage", "Mary Somerville"], abstract="Notes.",
                      categories=["cs.LG"], featured_on=date(2025, 1, 3))
    with engine.begin() as conn:
        store_batch(conn, [rec])
    settings = Settings(database_url=db_url, harvest_on_start=False, base_url="https://papers.example.org")
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def _as(client: TestClient, who: MadeMember, page: str) -> tuple[Response, str]:
    """``page`` as ``who``, and the CSRF token of its forms ("" when it has none)."""
    client.cookies.clear()
    got = client.get(page, headers=who.headers)
    assert got.status_code == 200, got.text
    assert "private" in got.headers["cache-control"]
    found = re.search(r'name="csrf" value="([^"]+)"', got.text)
    return got, found.group(1) if found else ""


def _post(client: TestClient, who: MadeMember, path: str, token: str, *, cookie: str | None = None,
          **data: str) -> Response:
    """Post a form as ``who`` with ``token`` in its csrf field (and, unless told otherwise, in the cookie)."""
    client.cookies.clear()
    return client.post(path, data={"csrf": token, **data},
                       headers={"Cookie": f"ps_session={who.cookie}; ps_csrf={cookie or token}"})


def _claim_id(engine: Engine) -> int:
    with Session(engine) as s:
        return s.scalars(select(AuthorClaim.id)).one()


def test_anonymous_visitors_get_a_login_link_and_no_form(client: TestClient) -> None:
    page = client.get(PAPER)
    assert page.status_code == 200
    assert '<a href="/login?next=%2Fpapers%2F2501.00001">Log in to claim</a>' in page.text
    assert 'name="csrf"' not in page.text and "<form" not in page.text.split('id="authorship"')[1]
    assert "private" not in page.headers.get("cache-control", "")
    assert "set-cookie" not in page.headers


def test_claim_approve_then_verified_on_the_page_and_in_the_api(client: TestClient, engine: Engine) -> None:
    ada, mod = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    page, token = _as(client, ada, PAPER)
    assert "Claim authorship" in page.text and '<option value="1">Charles Babbage</option>' in page.text
    assert _post(client, ada, f"{PAPER}/claim", "forged", cookie=token, author_index="0").status_code == 403
    sent = _post(client, ada, f"{PAPER}/claim", token, author_index="0")
    assert (sent.status_code, sent.headers["location"]) == (303, f"{PAPER}#authorship")
    page, _ = _as(client, ada, PAPER)
    assert "You claimed to be <strong>Ada Lovelace</strong>" in page.text and "✓ verified" not in page.text

    queue, token = _as(client, mod, "/moderation/claims")
    assert "1 pending claim" in queue.text and 'href="/u/ada"' in queue.text
    assert "Notes on the Analytical Engine" in queue.text
    assert "<strong>Ada Lovelace</strong> (author 1 of 3)" in queue.text
    decided = _post(client, mod, f"/moderation/claims/{_claim_id(engine)}", token, decision="approve", reason="")
    assert (decided.status_code, decided.headers["location"]) == (303, "/moderation/claims?done=approved")
    queue, _ = _as(client, mod, decided.headers["location"])
    assert "Claim approved" in queue.text and "No claims are waiting" in queue.text

    client.cookies.clear()
    public = client.get(PAPER).text
    badge = r'<a href="/u/ada"[^>]*>Ada Lovelace</a>&nbsp;<span class="verified"[^>]*>✓ verified</span>'
    assert re.search(badge, public)
    assert public.count("✓ verified") == 1
    detail = client.get("/api/papers/2501.00001").json()
    PaperDetail.model_validate(detail)
    first, second, _ = detail["authors"]
    assert first["status"] == "claimed_verified"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["statusLastChangedAt"])
    assert first["user"] == {"_id": str(ada.id), "avatarUrl": "/static/avatar.svg", "isPro": False,
                             "fullname": "Ada", "user": "ada", "name": "ada", "type": "user"}
    assert second == {"name": "Charles Babbage", "hidden": False}
    [item] = client.get("/api/daily_papers").json()
    DailyItem.model_validate(item)
    assert item["paper"]["authors"][0]["user"]["user"] == "ada"
    assert client.get("/static/avatar.svg").status_code == 200
    with Session(engine) as s:
        assert [m.to_address for m in s.scalars(select(OutgoingMail))] == [ada.email]
        assert [a.action for a in s.scalars(select(ModerationAction))] == ["approve_claim"]


def test_a_verified_author_edits_the_links(client: TestClient, engine: Engine) -> None:
    ada, mod = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    _, token = _as(client, ada, PAPER)
    _post(client, ada, f"{PAPER}/claim", token, author_index="0")
    _, token = _as(client, mod, "/moderation/claims")
    _post(client, mod, f"/moderation/claims/{_claim_id(engine)}", token, decision="approve")
    page, token = _as(client, ada, PAPER)
    assert "Edit code and project links" in page.text
    bad = _post(client, ada, f"{PAPER}/links", token, github_repo="ada/engine", project_page="javascript:alert(1)")
    assert bad.status_code == 400
    assert "only http:// and https://" in bad.text and 'value="javascript:alert(1)"' in bad.text
    assert 'value="ada/engine"' in bad.text
    good = _post(client, ada, f"{PAPER}/links", token, github_repo="https://github.com/ada/engine.git",
                 project_page="https://ada.example.org/engine")
    assert (good.status_code, good.headers["location"]) == (303, f"{PAPER}#authorship")
    client.cookies.clear()
    public = client.get(PAPER).text
    assert 'href="https://github.com/ada/engine"' in public and 'href="https://ada.example.org/engine"' in public
    assert client.get("/api/papers/2501.00001").json()["githubRepo"] == "https://github.com/ada/engine"
    # Another member (even a moderator) cannot.
    _, token = _as(client, mod, PAPER)
    assert _post(client, mod, f"{PAPER}/links", token, github_repo="mo/x").status_code == 403


def test_the_queue_is_for_moderators(client: TestClient, engine: Engine) -> None:
    member = make_member(engine, "bob")
    assert client.get("/moderation/claims", headers=member.headers).status_code == 403
    client.cookies.clear()
    anonymous = client.get("/moderation/claims")
    assert (anonymous.status_code, anonymous.headers["location"]) == (303, "/login?next=%2Fmoderation%2Fclaims")
    assert client.post("/moderation/claims/1", data={"decision": "approve"}).status_code == 303
    assert client.post(f"{PAPER}/claim", data={"author_index": "0"}).status_code == 303
    _, token = _as(client, member, PAPER)
    assert _post(client, member, "/moderation/claims/1", token, decision="approve").status_code == 403
    unverified = make_member(engine, "una", verified=False)
    page, token = _as(client, unverified, PAPER)
    assert "Verify your" in page.text and "Claim authorship" not in page.text
    assert _post(client, unverified, f"{PAPER}/claim", token, author_index="0").status_code == 403
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuthorClaim)) == 0


def test_hostile_claim_values_get_clear_answers(client: TestClient, engine: Engine) -> None:
    ada, mod = make_member(engine, "ada"), make_member(engine, "mo", role="moderator")
    _, token = _as(client, ada, PAPER)
    for value, status, says in [("", 400, "choose which of the authors"), ("abc", 400, "author_index"),
                                ("3", 400, "lists 3 authors"), ("-1", 400, "author_index"),
                                ("1" * 40, 400, "author_index"), ("0\x00", 400, "")]:
        got = _post(client, ada, f"{PAPER}/claim", token, author_index=value)
        assert got.status_code == status and says in got.text, (value, got.status_code)
    assert _post(client, ada, "/papers/2509.99999/claim", token, author_index="0").status_code == 404
    assert _post(client, ada, "/papers/not-an-id/claim", token, author_index="0").status_code == 404
    assert _post(client, ada, f"{PAPER}/claim", token, author_index="2").status_code == 303

    _, token = _as(client, mod, "/moderation/claims")
    claim_id = _claim_id(engine)
    for path, data, status in [
            (f"/moderation/claims/{claim_id}", {"decision": "maybe"}, 400),
            (f"/moderation/claims/{claim_id}", {}, 400),
            (f"/moderation/claims/{claim_id}", {"decision": "reject", "reason": "x" * 2001}, 400),
            ("/moderation/claims/abc", {"decision": "approve"}, 400),
            (f"/moderation/claims/{2**40}", {"decision": "approve"}, 400),
            (f"/moderation/claims/{claim_id + 99}", {"decision": "approve"}, 404)]:
        assert _post(client, mod, path, token, **data).status_code == status, (path, data)
    # A rejection without a reason is shown on the queue, beside the claim, which stays pending.
    refused = _post(client, mod, f"/moderation/claims/{claim_id}", token, decision="reject", reason="  ")
    assert refused.status_code == 400 and f"Claim #{claim_id} was not decided" in refused.text
    assert "Mary Somerville" in refused.text
    with Session(engine) as s:
        assert s.scalars(select(AuthorClaim.status)).all() == ["pending"]
        assert s.scalar(select(func.count()).select_from(ModerationAction)) == 0
