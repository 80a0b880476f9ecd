"""Unsubscribe: GET only asks; the one-click POST (RFC 8058) unsubscribes with a 200, no redirect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber, Suppression
from paperstand.subscriptions.service import confirm_subscription, may_receive, request_subscription

SECRET = "unsubscribe-test-secret"


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client with a fixed signing key."""
    settings = Settings(database_url=db_url, harvest_on_start=False, secret_key=SECRET,
                        mail_url=f"file://{tmp_path / 'mail'}")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def subscriber_id(engine: Engine) -> int:
    """A confirmed subscriber."""
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, "reader@example.org")
        assert opt_in is not None
        return confirm_subscription(s, opt_in.token).id


def _state(engine: Engine, sid: int) -> tuple[str, bool, int]:
    with Session(engine) as s:
        sub = s.get(Subscriber, sid)
        assert sub is not None
        rows = len(s.execute(select(Suppression).where(Suppression.email == sub.email)).all())
        return sub.status, may_receive(s, sub), rows


def test_get_asks_and_changes_nothing(client: TestClient, engine: Engine, subscriber_id: int) -> None:
    """Link scanners may fetch the page: the subscription stays."""
    key = make_key(SECRET.encode(), "unsubscribe", subscriber_id)
    page = client.get(f"/unsubscribe/{key}")
    assert page.status_code == 200 and "Unsubscribe reader@example.org?" in page.text
    assert _state(engine, subscriber_id) == ("confirmed", True, 0)


def test_one_click_post_unsubscribes(client: TestClient, engine: Engine, subscriber_id: int) -> None:
    """The RFC 8058 body, no cookies, no CSRF token: 200, and the address is suppressed once."""
    key = make_key(SECRET.encode(), "unsubscribe", subscriber_id)
    for _ in range(2):
        response = client.post(f"/unsubscribe/{key}", content="List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"},
                               follow_redirects=False)
        assert response.status_code == 200 and "unsubscribed" in response.text
    assert _state(engine, subscriber_id) == ("unsubscribed", False, 1)


def test_forged_key_is_404(client: TestClient, subscriber_id: int) -> None:
    """A key signed with another secret is refused."""
    forged = make_key(b"guess", "unsubscribe", subscriber_id)
    assert client.post(f"/unsubscribe/{forged}").status_code == 404
    assert client.get(f"/unsubscribe/{forged}").status_code == 404
