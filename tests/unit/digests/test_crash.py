"""kill -9 the digest sender at random points: nobody is missed, duplicates stay within the leases in flight."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from tests.conftest import CountingSink, smtp_server

from paperstand.digests.send import RECORD_EVERY
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Subscriber

SUBSCRIBERS, KILLS = 200, 20
DAY = date(2026, 3, 2)

# Each run pretends to start LEASE + 1 minute after the previous one, so leases a killed run left
# behind have expired (the real sender waits out the lease the same way, only slower).
SENDER = """
import sys
from datetime import UTC, datetime, timedelta
from paperstand.config import Settings
from paperstand.db import make_engine
from paperstand.digests.outbox import LEASE
from paperstand.digests.send import send_period
from paperstand.mail.backends import backend_from_url
from paperstand.papers.periods import parse_day
db_url, mail_url, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
offset = (LEASE + timedelta(minutes=1)) * run
settings = Settings(database_url=db_url, secret_key="crash", base_url="https://papers.example.org")
send_period(make_engine(db_url), settings, parse_day("2026-03-02"), backend_from_url(mail_url),
            clock=lambda: datetime.now(UTC) + offset)
"""


def _populate(engine: Engine) -> None:
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title=f"Crash-safe paper {i}", abstract="Text. More.",
                                       featured_on=DAY, position=i) for i in range(1, 4)])
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with Session(engine) as s, s.begin():
        s.add_all(Subscriber(email=f"r{i}@example.org", status="confirmed", confirmed_at=now, created_at=now,
                             categories=[], keywords=[]) for i in range(SUBSCRIBERS))


def test_sigkill_loses_nobody(engine: Engine, db_url: str) -> None:
    """Twenty kills at random points, then one clean run: all 200 served, duplicates only among leases in flight.

    Outcomes are written in groups, so a kill can leave up to a group (plus the two messages in the SMTP
    pipeline) delivered but unrecorded; they are all under the killed sender's lease, and come again.
    """
    _populate(engine)
    sink = CountingSink(delay=0.004)  # the pace of a real server
    rng = random.Random(2026)
    in_flight: list[int] = []
    with smtp_server(sink) as mail_url:
        for run in range(KILLS):
            proc = subprocess.Popen([sys.executable, "-c", SENDER, db_url, mail_url, str(run)])
            # Kill at a random point while digests are going out (not while Python is still starting).
            seen, deadline = len(sink.received), time.monotonic() + 30
            while len(sink.received) == seen and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.25))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            with engine.connect() as conn:  # the rows the killed sender held: its leases in flight
                in_flight.append(conn.execute(text(
                    "SELECT count(*) FROM digest_outbox WHERE status = 'pending' AND lease_owner IS NOT NULL"
                )).scalar_one())
        before_final = len(sink.received)
        subprocess.run([sys.executable, "-c", SENDER, db_url, mail_url, str(KILLS)], check=True, timeout=300)
    assert before_final > 0, "the kills must land while digests are going out"
    per_recipient = Counter(rcpt for rcpt, _ in sink.received)
    assert set(per_recipient) == {f"r{i}@example.org" for i in range(SUBSCRIBERS)}
    duplicates = sum(n - 1 for n in per_recipient.values())
    assert duplicates <= sum(in_flight)
    assert duplicates <= KILLS * (RECORD_EVERY + 2)
    ids = {}
    for rcpt, mid in sink.received:
        assert ids.setdefault(rcpt, mid) == mid  # a re-send reuses its Message-ID
