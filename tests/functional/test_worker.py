"""``paperstand worker``: the schedule, jobs run from the queue (SQLite and Redis), two workers at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from tests.conftest import CountingSink, smtp_server
from typer.testing import CliRunner

from paperstand.cli import app
from paperstand.config import Settings
from paperstand.db import make_engine, migrate
from paperstand.ingest.record import PaperRecord
from paperstand.papers.store import store_batch
from paperstand.subscriptions.models import Subscriber
from paperstand.worker.inprocess import JOB_NICENESS, lower_priority, start_in_process
from paperstand.worker.jobs import JOBS
from paperstand.worker.queue import make_queue, register
from paperstand.worker.schedule import SCHEDULE

SUBSCRIBERS = 30
REDIS_URL = "redis://127.0.0.1:6379/13"


def test_schedule_has_a_job_for_every_entry_and_fires_when_it_says() -> None:
    assert set(SCHEDULE) == set(JOBS) >= {"harvest", "digests"}
    digests, harvest = SCHEDULE["digests"].crontab(), SCHEDULE["harvest"].crontab()
    embed = SCHEDULE["embed"].crontab()
    # Digests and embedding every minute: a due digest or a new import waits a minute or two at most.
    assert all(job(datetime(2026, 3, 2, 10, m)) for m in (0, 7, 25, 59) for job in (digests, embed))
    assert harvest(datetime(2026, 3, 2, 3, 17)) and not harvest(datetime(2026, 3, 2, 4, 17))
    assert not harvest(datetime(2026, 3, 2, 3, 18))


def test_list_prints_the_schedule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERSTAND_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["worker", "--list"])
    assert result.exit_code == 0 and "digests" in result.output and "harvest" in result.output


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """No URL (the embedded SQLite queue), or a Redis database emptied before and after."""
    if request.param == "sqlite-queue":
        yield None
        return
    if not _redis_up():
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def _populate(db_url: str) -> None:
    """Papers featured today and subscribers whose weekly digest is due now, whatever the day."""
    engine = make_engine(db_url)
    migrate(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        store_batch(conn, [PaperRecord(source="listing", title=f"Queue-run paper {i}", abstract="Text. More.",
                                       featured_on=now.date(), position=i) for i in range(1, 4)])
    with Session(engine) as s, s.begin():
        s.add_all(Subscriber(email=f"w{i}@example.org", status="confirmed", confirmed_at=now, created_at=now,
                             frequency="weekly", weekday=now.weekday(), send_hour=0, timezone="UTC",
                             categories=[], keywords=[]) for i in range(SUBSCRIBERS))
    engine.dispose()


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "paperstand.cli", "worker", "--workers", "2"],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> str:
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode(errors="replace")


def test_two_workers_run_queued_digest_jobs_and_send_each_digest_once(
        db_url: str, tmp_path: Path, queue_url: str | None) -> None:
    _populate(db_url)
    sink = CountingSink()
    with smtp_server(sink) as mail_url:
        env = {"PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "var"),
               "PAPERSTAND_MAIL_URL": mail_url, "PAPERSTAND_SECRET_KEY": "worker",
               "PAPERSTAND_HARVEST_ON_START": "false", **({"PAPERSTAND_QUEUE_URL": queue_url} if queue_url else {})}
        workers = [_start_worker(env), _start_worker(env)]
        try:
            settings = Settings(database_url=db_url, data_dir=tmp_path / "var", queue_url=queue_url)
            tasks = register(make_queue(settings), settings)
            for _ in range(4):  # as if both workers' schedulers fired twice
                tasks["digests"]()
            deadline = time.monotonic() + 60
            while len(sink.received) < SUBSCRIBERS and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2)  # room for any duplicate to arrive
        finally:
            logs = [_stop(w) for w in workers]
    per_recipient = Counter(rcpt for rcpt, _ in sink.received)
    assert len(per_recipient) == SUBSCRIBERS, logs
    assert set(per_recipient.values()) == {1}, per_recipient
    assert any("digests:" in log for log in logs), logs


def test_run_once_runs_a_job_in_process(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _populate(db_url)
    for key, value in {"PAPERSTAND_DATABASE_URL": db_url, "PAPERSTAND_DATA_DIR": str(tmp_path / "var"),
                       "PAPERSTAND_MAIL_URL": f"file://{tmp_path / 'mail'}", "PAPERSTAND_SECRET_KEY": "w"}.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["worker", "--run", "digests"])
    assert result.exit_code == 0 and f"{SUBSCRIBERS} sent" in result.output, result.output
    assert len(list((tmp_path / "mail").glob("*.eml"))) == SUBSCRIBERS
    bad = CliRunner().invoke(app, ["worker", "--run", "nope"])
    assert bad.exit_code == 2 and "unknown job" in bad.output


def test_unsupported_queue_url_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="redis://"):
        make_queue(Settings(data_dir=tmp_path, queue_url="amqp://localhost"))


def test_in_process_worker_runs_queued_jobs_on_low_priority_threads(db_url: str, tmp_path: Path) -> None:
    """What `paperstand serve` runs: the same queue and jobs, on threads, without touching signal handlers."""
    _populate(db_url)
    settings = Settings(database_url=db_url, data_dir=tmp_path / "var", mail_url=f"file://{tmp_path / 'mail'}",
                        secret_key="w")
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    worker = start_in_process(settings)
    try:
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
        tasks = register(make_queue(settings), settings)
        tasks["digests"]()
        tasks["digests"]()  # twice, as if two serve processes' schedulers fired
        deadline = time.monotonic() + 60
        while len(list((tmp_path / "mail").glob("*.eml"))) < SUBSCRIBERS and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)
    finally:
        worker.stop()
    assert len(list((tmp_path / "mail").glob("*.eml"))) == SUBSCRIBERS


def test_embed_job_costs_nothing_when_nothing_is_pending(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    engine.dispose()
    assert JOBS["embed"](Settings(database_url=db_url, data_dir=tmp_path)) == "nothing to embed"
    assert not (tmp_path / "models").exists()  # no model was loaded or built


def test_lower_priority_lowers_only_the_calling_thread() -> None:
    import threading

    seen: list[int] = []

    def job() -> None:
        lower_priority()
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    assert seen == [os.getpriority(os.PRIO_PROCESS, 0) + JOB_NICENESS] or seen == [19]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < seen[0]
