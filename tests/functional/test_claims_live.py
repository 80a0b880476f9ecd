"""Claims against a running ``paperstand serve``: fifty identical posts leave one claim, moderators racing leave
one decision, and the real ``huggingface_hub`` client reads the verified author (through the page cache)."""

from __future__ import annotations

import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"  # before the import: nothing here may talk to huggingface.co

from huggingface_hub import HfApi  # noqa: E402
from tests.conftest import LiveServer, MadeMember, make_member  # noqa: E402

from paperstand.community.models import AuthorClaim, ModerationAction  # noqa: E402
from paperstand.db import make_engine  # noqa: E402
from paperstand.mail.models import OutgoingMail  # noqa: E402

DAILY = Path(__file__).parents[1] / "fixtures" / "api" / "daily_small.json"
PAPER = "/papers/2503.00201"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_open = urllib.request.build_opener(_NoRedirect).open


def _token(server: LiveServer, who: MadeMember, path: str) -> str:
    """The CSRF token of the forms on ``path`` as ``who`` sees it (also the value of the cookie it sets)."""
    request = urllib.request.Request(server.url + path, headers=who.headers)
    with _open(request, timeout=30) as resp:
        body = resp.read().decode()
        cookie = resp.headers["set-cookie"]
    found = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found and f"ps_csrf={found.group(1)}" in cookie
    return found.group(1)


def _post(server: LiveServer, who: MadeMember, path: str, token: str, **form: str) -> int:
    data = urllib.parse.urlencode({"csrf": token, **form}).encode()
    request = urllib.request.Request(server.url + path, data=data, method="POST", headers={
        "Cookie": f"ps_session={who.cookie}; ps_csrf={token}"})
    try:
        with _open(request, timeout=60) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _together(n: int, work: Any) -> list[int]:
    barrier, out = threading.Barrier(n), [0] * n

    def run(i: int) -> None:
        barrier.wait()
        out[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_races_leave_one_claim_and_one_decision_and_the_client_sees_it(live_server: LiveServer) -> None:
    result = live_server.run_cli("import", str(DAILY))
    assert result.returncode == 0, result.stdout + result.stderr
    engine = make_engine(live_server.db_url)
    try:
        ada = make_member(engine, "ada")
        mods = [make_member(engine, f"mo{i}", role="moderator") for i in range(2)]
        api = HfApi(endpoint=live_server.url, token=False)
        before = api.paper_info("2503.00201")  # cached now, for anonymous callers
        assert before.authors is not None and before.authors[0].user is None

        token = _token(live_server, ada, PAPER)
        statuses = _together(50, lambda i: _post(live_server, ada, f"{PAPER}/claim", token, author_index="0"))
        assert set(statuses) == {303}
        with Session(engine) as s:
            [claim_id] = s.scalars(select(AuthorClaim.id)).all()

        tokens = [_token(live_server, mod, "/moderation/claims") for mod in mods]
        statuses = _together(20, lambda i: _post(live_server, mods[i % 2], f"/moderation/claims/{claim_id}",
                                                 tokens[i % 2], decision="approve", reason=f"checked {i}"))
        assert set(statuses) == {303}
        with Session(engine) as s:
            assert s.scalars(select(AuthorClaim.status)).all() == ["approved"]
            assert s.scalar(select(func.count()).select_from(ModerationAction)) == 1
            assert s.scalar(select(func.count()).select_from(OutgoingMail)) == 1
    finally:
        engine.dispose()

    info = api.paper_info("2503.00201")
    assert info.authors is not None
    first, second = info.authors
    assert first.name == "Ravi Rao" and first.status == "claimed_verified"
    assert first.user is not None and (first.user.username, first.user.fullname) == ("ada", "Ada")
    assert first.user.avatar_url == "/static/avatar.svg" and first.user.is_pro is False
    assert first.status_last_changed_at is not None and first.status_last_changed_at.tzinfo is not None
    assert second.user is None and second.status is None
    [listed] = [p for p in api.list_daily_papers(date="2025-03-11") if p.id == "2503.00201"]
    assert listed.authors is not None and listed.authors[0].user is not None
    assert listed.authors[0].user.username == "ada"
    with urllib.request.urlopen(live_server.url + PAPER, timeout=30) as resp:
        assert "✓ verified" in resp.read().decode()
