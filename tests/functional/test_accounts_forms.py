"""Every account form refuses a missing CSRF token and a foreign Origin (RELIABILITY 14); throttled logins
answer 429 with Retry-After (RELIABILITY 10); hostile input gets a 4xx, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_flow import PASSWORD, Site, account_site
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import ApiToken, Member, MemberSession

# Every state-changing account route, with a form that would otherwise be acceptable.
FORMS = [
    ("/join", {"email": "zed@example.org", "name": "zed", "password": PASSWORD}),
    ("/verify", {"token": "x"}),
    ("/login", {"login": "ada", "password": PASSWORD}),
    ("/logout", {}),
    ("/reset", {"email": "ada@example.org"}),
    ("/reset/confirm", {"token": "x", "password": "a fresh passphrase"}),
    ("/settings/profile", {"display_name": "Evil"}),
    ("/settings/password", {"current": PASSWORD, "new": "a fresh passphrase"}),
    ("/settings/email", {"email": "evil@example.org", "password": PASSWORD}),
    ("/settings/email/confirm", {"token": "x"}),
    ("/settings/verify", {}),
    ("/settings/tokens", {"token_name": "evil"}),
    ("/settings/tokens/1/revoke", {}),
]


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Site]:
    """A site where ada is a verified, logged-in member."""
    with account_site(db_url, tmp_path, login_failures="10 per 5 minutes") as s:
        s.join()
        s.login()
        yield s


def _state(engine: Engine) -> tuple[int, int, int, str]:
    with Session(engine) as s:
        return (int(s.scalar(select(func.count()).select_from(Member)) or 0),
                int(s.scalar(select(func.count()).select_from(MemberSession)) or 0),
                int(s.scalar(select(func.count()).select_from(ApiToken)) or 0),
                str(s.scalar(select(Member.display_name))))


def test_every_form_refuses_a_missing_or_wrong_token_and_a_foreign_origin(site: Site, engine: Engine) -> None:
    before = _state(engine)
    token = site.csrf("/settings")
    for path, form in FORMS:
        assert site.client.post(path, data=form).status_code == 403, path
        assert site.client.post(path, data={**form, "csrf": "forged"}).status_code == 403, path
        foreign = site.post(path, form, csrf=token, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "another site" in foreign.text, path
    assert _state(engine) == before
    assert site.client.get("/settings").status_code == 200  # still logged in: the logout post was refused too


def test_settings_need_a_login(site: Site) -> None:
    site.client.cookies.delete("ps_session")
    token = site.csrf("/login")
    assert site.client.get("/settings").headers["location"] == "/login?next=%2Fsettings"
    for path, form in FORMS[6:]:
        if "confirm" in path:
            continue  # a mailed link works without a login
        answer = site.post(path, form, csrf=token)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path


def test_the_eleventh_failed_login_gets_429_with_retry_after(site: Site) -> None:
    site.client.cookies.delete("ps_session")
    token = site.csrf("/login")
    for _ in range(10):
        assert site.post("/login", {"login": "ada", "password": "wrong guess"}, csrf=token).status_code == 400
    refused = site.post("/login", {"login": "ada", "password": PASSWORD}, csrf=token)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 300
    assert "Too many failed logins" in refused.text and "ps_session" not in refused.headers.get("set-cookie", "")


def test_login_throttling_works_where_rate_limits_are_off(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """The tests turn PAPERSTAND_RATE_LIMITS off; the login throttle is its own setting and still counts."""
    with account_site(db_url, tmp_path, login_failures="2 per 5 minutes", rate_limits="off") as s:
        s.join()
        token = s.csrf("/login")
        codes = [s.post("/login", {"login": "nobody", "password": "wrong guess"}, csrf=token).status_code
                 for _ in range(3)]
    assert codes == [400, 400, 429]


HOSTILE = [
    ("/join", {"email": "a" * 400, "name": "x", "password": "y"}),
    ("/join", {"email": "a@example.org", "name": "n" * 500, "password": PASSWORD}),
    ("/join", {"email": "a@example.org", "name": "bob", "password": "p" * 5000}),
    ("/join", {"email": "a@example.org", "name": "bob", "password": "p" * 1001}),
    ("/login", {"login": "l" * 1000, "password": "x"}),
    ("/reset", {"email": "not an address"}),
    ("/verify", {"token": "t" * 1000}),
    ("/settings/profile", {"display_name": "d" * 150}),
    ("/settings/tokens", {"token_name": ""}),
    ("/settings/email", {"email": "nope", "password": PASSWORD}),
    ("/settings/email/confirm", {"token": ""}),
    ("/reset/confirm", {"token": "unknown", "password": PASSWORD}),
]


def test_hostile_or_bad_input_is_a_clear_4xx(site: Site) -> None:
    token = site.csrf("/settings")
    for path, form in HOSTILE:
        answer = site.post(path, form, csrf=token)
        assert 400 <= answer.status_code < 500 and "Traceback" not in answer.text, (path, answer.status_code)
    for path in ("/verify?token=" + "t" * 300, "/reset/confirm?token=nope", "/u/" + "x" * 300, "/u/%00"):
        assert 400 <= site.client.get(path).status_code < 500, path


def test_unknown_token_ids_and_paths(site: Site) -> None:
    token = site.csrf("/settings")
    assert site.post("/settings/tokens/999999/revoke", {}, csrf=token).status_code == 404
    assert site.post("/settings/tokens/0/revoke", {}, csrf=token).status_code == 400
    assert site.post("/settings/tokens/abc/revoke", {}, csrf=token).status_code == 400
    assert site.post("/settings/tokens/99999999999999999999/revoke", {}, csrf=token).status_code == 400
