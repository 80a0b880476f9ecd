"""Set-up shared by the community acceptance tests (browser and plain HTTP): a served site whose mail goes to a
real SMTP server, a daily list imported from the fixtures, and a recent arXiv paper in arXiv's own snapshot
format, written for today's date (a submission takes papers from the last seven days)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from tests.conftest import LiveServer, smtp_server, start_server

PASSWORD = "correct horse battery staple"
DAILY = Path(__file__).parent / "fixtures" / "api" / "daily_small.json"
# In DAILY: featured on 2025-03-11 with 7 upvotes and 2 comments on Hugging Face, submitted there by carol.
UPVOTED, HF_UPVOTES, HF_COMMENTS, DAY = "2503.00201", 7, 2, "2025-03-11"
# Markdown a member types, with the classic attribute-handler payload beside it.
COMMENT = "This is **bold** <img src=x onerror=alert(1)>"
HIDE_REASON = "Script payload in a comment"


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Accept and keep."""
        message = message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def wait(self, count: int, seconds: float = 30) -> list[EmailMessage]:
        """The first ``count`` messages, once they are in."""
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.messages) >= count, f"only {len(self.messages)} of {count} messages arrived"
        return self.messages[:count]


@contextmanager
def served_with_mail(db_url: str, data_dir: Path) -> Iterator[tuple[LiveServer, Inbox]]:
    """``serve`` with its job threads on (they deliver the outbox, nudged by each request that queues mail),
    mailing a real SMTP server."""
    inbox = Inbox()
    with smtp_server(inbox) as url:
        for server in start_server(db_url, data_dir, {"PAPERSTAND_WORKER": "on", "PAPERSTAND_MAIL_URL": url}):
            yield server, inbox


def recent_arxiv_id(now: datetime, number: int = 4242) -> str:
    """A new-style arXiv id of ``now``'s month, as arXiv would number a paper sent in that month."""
    return f"{now:%y%m}.{number:05d}"


def write_recent_snapshot(folder: Path, arxiv_id: str, title: str, now: datetime) -> Path:
    """One paper in arXiv's JSON-lines snapshot format, its first version from yesterday; the file's path."""
    created = (now - timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    record = {"id": arxiv_id, "submitter": "Ines Moreau", "authors": "Ines Moreau and Kofi Mensah",
              "title": title, "comments": "9 pages", "journal-ref": None, "doi": None, "report-no": None,
              "categories": "cs.LG", "license": None, "abstract": "  We count what members do.\n",
              "versions": [{"version": "v1", "created": created}],
              "update_date": (now - timedelta(days=1)).date().isoformat(),
              "authors_parsed": [["Moreau", "Ines", ""], ["Mensah", "Kofi", ""]]}
    path = folder / "recent-arxiv.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def import_fixtures(server: LiveServer, folder: Path, recent_id: str, title: str) -> None:
    """Import the daily list and the recent paper (stored, on no list yet) with ``paperstand import``."""
    recent = write_recent_snapshot(folder, recent_id, title, datetime.now(UTC))
    done = server.run_cli("import", str(DAILY), str(recent))
    assert done.returncode == 0, done.stdout + done.stderr


def verification_path(server: LiveServer, mail: EmailMessage) -> str:
    """The site-relative verification link in a join mail."""
    body = mail.get_content()
    start = body.index(server.url + "/verify?token=") + len(server.url)
    return body[start:].split()[0]


@dataclass(frozen=True)
class Stored:
    """What the database holds after the flow, read with plain SQL."""

    votes: list[tuple[str, str]]  # (member name, paper id)
    submitted: list[tuple[str, str, str]]  # (paper id, day, member name) of members' picks
    comments: list[tuple[str, str, str, str | None]]  # (member, body, html, hidden_reason)
    log: list[tuple[str, str, str, str]]  # (moderator, action, target kind, reason)


def stored(engine: Engine) -> Stored:
    """Read the community rows back."""
    with engine.connect() as conn:
        votes = conn.execute(text("SELECT m.name, p.arxiv_id FROM votes v JOIN members m ON m.id = v.member_id "
                                  "JOIN papers p ON p.id = v.paper_id ORDER BY v.id")).all()
        picks = conn.execute(text("SELECT p.arxiv_id, d.day, m.name FROM daily_picks d JOIN papers p "
                                  "ON p.id = d.paper_id JOIN members m ON m.id = d.member_id ORDER BY d.id")).all()
        comments = conn.execute(text("SELECT m.name, c.body, c.html, c.hidden_reason FROM comments c "
                                     "JOIN members m ON m.id = c.member_id ORDER BY c.id")).all()
        log = conn.execute(text("SELECT m.name, l.action, l.target_kind, l.reason FROM moderation_log l "
                                "JOIN members m ON m.id = l.moderator_id ORDER BY l.id")).all()
    return Stored([tuple(r) for r in votes], [(a, str(d), n) for a, d, n in picks],
                  [tuple(r) for r in comments], [tuple(r) for r in log])
