"""The subscribe pages: CSRF, no state change on GET, same answer for every address, confirmation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import request_subscription


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client whose mail goes to a folder."""
    settings = Settings(database_url=db_url, harvest_on_start=False, mail_url=f"file://{tmp_path / 'mail'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _csrf(client: TestClient, path: str = "/subscribe") -> str:
    html = client.get(path).text
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _status(engine: Engine, email: str) -> str | None:
    with Session(engine) as s:
        return s.execute(select(Subscriber.status).where(Subscriber.email == email)).scalar_one_or_none()


def test_subscribe_then_confirm(client: TestClient, engine: Engine, tmp_path: Path) -> None:
    """The form records a pending address and mails a link; the link's button confirms it."""
    token = _csrf(client)
    page = client.post("/subscribe", data={"email": "Ada@Example.org", "csrf": token})
    assert page.status_code == 200 and "Check your inbox" in page.text
    assert _status(engine, "ada@example.org") == "pending"
    mails = list((tmp_path / "mail").glob("*.eml"))
    assert len(mails) == 1
    mail = message_from_bytes(mails[0].read_bytes(), policy=default)
    assert mail["To"] == "ada@example.org" and "Confirm" in mail["Subject"]
    body = mail.get_content()
    link = re.search(r"(http://127\.0\.0\.1:8000/subscribe/confirm\?token=\S+)", body)
    assert link, body
    path = link.group(1).replace("http://127.0.0.1:8000", "")
    confirm_page = client.get(path)
    assert confirm_page.status_code == 200 and _status(engine, "ada@example.org") == "pending"
    form_token = re.search(r'name="token" value="([^"]+)"', confirm_page.text)
    assert form_token
    done = client.post("/subscribe/confirm", data={"token": form_token.group(1), "csrf": token})
    assert done.status_code == 200 and "subscribed" in done.text
    assert _status(engine, "ada@example.org") == "confirmed"
    again = client.post("/subscribe/confirm", data={"token": form_token.group(1), "csrf": token})
    assert again.status_code == 400 and "already used" in again.text


def test_same_answer_for_known_and_unknown_addresses(client: TestClient, engine: Engine) -> None:
    """Subscribing a confirmed address looks exactly like subscribing a new one."""
    with Session(engine) as s, s.begin():
        request_subscription(s, "known@example.org")
    token = _csrf(client)
    known = client.post("/subscribe", data={"email": "known@example.org", "csrf": token}).text
    new = client.post("/subscribe", data={"email": "new@example.org", "csrf": token}).text
    assert known.replace("known@", "X@") == new.replace("new@", "X@")


def test_missing_or_foreign_csrf_is_refused(client: TestClient, engine: Engine) -> None:
    """No token, a wrong token, or another site's Origin: 403 and nothing stored."""
    token = _csrf(client)
    assert client.post("/subscribe", data={"email": "a@example.org"}).status_code == 403
    assert client.post("/subscribe", data={"email": "a@example.org", "csrf": "forged"}).status_code == 403
    foreign = client.post("/subscribe", data={"email": "a@example.org", "csrf": token},
                          headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert _status(engine, "a@example.org") is None


def test_invalid_address_shows_the_form_again(client: TestClient) -> None:
    """A bad address is a 400 with the form and the reason."""
    page = client.post("/subscribe", data={"email": "not-an-address", "csrf": _csrf(client)})
    assert page.status_code == 400
    assert "is not an email address" in page.text and 'name="email"' in page.text


def test_unknown_confirmation_token(client: TestClient) -> None:
    """A made-up token is a clear 400 page."""
    page = client.post("/subscribe/confirm", data={"token": "made-up", "csrf": _csrf(client)})
    assert page.status_code == 400 and "not valid" in page.text
