"""Who is asking: session cookies and Bearer tokens, rights by role, and what a refusal looks like."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from conftest import make_member
from paperstand.accounts.roles import GRANTS, ROLES, allowed
from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.web.auth import require, require_api


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """An app with two probe routes: one page that needs "curate", one API call that needs "vote"."""
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))

    @app.get("/probe/curate")
    def probe_page(request: Request) -> dict[str, str]:
        return {"name": require(request, "curate").name}

    @app.post("/api/probe/vote")
    def probe_api(request: Request) -> dict[str, str]:
        return {"name": require_api(request, "vote").name}

    # The probes must match before the paper router's catch-all: move them to the front.
    app.router.routes.insert(0, app.router.routes.pop())
    app.router.routes.insert(0, app.router.routes.pop())
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_anonymous_page_goes_to_login_and_api_says_401(client: TestClient) -> None:
    page = client.get("/probe/curate")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fprobe%2Fcurate"
    api = client.post("/api/probe/vote")
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer")
    assert api.json()["status"] == 401


def test_roles_decide(client: TestClient, engine: Engine) -> None:
    member = make_member(engine, "bob")
    curator = make_member(engine, "cat", role="curator")
    assert client.get("/probe/curate", headers=member.headers).status_code == 403
    assert client.get("/probe/curate", headers=curator.headers).json() == {"name": "cat"}
    assert client.post("/api/probe/vote", headers=member.bearer).json() == {"name": "bob"}
    assert client.post("/api/probe/vote", headers={"Authorization": "Bearer ps_wrong"}).status_code == 401


def test_banned_and_unverified_members_may_do_nothing(client: TestClient, engine: Engine) -> None:
    banned = make_member(engine, "eve", banned=True)
    fresh = make_member(engine, "new", verified=False)
    for who in (banned, fresh):
        answer = client.post("/api/probe/vote", headers=who.bearer)
        assert answer.status_code == 403, answer.text


def test_grants_deny_by_default() -> None:
    assert set(GRANTS) == set(ROLES)
    assert not allowed(None, "vote")
    with pytest.raises(ValueError):
        allowed(None, "vot")  # a misspelt right is a bug, not a silent "no"
