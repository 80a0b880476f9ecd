"""The account flow over HTTP (RELIABILITY 11, 12): join, verify, log in and out, cookies, no enumeration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_flow import PASSWORD, Site, account_site
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperstand.accounts.models import Member, MemberSession


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The app, its client and mailbox."""
    with account_site(db_url, tmp_path) as s:
        yield s


def _cookie(response_headers: list[str]) -> str:
    [line] = [h for h in response_headers if h.startswith("ps_session=")]
    return line


def test_join_verify_login_logout(site: Site, engine: Engine) -> None:
    page = site.post("/join", {"email": "Ada@Example.org", "name": "ada", "password": PASSWORD})
    assert page.status_code == 200 and "Check your inbox" in page.text and "ada@example.org" in page.text
    assert "ps_session" not in page.headers.get("set-cookie", "")  # joining logs nobody in (no enumeration)
    [mail] = site.deliver()
    assert mail["To"] == "ada@example.org" and "Confirm your email address" in str(mail["Subject"])
    link = site.link(mail)
    assert site.client.get(link).status_code == 200
    with Session(engine) as s:  # opening the page changed nothing: mail scanners follow links
        assert s.scalar(select(Member.email_verified_at)) is None
    done = site.follow(link, "/verify")
    assert done.status_code == 200 and "confirmed" in done.text
    login = site.login("ada@example.org", next_path="/settings")
    assert login.status_code == 303 and login.headers["location"] == "/settings"
    settings = site.client.get("/settings")
    assert settings.status_code == 200 and "@ada" in settings.text
    assert settings.headers["cache-control"] == "private, no-store"
    out = site.post("/logout", {}, csrf=site.csrf("/settings"))
    assert out.status_code == 303 and 'ps_session=""' in out.headers["set-cookie"]
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(MemberSession)) == 0
    assert site.client.get("/settings").status_code == 303  # to /login


def test_the_session_cookie_is_httponly_lax_and_rotated(site: Site) -> None:
    site.join()
    first = site.login()
    cookie = _cookie(first.headers.get_list("set-cookie"))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Secure" not in cookie
    old = site.client.cookies["ps_session"]
    second = site.login()
    new = site.client.cookies["ps_session"]
    assert second.status_code == 303 and new != old
    stale = site.client.get("/settings", headers={"Cookie": f"ps_session={old}"})
    assert stale.status_code == 303  # the session the old cookie named died at the second login
    assert site.client.get("/settings").status_code == 200


def test_the_cookie_is_secure_behind_https(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with account_site(db_url, tmp_path, base_url="https://papers.example") as secure:
        secure.join()
        cookie = _cookie(secure.login().headers.get_list("set-cookie"))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_a_password_change_ends_the_other_sessions(site: Site, engine: Engine, db_url: str,
                                                   tmp_path: Path) -> None:
    site.join()
    site.login()
    other = site.client.cookies["ps_session"]
    site.client.cookies.clear()
    site.login()
    changed = site.post("/settings/password", {"current": PASSWORD, "new": "a fresh passphrase"},
                        csrf=site.csrf("/settings"))
    assert changed.status_code == 303 and changed.headers["location"] == "/settings?done=password"
    assert "logged out" in site.client.get(changed.headers["location"]).text  # this browser has a new session ...
    assert site.client.get("/settings", headers={"Cookie": f"ps_session={other}"}).status_code == 303  # ... others died
    site.client.cookies.clear()
    assert site.login(password=PASSWORD).status_code == 400
    assert site.login(password="a fresh passphrase").status_code == 303


def test_next_only_leads_to_this_site(site: Site) -> None:
    site.join()
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        site.client.cookies.clear()
        assert site.login(next_path=target).headers["location"] == "/"
    site.client.cookies.clear()
    assert site.login(next_path="/papers/2501.00001?x=1").headers["location"] == "/papers/2501.00001?x=1"


def _scrub(text: str, *words: str) -> str:
    for word in words:
        text = text.replace(word, "X")
    return text


def test_join_login_and_reset_answer_alike_for_known_and_unknown_addresses(site: Site) -> None:
    site.join()
    token = site.csrf("/join")
    known = site.post("/join", {"email": "ada@example.org", "name": "ada2", "password": PASSWORD}, csrf=token)
    unknown = site.post("/join", {"email": "new@example.org", "name": "ada3", "password": PASSWORD}, csrf=token)
    assert known.status_code == unknown.status_code == 200
    assert _scrub(known.text, "ada@", "new@") == _scrub(unknown.text, "ada@", "new@")
    assert known.headers.get("set-cookie") == unknown.headers.get("set-cookie")
    wrong = site.post("/login", {"login": "ada", "password": "not it at all"}, csrf=token)
    nobody = site.post("/login", {"login": "nobody", "password": "not it at all"}, csrf=token)
    assert wrong.status_code == nobody.status_code == 400
    assert _scrub(wrong.text, 'value="ada"', 'value="nobody"') == _scrub(nobody.text, 'value="ada"', 'value="nobody"')
    known_reset = site.post("/reset", {"email": "ada@example.org"}, csrf=token)
    unknown_reset = site.post("/reset", {"email": "nobody@example.org"}, csrf=token)
    assert known_reset.status_code == unknown_reset.status_code == 200
    assert _scrub(known_reset.text, "ada@", "nobody@") == _scrub(unknown_reset.text, "ada@", "nobody@")
    mails = site.deliver()
    assert sorted((str(m["To"]), str(m["Subject"])) for m in mails) == [
        ("ada@example.org", "Reset your paperstand password"),
        ("ada@example.org", "Someone tried to join paperstand with your address"),
        ("new@example.org", "Confirm your email address for paperstand")]


def test_reset_by_mail_logs_in_and_the_link_works_once(site: Site) -> None:
    site.join()
    site.login()
    old = site.client.cookies["ps_session"]
    site.client.cookies.clear()
    site.post("/reset", {"email": "ada@example.org"})
    [mail] = site.deliver()
    link = site.link(mail)
    page = site.client.get(link)
    assert page.status_code == 200 and "@ada" in page.text
    token = page.text.split('name="token" value="')[1].split('"')[0]
    weak = site.post("/reset/confirm", {"token": token, "password": "12345678"})
    assert weak.status_code == 400 and "common" in weak.text
    done = site.post("/reset/confirm", {"token": token, "password": "a fresh passphrase"})
    assert done.status_code == 303 and done.headers["location"] == "/settings?done=reset"
    assert "new password is set" in site.client.get(done.headers["location"]).text
    assert site.client.get("/settings", headers={"Cookie": f"ps_session={old}"}).status_code == 303
    again = site.client.get(link)
    assert again.status_code == 400 and "already used" in again.text


def test_unverified_members_see_how_to_verify_and_can_ask_again(site: Site) -> None:
    site.join(verify=False)
    site.deliver()
    assert site.login().status_code == 303
    settings = site.client.get("/settings").text
    assert "not confirmed yet" in settings
    sent = site.post("/settings/verify", {}, csrf=site.csrf("/settings"))
    assert sent.headers["location"] == "/settings?done=verify-sent"
    [mail] = site.deliver()
    assert site.follow(site.link(mail), "/verify").status_code == 200
    assert "not confirmed yet" not in site.client.get("/settings").text


def test_an_email_change_is_confirmed_from_the_new_address(site: Site, engine: Engine) -> None:
    site.join()
    site.login()
    asked = site.post("/settings/email", {"email": "ada@new.example", "password": PASSWORD},
                      csrf=site.csrf("/settings"))
    assert asked.headers["location"] == "/settings?done=email-sent"
    [mail] = site.deliver()
    assert mail["To"] == "ada@new.example"
    done = site.follow(site.link(mail), "/settings/email/confirm")
    assert done.status_code == 200 and "ada@new.example" in done.text
    [notice] = site.deliver()
    assert notice["To"] == "ada@example.org"
    with Session(engine) as s:
        assert s.scalar(select(Member.email)) == "ada@new.example"
