"""Every GET route of the app's route table, walked as an anonymous visitor, a member and an admin, with real
sample values for its path parameters (a stored paper, its day, week and month, a comment, a member, signed
subscription keys): no answer is a 5xx, and every HTML answer carries a Content-Security-Policy whose
script policy has no 'unsafe-inline' (an injected inline script or handler attribute cannot run).

tests/functional/test_accounts_roles.py walks the same table's state-changing routes (who may post what);
this walk covers what every route shows. A new GET route with a path parameter this file has no sample
for fails ``test_every_get_route_has_sample_values`` until one is added here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from comments_fixtures import store_paper
from paperstand.app import create_app
from paperstand.community import comments
from paperstand.config import Settings
from paperstand.digests.ratings import make_rate_key
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.subscriptions.links import make_key
from paperstand.subscriptions.service import confirm_subscription, request_subscription

SECRET = "csp-walk-secret"
PAPER, DAY, WEEK, MONTH, CATEGORY = "2503.04444", "2025-03-11", "2025-W11", "2025-03", "cs.CV"
# Sample values by parameter name; ``{key}`` is signed for the route's purpose (see ``_fill``).
SAMPLES = {"paper_id": PAPER, "day": DAY, "week": WEEK, "month": MONTH, "fmt": "rss", "kind": "date",
           "name": "ada", "slug": "reading-list"}
# Labels differ by route: a listing's label is a period, arXiv's a category or a period.
LABELS = {"/feeds/arxiv/": MONTH, "/arxiv/": MONTH, "/feeds/": DAY}
# Query strings that take a route past its empty form (a search, a mailed token, a page number).
QUERIES = {"/search": "?q=sheep", "/arxiv": f"?cat={CATEGORY}", "/verify": "?token=not-a-token",
           "/reset/confirm": "?token=not-a-token", "/subscribe/confirm": "?token=not-a-token",
           "/settings/email/confirm": "?token=not-a-token", "/login": "?next=/settings",
           "/api/papers/search": "?q=sheep", "/feeds/search.{fmt}": "?q=sheep", "/moderation": "?p=1",
           "/library/search": "?q=sheep"}
# Error pages are HTML too: unknown addresses, papers and members.
MISSING = ("/no-such-page", "/papers/2503.99999", "/u/nobody", "/papers/date/2025-02-30", "/comments/999/edit")
PARAM = re.compile(r"\{(\w+)(?::path)?\}")


def _get_routes(routes: list[Any], prefix: str = "") -> Iterator[str]:
    """The path of every GET route, included routers walked (as in test_accounts_roles)."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _get_routes(original.routes, prefix + route.include_context.prefix)
        elif "GET" in (getattr(route, "methods", None) or ()):
            yield prefix + route.path


@dataclass(frozen=True)
class World:
    """What the samples point at."""

    comment_id: int
    subscriber_id: int


def _fill(path: str, world: World) -> str:
    """``path`` with every parameter replaced by a sample value that names something stored."""

    def value(match: re.Match[str]) -> str:
        param = match.group(1)
        if param == "comment_id":
            return str(world.comment_id)
        if param == "key" and path.startswith("/rate/"):  # a digest's 👍 link: the first member, the first paper
            return make_rate_key(SECRET.encode(), member_id=1, paper_id=1, rating=1)
        if param == "key":
            purpose = "unsubscribe" if path.startswith("/unsubscribe") else "preferences"
            return make_key(SECRET.encode(), purpose, world.subscriber_id)
        if param == "label":
            return next(label for start, label in LABELS.items() if path.startswith(start))
        return SAMPLES[param]

    return PARAM.sub(value, path) + QUERIES.get(path, "")


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, World, dict[str, MadeMember]]]:
    """The whole app on a database with a featured paper, a comment on it, members and a subscriber."""
    paper_id = store_paper(engine, PAPER, hf_comments=1)
    with engine.begin() as conn:  # something for the next digest, so its preview (own policy) has a body
        store_batch(conn, [PaperRecord(source="hf-daily", title="Fresh Sheep", arxiv_id="2503.05555",
                                       featured_on=datetime.now(UTC).date() - timedelta(days=1))])
    members = {"member": make_member(engine, "ada"), "admin": make_member(engine, "boss", role="admin")}
    now = datetime.now(UTC)
    with Session(engine) as session:
        posted = comments.post(session, paper_id=PAPER, member_id=members["member"].id, body="Nice **work**",
                               now=now, site_url="http://testserver")
        opt_in = request_subscription(session, "reader@example.org", now=now)
        assert opt_in is not None and paper_id
        subscriber = confirm_subscription(session, opt_in.token, now=now)
        session.commit()
        world = World(posted.comment.id, subscriber.id)
    settings = Settings(database_url=db_url, data_dir=tmp_path / "var", harvest_on_start=False, secret_key=SECRET,
                        mail_url=f"file://{tmp_path / 'mail'}")
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client, world, members


def _script_sources(policy: str) -> list[str]:
    """The sources scripts may come from under ``policy``: script-src, else default-src (CSP's fallback)."""
    directives = {d.split()[0]: d.split()[1:] for d in (part.strip() for part in policy.split(";")) if d}
    sources = directives.get("script-src", directives.get("default-src"))
    assert sources is not None, f"no script-src or default-src in {policy!r}"
    return sources


def test_every_get_route_has_sample_values(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", harvest_on_start=False))
    for path in _get_routes(app.routes):
        try:
            _fill(path, World(1, 1))
        except (KeyError, StopIteration):
            pytest.fail(f"{path}: add a sample value for its parameters in {__file__}")


def test_every_html_answer_forbids_inline_scripts(site: tuple[TestClient, World, dict[str, MadeMember]]) -> None:
    client, world, members = site
    routes = {_fill(path, world) for path in _get_routes(client.app.routes)}  # type: ignore[attr-defined]
    assert len(routes) >= 40, routes  # the walk reaches the whole table, not a stub of it
    paths = sorted(routes | set(MISSING))
    pages: dict[str, dict[str, int]] = {}
    for visitor in ("anonymous", "member", "admin", "anonymous"):  # anonymous twice: the second from the cache
        headers = members[visitor].headers if visitor in members else {}
        for url in paths:
            answer = client.get(url, headers=headers)
            assert answer.status_code < 500, (visitor, url, answer.status_code, answer.text[:300])
            if not answer.headers.get("content-type", "").startswith("text/html"):
                continue
            policy = answer.headers.get("content-security-policy")
            assert policy, (visitor, url, "an HTML answer without a Content-Security-Policy")
            sources = _script_sources(policy)
            assert "'unsafe-inline'" not in sources, (visitor, url, policy)
            pages.setdefault(url, {})[visitor] = answer.status_code
    # The samples name real things: the pages behind them answer 200, not a 404 about a made-up id.
    shown = {url for url, seen in pages.items() if 200 in seen.values()}
    for expected in ("/", f"/papers/{PAPER}", f"/papers/date/{DAY}", f"/papers/week/{WEEK}", "/u/ada",
                     f"/comments/{world.comment_id}/edit", f"/comments/{world.comment_id}/flag",
                     "/moderation/queue", "/moderation/claims", f"/papers/date/{DAY}/curate", "/settings",
                     "/papers/submit", "/docs", "/search?q=sheep", f"/arxiv/{MONTH}", "/following"):
        assert expected in shown, (expected, pages.get(expected))
    assert any(url.startswith("/preferences/") and url.endswith("/preview/email.html") for url in shown)
    assert any(url.startswith("/unsubscribe/") for url in shown)
    assert any(url.startswith("/rate/") for url in shown)
    assert [pages[url]["anonymous"] for url in MISSING[:4]] == [404, 404, 404, 400]
