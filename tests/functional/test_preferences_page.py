"""The preferences page behind the signed link: shows, saves, refuses bad input and forged links, and gives an
unsubscribed address its way back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import confirm_subscription, request_subscription, suppress, unsubscribe

SECRET = "prefs-secret"


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client with a fixed signing key."""
    settings = Settings(database_url=db_url, harvest_on_start=False, secret_key=SECRET,
                        mail_url=f"file://{tmp_path / 'mail'}")
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
    assert bad.status_code == 400 and "the hour must be a whole number 0-23" in bad.text
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


def _csrf(page_html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page_html)
    assert match, page_html
    return match.group(1)


def _stored(engine: Engine, sid: int) -> Subscriber:
    with Session(engine) as s:
        sub = s.get(Subscriber, sid)
        assert sub is not None
        return sub


def test_unknown_categories_are_shown_beside_the_field_as_typed(client: TestClient, engine: Engine,
                                                                key: tuple[str, int]) -> None:
    """`foo, cs.XX` is refused next to the categories field with the valid ones; the typed text stays."""
    csrf = _csrf(client.get(f"/preferences/{key[0]}").text)
    form = {"csrf": csrf, "frequency": "weekly", "weekday": "3", "send_hour": "99", "timezone": "Asia/Tokyo",
            "categories": "cs.CL, foo, cs.XX", "keywords": "lanterns", "max_papers": "7"}
    bad = client.post(f"/preferences/{key[0]}", data=form)
    assert bad.status_code == 400
    assert "Not saved: 2 fields need a change" in bad.text
    error = re.search(r'<span id="categories-error" class="field-error">([^<]+)</span>', bad.text)
    assert error
    assert error.group(1).startswith("&#39;foo&#39; is not an arXiv category or archive; archives are astro-ph,")
    assert 'aria-describedby="categories-error"' in bad.text and 'id="send_hour-error"' in bad.text
    assert 'value="cs.CL, foo, cs.XX"' in bad.text and 'value="99"' in bad.text and 'value="Asia/Tokyo"' in bad.text
    assert re.search(r'value="3"\s+selected', bad.text) and re.search(r'value="weekly"\s+checked', bad.text)
    assert _stored(engine, key[1]).categories == []  # nothing stored
    form.update(send_hour="7", categories="CS.cl, cs.XX")
    typo = client.post(f"/preferences/{key[0]}", data=form)
    assert typo.status_code == 400 and "cs has cs.AI, cs.AR" in typo.text and "or cs alone for all of them" in typo.text
    form.update(categories="CS.cl, cs, quant-ph")
    good = client.post(f"/preferences/{key[0]}", data=form)
    assert good.status_code == 200 and "Saved." in good.text
    assert _stored(engine, key[1]).categories == ["cs.CL", "cs", "quant-ph"]


def test_hostile_values_are_refused_not_crashed(client: TestClient, key: tuple[str, int]) -> None:
    """NUL bytes, control characters and huge numbers are a 400 with messages, never a 5xx."""
    csrf = _csrf(client.get(f"/preferences/{key[0]}").text)
    # Control characters are refused at the door, naming the field, before any form code reads them.
    door = client.post(f"/preferences/{key[0]}", data={
        "csrf": csrf, "timezone": "Europe/\x00Paris", "categories": "cs.\x00CL\x1b", "weekday": "\x00",
        "frequency": "\x00" * 3000})
    assert door.status_code == 400 and "control character" in door.text
    bad = client.post(f"/preferences/{key[0]}", data={
        "csrf": csrf, "timezone": "Europe/Nowhere" * 30, "categories": "cs.XX, nonsense", "send_hour": "9" * 5000,
        "max_papers": "-1", "weekday": "someday", "frequency": "hourly" * 500})
    assert bad.status_code == 400
    for field in ("timezone", "categories", "send_hour", "max_papers", "weekday", "frequency"):
        assert f'id="{field}-error"' in bad.text, field


def test_unsubscribed_address_sees_it_and_the_way_back(client: TestClient, engine: Engine, tmp_path: Path,
                                                       key: tuple[str, int]) -> None:
    """Unsubscribed: the page says so and offers a new double opt-in; only the confirmation resumes digests."""
    with Session(engine) as s, s.begin():
        unsubscribe(s, key[1])
    page = client.get(f"/preferences/{key[0]}")
    assert page.status_code == 200 and "You're unsubscribed" in page.text
    assert 'action="/subscribe"' in page.text and 'name="email" value="reader@example.org"' in page.text
    assert f'action="/preferences/{key[0]}"' not in page.text  # no form to save into the void
    assert not (tmp_path / "mail").exists()  # opening the page sends nothing
    refused = client.post(f"/preferences/{key[0]}", data={"csrf": _csrf(page.text), "max_papers": "3"})
    assert refused.status_code == 409 and _stored(engine, key[1]).max_papers == 10
    sent = client.post("/subscribe", data={"csrf": _csrf(page.text), "email": "reader@example.org"})
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    mails = list((tmp_path / "mail").glob("*.eml"))
    assert len(mails) == 1
    body = message_from_bytes(mails[0].read_bytes(), policy=default).get_content()  # type: ignore[attr-defined]
    token = re.search(r"/subscribe/confirm\?token=(\S+)", body)
    assert token, body
    assert "You're unsubscribed" in client.get(f"/preferences/{key[0]}").text  # not before the click
    confirmed = client.post("/subscribe/confirm", data={"token": token.group(1), "csrf": _csrf(page.text)})
    assert confirmed.status_code == 200
    again = client.get(f"/preferences/{key[0]}")
    assert "Digest preferences" in again.text and f'action="/preferences/{key[0]}"' in again.text


def test_bounced_address_is_told_and_not_resubscribed(client: TestClient, engine: Engine, tmp_path: Path,
                                                       key: tuple[str, int]) -> None:
    """A hard bounce stops digests; the page says so and offers no button, and /subscribe sends nothing."""
    with Session(engine) as s, s.begin():
        suppress(s, "reader@example.org", "hard-bounce")
    page = client.get(f"/preferences/{key[0]}")
    assert page.status_code == 200 and "Digests are stopped" in page.text and "bounced" in page.text
    assert 'action="/subscribe"' not in page.text and f'action="/preferences/{key[0]}"' not in page.text
    client.post("/subscribe", data={"csrf": client.cookies["ps_csrf"], "email": "reader@example.org"})
    assert not (tmp_path / "mail").exists() or not list((tmp_path / "mail").glob("*.eml"))
