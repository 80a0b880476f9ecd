"""What each scheduled job does; plain functions, callable from the worker, the CLI or a test."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from paperstand.config import Settings
from paperstand.db import make_engine

log = logging.getLogger("paperstand.worker")


def harvest_job(settings: Settings) -> str:
    """Fetch the last ``PAPERSTAND_HARVEST_DAYS`` days from arXiv and Hugging Face."""
    from paperstand.ingest.harvest import harvest

    engine = make_engine(settings.effective_database_url)
    try:
        report = harvest(engine, settings, since=date.today() - timedelta(days=settings.harvest_days),
                         categories=settings.category_list)
    finally:
        engine.dispose()
    return "; ".join(report.lines())


def digests_job(settings: Settings) -> str:
    """Send every digest that is due now."""
    from paperstand.digests.send import send_due
    from paperstand.mail.backends import mail_backend

    engine = make_engine(settings.effective_database_url)
    backend = mail_backend(settings)
    try:
        report = send_due(engine, settings, backend)
    finally:
        backend.close()
        engine.dispose()
    return (f"{report.planned} planned, {report.sent} sent, {report.skipped} skipped, "
            f"{report.retried} to retry, {report.suppressed} suppressed")


def embed_job(settings: Settings, device: str = "auto") -> str:
    """Embed new and changed papers and bring the semantic index file up to date (one query when none is)."""
    from paperstand.search.vectors import count_pending, embed_pending

    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as conn:
            if count_pending(conn) == 0:
                # The model is not even loaded: this job runs every minute.
                return "nothing to embed"
        report = embed_pending(engine, settings, device=device)
    finally:
        engine.dispose()
    return "; ".join(report.lines())


def embed_on_cpu_job(settings: Settings) -> str:
    """The embed job as the web process runs it: on the CPU model that also answers queries (loaded once)."""
    return embed_job(settings, device="cpu")


def backup_job(settings: Settings) -> str:
    """Take the nightly backup and keep the newest ``PAPERSTAND_BACKUP_KEEP``."""
    from paperstand.backup.service import backup_job as nightly

    return nightly(settings)


def send_mail_job(settings: Settings) -> str:
    """Deliver the queued single messages (verification, reset, notices) that are due."""
    from paperstand.mail.outbox_send import send_outbox_now

    return send_outbox_now(settings).line()


def trending_job(settings: Settings) -> str:
    """Recompute every trending paper's stored score, and drop the rows of papers that stopped trending."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from paperstand.ranking.service import recompute_all

    engine = make_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            return recompute_all(session, now=datetime.now(UTC)).line()
    finally:
        engine.dispose()


def watch_job(settings: Settings) -> str:
    """Record what happened to watched papers (versions, code, comments) and queue the alerts due at once."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from paperstand.follows.alerts import send_instant
    from paperstand.follows.watch import scan
    from paperstand.site.service import resolve_public_url

    engine = make_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            events = scan(session, now=datetime.now(UTC))
            mails = send_instant(session, now=datetime.now(UTC), site_url=resolve_public_url(engine, settings).url)
        return f"{events} new events, {mails} alert mails queued"
    finally:
        engine.dispose()


def recommend_job(settings: Settings) -> str:
    """Retrain the taste model of every member whose signals changed since it was stored."""
    from sqlalchemy.orm import Session

    from paperstand.recommend.training import retrain_all

    engine = make_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            return retrain_all(session).line()
    finally:
        engine.dispose()


JOBS: dict[str, Callable[[Settings], str]] = {"harvest": harvest_job, "digests": digests_job, "embed": embed_job,
                                               "backup": backup_job, "send_mail": send_mail_job,
                                               "trending": trending_job, "watch": watch_job,
                                               "recommend": recommend_job}
# What ``paperstand serve`` runs in-process: torch and a GPU stay out of the web process.
IN_PROCESS_JOBS: dict[str, Callable[[Settings], str]] = {**JOBS, "embed": embed_on_cpu_job}
