"""Deny by default (RELIABILITY 15): every state-changing route is classified, and a walk of those routes
with every kind of visitor (anonymous, unverified, banned, and each role) gets exactly what its class allows.

A new POST route fails ``test_every_state_changing_route_is_classified`` until it is listed here: public
(it carries its own proof: a mailed token, a signed key, a shared secret), login (any logged-in member),
or a right from ``accounts.roles``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import Form, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import MadeMember, make_member

from paperstand.accounts import roles
from paperstand.accounts.models import Member
from paperstand.accounts.roles import ROLES, allowed
from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.web.auth import require
from paperstand.web.csrf import check_csrf

# Forms anyone may send: their own token or key is the proof, or they are how one gets an account.
PUBLIC = {"/subscribe", "/subscribe/confirm", "/preferences/{key}", "/unsubscribe/{key}", "/hooks/mail-feedback",
          "/join", "/verify", "/login", "/logout", "/reset", "/reset/confirm", "/settings/email/confirm",
          "/rate/{key}"}
# Forms of any logged-in member, whatever their standing (an unverified or banned member manages their account).
LOGIN = {"/settings/profile", "/settings/password", "/settings/email", "/settings/verify", "/settings/tokens",
         "/settings/tokens/{token_id}/revoke",
         # Following and watching are private to the member and need no right (any standing may keep them).
         "/follows", "/follows/remove", "/following/delivery", "/papers/{paper_id:path}/watch",
         "/for-you/start", "/for-you/pause", "/for-you/reset", "/for-you/signals/remove"}
# A member's own (private) library is theirs to keep whatever their standing; making one public takes ``comment``.
LOGIN |= {"/library/save", "/library/new", "/library/{slug}/edit", "/library/{slug}/delete", "/library/{slug}/item",
          "/library/{slug}/import"}
# Routes that need a right (``accounts.roles``): path -> right. Votes, comments, curation... add theirs here.
# The probes (one per right, added by the fixture) keep the walk honest until the real routes exist.
RIGHTS: dict[str, str] = {f"/probe/{right}": right for right in sorted(roles.RIGHTS)} | {
    "/papers/{paper_id:path}/upvote": "vote",
    "/for-you/rate": "vote",
    "/papers/submit": "submit",
    "/papers/{paper_id:path}/comments": "comment",
    "/comments/{comment_id}/edit": "comment",
    "/comments/{comment_id}/delete": "comment",
    "/comments/{comment_id}/flag": "flag",
    "/papers/{paper_id:path}/claim": "claim",
    "/papers/{paper_id:path}/links": "claim",
    "/papers/date/{day}/curate/add": "curate",
    "/papers/date/{day}/curate/move": "curate",
    "/papers/date/{day}/curate/pick": "curate",
    "/papers/date/{day}/curate/remove": "curate",
    "/moderation/claims/{claim_id}": "moderate",
    "/moderation/comments/{comment_id}/{action}": "moderate",
    "/moderation/members": "moderate",
    "/moderation/submissions": "moderate",
    "/moderation/submissions/{pick_id}/{action}": "moderate",
    "/library/{slug}/visibility": "comment",
}
CSRF = "t" * 24
VISITORS = ("anonymous", "unverified", "banned", *ROLES)


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, included routers walked."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            yield from _routes(original.routes, prefix + route.include_context.prefix)
        for method in getattr(route, "methods", None) or ():
            yield method, prefix + route.path


@pytest.fixture
def client(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """The whole app, redirects not followed."""
    settings = Settings(database_url=db_url, data_dir=tmp_path, harvest_on_start=False,
                        mail_url=f"file://{tmp_path / 'mail'}")
    app = create_app(settings)
    for right in sorted(roles.RIGHTS):
        app.router.add_api_route(f"/probe/{right}", _probe(right), methods=["POST"], status_code=204)
        app.router.routes.insert(0, app.router.routes.pop())  # before the pages' catch-all patterns
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _probe(right: str) -> Any:
    def probe(request: Request, csrf: Annotated[str, Form()] = "") -> None:
        check_csrf(request, csrf)
        require(request, right)

    return probe


@pytest.fixture
def visitors(engine: Engine) -> dict[str, MadeMember | None]:
    """One of each kind of visitor."""
    made: dict[str, MadeMember | None] = {"anonymous": None,
                                          "unverified": make_member(engine, "fresh", verified=False),
                                          "banned": make_member(engine, "eve", banned=True)}
    made.update({role: make_member(engine, f"a{role}", role=role) for role in ROLES})
    return made


def _post(client: TestClient, path: str, who: MadeMember | None) -> int:
    cookie = f"ps_csrf={CSRF}" + (f"; ps_session={who.cookie}" if who else "")
    url = (path.replace("{token_id}", "1").replace("{key}", "x").replace("{paper_id:path}", "2503.00201")
           .replace("{comment_id}", "1").replace("{claim_id}", "1").replace("{pick_id}", "1")
           .replace("{action}", "hide").replace("{day}", "2025-03-11"))
    answer = client.post(url, data={"csrf": CSRF}, headers={"Cookie": cookie})
    if answer.status_code == 303 and answer.headers["location"].startswith("/login"):
        return 401  # a page's way of saying "log in first"
    return answer.status_code


def test_every_state_changing_route_is_classified(client: TestClient) -> None:
    writes = {path for method, path in _routes(client.app.routes)  # type: ignore[attr-defined]
              if method not in ("GET", "HEAD", "OPTIONS") and not path.startswith("/api/")}
    unclassified = writes - PUBLIC - LOGIN - set(RIGHTS)
    assert unclassified == set(), f"classify these routes in {__file__}: {sorted(unclassified)}"


def test_login_routes_refuse_anonymous_visitors_only(client: TestClient,
                                                     visitors: dict[str, MadeMember | None]) -> None:
    for path in sorted(LOGIN):
        for kind, who in visitors.items():
            status = _post(client, path, who)
            if who is None:
                assert status == 401, (path, kind)
            else:
                assert status not in (401, 403) and status < 500, (path, kind, status)
    page = {kind: client.get("/settings", headers=w.headers if w else {}).status_code for kind, w in visitors.items()}
    assert page == {kind: 303 if kind == "anonymous" else 200 for kind in VISITORS}


def test_rights_routes_follow_the_grants(client: TestClient, visitors: dict[str, MadeMember | None],
                                         engine: Engine) -> None:
    for path, right in sorted(RIGHTS.items()):
        for kind, who in visitors.items():
            status = _post(client, path, who)
            member = None
            if who is not None:
                with Session(engine) as s:
                    member = s.get(Member, who.id)
            if allowed(member, right):
                assert status not in (401, 403) and status < 500, (path, kind, status)
            else:
                assert status == (401 if who is None else 403), (path, kind, status)


def test_the_callers_own_api_needs_a_token_of_any_standing(client: TestClient,
                                                           visitors: dict[str, MadeMember | None]) -> None:
    seen = {kind: client.get("/api/me", headers=w.bearer if w else {}).status_code for kind, w in visitors.items()}
    assert seen == {kind: 401 if kind == "anonymous" else 200 for kind in VISITORS}
