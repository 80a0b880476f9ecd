"""Acceptance through headless Chromium, every community feature in one visit: join, open the verification
mail (delivered by ``serve``'s outbox job to a real SMTP server), verify, log in, upvote, submit a recent
stored paper, comment on it with Markdown and a script payload, find the comment on the member's page;
then a moderator hides it and the public moderation log shows the action.

It runs on SQLite and on PostgreSQL; tests/functional/test_community_flow_http.py drives the same flow over
plain HTTP on both as well."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
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

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TITLE = "Counting What Members Do"
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""

pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make chromium) to run browser tests")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, Inbox]]:
    """``serve`` (on SQLite, then on PostgreSQL) with its job threads, mailing a real SMTP server."""
    with served_with_mail(db_url, tmp_path / "var") as pair:
        yield pair


def _watched(page: Page, dialogs: list[str]) -> Page:
    """A page that records every dialog (an injected script's ``alert``) and every CSP violation."""

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(RECORD_VIOLATIONS)
    return page


def _join_verify_login(page: Page, server: LiveServer, inbox: Inbox) -> None:
    page.goto(server.url + "/")
    page.get_by_role("link", name="Join").click()
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("User name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    [mail] = inbox.wait(1)
    assert mail["To"] == "ada@example.org"
    page.goto(server.url + verification_path(server, mail))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("heading", name="Your address is confirmed")).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email address or user name").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Site").get_by_role("link", name="@ada")).to_be_visible()


def _upvote(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/papers/{UPVOTED}")
    button = page.locator("button.vote-button")
    count = int(button.locator(".vote-count").inner_text())
    expect(button).to_have_attribute("aria-pressed", "false")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button.locator(".vote-count")).to_have_text(str(count + 1))
    page.reload()  # the count is stored, not only drawn by the script
    expect(page.locator("button.vote-button .vote-count")).to_have_text(str(count + 1))
    anonymous = httpx.get(f"{server.url}/api/papers/{UPVOTED}", timeout=30).json()
    assert anonymous["upvotes"] == HF_UPVOTES + count + 1


def _submit(page: Page, server: LiveServer, recent: str, today: str) -> None:
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Submit", exact=True).click()
    page.get_by_label("arXiv id or link").fill(f"https://arxiv.org/abs/{recent}v1")
    page.get_by_role("button", name="Submit").click()
    assert page.url.startswith(f"{server.url}/papers/date/{today}?submitted=1")
    card = page.locator("#paper-" + recent.replace(".", "\\."))
    expect(card).to_contain_text(TITLE)
    expect(card).to_contain_text("Submitted by @ada")
    expect(card.get_by_role("link", name="@ada")).to_have_attribute("href", "/u/ada")


def _comment(page: Page, server: LiveServer, recent: str) -> None:
    page.goto(f"{server.url}/papers/{recent}")
    page.get_by_label("Add a comment").fill(COMMENT)
    page.get_by_role("button", name="Post comment").click()
    body = page.locator("#comments .comment-body").first
    expect(body.locator("strong")).to_have_text("bold")
    expect(body).to_contain_text("<img src=x onerror=alert(1)>")  # shown as text, never as an element
    assert page.locator("img[onerror]").count() == 0 and body.locator("img").count() == 0
    page.goto(f"{server.url}/u/ada")
    comments = page.locator(".comment-lines")
    expect(comments).to_contain_text(TITLE)
    expect(comments).to_contain_text("<img src=x onerror=alert(1)>")
    assert page.locator("img[onerror]").count() == 0


def _hide_as_moderator(browser: Browser, server: LiveServer, recent: str, dialogs: list[str]) -> None:
    engine = make_engine(server.db_url)
    maud = make_member(engine, "maud", role="moderator")
    engine.dispose()
    context = browser.new_context()
    context.add_cookies([{"name": "ps_session", "value": maud.cookie, "url": server.url}])
    page = _watched(context.new_page(), dialogs)
    page.goto(f"{server.url}/papers/{recent}")
    comment = page.locator("#comments li.comment").first
    comment.locator("details.moderate summary").click()
    comment.get_by_label("Reason (public, in the moderation log)").fill(HIDE_REASON)
    comment.get_by_role("button", name="Hide").click()
    expect(page.locator("#comments li.comment").first).to_contain_text(f"[hidden by a moderator: {HIDE_REASON}]")
    page.goto(f"{server.url}/moderation")
    row = page.get_by_role("table").locator("tbody tr").first
    expect(row).to_contain_text("@maud")
    expect(row).to_contain_text(TITLE)
    expect(row.locator("td.reason")).to_have_text(HIDE_REASON)
    page.goto(f"{server.url}/u/ada")
    expect(page.locator(".comment-lines")).to_have_count(0)  # a hidden comment leaves the member's page
    assert page.evaluate("window.__violations") == []
    context.close()


def test_join_vote_submit_comment_then_a_moderator_hides_it(served: tuple[LiveServer, Inbox], browser: Browser,
                                                            tmp_path: Path) -> None:
    server, inbox = served
    now = datetime.now(UTC)
    recent, today = recent_arxiv_id(now), now.date().isoformat()
    import_fixtures(server, tmp_path, recent, TITLE)
    dialogs: list[str] = []
    page = _watched(browser.new_context().new_page(), dialogs)
    _join_verify_login(page, server, inbox)
    _upvote(page, server)
    _submit(page, server, recent, today)
    _comment(page, server, recent)
    assert page.evaluate("window.__violations") == []
    _hide_as_moderator(browser, server, recent, dialogs)
    assert dialogs == [], "a script in a comment ran"

    engine = make_engine(server.db_url)
    rows = stored(engine)
    engine.dispose()
    assert rows.votes == [("ada", UPVOTED)]
    assert rows.submitted == [(recent, today, "ada")]
    assert [(who, body, reason) for who, body, _, reason in rows.comments] == [("ada", COMMENT, HIDE_REASON)]
    assert rows.log == [("maud", "hide_comment", "comment", HIDE_REASON)]
