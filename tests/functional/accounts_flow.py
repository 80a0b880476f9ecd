"""Helpers of the account page tests: an app whose mail is kept in memory, forms filled as a browser would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.mail.backends import MemoryBackend
from paperstand.mail.outbox_send import send_outbox

PASSWORD = "correct horse battery staple"


class Site:
    """A test client plus the app's outbox, delivered on demand into a memory mailbox."""

    def __init__(self, client: TestClient, settings: Settings, box: MemoryBackend) -> None:
        self.client, self.settings, self.box = client, settings, box

    def csrf(self, path: str = "/login") -> str:
        """The form token a page hands out (the cookie lands in the client's jar)."""
        found = re.search(r'name="csrf" value="([^"]+)"', self.client.get(path).text)
        assert found, path
        return found.group(1)

    def post(self, path: str, data: dict[str, str], *, csrf: str | None = None, **kwargs: Any) -> Response:
        """A form post with this client's CSRF token."""
        return self.client.post(path, data={**data, "csrf": csrf if csrf is not None else self.csrf()}, **kwargs)

    def deliver(self) -> list[EmailMessage]:
        """Send what the outbox holds; the messages that arrived now."""
        before = len(self.box.outbox)
        send_outbox(self.client.app.state.engine, self.settings, self.box)  # type: ignore[attr-defined]
        return list(self.box.outbox[before:])

    def link(self, mail: EmailMessage) -> str:
        """The site-relative address of the one link to this site in a mail."""
        found = re.search(r"https?://[^/\s]+(/\S*token=\S+)", mail.get_content())
        assert found, mail.get_content()
        return found.group(1)

    def follow(self, path: str, action: str) -> Response:
        """Open a mailed link's page and press its button (links never act on GET)."""
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token, page.text
        return self.post(action, {"token": token.group(1)})

    def join(self, name: str = "ada", password: str = PASSWORD, *, verify: bool = True) -> Response:
        """Join as ``name`` (address ``name@example.org``) and follow the verification link."""
        answer = self.post("/join", {"email": f"{name}@example.org", "name": name, "password": password})
        assert answer.status_code == 200, answer.text
        if verify:
            [mail] = [m for m in self.deliver() if "Confirm your email" in str(m["Subject"])]
            assert self.follow(self.link(mail), "/verify").status_code == 200
        return answer

    def login(self, login: str = "ada", password: str = PASSWORD, next_path: str = "/") -> Response:
        """Post the login form; the session cookie lands in the jar on success."""
        return self.post("/login", {"login": login, "password": password, "next": next_path})


@contextmanager
def account_site(db_url: str, tmp_path: Path, **overrides: Any) -> Iterator[Site]:
    """A running app on ``db_url`` with its own memory mailbox; redirects are not followed."""
    name = uuid.uuid4().hex
    settings = Settings(database_url=db_url, data_dir=tmp_path / "var", harvest_on_start=False,
                        mail_url=f"memory:{name}", **overrides)
    # Served over HTTPS, cookies are Secure: the client must speak to the app at that address to get them back.
    client_url = overrides.get("base_url") or "http://testserver"
    with TestClient(create_app(settings), base_url=client_url, follow_redirects=False) as client:
        yield Site(client, settings, MemoryBackend(name))
