"""Settings, API tokens and /api/me, profiles, and the navigation (the same for every anonymous visitor)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from accounts_flow import Site, account_site
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.accounts.models import Member
from paperstand.papers.models import DailyPick, Paper
from paperstand.subscriptions.service import request_subscription

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Site]:
    """A site where ada is a verified, logged-in member (with a digest subscription at her address)."""
    with Session(engine) as s, s.begin():
        request_subscription(s, "ada@example.org")
    with account_site(db_url, tmp_path) as s:
        s.join()
        s.login()
        yield s


def test_tokens_are_shown_once_work_on_the_api_and_die_when_revoked(site: Site) -> None:
    made = site.post("/settings/tokens", {"token_name": "laptop script"}, csrf=site.csrf("/settings"))
    assert made.status_code == 200
    secret = re.search(r'<code class="secret">(ps_[^<]+)</code>', made.text)
    assert secret, made.text
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    me = site.client.get("/api/me", headers=bearer)
    assert me.status_code == 200
    body = me.json()
    assert body["name"] == "ada" and body["emailVerified"] is True and "vote" in body["rights"]
    assert set(body) == {"name", "displayName", "email", "role", "emailVerified", "banned", "rights", "createdAt"}
    listing = site.client.get("/settings").text
    assert secret.group(1) not in listing and "laptop script" in listing and secret.group(1)[:10] in listing
    assert "never" not in listing.split("laptop script")[1].split("</tr>")[0]  # the API call counted as a use
    token_id = re.search(r'/settings/tokens/(\d+)/revoke', listing)
    assert token_id
    revoked = site.post(f"/settings/tokens/{token_id.group(1)}/revoke", {}, csrf=site.csrf("/settings"))
    assert revoked.headers["location"] == "/settings?done=token-revoked"
    assert site.client.get("/api/me", headers=bearer).status_code == 401


def test_api_me_needs_a_token_and_is_documented(site: Site) -> None:
    anonymous = site.client.get("/api/me", headers={"Cookie": ""})
    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["status"] == 401
    assert site.client.get("/api/me", headers={"Authorization": "Bearer ps_nope"}).status_code == 401
    spec = site.client.get("/openapi.json").json()
    assert "/api/me" in spec["paths"] and "Me" in spec["components"]["schemas"]


def test_unverified_tokens_have_no_rights(engine: Engine, site: Site) -> None:
    fresh = make_member(engine, "fresh", verified=False)
    body = site.client.get("/api/me", headers=fresh.bearer).json()
    assert body["emailVerified"] is False and body["rights"] == []


def test_settings_show_the_digest_and_save_the_profile(site: Site, engine: Engine) -> None:
    page = site.client.get("/settings").text
    assert "manage preferences" in page and re.search(r'href="/preferences/[^"]+"', page)
    saved = site.post("/settings/profile", {"display_name": "Ada Lovelace", "show_upvotes": "on"},
                      csrf=site.csrf("/settings"))
    assert saved.headers["location"] == "/settings?done=profile"
    with Session(engine) as s:
        ada = s.query(Member).one()
        assert (ada.display_name, ada.show_upvotes, ada.notify_mentions) == ("Ada Lovelace", True, False)
    assert "Ada Lovelace" in site.client.get("/u/ada").text


def test_a_member_without_a_digest_may_subscribe_with_their_address(engine: Engine, db_url: str,
                                                                    tmp_path: Path) -> None:
    with account_site(db_url, tmp_path) as s:
        s.join("bob")
        s.login("bob")
        page = s.client.get("/settings").text
        assert "Subscribe with bob@example.org" in page and 'action="/subscribe"' in page


def test_the_navigation_for_anonymous_visitors_is_the_same_for_all(engine: Engine, site: Site) -> None:
    member_page = site.client.get("/").text
    assert 'href="/u/ada">@ada</a>' in member_page and 'action="/logout"' in member_page
    site.client.cookies.clear()
    first, second = site.client.get("/"), site.client.get("/")
    assert first.text == second.text
    assert 'href="/login"' in first.text and 'href="/join"' in first.text
    assert "csrf" not in first.text and "set-cookie" not in first.headers


def test_profiles_show_submissions_and_bans(engine: Engine, site: Site) -> None:
    with Session(engine) as s:
        ada = s.query(Member).one()
        paper = Paper(arxiv_id="2603.00001", title_key="k", title="Lanterns in Deep Caves", abstract="Light.",
                      authors=["A. Author"], categories=["cs.RO"], sources=["test"], first_seen_at=NOW,
                      last_changed_at=NOW)
        s.add(paper)
        s.flush()
        s.add(DailyPick(day=date(2026, 3, 2), paper_id=paper.id, position=1, source="local", member_id=ada.id,
                        submitted_at=NOW))
        s.commit()
    page = site.client.get("/u/ADA")
    assert page.status_code == 200 and "Lanterns in Deep Caves" in page.text
    assert "No comments yet." in page.text and "Upvoted" not in page.text
    assert site.client.get("/u/nobody").status_code == 404
    with Session(engine) as s:
        s.execute(update(Member).values(banned_at=NOW, ban_reason="spam"))
        s.commit()
    site.client.cookies.clear()
    assert "This account is banned: spam" in site.client.get("/u/ada").text
