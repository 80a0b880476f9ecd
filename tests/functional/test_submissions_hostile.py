"""Hostile input to the submission and curation routes: any text in any field or path gives a clear 4xx, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.conftest import MadeMember, make_member
from tests.unit.community.submission_setup import FakeArxiv, picks, store

from paperstand.app import create_app
from paperstand.config import Settings

NOW = datetime.now(UTC)
TODAY = NOW.date().isoformat()
CSRF = "csrf-token-of-the-tests-0123456789"
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=40),
    st.sampled_from(["\x00", "%", "\ud800", "../../etc/passwd", "2503.01234\x00", "https://arxiv.org/abs/%00",
                     "http://127.0.0.1:5432/abs/2503.01234", "arxiv.org/abs/2503.01234v99999", "0", "-1",
                     "99999999999999999999", "up\r\nX: 1"]),
    st.integers(300, 3000).map(lambda n: "2" * n),
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


@pytest.fixture
def setup(engine: Engine, db_url: str) -> Iterator[tuple[TestClient, MadeMember, MadeMember]]:
    """A client, a member and a curator; today has one paper."""
    store(engine, "2503.00021", published=NOW - timedelta(days=1), featured_on=NOW.date())
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))
    app.state.arxiv_lookup = FakeArxiv({"2503.01234": NOW - timedelta(days=1)})
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client, make_member(engine, "ada"), make_member(engine, "cat", role="curator")


def _enc(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _headers(who: MadeMember) -> dict[str, str]:
    return {"Cookie": f"ps_session={who.cookie}; ps_csrf={CSRF}"}


@FUZZ
@given(text=ANY_TEXT)
def test_the_form_and_the_api_take_any_text(setup: tuple[TestClient, MadeMember, MadeMember], text: str) -> None:
    client, ada, _ = setup
    form = client.post("/papers/submit", content=f"csrf={CSRF}&paper={_enc(text)}",
                       headers={**_headers(ada), "Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code < 500, (text, form.status_code, form.text[:300])
    api = client.post("/api/submissions", json={"paper": text.encode("utf-8", "replace").decode()},
                      headers=ada.bearer)
    assert api.status_code < 500 and api.headers["content-type"].startswith("application/json"), api.text[:300]


@FUZZ
@given(day=ANY_TEXT, pick=ANY_TEXT, to=ANY_TEXT, action=st.sampled_from(["add", "remove", "move", "pick"]))
def test_the_curate_routes_take_any_text(setup: tuple[TestClient, MadeMember, MadeMember], day: str, pick: str,
                                         to: str, action: str) -> None:
    client, _, cat = setup
    for path in (f"/papers/date/{_enc(day)}/curate", f"/papers/date/{_enc(day)}/log"):
        answer = client.get(path, headers=_headers(cat))
        assert answer.status_code < 500, (path, answer.status_code)
    for target in (TODAY, _enc(day)):
        body = f"csrf={CSRF}&pick={_enc(pick)}&to={_enc(to)}&paper={_enc(to)}&picked={_enc(pick)}"
        answer = client.post(f"/papers/date/{target}/curate/{action}", content=body,
                             headers={**_headers(cat), "Content-Type": "application/x-www-form-urlencoded"})
        assert answer.status_code < 500, (target, action, pick, to, answer.status_code, answer.text[:300])


def test_a_submission_never_fetches_what_was_typed(setup: tuple[TestClient, MadeMember, MadeMember],
                                                   engine: Engine) -> None:
    client, ada, _ = setup
    fake: FakeArxiv = client.app.state.arxiv_lookup  # type: ignore[attr-defined]
    for text in ("http://127.0.0.1:5432/abs/2503.01234", "https://arxiv.org@127.0.0.1/abs/2503.01234",
                 "https://arxiv.org/abs/2503.01234/../../admin"):
        answer = client.post("/api/submissions", json={"paper": text}, headers=ada.bearer)
        assert answer.status_code == 400, text
    assert fake.calls == [] and len(picks(engine)) == 1
