"""The real ``huggingface_hub`` client counts comments posted here: ``numComments`` is local plus imported."""

from __future__ import annotations

import os
from pathlib import Path

import httpx

# Before the import: the client reads its settings once, and must not phone home.
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

from huggingface_hub import HfApi  # noqa: E402
from tests.conftest import LiveServer, make_member  # noqa: E402

from paperstand.db import make_engine  # noqa: E402

DAILY = Path(__file__).parents[1] / "fixtures" / "api" / "daily_small.json"
PAPER = "2503.00201"  # two comments on Hugging Face in the fixture


def test_the_client_sees_local_comments_beside_imported_ones(live_server: LiveServer) -> None:
    result = live_server.run_cli("import", str(DAILY))
    assert result.returncode == 0, result.stdout + result.stderr
    engine = make_engine(live_server.db_url)
    try:
        ada, bob = make_member(engine, "ada"), make_member(engine, "bob")
    finally:
        engine.dispose()
    api = HfApi(endpoint=live_server.url, token=False)
    assert api.paper_info(PAPER).comments == 2
    url = f"{live_server.url}/api/papers/{PAPER}/comments"
    first = httpx.post(url, json={"body": "Which weather data?"}, headers=ada.bearer)
    assert first.status_code == 201
    reply = httpx.post(url, json={"body": "ERA5, see §3", "parent_id": first.json()["id"]}, headers=bob.bearer)
    assert reply.status_code == 201
    assert api.paper_info(PAPER).comments == 4
    [listed] = [p for p in api.list_daily_papers(date="2025-03-11") if p.id == PAPER]
    assert listed.comments == 4
    # A deleted comment no longer counts (deleting is the form's job; the service is the same).
    cookie = {"Cookie": f"ps_session={bob.cookie}; ps_csrf=t"}
    gone = httpx.post(f"{live_server.url}/comments/{reply.json()['id']}/delete", data={"csrf": "t"}, headers=cookie)
    assert gone.status_code == 303
    assert api.paper_info(PAPER).comments == 3
