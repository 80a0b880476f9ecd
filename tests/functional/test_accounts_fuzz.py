"""Property test: arbitrary Unicode in every account form and page gives no 5xx (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from accounts_flow import PASSWORD, Site, account_site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

# Every character, surrogates included (they travel %-encoded), a few known troublemakers, long values.
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(["\x00", "%", "a\x01", "\ud800", "\r\nX-Header: 1", "ada", "ADA@example.org", PASSWORD,
                     "é" * 8, "😀" * 8, " " * 9, "../../etc", "<script>"]),
    st.integers(300, 1200).map(lambda n: "\x00a" * n),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
FORMS = {
    "/join": ["email", "name", "password"],
    "/login": ["login", "password", "next"],
    "/verify": ["token"],
    "/reset": ["email"],
    "/reset/confirm": ["token", "password"],
    "/settings/profile": ["display_name", "show_upvotes", "notify_mentions"],
    "/settings/password": ["current", "new"],
    "/settings/email": ["email", "password"],
    "/settings/email/confirm": ["token"],
    "/settings/tokens": ["token_name"],
    "/settings/tokens/{text}/revoke": [],
}
PAGES = ["/u/{text}", "/login?next={text}", "/verify?token={text}", "/reset/confirm?token={text}",
         "/settings?done={text}", "/settings/email/confirm?token={text}"]


def _enc(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@pytest.fixture
def site(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[Site]:
    """A logged-in member ada; the login throttle is generous so that fuzzing does not lock the forms."""
    with account_site(db_url, tmp_path, login_failures="100000 per minute") as s:
        s.join()
        s.login()
        yield s


@FUZZ
@given(data=st.data())
def test_account_forms_never_5xx(site: Site, data: st.DataObject) -> None:
    form = data.draw(st.sampled_from(sorted(FORMS)))
    action = form.replace("{text}", _enc(data.draw(ANY_TEXT)) or "x")
    fields = {name: data.draw(ANY_TEXT) for name in FORMS[form]}
    token = re.search(r'name="csrf" value="([^"]+)"', site.client.get("/settings").text)
    body = "&".join(f"{_enc(k)}={_enc(v)}" for k, v in {**fields, "csrf": token.group(1) if token else ""}.items())
    response = site.client.post(action, content=body.encode(),
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code < 500, (form, fields, response.status_code, response.text[:300])
    if response.status_code == 303 and "ps_session" not in site.client.cookies:
        site.login()  # a fuzzed logout or password change: log back in for the next example


@FUZZ
@given(page=st.sampled_from(PAGES), text=ANY_TEXT)
def test_account_pages_never_5xx(site: Site, page: str, text: str) -> None:
    url = page.replace("{text}", _enc(text) or "x")
    response = site.client.get(url)
    assert response.status_code < 500, (url, response.status_code, response.text[:300])
