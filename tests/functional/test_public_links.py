"""Links are right wherever mail is made: a ``digest send`` from another shell links to the running site.

The user's report: ``paperstand digest send`` run where ``PAPERSTAND_PORT`` is not set wrote every
link, ``List-Unsubscribe`` included, to port 8000; local ``ps-…`` ids became arXiv links; the
confirmation mail had no ``Date``; a digest for a past day said "today".
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import httpx
import pytest
from tests.conftest import FIXTURES, LiveServer
from typer.testing import CliRunner

from paperstand.cli import app

DAY = "2025-03-11"
LISTING = FIXTURES / "pages" / "day-2025-03-11.txt"
URL = re.compile(r"https?://[^\s\"'<>]+")


def _mails(live: LiveServer) -> dict[Path, EmailMessage]:
    folder = Path(live.env["PAPERSTAND_DATA_DIR"]) / "mail"
    out = {}
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        out[path] = message
    return out


def _text(message: EmailMessage) -> str:
    return "\n".join(part.get_content() for part in message.walk() if part.get_content_maintype() == "text")


def _subscribe(live: LiveServer, email: str) -> EmailMessage:
    """Subscribe through the running site; return the confirmation mail after confirming with it."""
    with httpx.Client(base_url=live.url, timeout=10) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/subscribe").text)
        assert csrf
        assert client.post("/subscribe", data={"email": email, "csrf": csrf.group(1)}).status_code == 200
        # The mail goes out after the response: wait for it.
        for _ in range(50):
            mails = [m for m in _mails(live).values() if m["To"] == email]
            if mails:
                break
            time.sleep(0.1)
        (confirmation,) = mails
        link = re.search(r"(\S+/subscribe/confirm\?token=\S+)", confirmation.get_content())
        assert link and link.group(1).startswith(live.url + "/"), confirmation.get_content()
        page = client.get(link.group(1).removeprefix(live.url))
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        done = client.post("/subscribe/confirm", data={"token": token.group(1), "csrf": csrf.group(1)})
        assert done.status_code == 200
    return confirmation


def _second_shell(live: LiveServer) -> dict[str, str]:
    """The server's environment without the port or the public address (another shell, cron)."""
    return {k: v for k, v in live.env.items() if k not in ("PAPERSTAND_PORT", "PAPERSTAND_BASE_URL")}


def _assert_headers(message: EmailMessage) -> None:
    assert message["Date"] and message["Message-ID"], dict(message.items())
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(message["Message-ID"]))


def test_digest_sent_from_another_shell_links_to_the_running_site(live_server: LiveServer) -> None:
    """No PAPERSTAND_PORT or PAPERSTAND_BASE_URL: links (List-Unsubscribe too) still go to the served port."""
    live = live_server
    assert not live.url.endswith(":8000")
    done = live.run_cli("import", str(LISTING), "--featured-on", DAY)
    assert done.returncode == 0, done.stderr
    confirmation = _subscribe(live, "reader@example.org")
    _assert_headers(confirmation)
    before = set(_mails(live))

    sent = subprocess.run([sys.executable, "-m", "paperstand", "digest", "send", "--period", DAY],
                          env=_second_shell(live), text=True, capture_output=True, timeout=300)
    assert sent.returncode == 0 and "1 sent" in sent.stderr, sent.stderr
    assert "PAPERSTAND_BASE_URL is unset" not in sent.stderr  # nothing guessed: serve recorded its address

    (digest,) = [m for p, m in _mails(live).items() if p not in before]
    _assert_headers(digest)
    unsubscribe = str(digest["List-Unsubscribe"])
    assert unsubscribe.startswith(f"<{live.url}/unsubscribe/"), unsubscribe
    body = _text(digest)
    links = URL.findall(body)
    assert links and f"{live.url}/papers/ps-" in body
    local = [u for u in links if "127.0.0.1" in u or "localhost" in u]
    assert local and all(u.startswith(live.url + "/") for u in local), local
    assert "arxiv.org/abs/ps-" not in body
    # A past day is named, not called "today".
    assert "11 March 2025" in str(digest["Subject"]) and "today" not in str(digest["Subject"])
    assert "Papers of 11 March 2025" in body
    # It is the same message the unsubscribe link then acts on.
    key = unsubscribe.strip("<>").rsplit("/", 1)[1]
    assert httpx.get(f"{live.url}/unsubscribe/{key}", timeout=10).status_code == 200


def test_feeds_name_the_period_and_never_link_arxiv_for_local_ids(live_server: LiveServer) -> None:
    """Feeds of papers with ``ps-`` ids: page links on the served address, no arXiv link, the period named."""
    live = live_server
    assert live.run_cli("import", str(LISTING), "--featured-on", DAY).returncode == 0
    for path in (f"/feeds/date/{DAY}.rss", f"/feeds/date/{DAY}.atom", "/feeds/latest.rss", "/feeds/week/2025-W11.atom"):
        feed = httpx.get(live.url + path, timeout=10)
        assert feed.status_code == 200, path
        assert "arxiv.org/abs/ps-" not in feed.text and f"{live.url}/papers/ps-" in feed.text, path
    assert "Papers of 11 March 2025 · paperstand" in httpx.get(f"{live.url}/feeds/date/{DAY}.rss", timeout=10).text
    assert "Papers of the week 2025-W11" in httpx.get(f"{live.url}/feeds/week/2025-W11.rss", timeout=10).text


def test_a_command_that_has_to_guess_says_so(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting and no serve ever recorded an address: the command warns on stderr, and still runs."""
    for name in ("PAPERSTAND_PORT", "PAPERSTAND_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAPERSTAND_DATABASE_URL", db_url)
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["digest", "send", "--period", DAY])
    assert result.exit_code == 0, result.output
    assert "PAPERSTAND_BASE_URL is unset" in result.output and "http://127.0.0.1:8000" in result.output
    monkeypatch.setenv("PAPERSTAND_BASE_URL", "https://papers.example.org")
    quiet = CliRunner().invoke(app, ["digest", "send", "--period", DAY])
    assert quiet.exit_code == 0 and "PAPERSTAND_BASE_URL is unset" not in quiet.output
