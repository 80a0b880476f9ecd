"""A member's digest over real SMTP: recommendations with reasons and working 👍/👎 links, follows, watch alerts;
a subscriber without an account gets the digest as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.community_flow import Inbox
from tests.conftest import make_member, smtp_server

from paperstand.accounts.digest_link import link_subscription
from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.digests.preview import render_for
from paperstand.digests.send import send_period
from paperstand.follows import alerts, service, watch
from paperstand.follows.models import WatchAlert
from paperstand.ingest.record import PaperRecord
from paperstand.mail.backends import backend_from_url
from paperstand.papers.models import Paper
from paperstand.papers.periods import parse_day
from paperstand.papers.store import store_batch
from paperstand.recommend.models import PaperRating
from paperstand.search.embed_text import DIM, MODEL_ID
from paperstand.search.models import PaperEmbedding
from paperstand.search.vectors import pack_vector
from paperstand.subscriptions.models import Subscriber
from paperstand.subscriptions.service import confirm_subscription, request_subscription

DAY = date(2026, 3, 2)
T0 = datetime(2026, 3, 2, 6, tzinfo=UTC)
PUBLISHED = datetime(2026, 3, 1, 12, tzinfo=UTC)
CSRF = "digest-rate-token-0123456789"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, str]]:
    """A real SMTP server and its URL."""
    box = Inbox()
    with smtp_server(box) as url:
        yield box, url


@pytest.fixture
def settings(tmp_path: Path, db_url: str, inbox: tuple[Inbox, str]) -> Settings:
    """One secret for the digest's links and the pages that read them."""
    return Settings(database_url=db_url, secret_key="digest-secret", base_url="https://papers.example.org",
                    data_dir=tmp_path, harvest_on_start=False, mail_url=inbox[1])


def _setup(engine: Engine) -> dict[str, int]:
    """Two featured papers, four more published the day before (embedded, for recommendations); ids by id."""
    featured = [PaperRecord(source="hf-daily", title=f"Featured {i}", arxiv_id=f"2603.0000{i}", version=1,
                            abstract="It studies things.", categories=["cs.CL"], authors=["Ana Ruiz"],
                            hf_upvotes=i, featured_on=DAY, position=i, published_at=PUBLISHED) for i in (1, 2)]
    others = [PaperRecord(source="arxiv-oai", title=f"Fresh {i}", arxiv_id=f"2603.0001{i}", version=1,
                          abstract="Diffusion policy for robots." if i == 1 else "Something else.",
                          categories=["cs.RO"], authors=["Yann LeCun" if i == 2 else "Kofi Mensah"],
                          published_at=PUBLISHED) for i in range(1, 9)]
    with engine.begin() as conn:
        store_batch(conn, featured + others)
    rng = np.random.default_rng(7)
    with Session(engine) as s:
        ids = {str(p.arxiv_id): p.id for p in s.scalars(select(Paper))}
        for pid in ids.values():
            v = rng.normal(size=DIM)
            s.add(PaperEmbedding(paper_id=pid, model_id=MODEL_ID, content_hash="x",
                                 vector=pack_vector(v / np.linalg.norm(v)), embedded_at=T0))
        s.commit()
    return ids


def _subscribe(engine: Engine, email: str) -> None:
    with Session(engine) as s, s.begin():
        opt_in = request_subscription(s, email, now=T0 - timedelta(days=1))
        assert opt_in is not None
        confirm_subscription(s, opt_in.token, now=T0 - timedelta(days=1))


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def _html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


def test_a_members_digest_learns_and_a_plain_subscribers_stays_as_it_was(
        engine: Engine, settings: Settings, inbox: tuple[Inbox, str]) -> None:
    box, url = inbox
    ids = _setup(engine)
    ada = make_member(engine, "ada")
    _subscribe(engine, ada.email)
    _subscribe(engine, "bob@example.org")
    with Session(engine) as s:
        link_subscription(s, member_id=ada.id, email=ada.email)
        s.commit()
        service.follow(s, member_id=ada.id, kind="author", value="Yann LeCun", now=T0)
        service.follow(s, member_id=ada.id, kind="search", value="diffusion policy", now=T0)
        alerts.set_delivery(s, member_id=ada.id, delivery="digest", now=T0)
        watch.watch(s, member_id=ada.id, paper_id="2603.00001", now=T0 - timedelta(hours=2))
    with engine.begin() as conn:  # a new version of the watched paper: an alert owed to ada's digest
        store_batch(conn, [PaperRecord(source="arxiv-oai", title="Featured 1", arxiv_id="2603.00001", version=2,
                                       categories=["cs.CL"], published_at=PUBLISHED)])
    with Session(engine) as s:
        watch.scan(s, now=T0 - timedelta(hours=1))
        assert alerts.send_instant(s, now=T0, site_url="https://papers.example.org") == 0  # kept for the digest

    with Session(engine) as s:  # the preview shows what the digest will hold, and claims no alert
        subscriber = s.scalars(select(Subscriber).where(Subscriber.email == ada.email)).one()
        preview = render_for(s, settings, subscriber, DAY.isoformat(), parse_day(DAY.isoformat()), now=T0)
        assert preview is not None and "Recommended for you" in _text(preview) and "new version 2" in _text(preview)
        assert s.scalar(select(func.count()).select_from(WatchAlert).where(WatchAlert.sent_at.is_(None))) == 1

    report = send_period(engine, settings, parse_day(DAY.isoformat()), backend_from_url(url), clock=lambda: T0)
    assert report.sent == 2
    mails = {str(m["To"]): m for m in box.wait(2)}
    bob, mine = (_text(mails[to]).replace("\r\n", "\n") for to in ("bob@example.org", ada.email))

    # Bob has no account: his digest is the featured papers, no section of a member's, no rating link.
    assert "Featured 1" in bob and "Featured 2" in bob
    for member_only in ("Recommended for you", "From what you follow", "Papers you watch", "/rate/"):
        assert member_only not in bob and member_only not in _html(mails["bob@example.org"])

    # Ada's: the same featured papers, then her recommendations with reasons and 👍/👎 links, follows, alerts.
    assert "Featured 1" in mine and "Recommended for you" in mine
    recommended = mine.split("Recommended for you", 1)[1].split("From what you follow", 1)[0]
    assert re.search(r"Why: (New on the site|Among the most upvoted)", recommended)
    ups = re.findall(r"👍 More like this: (https://papers\.example\.org/rate/\S+)", mine)
    downs = re.findall(r"👎 Fewer like this: (https://papers\.example\.org/rate/\S+)", mine)
    assert len(ups) == len(downs) == recommended.count("\n* ") >= 1
    assert "Featured" not in recommended  # not twice in one digest
    # Cold start recommends the newest papers (Fresh 8 to 4); Ada's follows add Fresh 2 (by LeCun) and 1.
    follows = mine.split("From what you follow", 1)[1].split("Papers you watch", 1)[0]
    assert re.findall(r"\* (.+)\n  Why: (.+)\n", follows) == [
        ("Fresh 2", "new paper by Yann LeCun, whom you follow"),
        ("Fresh 1", "matches your saved search “diffusion policy”")]
    assert "Papers you watch" in mine and "new version 2" in mine
    assert "/rate/" in _html(mails[ada.email]) and "👍 More like this" in _html(mails[ada.email])
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(WatchAlert).where(WatchAlert.sent_at.is_(None))) == 0

    # The links: a GET shows one button and changes nothing; the button's POST records the rating.
    with TestClient(create_app(settings), follow_redirects=False) as client:
        path = ups[0].removeprefix("https://papers.example.org")
        page = client.get(path, headers={"Cookie": f"ps_csrf={CSRF}"})
        assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
        assert page.text.count("<button") == 1 and "Nothing is recorded until you press the button" in page.text
        with Session(engine) as s:
            assert s.scalar(select(func.count()).select_from(PaperRating)) == 0
        done = client.post(path, data={"csrf": CSRF}, headers={"Cookie": f"ps_csrf={CSRF}"})
        assert done.status_code == 200 and "Recorded 👍" in done.text
        with Session(engine) as s:
            rating = s.scalars(select(PaperRating)).one()
            assert (rating.member_id, rating.rating, rating.source) == (ada.id, 1, "digest")
        down = downs[0].removeprefix("https://papers.example.org")
        assert client.get(down).status_code == 200
        changed = client.post(down, data={"csrf": CSRF}, headers={"Cookie": f"ps_csrf={CSRF}"})
        assert "from 👍 to 👎" in changed.text
        with Session(engine) as s:
            assert [r.rating for r in s.scalars(select(PaperRating))] == [-1]
        again = client.post(down, data={"csrf": CSRF}, headers={"Cookie": f"ps_csrf={CSRF}"})
        assert "nothing changed" in again.text
        forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
        assert client.get(forged).status_code == 404
        assert client.post(forged, data={"csrf": CSRF}, headers={"Cookie": f"ps_csrf={CSRF}"}).status_code == 404
        assert client.post(path, data={"csrf": "wrong"}, headers={"Cookie": f"ps_csrf={CSRF}"}).status_code == 403
        assert client.get("/rate/" + "x" * 5000).status_code == 404
    assert ids
