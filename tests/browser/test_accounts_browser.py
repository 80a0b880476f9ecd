"""Through a real browser: join, follow the mailed link, log in, see the member's navigation, log out."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright
from tests.conftest import LiveServer, smtp_server, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.browser


@dataclass
class Inbox:
    """Everything the SMTP server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message."""
        self.messages.append(message_from_bytes(envelope.original_content, policy=default))  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> None:
        """Wait until ``count`` messages arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} messages arrived"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, Inbox]]:
    """``serve`` with its job threads (they deliver the outbox), mailing a real SMTP server."""
    inbox = Inbox()
    with smtp_server(inbox) as url:
        env = {"PAPERSTAND_MAIL_URL": url, "PAPERSTAND_WORKER": "on"}
        for server in start_server(f"sqlite:///{tmp_path / 'paperstand.db'}", tmp_path / "var", env):
            yield server, inbox


def test_join_verify_login_logout(served: tuple[LiveServer, Inbox]) -> None:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    server, inbox = served
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(server.url + "/")
        page.get_by_role("link", name="Join").click()
        page.get_by_label("Email address").fill("ada@example.org")
        page.get_by_label("User name").fill("ada")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Join").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        inbox.wait_for(1)
        link = re.search(r"(http://\S+/verify\?token=\S+)", inbox.messages[0].get_content())
        assert link
        page.goto(link.group(1))
        page.get_by_role("button", name="Confirm my address").click()
        expect(page.get_by_role("heading", name="Your address is confirmed")).to_be_visible()
        page.get_by_role("main").get_by_role("link", name="Log in").click()
        page.get_by_label("Email address or user name").fill("ada")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        nav = page.get_by_role("navigation", name="Site")
        expect(nav.get_by_role("link", name="@ada")).to_be_visible()
        cookie = next(c for c in page.context.cookies() if c["name"] == "ps_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        nav.get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Settings")).to_be_visible()
        nav.get_by_role("button", name="Log out").click()
        expect(nav.get_by_role("link", name="Log in")).to_be_visible()
        browser.close()
