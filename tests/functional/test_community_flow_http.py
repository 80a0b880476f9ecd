"""The community acceptance flow over plain HTTP against ``serve``, on SQLite and PostgreSQL (the browser test
in tests/browser/test_community_flow.py drives the same flow in Chromium on SQLite): join, mailed
verification through real SMTP, login, upvote, submit, comment with Markdown and a script payload, the
comment on the member's page, a moderator hides it and the public log shows the action."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.conftest import LiveServer, make_member

from community_flow import (
    COMMENT,
    HF_UPVOTES,
    HIDE_REASON,
    PASSWORD,
    UPVOTED,
    Inbox,
    import_fixtures,
    recent_arxiv_id,
    served_with_mail,
    stored,
    verification_path,
)
from paperstand.db import make_engine

TITLE = "Counting What Members Do"


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, Inbox]]:
    """``serve`` on the test database, mailing a real SMTP server."""
    with served_with_mail(db_url, tmp_path / "var") as pair:
        yield pair


def _csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def _join_and_login(client: httpx.Client, server: LiveServer, inbox: Inbox) -> str:
    """Join as ada, follow the mailed link, log in; the CSRF token of the session."""
    token = _csrf(client, "/join")
    joined = client.post("/join", data={"email": "ada@example.org", "name": "ada", "password": PASSWORD,
                                        "csrf": token})
    assert joined.status_code == 200 and "Check your inbox" in joined.text
    [mail] = inbox.wait(1)
    assert mail["To"] == "ada@example.org"
    page = client.get(verification_path(server, mail))
    secret = re.search(r'name="token" value="([^"]+)"', page.text)
    assert secret, page.text
    assert "Your address is confirmed" in client.post("/verify", data={"token": secret.group(1), "csrf": token}).text
    login = client.post("/login", data={"login": "ada", "password": PASSWORD, "csrf": token, "next": "/"})
    assert login.status_code == 303 and "ps_session" in client.cookies
    return _csrf(client, "/settings")


def _count_on_page(client: httpx.Client, paper: str) -> int:
    found = re.search(r'class="vote-count">(\d+)<', client.get(f"/papers/{paper}").text)
    assert found
    return int(found.group(1))


def test_join_vote_submit_comment_moderate_over_http(served: tuple[LiveServer, Inbox], tmp_path: Path) -> None:
    server, inbox = served
    now = datetime.now(UTC)
    recent = recent_arxiv_id(now)
    import_fixtures(server, tmp_path, recent, TITLE)
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    assert anonymous.get(f"/api/papers/{UPVOTED}").json()["upvotes"] == HF_UPVOTES
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as client:
        csrf = _join_and_login(client, server, inbox)
        before = _count_on_page(client, UPVOTED)
        voted = client.post(f"/papers/{UPVOTED}/upvote", data={"csrf": csrf, "action": "up",
                                                               "next": f"/papers/{UPVOTED}"})
        assert voted.status_code == 303 and voted.headers["location"] == f"/papers/{UPVOTED}"
        assert _count_on_page(client, UPVOTED) == before + 1
        assert anonymous.get(f"/api/papers/{UPVOTED}").json()["upvotes"] == HF_UPVOTES + 1

        sent = client.post("/papers/submit", data={"paper": f"https://arxiv.org/abs/{recent}v1", "csrf": csrf})
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"].startswith(f"/papers/date/{now.date().isoformat()}?submitted=1")
        today = anonymous.get(f"/papers/date/{now.date().isoformat()}").text
        assert TITLE in today and 'Submitted by <a href="/u/ada"' in today

        posted = client.post(f"/papers/{recent}/comments", data={"body": COMMENT, "csrf": csrf, "key": "k1"})
        assert posted.status_code == 303, posted.text
        comment_id = int(posted.headers["location"].rsplit("#comment-", 1)[1])
        page = anonymous.get(f"/papers/{recent}").text
        assert "<strong>bold</strong> &lt;img src=x onerror=alert(1)&gt;" in page
        assert "<img src=x" not in page and "onerror=alert(1)>" not in page
        profile = anonymous.get("/u/ada").text
        assert TITLE in profile and "onerror=alert(1)&gt;" in profile and "<img src=x" not in profile

    engine = make_engine(server.db_url)
    mod = make_member(engine, "maud", role="moderator")
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as moderator:
        moderator.cookies.set("ps_session", mod.cookie)  # in the jar, beside the CSRF cookie the page sets
        token = _csrf(moderator, f"/papers/{recent}")
        hidden = moderator.post(f"/moderation/comments/{comment_id}/hide", data={"reason": HIDE_REASON,
                                                                                 "csrf": token})
        assert hidden.status_code == 303 and hidden.headers["location"].endswith(f"#comment-{comment_id}")
    log = anonymous.get("/moderation").text
    assert "@maud" in log and HIDE_REASON in log
    assert "onerror" not in anonymous.get("/u/ada").text  # a hidden comment leaves the member's page
    assert f"[hidden by a moderator: {HIDE_REASON}]" in anonymous.get(f"/papers/{recent}").text
    anonymous.close()

    rows = stored(engine)
    engine.dispose()
    assert rows.votes == [("ada", UPVOTED)]
    assert rows.submitted == [(recent, now.date().isoformat(), "ada")]
    stored_html = "<p>This is <strong>bold</strong> &lt;img src=x onerror=alert(1)&gt;</p>\n"
    assert rows.comments == [("ada", COMMENT, stored_html, HIDE_REASON)]
    assert rows.log == [("maud", "hide_comment", "comment", HIDE_REASON)]
