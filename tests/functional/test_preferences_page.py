"""The preferences page behind the signed link: shows, saves, refuses bad input and forged links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import confirm_subscription, request_subscription

SECRET = "prefs-secret"


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client with a fixed signing key."""
    settings = Settings(database_url=db_url, harvest_on_start=False, secret_key=SECRET)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def key(engine: Engine) -> tuple[str, int]:
    """A confirmed subscriber's preferences key."""
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, "reader@example.org")
        assert opt_in is not None
        sid = confirm_subscription(s, opt_in.token).id
    return make_key(SECRET.encode(), "preferences", sid), sid


def test_show_and_save(client: TestClient, engine: Engine, key: tuple[str, int]) -> None:
    """The form shows the address; a valid post is saved and shown back."""
    page = client.get(f"/preferences/{key[0]}")
    assert page.status_code == 200 and "reader@example.org" in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    saved = client.post(f"/preferences/{key[0]}", data={
        "csrf": csrf.group(1), "frequency": "weekly", "weekday": "2", "send_hour": "6", "timezone": "Asia/Tokyo",
        "categories": "cs.CL", "keywords": "parsing", "max_papers": "5"})
    assert saved.status_code == 200 and "Saved." in saved.text
    with Session(engine) as s:
        sub = s.get(Subscriber, key[1])
        assert sub is not None
        assert (sub.frequency, sub.weekday, sub.timezone, sub.categories, sub.max_papers) == (
            "weekly", 2, "Asia/Tokyo", ["cs.CL"], 5)


def test_bad_values_csrf_and_forged_links(client: TestClient, key: tuple[str, int]) -> None:
    """400 for a bad value, 403 without the form token, 404 for an unsubscribe key used here."""
    page = client.get(f"/preferences/{key[0]}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    bad = client.post(f"/preferences/{key[0]}", data={"csrf": csrf.group(1), "send_hour": "99"})
    assert bad.status_code == 400 and "hour 0-23" in bad.text
    assert client.post(f"/preferences/{key[0]}", data={"send_hour": "7"}).status_code == 403
    other = make_key(SECRET.encode(), "unsubscribe", key[1])
    assert client.get(f"/preferences/{other}").status_code == 404


def test_preview_of_the_next_digest(client: TestClient, engine: Engine, key: tuple[str, int]) -> None:
    """Empty state before anything is featured; then the exact email in a locked-down frame."""
    empty = client.get(f"/preferences/{key[0]}/preview")
    assert empty.status_code == 200 and "Nothing to send yet" in empty.text
    assert client.get(f"/preferences/{key[0]}/preview/email.html").status_code == 404
    from datetime import UTC, datetime

    from paperstand.ingest.record import PaperRecord
    from paperstand.papers.store import store_batch

    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title="Lanterns <b>for</b> Caves", abstract="We light caves.",
                                       featured_on=datetime.now(UTC).date(), position=1)])
    page = client.get(f"/preferences/{key[0]}/preview")
    assert page.status_code == 200 and "Subject:</strong> 1 trending paper today" in page.text
    assert f'src="/preferences/{key[0]}/preview/email.html"' in page.text
    assert "Lanterns &lt;b&gt;for&lt;/b&gt; Caves" in page.text  # the text part, escaped
    email = client.get(f"/preferences/{key[0]}/preview/email.html")
    assert email.status_code == 200 and "Lanterns &lt;b&gt;for&lt;/b&gt; Caves" in email.text
    csp = email.headers["content-security-policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert "<script" not in email.text and 'style="' in email.text  # inlined CSS, as sent
    assert client.get("/preferences/forged/preview").status_code == 404
