"""Any text at all in a follow, a watch, a rating link or the follows API: a clear 4xx or success, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from tests.conftest import MadeMember, make_member

from paperstand.app import create_app
from paperstand.config import Settings
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch

CSRF = "fuzz-follow-token-0123456789"
# Any code point, lone surrogates and NUL included, short and long.
ANY_TEXT = st.one_of(st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=60),
                     st.integers(200, 3000).map(lambda n: "é\x00" * n))
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
KINDS = st.one_of(st.sampled_from(["author", "member", "category", "search"]), ANY_TEXT)


@pytest.fixture
def world(engine: Engine, db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, MadeMember]]:
    """The app on a database with one paper and one member."""
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-oai", title="Fuzzed", arxiv_id="2503.00001", version=1,
                                       authors=["Ada Quill"], categories=["cs.LG"])])
    app = create_app(Settings(database_url=db_url, harvest_on_start=False, secret_key="fuzz", data_dir=tmp_path))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        yield client, make_member(engine, "ada")


def _form(client: TestClient, path: str, who: MadeMember, fields: dict[str, str]) -> int:
    body = urlencode({"csrf": CSRF, **fields}, encoding="utf-8", errors="surrogatepass")
    return client.post(path, content=body, headers={"Cookie": f"ps_session={who.cookie}; ps_csrf={CSRF}",
                                                    "Content-Type": "application/x-www-form-urlencoded"}).status_code


def _enc(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@FUZZ
@given(kind=KINDS, value=ANY_TEXT, other=ANY_TEXT)
def test_forms_and_links_never_5xx(world: tuple[TestClient, MadeMember], kind: str, value: str, other: str) -> None:
    client, ada = world
    for path, fields in (("/follows", {"kind": kind, "value": value, "next": other}),
                         ("/follows/remove", {"kind": kind, "value": value, "follow_id": other[:20]}),
                         ("/following/delivery", {"choice": value}),
                         ("/papers/2503.00001/watch", {"action": value[:10], "next": other}),
                         (f"/papers/{_enc(value) or 'x'}/watch", {}), (f"/rate/{_enc(value) or 'x'}", {})):
        status = _form(client, path, ada, fields)
        assert status < 500, (path, status)
    for url in (f"/rate/{_enc(value) or 'x'}", f"/following?p={_enc(value)}", f"/following?done={_enc(value)}"):
        assert client.get(url, headers=ada.headers).status_code < 500, url
    # JSON escapes lone surrogates as \udXXX, so the body is valid JSON whatever the text.
    api = client.post("/api/me/follows", content=json.dumps({"kind": kind, "value": value}),
                      headers={**ada.bearer, "Content-Type": "application/json"})
    assert api.status_code < 500
    gone = client.delete(f"/api/me/follows?kind={_enc(kind)}&value={_enc(value)}", headers=ada.bearer)
    assert gone.status_code < 500
