"""End to end through a real browser and a real SMTP server: subscribe, confirm, one digest, one-click out."""

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

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from tests.conftest import LiveServer, smtp_server, start_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LISTING = Path(__file__).parents[1] / "fixtures" / "pages" / "day-2025-03-11.txt"

pytestmark = pytest.mark.browser


@dataclass
class Inbox:
    """Everything the SMTP server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message."""
        self.messages.append(message_from_bytes(envelope.original_content, policy=default))  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15) -> None:
        """Wait until ``count`` messages arrived."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.messages) >= count, f"{len(self.messages)} of {count} messages arrived"


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server on loopback."""
    inbox = Inbox()
    with smtp_server(inbox) as url:
        yield inbox, url


@pytest.fixture
def server(tmp_path: Path, smtp_inbox: tuple[Inbox, str]) -> Iterator[LiveServer]:
    """A real server whose mail goes to the test's SMTP server."""
    env = {"PAPERSTAND_MAIL_URL": smtp_inbox[1], "PAPERSTAND_SECRET_KEY": "e2e"}
    yield from start_server(f"sqlite:///{tmp_path / 'paperstand.db'}", tmp_path / "var", env)


def test_subscribe_confirm_digest_unsubscribe(server: LiveServer, smtp_inbox: tuple[Inbox, str]) -> None:
    """The whole double opt-in and one-click unsubscribe cycle, as a reader and a mail provider see it."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium)")
    inbox, _ = smtp_inbox
    assert server.run_cli("import", str(LISTING), "--featured-on", "2025-03-11").returncode == 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(server.url + "/")
        page.get_by_role("link", name="Subscribe").first.click()
        page.get_by_label("Email address").fill("reader@example.org")
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        inbox.wait_for(1)
        link = re.search(r"(http://\S+/subscribe/confirm\?token=\S+)", inbox.messages[0].get_content())
        assert link and inbox.messages[0]["To"] == "reader@example.org"
        page.goto(link.group(1))
        page.get_by_role("button", name="Confirm subscription").click()
        expect(page.get_by_role("heading", name="You're subscribed")).to_be_visible()
        browser.close()

    # What is due now: the reader's default schedule is weekdays at 08:00 UTC; 2025-03-11 is a Tuesday.
    sent = server.run_cli("digest", "send", "--at", "2025-03-11T09:00:00+00:00")
    assert sent.returncode == 0 and "1 sent" in sent.stderr, sent.stderr
    inbox.wait_for(2)
    digest = inbox.messages[1]
    assert digest.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in digest.iter_parts()] == ["text/plain", "text/html"]
    text = digest.get_body(("plain",)).get_content()
    order = ["Sparse Lanterns for Deep Caves", "Counting Sheep with Transformers",
             "Bread, Butter & Benchmarks: What <Small> Models Know"]
    assert [text.index(title) for title in order] == sorted(text.index(title) for title in order)
    assert "Bread, Butter &amp; Benchmarks: What &lt;Small&gt; Models Know" in digest.get_body(("html",)).get_content()
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(digest["List-Unsubscribe"]).strip().strip("<>")
    response = httpx.post(unsubscribe, content="List-Unsubscribe=One-Click",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
    assert response.status_code == 200

    again = server.run_cli("digest", "send", "--at", "2025-03-12T09:00:00+00:00")
    assert again.returncode == 0 and "0 sent" in again.stderr, again.stderr
    time.sleep(0.5)
    assert len(inbox.messages) == 2
