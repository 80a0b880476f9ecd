"""The curate page (curators and admins only, every form with CSRF) and the day's public curation log."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.conftest import MadeMember, make_member
from tests.unit.community.submission_setup import FakeArxiv, picks, store

from paperstand.app import create_app
from paperstand.config import Settings

NOW = datetime.now(UTC)
TODAY = NOW.date()
DAY = f"/papers/date/{TODAY.isoformat()}"
CSRF = "csrf-token-of-the-tests-0123456789"
IDS = ["2503.00011", "2503.00012", "2503.00013"]


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[TestClient]:
    """The app with today's list of three imported papers and an in-memory arXiv."""
    for arxiv_id in IDS:
        store(engine, arxiv_id, published=NOW - timedelta(days=1), featured_on=TODAY)
    app = create_app(Settings(database_url=db_url, harvest_on_start=False))
    app.state.arxiv_lookup = FakeArxiv({"2503.00099": NOW - timedelta(days=1)})
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _as(who: MadeMember) -> dict[str, str]:
    return {"Cookie": f"ps_session={who.cookie}; ps_csrf={CSRF}"}


def _pick_ids(page: str) -> list[str]:
    return re.findall(r'<li id="pick-(\d+)"', page)


def _do(client: TestClient, who: MadeMember, action: str, **fields: str) -> Any:
    return client.post(f"{DAY}/curate/{action}", data={"csrf": CSRF, **fields}, headers=_as(who))


def _curated(client: TestClient) -> list[str]:
    page = client.get(f"{DAY}?sort=curated").text
    return re.findall(r'<article class="card" id="paper-([\d.]+)"', page)


def test_members_and_visitors_are_turned_away(client: TestClient, engine: Engine) -> None:
    anonymous = client.get(f"{DAY}/curate")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == (
        f"/login?next=%2Fpapers%2Fdate%2F{TODAY.isoformat()}%2Fcurate")
    for role in ("member", "moderator"):
        who = make_member(engine, role, role=role)
        assert client.get(f"{DAY}/curate", headers=_as(who)).status_code == 403
        assert _do(client, who, "add", paper="2503.00099").status_code == 403
        assert _do(client, who, "remove", pick="1").status_code == 403
    assert len(picks(engine)) == 3 and "No curator has changed" in client.get(f"{DAY}/log").text


def test_a_curator_arranges_the_day_and_everyone_reads_the_log(client: TestClient, engine: Engine) -> None:
    cat = make_member(engine, "cat", role="curator")
    page = client.get(f"{DAY}/curate", headers=_as(cat))
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    first, second, third = _pick_ids(page.text)
    assert f'name="csrf" value="{CSRF}"' in page.text
    added = _do(client, cat, "add", paper="https://arxiv.org/abs/2503.00099")
    assert added.status_code == 303 and added.headers["location"].startswith(f"{DAY}/curate#pick-")
    assert _do(client, cat, "move", pick=third, to="first").status_code == 303
    assert _do(client, cat, "pick", pick=second, picked="1").status_code == 303
    assert _do(client, cat, "remove", pick=first).status_code == 303
    assert _curated(client) == ["2503.00012", "2503.00013", "2503.00099"]
    day = client.get(f"{DAY}?sort=curated").text
    badged = day.split('id="paper-2503.00012"', 1)[1].split("</article>", 1)[0]
    assert "Curator's pick" in badged and "Curator" not in day.split('id="paper-2503.00013"', 1)[1][:600]
    assert f'href="{DAY}/log"' in day and f'{DAY}/curate"' not in day  # anonymous: the log, not the controls
    assert f'href="{DAY}/curate"' in client.get(DAY, headers=_as(cat)).text
    log = unescape(client.get(f"{DAY}/log").text)
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", log, flags=re.S)
    assert len(rows) == 4
    assert "Removed" in rows[0] and "Stored paper 2503.00011" in rows[0] and "(was 3)" in rows[0]
    assert "Marked as curator's pick" in rows[1] and '<a href="/u/cat">@cat</a>' in rows[1]
    assert "Moved" in rows[2] and "(from 3 to 1)" in rows[2]
    assert "Added" in rows[3] and "Compositional Probes for 2503.00099" in rows[3]
    again = client.get(f"{DAY}/curate", headers=_as(cat)).text
    assert "Off the list" in again and "removed by a curator" in again
    assert _do(client, cat, "add", paper="2503.00011").status_code == 303  # the "Put back" button
    assert _curated(client)[-1] == "2503.00011"


def test_bad_input_is_answered_on_the_page(client: TestClient, engine: Engine) -> None:
    cat = make_member(engine, "cat", role="curator")
    pick = _pick_ids(client.get(f"{DAY}/curate", headers=_as(cat)).text)[0]
    sideways = _do(client, cat, "move", pick=pick, to="sideways")
    assert sideways.status_code == 400 and "Cannot move to" in sideways.text
    assert '<ol class="curate-list">' in sideways.text  # the page again, with the reason
    dup = _do(client, cat, "add", paper="2503.00012")
    assert dup.status_code == 409 and f"2503.00012 is already on {TODAY.isoformat()}" in dup.text
    assert 'value="2503.00012"' in dup.text
    assert _do(client, cat, "add", paper="what?").status_code == 400
    assert _do(client, cat, "remove", pick="abc").status_code == 400
    assert _do(client, cat, "pick", pick=pick, picked="2").status_code == 400
    assert _do(client, cat, "move", pick="99999", to="up").status_code == 404
    assert client.post(f"{DAY}/curate/move", data={"csrf": "forged", "pick": pick, "to": "up"},
                       headers=_as(cat)).status_code == 403
    assert client.get("/papers/date/2025-13-01/curate", headers=_as(cat)).status_code == 400
    future = (TODAY + timedelta(days=2)).isoformat()
    assert client.post(f"/papers/date/{future}/curate/add", data={"csrf": CSRF, "paper": "2503.00099"},
                       headers=_as(cat)).status_code == 400
    assert client.get("/papers/date/2025-13-01/log").status_code == 400
    assert "No curator has changed" in client.get("/papers/date/2020-01-01/log").text
    assert len(picks(engine)) == 3
