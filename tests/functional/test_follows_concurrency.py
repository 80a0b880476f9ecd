"""Identical follows, watches, scans and alert runs at the same moment: one row each, one mail per alert."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import make_member

from paperstand.follows import alerts, service, watch
from paperstand.follows.models import Follow, Watch, WatchAlert, WatchEvent
from paperstand.ingest.record import PaperRecord
from paperstand.mail.models import OutgoingMail
from paperstand.papers.store import store_batch

THREADS = 8


def _at_once(engine: Engine, work: Any) -> list[Any]:
    """Run ``work(session)`` on THREADS threads released together; their results."""
    start = threading.Barrier(THREADS)

    def one(_: int) -> Any:
        with Session(engine) as session:
            start.wait()
            return work(session)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(THREADS)))


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_identical_writes_at_once_are_one(engine: Engine) -> None:
    ada = make_member(engine, "ada")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-oai", title="Raced", arxiv_id="2503.00001", version=1)])
    _at_once(engine, lambda s: service.follow(s, member_id=ada.id, kind="author", value="Ada Quill", now=now))
    _at_once(engine, lambda s: watch.watch(s, member_id=ada.id, paper_id="2503.00001", now=now))
    assert (_count(engine, Follow), _count(engine, Watch), _count(engine, WatchEvent)) == (1, 1, 1)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="arxiv-oai", title="Raced", arxiv_id="2503.00001", version=2)])
    later = now + timedelta(minutes=1)
    assert sum(_at_once(engine, lambda s: watch.scan(s, now=later))) == 1
    sent = _at_once(engine, lambda s: alerts.send_instant(s, now=later, site_url="http://papers.test"))
    assert (_count(engine, WatchEvent), _count(engine, WatchAlert)) == (2, 1)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(OutgoingMail).where(OutgoingMail.kind == "watch")) == 1
    assert sum(sent) >= 1
