"""The whole join flow against a real server and a real SMTP server: the verification mail comes through the
outbox, delivered by ``serve``'s own job threads seconds after the join (nudged), with no other command."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.community_flow import Inbox
from tests.conftest import LiveServer, smtp_server, start_server


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, Inbox]]:
    """``paperstand serve`` with its job threads on, mailing through a real SMTP server."""
    inbox = Inbox()
    with smtp_server(inbox) as url:
        yield from ((server, inbox) for server in start_server(
            db_url, tmp_path / "var", {"PAPERSTAND_WORKER": "on", "PAPERSTAND_MAIL_URL": url,
                                       "PAPERSTAND_MAIL_FROM": "papers@papers.test"}))


def _csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_join_mail_verify_login_through_smtp(served: tuple[LiveServer, Inbox]) -> None:
    server, inbox = served
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as client:
        token = _csrf(client, "/join")
        joined = client.post("/join", data={"email": "ada@example.org", "name": "ada",
                                            "password": "correct horse battery staple", "csrf": token})
        assert joined.status_code == 200 and "Check your inbox" in joined.text
        [mail] = inbox.wait(1)
        assert mail["To"] == "ada@example.org" and mail["From"].addresses[0].addr_spec == "papers@papers.test"
        link = re.search(re.escape(server.url) + r"(/verify\?token=\S+)", mail.get_content())
        assert link, mail.get_content()
        page = client.get(link.group(1))
        secret = re.search(r'name="token" value="([^"]+)"', page.text)
        assert secret
        assert "confirmed" in client.post("/verify", data={"token": secret.group(1), "csrf": token}).text
        login = client.post("/login", data={"login": "ada", "password": "correct horse battery staple",
                                             "csrf": token, "next": "/settings"})
        assert login.status_code == 303 and "ps_session" in client.cookies
        assert "not confirmed yet" not in client.get("/settings").text
    listed = server.run_cli("users", "list")
    assert listed.returncode == 0 and "ada@example.org" in listed.stdout
